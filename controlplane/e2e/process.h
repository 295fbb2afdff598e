// Test helpers for the control-plane e2e test: spawn binaries from runfiles, capture output,
// signal and reap them.
#pragma once

#include <sys/types.h>

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

// A long-running child (stdout/stderr to `log_path`). Owned by the test; killed on destruction.
// Thread: test thread only.
class Child {
 public:
  Child(const std::vector<std::string>& argv, const std::string& log_path);
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  // Sends `signal` and waits for exit; returns the exit code (or 128+signal).
  int Stop(int signal);
  // Non-blocking: true and the code when the child has exited.
  bool Exited(int* code);

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
};

}  // namespace lattice::control_e2e
