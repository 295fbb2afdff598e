// Subscription index: a trie over subject tokens with `*` and `>` wildcards and queue groups,
// plus a bounded cache of match results invalidated by a generation counter.
//
// One Sublist per account. Client sessions (and later route/gateway/leaf links) insert and
// remove subscriptions; the publish path matches subjects. The same structure later stores
// pushed link interest.
//
//   auto sub = std::make_shared<MySubscription>();   // derives from Subscription
//   sub->subject = "orders.*";
//   sublist.Insert(sub);
//   SublistResultRef r = sublist.Match("orders.new");   // hot path: a cache hit, no allocation
//   for (const SubscriptionRef& s : r->plain) ...
//   for (const auto& group : r->queue_groups) pick one of group.members ...
//   sublist.Remove(sub);
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"

namespace lattice::sublist {

// A subscription as the index sees it. Users derive from it to attach their own state (the
// session, the sid, delivery counters). `subject` and `queue` must not change while inserted.
// Shared ownership: a match result keeps its subscriptions alive, so a loop delivering from a
// result never touches freed memory even if the owner unsubscribed meanwhile.
struct Subscription {
  virtual ~Subscription() = default;
  std::string subject;
  std::string queue;    // empty for a plain subscription
  uint32_t weight = 1;  // queue weight; links carry their member counts
  // A local client's own subscription: the interest this node reports to the control plane
  // (InterestAt, ForEachInterest and Insert/Remove's `interest_changed` count only these).
  // Internal handlers and link interest leave it false. Must not change while inserted.
  bool local_interest = false;
};
using SubscriptionRef = std::shared_ptr<Subscription>;

struct QueueGroup {
  std::string_view name;  // points into one member's `queue`
  std::vector<SubscriptionRef> members;
};

struct SublistResult {
  std::vector<SubscriptionRef> plain;
  std::vector<QueueGroup> queue_groups;  // one entry per distinct queue name
  bool empty() const { return plain.empty() && queue_groups.empty(); }
};

// Shared, immutable result: valid for as long as the caller holds it, even if the sublist
// changes meanwhile (a removed subscription may still appear in an older result: deliverers
// check their own "closed" state).
using SublistResultRef = std::shared_ptr<const SublistResult>;

// Subject syntax checks shared by the index, the parser's callers and permissions.
bool IsValidSubject(std::string_view subject);         // wildcards allowed (SUB)
bool IsValidLiteralSubject(std::string_view subject);  // no wildcard tokens (pedantic PUB)
bool IsValidQueueName(std::string_view queue);
// True when the literal `subject` is matched by the (possibly wildcard) `pattern`.
bool SubjectMatches(std::string_view pattern, std::string_view subject);

// Thread: any. Insert/Remove/Match may be called concurrently from every worker loop;
// Match on a cached subject takes no exclusive lock and allocates nothing.
class Sublist {
 public:
  explicit Sublist(size_t cache_capacity = 4096);
  ~Sublist();
  Sublist(const Sublist&) = delete;
  Sublist& operator=(const Sublist&) = delete;

  // False when the subject is invalid (the caller reports 'Invalid Subject').
  // `interest_changed` (optional; costs nothing when null) is set to whether the call changed
  // the local interest of the subscription's exact (subject, queue): true for the first
  // `local_interest` plain subscription on a subject (Insert) or its last one (Remove), and
  // for every `local_interest` queue member (the group's weight changed). Decided under the
  // index's exclusive lock, so concurrent callers never both miss (or both see) a transition.
  bool Insert(const SubscriptionRef& sub, bool* interest_changed = nullptr);
  // False when `sub` was not in the index.
  bool Remove(const SubscriptionRef& sub, bool* interest_changed = nullptr);
  // Matches a literal publish subject (tokens are compared literally, so `foo.*` published
  // non-pedantically matches only patterns that match it token-wise, as nats-server does).
  SublistResultRef Match(std::string_view subject);
  // As Match, without storing the result in the cache: for subjects published once or a few
  // times (service-import "_R_" response subjects), which would only evict useful entries.
  SublistResultRef MatchUncached(std::string_view subject);

  // Local interest (`local_interest` subscriptions only) of exactly `subject` as subscribed
  // (wildcards are tokens here, nothing is matched): with an empty `queue` 1 when at least one
  // plain subscription exists, else 0; otherwise the sum of the queue group's member weights.
  uint32_t InterestAt(std::string_view subject, std::string_view queue) const;
  // Calls fn(subject, queue, weight) once per (subject, queue) with non-zero local interest,
  // weights as InterestAt. Runs under the index's shared lock: Insert/Remove wait until it
  // returns, so `fn` must be quick and must not call back into this Sublist.
  void ForEachInterest(
      absl::FunctionRef<void(std::string_view subject, std::string_view queue, uint32_t weight)> fn)
      const;

  size_t count() const;
  uint64_t generation() const;  // bumped by every Insert/Remove
  size_t cache_size() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lattice::sublist
