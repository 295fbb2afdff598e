// InterestTracker: mutex-guarded dirty set with a batching wait for the agent's writer.
#include "dataplane/interest/interest_tracker.h"

#include <algorithm>

namespace lattice::interest {

void InterestTracker::MarkDirty(std::string_view account, std::string_view subject,
                                std::string_view queue) {
  MutexLock lock(&mu_);
  if (!tracking_) {
    return;
  }
  ++marks_;
  const bool was_empty = dirty_.empty();
  dirty_.insert(InterestKey{std::string(account), std::string(subject), std::string(queue)});
  if (was_empty) {
    first_dirty_ = std::chrono::steady_clock::now();
    cv_.notify_one();  // the writer starts its batching delay
  } else if (dirty_.size() == options_.eager_pending) {
    cv_.notify_one();  // enough for a batch now
  }
}

void InterestTracker::SetTracking(bool on) {
  MutexLock lock(&mu_);
  tracking_ = on;
  dirty_.clear();
}

bool InterestTracker::tracking() const {
  MutexLock lock(&mu_);
  return tracking_;
}

std::vector<InterestKey> InterestTracker::Drain(size_t max) {
  std::vector<InterestKey> out;
  MutexLock lock(&mu_);
  out.reserve(std::min(max, dirty_.size()));
  while (out.size() < max && !dirty_.empty()) {
    auto it = dirty_.begin();
    out.push_back(std::move(dirty_.extract(it).value()));
  }
  if (!dirty_.empty()) {
    // What is left is due at once: it has waited at least as long as what was drained.
    first_dirty_ = std::chrono::steady_clock::time_point();
  }
  return out;
}

size_t InterestTracker::pending() const {
  MutexLock lock(&mu_);
  return dirty_.size();
}

// mu_ is held through `lock` except while waiting (the analysis cannot follow a unique_lock,
// hence ABSL_NO_THREAD_SAFETY_ANALYSIS).
bool InterestTracker::WaitForBatch() ABSL_NO_THREAD_SAFETY_ANALYSIS {
  std::unique_lock<std::mutex> lock(mu_.native());
  while (true) {
    if (interrupted_) {
      interrupted_ = false;
      return true;
    }
    if (dirty_.empty()) {
      cv_.wait(lock);
      continue;
    }
    if (dirty_.size() >= options_.eager_pending) {
      return false;
    }
    const auto deadline = first_dirty_ + options_.batch_delay;
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    cv_.wait_until(lock, deadline);
  }
}

void InterestTracker::Interrupt() {
  MutexLock lock(&mu_);
  interrupted_ = true;
  cv_.notify_one();
}

uint64_t InterestTracker::marks() const {
  MutexLock lock(&mu_);
  return marks_;
}

}  // namespace lattice::interest
