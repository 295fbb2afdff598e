// Eventually(pred, timeout): polls a condition until it holds or a deadline passes.
#pragma once

#include <chrono>
#include <thread>

namespace lattice::e2e {

// Default bound for waiting on another process; only bounds waiting, never asserted as a time.
inline constexpr std::chrono::milliseconds kDefaultWait{10000};

// Polls `pred` until it returns true (-> true) or `timeout` elapses (-> false). The poll
// interval starts small and backs off, so fast conditions finish fast and slow ones do not spin.
// Thread: any.
template <typename Pred>
bool Eventually(Pred&& pred, std::chrono::milliseconds timeout = kDefaultWait) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::chrono::milliseconds pause{1};
  while (true) {
    if (pred()) {
      return true;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(pause);
    if (pause < std::chrono::milliseconds(50)) {
      pause *= 2;
    }
  }
}

}  // namespace lattice::e2e
