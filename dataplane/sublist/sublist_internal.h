// Sublist internals: the compact trie storage (tokens, per-node subscription sets, levels).
// Not part of the public API; exposed in a header so the storage can be unit-tested directly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/inlined_vector.h"
#include "absl/functional/function_ref.h"
#include "absl/hash/hash.h"
#include "absl/strings/string_view.h"

#include "dataplane/sublist/sublist.h"

namespace lattice::sublist::internal {

// Debian's Abseil has its own string_view type; map lookups take that one.
inline absl::string_view Key(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

// One subject token owned in 8 bytes: up to 7 bytes inline, longer ones in a heap block of a
// varint length and the bytes (no capacity, no terminator). A std::string key would take 32.
// Layout (little-endian only): when the first byte has its low bit set the token is inline,
// length = first byte >> 1, bytes follow; otherwise the 8 bytes are a malloc'ed (so even)
// pointer. Thread: as its owner.
class Token {
 public:
  static constexpr size_t kInlineMax = 7;

  explicit Token(std::string_view token);
  ~Token();
  Token(Token&& other) noexcept;
  Token& operator=(Token&& other) noexcept;
  Token(const Token&) = delete;
  Token& operator=(const Token&) = delete;

  std::string_view view() const;
  bool is_inline() const { return (rep_[0] & 1) != 0; }

 private:
  const unsigned char* heap() const;

  alignas(8) unsigned char rep_[8];
};
static_assert(sizeof(Token) == 8);

// Transparent hash/equality so maps keyed by Token are looked up with a string_view.
struct TokenHash {
  using is_transparent = void;
  size_t operator()(absl::string_view s) const { return absl::Hash<absl::string_view>{}(s); }
  size_t operator()(const Token& t) const { return (*this)(Key(t.view())); }
};
struct TokenEq {
  using is_transparent = void;
  static absl::string_view View(absl::string_view s) { return s; }
  static absl::string_view View(const Token& t) { return Key(t.view()); }
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const {
    return View(a) == View(b);
  }
};

// An unordered set of subscriptions. A plain vector scanned linearly while small; once it grows
// past kIndexThreshold a pointer-to-position index keeps Add/Remove O(1), so unsubscribing one
// of many thousands of subscribers to one hot subject stays cheap.
// Thread: guarded by the owning Sublist's trie lock.
class SubSet {
 public:
  bool Add(const SubscriptionRef& sub);
  bool Remove(const Subscription* sub);
  bool empty() const { return items_.empty(); }
  size_t size() const { return items_.size(); }
  const absl::InlinedVector<SubscriptionRef, 1>& items() const { return items_; }

 private:
  static constexpr size_t kNotFound = ~size_t{0};
  static constexpr size_t kIndexThreshold = 16;

  size_t Find(const Subscription* sub) const;

  absl::InlinedVector<SubscriptionRef, 1> items_;  // one subscriber needs no extra block
  std::unique_ptr<absl::flat_hash_map<const Subscription*, size_t>> index_;
};

// Members of one queue group on one trie node; the name lives in the members' `queue`.
struct QueueSubs {
  std::string_view name() const { return members.items().front()->queue; }
  SubSet members;
};

// The general form of a node's subscriptions: any number of plain ones and queue groups.
struct NodeSubs {
  bool empty() const { return plain.empty() && queues.empty(); }
  SubSet plain;
  std::vector<QueueSubs> queues;  // few per node: linear search by name
};

// The subscriptions whose pattern ends at one node, in one word: nothing, a single plain
// subscription (the common case: one heap block of one SubscriptionRef, 32 bytes with malloc's
// header) or a NodeSubs. Grows and shrinks between the forms as subscriptions come and go.
// Thread: guarded by the owning Sublist's trie lock.
class SubsHandle {
 public:
  SubsHandle() = default;
  ~SubsHandle() { Reset(); }
  SubsHandle(SubsHandle&& other) noexcept : bits_(other.bits_) { other.bits_ = 0; }
  SubsHandle& operator=(SubsHandle&& other) noexcept;
  SubsHandle(const SubsHandle&) = delete;
  SubsHandle& operator=(const SubsHandle&) = delete;

  bool empty() const { return bits_ == 0; }
  bool is_single() const { return (bits_ & kSingleTag) != 0; }
  // False when this very object is already present.
  bool Add(const SubscriptionRef& sub);
  // False when `sub` (by identity, in the group `sub->queue`) is not present.
  bool Remove(const Subscription* sub);
  // Appends plain subscriptions and queue members, merging queue groups by name.
  void AppendTo(SublistResult* result) const;

  // Local interest (Subscription::local_interest only). The number of local plain
  // subscriptions, counting no further than `limit` (the transition checks need 0, 1 or 2).
  size_t LocalPlainCount(size_t limit) const;
  // The summed weights of the local members of queue group `queue` (0 when it has none).
  uint32_t LocalQueueWeight(std::string_view queue) const;
  // fn(queue, weight) per non-zero local interest: ("", 1) when any plain subscription is
  // local, then one call per queue group with local members.
  void ForEachLocal(absl::FunctionRef<void(std::string_view queue, uint32_t weight)> fn) const;

 private:
  static constexpr uintptr_t kSingleTag = 1;

  SubscriptionRef* single() const {
    return reinterpret_cast<SubscriptionRef*>(bits_ & ~kSingleTag);
  }
  NodeSubs* full() const { return reinterpret_cast<NodeSubs*>(bits_); }
  void Reset();

  uintptr_t bits_ = 0;
};

struct Level;

// One pattern token's node. Exists only while it has subscriptions or children.
struct Node {
  bool empty() const { return !next && subs.empty(); }
  std::unique_ptr<Level> next;  // the following tokens; null at a leaf
  SubsHandle subs;
};

// A literal child: the key and its node in one slot of a hash set (24 bytes). A set rather
// than a map because this Abseil moves map slots as pair<const Token, Node>, which needs a
// copyable key; the node is mutable, the token (the set's key) is not.
struct LiteralChild {
  Token token;
  mutable Node node;
};

struct LiteralHash : TokenHash {
  using TokenHash::operator();
  size_t operator()(const LiteralChild& c) const { return (*this)(c.token); }
};
struct LiteralEq {
  using is_transparent = void;
  static absl::string_view View(absl::string_view s) { return s; }
  static absl::string_view View(const LiteralChild& c) { return Key(c.token.view()); }
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const {
    return View(a) == View(b);
  }
};

using LiteralMap = absl::flat_hash_set<LiteralChild, LiteralHash, LiteralEq>;

// The children of a node. Literal tokens live in a hash map allocated only when there is one;
// the `*` and `>` children are kept apart and inline (present when not empty), so a published
// literal "*" never reaches a `*` pattern through the literal map (nats-server does the same),
// the match walk needs no string comparison for them, and a level with only a wildcard child
// (`_INBOX.<id>.*`) costs one small block.
struct Level {
  bool empty() const { return !literal && pwc.empty() && fwc.empty(); }
  std::unique_ptr<LiteralMap> literal;  // null when there are no literal children
  Node pwc;
  Node fwc;
};

bool IsPwc(std::string_view token);
bool IsFwc(std::string_view token);

// Child lookups. FindChild returns null for an absent (or empty wildcard) child; ChildSlot
// returns a wildcard child even while it is empty (null only for an absent literal).
Node* FindChild(Level* level, std::string_view token);
Node* ChildSlot(Level* level, std::string_view token);
const Node* FindLiteral(const Level* level, std::string_view token);
Node* FindOrAddChild(Level* level, std::string_view token);
// Removes the (empty) child; drained literal maps shrink and are freed.
void EraseChild(Level* level, std::string_view token);

}  // namespace lattice::sublist::internal
