// ChildProcess: a test's child process (fork/exec) with its output in a log file, killed with it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace lattice::testutil {

// One child process. stdout and stderr are appended to `log_path`, stdin is /dev/null. The child
// gets PR_SET_PDEATHSIG=SIGKILL so it dies with the test even when the test crashes, and the
// destructor SIGKILLs and reaps it. Owned by one test (movable, not copyable).
// Thread: the owning test's thread.
class ChildProcess {
 public:
  // Extra or replaced environment variables (name, value) on top of the test's environment.
  using Env = std::vector<std::pair<std::string, std::string>>;

  // Forks and execs `argv[0]` (a path, not searched in $PATH) with `argv`. An exec failure shows
  // up as exit status 127 (see Running/WaitExit), not as an error here.
  static absl::StatusOr<ChildProcess> Spawn(std::vector<std::string> argv, std::string log_path,
                                            const Env& env = {});

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }
  // The raw wait status once the child has been reaped.
  std::optional<int> wait_status() const { return wait_status_; }

  // True while the child has not exited (reaps it when it has).
  bool Running();
  // Sends `signal_number` without waiting. FailedPrecondition once the child has exited.
  absl::Status Signal(int signal_number);
  // Sends `signal_number` (when still running) and blocks until the child exits; returns the raw
  // wait status. Idempotent: after the exit it returns the recorded status.
  int Kill(int signal_number);
  // Polls up to `timeout` for the child to exit by itself; DeadlineExceeded when it did not.
  absl::StatusOr<int> WaitExit(std::chrono::milliseconds timeout);
  // SIGTERM, wait up to `timeout`, then SIGKILL; returns the raw wait status.
  int Terminate(std::chrono::milliseconds timeout);
  // The log file's contents so far (empty when unreadable).
  std::string Log() const;

 private:
  ChildProcess(pid_t pid, std::string log_path) : pid_(pid), log_path_(std::move(log_path)) {}
  void Reset();

  pid_t pid_ = -1;
  std::string log_path_;
  std::optional<int> wait_status_;
};

// "exited 3", "killed by signal 9": a raw wait status for failure messages.
std::string DescribeWaitStatus(int status);

// Exit code of a raw wait status, 128+signal for a signal, -1 otherwise (shell convention).
int ExitCode(int status);

// Waits until the child's log contains `needle` (true) or it exits / `timeout` passes (false).
// Prefer this to a port probe for readiness when tests run in parallel: a just-freed port can be
// taken by another test's server, which would answer instead.
bool WaitForLog(ChildProcess& child, const std::string& needle, std::chrono::milliseconds timeout);

}  // namespace lattice::testutil
