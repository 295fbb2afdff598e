// Eventually(pred, timeout) for e2e tests: common/testing's poller with the e2e default bound.
#pragma once

#include <chrono>
#include <utility>

#include "common/testing/eventually.h"

namespace lattice::e2e {

// Default bound for waiting on another process; only bounds waiting, never asserted as a time.
inline constexpr std::chrono::milliseconds kDefaultWait{10000};

// Polls `pred` with backoff until it returns true (-> true) or `timeout` elapses (-> false).
// Thread: any.
template <typename Pred>
bool Eventually(Pred&& pred, std::chrono::milliseconds timeout = kDefaultWait) {
  return ::lattice::testutil::Eventually(std::forward<Pred>(pred), timeout);
}

}  // namespace lattice::e2e
