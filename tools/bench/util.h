// Small helpers shared by lattice-bench scenarios: a monotonic clock and padded counters.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace lattice::bench {

// Monotonic nanoseconds (steady clock); only differences are meaningful.
inline int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// A counter on its own cache line, written by one thread and read by others.
struct alignas(64) PaddedCounter {
  std::atomic<uint64_t> value{0};
};

}  // namespace lattice::bench
