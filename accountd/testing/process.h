// Child processes for accountd's component and e2e tests: nats-server, accountd itself.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"

namespace lattice::accountd::testing {

// A loopback TCP port that was free a moment ago.
absl::StatusOr<int> FreePort();
// True once 127.0.0.1:`port` accepts TCP before `timeout`.
bool WaitForTcp(int port, std::chrono::milliseconds timeout);

// Polls `pred` with backoff until it holds (true) or `timeout` passes (false). Bounds waiting on
// other processes; never a timing assertion.
template <typename Pred>
bool Eventually(Pred&& pred, std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::chrono::milliseconds pause{1};
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(50));
  }
  return true;
}

// One child process with stdout+stderr in `log_path`; killed with the test (PDEATHSIG) and by
// the destructor. Owned by one test. Thread: the test's thread.
class ChildProcess {
 public:
  static absl::StatusOr<ChildProcess> Spawn(std::vector<std::string> argv, std::string log_path);
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  bool Running();
  // Sends `signal_number` and waits for the exit; returns the raw wait status.
  int Kill(int signal_number);
  std::string Log() const;

 private:
  ChildProcess(pid_t pid, std::string log_path) : pid_(pid), log_path_(std::move(log_path)) {}
  pid_t pid_ = -1;
  std::string log_path_;
};

// Waits until the child's log contains `needle` (true) or it exits / `timeout` passes (false).
// Readiness must come from the child's own log, not from the port: with tests in parallel a
// just-freed port can be taken by another test's server, which would then answer instead.
bool WaitForLog(ChildProcess& child, const std::string& needle, std::chrono::milliseconds timeout);

// A nats-server child on a loopback port.
struct NatsServer {
  ChildProcess process;
  int port = 0;
  std::string url() const { return "nats://127.0.0.1:" + std::to_string(port); }
};
// Writes `<dir>/nats.conf` ("port: P" plus `config`), starts `nats-server -c` and waits until it
// accepts TCP; retries with another port when the process dies early (port taken). A non-zero
// `port` is used as is (no retry).
absl::StatusOr<NatsServer> StartNatsServer(const std::string& dir, const std::string& config,
                                           int port = 0);

// $NATS_SERVER_BIN or /usr/sbin/nats-server.
std::string NatsServerBinary();
// An executable from the test's runfiles, by workspace-relative path ("accountd/accountd").
absl::StatusOr<std::string> RunfileBinary(const std::string& path);
// The accountd binary from the test's runfiles.
absl::StatusOr<std::string> AccountdBinary();

}  // namespace lattice::accountd::testing
