// Reads process resource usage from /proc: the server's RSS and CPU time, and our own CPU time.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>

namespace lattice::bench {

// VmRSS of `pid` in bytes; nullopt when the process or the field is missing.
std::optional<uint64_t> ReadRssBytes(pid_t pid);
// utime + stime of `pid` in seconds (all its threads); nullopt when unreadable.
std::optional<double> ReadCpuSeconds(pid_t pid);
// utime + stime of this process (all threads) in seconds.
double SelfCpuSeconds();

// CPU seconds spent by this process and (when known) by the server between construction and
// Stop(). Thread: single owner.
class CpuMeter {
 public:
  explicit CpuMeter(pid_t server_pid);
  void Stop();
  double bench_seconds() const { return bench_; }
  // Negative when the server pid is unknown or unreadable.
  double server_seconds() const { return server_; }

 private:
  pid_t server_pid_;
  double bench_start_;
  std::optional<double> server_start_;
  double bench_ = 0;
  double server_ = -1;
};

}  // namespace lattice::bench
