// ChangeNotifier: wakes Watch streams and NodeSync streams when a new revision is applied.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace lattice::frontend {

// Owned by the Frontend. Thread: any. Uses std::mutex directly because waits need a timeout
// (callers poll for RPC cancellation between waits).
class ChangeNotifier {
 public:
  explicit ChangeNotifier(uint64_t revision) : revision_(revision) {}

  void Publish(uint64_t revision) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (revision > revision_)
        revision_ = revision;
    }
    cv_.notify_all();
  }

  // Waits until the revision exceeds `after` or `timeout` passes; returns the latest revision.
  uint64_t WaitAfter(uint64_t after, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return revision_ > after || closed_; });
    return revision_;
  }

  // Wakes every waiter for good (shutdown).
  void Close() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      closed_ = true;
    }
    cv_.notify_all();
  }
  bool closed() {
    std::lock_guard<std::mutex> lock(mu_);
    return closed_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t revision_;
  bool closed_ = false;
};

}  // namespace lattice::frontend
