// Test helpers for the control-plane e2e test: find binaries in the runfiles and run one to
// completion capturing its output (long-running children are common/testing's ChildProcess).
#pragma once

#include <string>
#include <vector>

namespace lattice::control_e2e {

// Path of a binary in this test's runfiles ("controlplane/lattice-control").
std::string Runfile(const std::string& path);

struct Output {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `argv` to completion, capturing stdout and stderr.
Output RunToCompletion(const std::vector<std::string>& argv);

}  // namespace lattice::control_e2e
