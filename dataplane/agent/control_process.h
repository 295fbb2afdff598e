// Test helper: a real lattice-control child process (Admin + NodeSync) on a loopback port.
#pragma once

#include <signal.h>

#include <chrono>
#include <string>
#include <utility>

#include "absl/status/statusor.h"

#include "common/testing/child_process.h"
#include "common/testing/eventually.h"
#include "common/testing/ports.h"

namespace lattice::agent::testing {

using ::lattice::testutil::FreePort;

// common/testing's Eventually with this suite's bound (20 s: a control-plane restart and the
// agent's reconnect backoff fit in it). Never a timing assertion.
template <typename Pred>
bool Eventually(Pred&& pred, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  return ::lattice::testutil::Eventually(std::forward<Pred>(pred), timeout);
}

// One lattice-control process with its log in `<data_dir>.log`; killed by the destructor and
// when the test dies (PDEATHSIG). Owned by one test. Thread: the test's thread.
class ControlProcess {
 public:
  // Starts lattice-control (from the test's runfiles) on 127.0.0.1:`port` over `data_dir`,
  // accepting bearer `token`, and waits until it accepts TCP.
  static absl::StatusOr<ControlProcess> Start(const std::string& data_dir, int port,
                                              const std::string& token);

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  // SIGKILL and reap (a crash, not a graceful stop). Idempotent.
  void Kill() { child_.Kill(SIGKILL); }
  // SIGSTOP / SIGCONT: a replica that hangs with its connections open, and its recovery.
  void Pause() { (void)child_.Signal(SIGSTOP); }
  void Resume() { (void)child_.Signal(SIGCONT); }
  std::string Log() const { return child_.Log(); }

 private:
  ControlProcess(testutil::ChildProcess child, int port) : child_(std::move(child)), port_(port) {}

  testutil::ChildProcess child_;
  int port_ = 0;
};

}  // namespace lattice::agent::testing
