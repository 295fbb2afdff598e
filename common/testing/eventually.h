// Eventually(pred, timeout): polls a condition with backoff until it holds or a deadline passes.
#pragma once

#include <algorithm>
#include <chrono>
#include <thread>

namespace lattice::testutil {

// Default bound on waiting for another thread or process. Only bounds waiting; never asserted.
inline constexpr std::chrono::milliseconds kDefaultWait{15000};

// Polls `pred` until it returns true (-> true) or `timeout` elapses (-> false). The pause starts at
// 1 ms and doubles up to 50 ms, so fast conditions finish fast and slow ones do not spin. `pred`
// is evaluated once more at the deadline, so a condition that became true while sleeping counts.
// Thread: any (runs `pred` on the caller's thread).
template <typename Pred>
bool Eventually(Pred&& pred, std::chrono::milliseconds timeout = kDefaultWait) {
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

}  // namespace lattice::testutil
