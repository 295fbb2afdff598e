// Time source for event-loop timers: the real monotonic clock, or a fake one tests advance.
#pragma once

#include <atomic>
#include <chrono>

namespace lattice::server {

using ClockDuration = std::chrono::steady_clock::duration;
using ClockTime = std::chrono::steady_clock::time_point;

// Thread: any (implementations must be safe to read from every loop).
class Clock {
 public:
  virtual ~Clock() = default;
  virtual ClockTime Now() const = 0;
};

// The process's monotonic clock. Thread: any.
class SystemClock final : public Clock {
 public:
  ClockTime Now() const override { return std::chrono::steady_clock::now(); }
  static SystemClock& Get() {
    static SystemClock clock;
    return clock;
  }
};

// A clock that only moves when a test advances it. Owned by the test. Thread: any.
class FakeClock final : public Clock {
 public:
  ClockTime Now() const override {
    return ClockTime(ClockDuration(ticks_.load(std::memory_order_acquire)));
  }
  void Advance(ClockDuration d) { ticks_.fetch_add(d.count(), std::memory_order_acq_rel); }

 private:
  std::atomic<ClockDuration::rep> ticks_{ClockDuration(std::chrono::hours(1)).count()};
};

}  // namespace lattice::server
