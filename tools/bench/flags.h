// Command-line parsing for lattice-bench: `lattice-bench <scenario> [--flag=value ...]`.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"

#include "tools/bench/config.h"

namespace lattice::bench {

// Parses args (without argv[0]). Accepts `--name=value` and `--name value`; counts take k/m
// suffixes (x1000), byte sizes k/m (x1024).
absl::StatusOr<BenchConfig> ParseArgs(const std::vector<std::string>& args);
std::string Usage();

}  // namespace lattice::bench
