// InterestTracker: the dirty set between the loops that change local subscriptions and the
// agent thread that reports the node's interest to the control plane (DESIGN.md §3).
//
//   // loop thread, after Sublist::Insert/Remove said the (subject, queue) interest changed:
//   if (tracker != nullptr) tracker->MarkDirty(account.name(), sub.subject, sub.queue);
//   // agent writer thread:
//   tracker.SetTracking(true);              // clears; then walk the source for a snapshot
//   while (...) {
//     tracker.WaitForBatch();               // a batch is due, or Interrupt()
//     for (const InterestKey& key : tracker.Drain(2000)) send source.Weight(key) ...
//   }
//
// Loops never compute weights: they only say "this key may have changed". The writer reads
// the current weight after draining, so two loops changing one queue group can never be
// reported out of order; a change after the read marks the key again.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/functional/function_ref.h"

#include "common/base/mutex.h"

namespace lattice::interest {

// One reported interest: an account (the registry's name: the configured name, or the account
// public key in operator mode), a subject as subscribed (wildcards included) and a queue
// group ("" for plain subscriptions). Value type.
struct InterestKey {
  std::string account;
  std::string subject;
  std::string queue;

  bool operator==(const InterestKey& other) const {
    return account == other.account && subject == other.subject && queue == other.queue;
  }
  template <typename H>
  friend H AbslHashValue(H h, const InterestKey& key) {
    return H::combine(std::move(h), key.account, key.subject, key.queue);
  }
};

// Where the current local interest is read from: the server's account indexes, counting only
// client subscriptions. Implemented by the server (server/interest_source.h) or a test.
// Thread: any.
class InterestSource {
 public:
  virtual ~InterestSource() = default;
  // The current absolute weight of `key`: 1/0 for plain subscriptions, the member count for
  // a queue group, 0 when the account no longer exists.
  virtual uint32_t Weight(const InterestKey& key) const = 0;
  // fn(key, weight) once per key with a non-zero weight, over every account.
  virtual void ForEach(
      absl::FunctionRef<void(const InterestKey& key, uint32_t weight)> fn) const = 0;
};

// Owned by the Server of a managed node (an unmanaged node has none, and its loops skip it
// with one null check). Thread: MarkDirty from any loop; the rest from the one writer (the
// agent's interest thread); Interrupt from any thread.
class InterestTracker {
 public:
  struct Options {
    // A batch is due this long after the first key became dirty...
    std::chrono::milliseconds batch_delay{50};
    // ...or as soon as this many keys are dirty.
    size_t eager_pending = 1000;
  };

  InterestTracker() : InterestTracker(Options()) {}
  explicit InterestTracker(Options options) : options_(options) {}
  InterestTracker(const InterestTracker&) = delete;
  InterestTracker& operator=(const InterestTracker&) = delete;

  // The (account, subject, queue) interest may have changed. Ignored while not tracking (no
  // session: the next snapshot carries the truth), so the set stays bounded offline.
  void MarkDirty(std::string_view account, std::string_view subject, std::string_view queue);

  // Starts or stops tracking; either way the dirty set is cleared. A writer starts tracking
  // right before it walks the source for a snapshot, so every change during or after the
  // walk is marked and sent as a delta after it.
  void SetTracking(bool on);
  bool tracking() const;

  // Takes up to `max` dirty keys out of the set (arbitrary order).
  std::vector<InterestKey> Drain(size_t max);
  size_t pending() const;

  // Blocks until a batch is due (keys pending for batch_delay, or eager_pending of them) or
  // Interrupt() was called (then returns true and consumes the interrupt). One waiter only.
  bool WaitForBatch();
  // Wakes WaitForBatch now (or makes the next call return at once).
  void Interrupt();

  // Keys marked while tracking (duplicates of a pending key included). For tests and stats.
  uint64_t marks() const;

 private:
  const Options options_;
  mutable Mutex mu_;
  std::condition_variable cv_;
  bool tracking_ ABSL_GUARDED_BY(mu_) = false;
  bool interrupted_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_set<InterestKey> dirty_ ABSL_GUARDED_BY(mu_);
  std::chrono::steady_clock::time_point first_dirty_ ABSL_GUARDED_BY(mu_);
  uint64_t marks_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace lattice::interest
