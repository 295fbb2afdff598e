// A fresh temporary directory under $TEST_TMPDIR for one test.
#pragma once

#include <cstdlib>
#include <string>

#include "common/base/check.h"

namespace lattice::accountd::testing {

// Returns "<$TEST_TMPDIR or /tmp>/<prefix>.XXXXXX", created. Left for Bazel to clean up.
inline std::string MakeTempDir(const std::string& prefix) {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/" + prefix + ".XXXXXX";
  char* made = mkdtemp(pattern.data());
  LATTICE_CHECK(made != nullptr);
  return pattern;
}

}  // namespace lattice::accountd::testing
