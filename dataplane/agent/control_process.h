// Test helper: a real lattice-control child process (Admin + NodeSync) on a loopback port.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>

#include "absl/status/statusor.h"

namespace lattice::agent::testing {

// TSan suppressions for races reported inside uninstrumented system libraries (Debian's
// Abseil under gRPC). Given to the lattice-control child and returned by the test binary's
// __tsan_default_suppressions(); a copy with the reasons is in tsan.supp.
extern const char kTsanSuppressions[];

// A loopback TCP port nobody listened on a moment ago.
absl::StatusOr<int> FreePort();
// Polls `condition` until it holds or `timeout` passes. Bounds waits on other threads and
// processes; never a timing assertion.
bool Eventually(const std::function<bool()>& condition,
                std::chrono::milliseconds timeout = std::chrono::seconds(20));

// One lattice-control process with its log in `<data_dir>.log`; killed by the destructor and
// when the test dies (PDEATHSIG). Owned by one test. Thread: the test's thread.
class ControlProcess {
 public:
  // Starts lattice-control (from the test's runfiles) on 127.0.0.1:`port` over `data_dir`,
  // accepting bearer `token`, and waits until it accepts TCP.
  static absl::StatusOr<ControlProcess> Start(const std::string& data_dir, int port,
                                              const std::string& token);
  ControlProcess(ControlProcess&& other) noexcept;
  ControlProcess& operator=(ControlProcess&& other) noexcept;
  ~ControlProcess();

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  // SIGKILL and reap (a crash, not a graceful stop). Idempotent.
  void Kill();
  std::string Log() const;

 private:
  ControlProcess(pid_t pid, int port, std::string log) : pid_(pid), port_(port), log_(log) {}
  pid_t pid_ = -1;
  int port_ = 0;
  std::string log_;
};

}  // namespace lattice::agent::testing
