// latticectl's command dispatcher, callable in-process so tests drive it without a subprocess.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace lattice::latticectl {

// Runs one command (`args` excludes the program name) and returns the exit code: 0 success,
// 1 failure (message on `err`), 2 usage error. `now` is the clock used for iat/exp.
int Run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err, int64_t now);

// The usage text.
std::string Usage();

}  // namespace lattice::latticectl
