// Subscription index implementation: token trie, per-node subscription sets, match cache.
#include "dataplane/sublist/sublist.h"

#include <atomic>
#include <mutex>
#include <shared_mutex>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/string_view.h"

#include "common/base/check.h"

namespace lattice::sublist {
namespace {

using Tokens = absl::InlinedVector<std::string_view, 16>;

// Debian's Abseil has its own string_view type; map lookups take that one.
absl::string_view Key(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

bool IsWhitespace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

bool IsPwc(std::string_view token) {
  return token.size() == 1 && token[0] == '*';
}
bool IsFwc(std::string_view token) {
  return token.size() == 1 && token[0] == '>';
}

// Splits on '.'; false on an empty subject or an empty token. Does not look at wildcards.
bool SplitTokens(std::string_view subject, Tokens* out) {
  if (subject.empty()) {
    return false;
  }
  size_t start = 0;
  for (size_t i = 0; i <= subject.size(); ++i) {
    if (i == subject.size() || subject[i] == '.') {
      if (i == start) {
        return false;
      }
      out->push_back(subject.substr(start, i - start));
      start = i + 1;
    }
  }
  return true;
}

// True when every '.'-separated token of `s` is non-empty (and `s` itself is non-empty).
bool NoEmptyTokens(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') {
    return false;
  }
  return s.find("..") == std::string_view::npos;
}

// Length of the part of `pattern` before its first wildcard token (the whole pattern when it
// has none). Any subject the pattern matches starts with exactly these bytes.
size_t LiteralPrefixLength(std::string_view pattern) {
  size_t start = 0;
  for (size_t i = 0; i <= pattern.size(); ++i) {
    if (i == pattern.size() || pattern[i] == '.') {
      const std::string_view token = pattern.substr(start, i - start);
      if (IsPwc(token) || IsFwc(token)) {
        return start;
      }
      start = i + 1;
    }
  }
  return pattern.size();
}

// An unordered set of subscriptions. A plain vector scanned linearly while small; once it grows
// past kIndexThreshold a pointer-to-position index keeps Add/Remove O(1), so unsubscribing one
// of many thousands of subscribers to one hot subject stays cheap.
// Thread: guarded by the owning Sublist's trie lock.
class SubSet {
 public:
  bool Add(const SubscriptionRef& sub) {
    if (Find(sub.get()) != kNotFound) {
      return false;
    }
    if (index_) {
      index_->emplace(sub.get(), items_.size());
    }
    items_.push_back(sub);
    if (!index_ && items_.size() > kIndexThreshold) {
      index_ = std::make_unique<absl::flat_hash_map<const Subscription*, size_t>>();
      for (size_t i = 0; i < items_.size(); ++i) {
        index_->emplace(items_[i].get(), i);
      }
    }
    return true;
  }

  bool Remove(const Subscription* sub) {
    const size_t pos = Find(sub);
    if (pos == kNotFound) {
      return false;
    }
    const size_t last = items_.size() - 1;
    if (pos != last) {
      items_[pos] = std::move(items_[last]);
      if (index_) {
        (*index_)[items_[pos].get()] = pos;
      }
    }
    items_.pop_back();
    if (index_) {
      index_->erase(sub);
      if (items_.size() < kIndexThreshold / 2) {
        index_.reset();
      }
    }
    // Give memory back after a large set drains, so churn does not pin peak capacity.
    if (items_.capacity() > 8 && items_.size() < items_.capacity() / 4) {
      items_.shrink_to_fit();
    }
    return true;
  }

  bool empty() const { return items_.empty(); }
  const absl::InlinedVector<SubscriptionRef, 1>& items() const { return items_; }

 private:
  static constexpr size_t kNotFound = ~size_t{0};
  static constexpr size_t kIndexThreshold = 16;

  size_t Find(const Subscription* sub) const {
    if (index_) {
      auto it = index_->find(sub);
      return it == index_->end() ? kNotFound : it->second;
    }
    for (size_t i = 0; i < items_.size(); ++i) {
      if (items_[i].get() == sub) {
        return i;
      }
    }
    return kNotFound;
  }

  absl::InlinedVector<SubscriptionRef, 1> items_;  // one subscriber needs no extra block
  std::unique_ptr<absl::flat_hash_map<const Subscription*, size_t>> index_;
};

// Members of one queue group on one trie node; the name lives in the members' `queue`.
struct QueueSubs {
  std::string_view name() const { return members.items().front()->queue; }
  SubSet members;
};

// Subscriptions whose pattern ends at a node. Allocated only for nodes that have any.
struct NodeSubs {
  bool empty() const { return plain.empty() && queues.empty(); }
  SubSet plain;
  std::vector<QueueSubs> queues;  // few per node: linear search by name
};

struct Level;

// One pattern token. `next` holds the following tokens (null at a leaf).
struct Node {
  std::unique_ptr<Level> next;
  std::unique_ptr<NodeSubs> subs;
};

// The children of a node, keyed by their token; wildcards are kept apart from literals so a
// published literal "*" never reaches a `*` pattern through the literal map (nats-server does
// the same) and the match walk needs no string comparison for them.
struct Level {
  bool empty() const { return literal.empty() && !pwc && !fwc; }
  absl::flat_hash_map<std::string, Node> literal;
  std::unique_ptr<Node> pwc;
  std::unique_ptr<Node> fwc;
};

Node* FindChild(Level* level, std::string_view token) {
  if (IsPwc(token)) {
    return level->pwc.get();
  }
  if (IsFwc(token)) {
    return level->fwc.get();
  }
  auto it = level->literal.find(Key(token));
  return it == level->literal.end() ? nullptr : &it->second;
}

Node* FindOrAddChild(Level* level, std::string_view token) {
  if (IsPwc(token) || IsFwc(token)) {
    std::unique_ptr<Node>& slot = IsPwc(token) ? level->pwc : level->fwc;
    if (!slot) {
      slot = std::make_unique<Node>();
    }
    return slot.get();
  }
  auto it = level->literal.find(Key(token));
  if (it == level->literal.end()) {
    it = level->literal.emplace(std::string(token), Node{}).first;
  }
  return &it->second;
}

void EraseChild(Level* level, std::string_view token) {
  if (IsPwc(token)) {
    level->pwc.reset();
  } else if (IsFwc(token)) {
    level->fwc.reset();
  } else {
    auto it = level->literal.find(Key(token));
    LATTICE_DCHECK(it != level->literal.end());
    level->literal.erase(it);
    // flat_hash_map never shrinks by itself: give back a drained level's table (for example
    // `_INBOX.*` after a burst of connections) so memory tracks live subscriptions.
    if (level->literal.capacity() > 64 && level->literal.size() * 8 < level->literal.capacity()) {
      level->literal.rehash(0);
    }
  }
}

// Appends a node's subscriptions to `result`, merging queue groups by name.
void AddNodeToResult(const Node& node, SublistResult* result) {
  if (!node.subs) {
    return;
  }
  const NodeSubs& subs = *node.subs;
  result->plain.insert(result->plain.end(), subs.plain.items().begin(), subs.plain.items().end());
  for (const QueueSubs& q : subs.queues) {
    const std::string_view name = q.name();
    QueueGroup* group = nullptr;
    for (QueueGroup& g : result->queue_groups) {
      if (g.name == name) {
        group = &g;
        break;
      }
    }
    if (group == nullptr) {
      group = &result->queue_groups.emplace_back();
      group->name = name;
    }
    group->members.insert(group->members.end(), q.members.items().begin(), q.members.items().end());
  }
}

// Collects every subscription whose pattern matches `tokens` (compared literally). Each pattern
// corresponds to exactly one trie path, so no subscription is reported twice.
void MatchLevel(const Level* level, const std::string_view* tokens, size_t count,
                SublistResult* result) {
  for (size_t i = 0; i < count; ++i) {
    const bool last = i + 1 == count;
    if (level->fwc) {
      AddNodeToResult(*level->fwc, result);  // '>' takes this and every later token
    }
    if (level->pwc) {
      if (last) {
        AddNodeToResult(*level->pwc, result);
      } else if (level->pwc->next) {
        MatchLevel(level->pwc->next.get(), tokens + i + 1, count - i - 1, result);
      }
    }
    auto it = level->literal.find(Key(tokens[i]));
    if (it == level->literal.end()) {
      return;
    }
    if (last) {
      AddNodeToResult(it->second, result);
      return;
    }
    if (!it->second.next) {
      return;
    }
    level = it->second.next.get();
  }
}

}  // namespace

bool IsValidSubject(std::string_view subject) {
  if (subject.empty()) {
    return false;
  }
  size_t start = 0;
  bool seen_fwc = false;
  for (size_t i = 0; i <= subject.size(); ++i) {
    if (i < subject.size() && subject[i] != '.') {
      if (IsWhitespace(subject[i])) {
        return false;
      }
      continue;
    }
    // End of token [start, i).
    if (i == start || seen_fwc) {
      return false;  // empty token, or a token after '>'
    }
    seen_fwc = IsFwc(subject.substr(start, i - start));
    start = i + 1;
  }
  return true;
}

bool IsValidLiteralSubject(std::string_view subject) {
  if (!IsValidSubject(subject)) {
    return false;
  }
  size_t start = 0;
  for (size_t i = 0; i <= subject.size(); ++i) {
    if (i == subject.size() || subject[i] == '.') {
      std::string_view token = subject.substr(start, i - start);
      if (IsPwc(token) || IsFwc(token)) {
        return false;
      }
      start = i + 1;
    }
  }
  return true;
}

bool IsValidQueueName(std::string_view queue) {
  if (queue.empty()) {
    return false;
  }
  for (char c : queue) {
    if (IsWhitespace(c)) {
      return false;
    }
  }
  return true;
}

bool SubjectMatches(std::string_view pattern, std::string_view subject) {
  if (pattern.empty() || subject.empty()) {
    return false;
  }
  size_t pi = 0;
  size_t si = 0;
  while (true) {
    size_t pe = pattern.find('.', pi);
    if (pe == std::string_view::npos) {
      pe = pattern.size();
    }
    size_t se = subject.find('.', si);
    if (se == std::string_view::npos) {
      se = subject.size();
    }
    const std::string_view pt = pattern.substr(pi, pe - pi);
    const std::string_view st = subject.substr(si, se - si);
    if (pt.empty() || st.empty()) {
      return false;
    }
    if (IsFwc(pt)) {
      // '>' must end the pattern; it takes this token and all later ones (all non-empty).
      return pe == pattern.size() && NoEmptyTokens(subject.substr(si));
    }
    if (!IsPwc(pt) && pt != st) {
      return false;
    }
    const bool pattern_done = pe == pattern.size();
    const bool subject_done = se == subject.size();
    if (pattern_done || subject_done) {
      return pattern_done && subject_done;
    }
    pi = pe + 1;
    si = se + 1;
  }
}

// Lock order: trie_mu before cache_mu. A cache miss computes under a shared trie lock and then
// stores under the cache lock while still holding the trie lock, so an Insert/Remove (exclusive
// trie lock, then cache invalidation) can never interleave between computing and storing a
// result: a cached result is always consistent with the trie.
struct Sublist::Impl {
  explicit Impl(size_t capacity) : cache_capacity(capacity) {}

  // Drops cached results for subjects that `pattern` matches. Caller holds trie_mu exclusively.
  // A literal pattern can only affect its own cache key; a wildcard one scans the cache, with a
  // cheap prefix test on the literal tokens before the first wildcard (as in `_INBOX.<id>.*`).
  void InvalidateCache(std::string_view pattern) {
    if (cache_capacity == 0) {
      return;
    }
    std::unique_lock<std::shared_mutex> lock(cache_mu);
    const size_t prefix_len = LiteralPrefixLength(pattern);
    if (prefix_len == pattern.size()) {
      cache.erase(Key(pattern));
      return;
    }
    const std::string_view prefix = pattern.substr(0, prefix_len);
    for (auto it = cache.begin(); it != cache.end();) {
      const std::string_view key(it->first);
      if (key.substr(0, prefix.size()) == prefix && SubjectMatches(pattern, key)) {
        cache.erase(it++);
      } else {
        ++it;
      }
    }
  }

  // Stores a freshly computed result; evicts about a quarter of the entries when full.
  void StoreInCache(std::string_view subject, const SublistResultRef& result) {
    std::unique_lock<std::shared_mutex> lock(cache_mu);
    if (cache.size() >= cache_capacity) {
      const size_t target = cache_capacity - cache_capacity / 4 - 1;
      for (auto it = cache.begin(); it != cache.end() && cache.size() > target;) {
        cache.erase(it++);
      }
    }
    cache.try_emplace(std::string(subject), result);
  }

  const size_t cache_capacity;
  const SublistResultRef empty_result = std::make_shared<const SublistResult>();

  std::shared_mutex trie_mu;
  Level root;  // guarded by trie_mu

  std::shared_mutex cache_mu;
  absl::flat_hash_map<std::string, SublistResultRef> cache;  // guarded by cache_mu

  std::atomic<size_t> count{0};
  std::atomic<uint64_t> generation{0};
};

Sublist::Sublist(size_t cache_capacity) : impl_(std::make_unique<Impl>(cache_capacity)) {}

Sublist::~Sublist() = default;

bool Sublist::Insert(const SubscriptionRef& sub) {
  if (!sub || !IsValidSubject(sub->subject) ||
      (!sub->queue.empty() && !IsValidQueueName(sub->queue))) {
    return false;
  }
  Tokens tokens;
  SplitTokens(sub->subject, &tokens);

  std::unique_lock<std::shared_mutex> lock(impl_->trie_mu);
  Level* level = &impl_->root;
  Node* node = nullptr;
  for (size_t i = 0; i < tokens.size(); ++i) {
    node = FindOrAddChild(level, tokens[i]);
    if (i + 1 < tokens.size()) {
      if (!node->next) {
        node->next = std::make_unique<Level>();
      }
      level = node->next.get();
    }
  }
  if (!node->subs) {
    node->subs = std::make_unique<NodeSubs>();
  }
  NodeSubs& subs = *node->subs;
  bool added = false;
  if (sub->queue.empty()) {
    added = subs.plain.Add(sub);
  } else {
    QueueSubs* group = nullptr;
    for (QueueSubs& q : subs.queues) {
      if (q.name() == sub->queue) {
        group = &q;
        break;
      }
    }
    if (group == nullptr) {
      group = &subs.queues.emplace_back();
    }
    added = group->members.Add(sub);
  }
  if (!added) {
    return true;  // the same subscription object is already indexed: nothing changes
  }
  impl_->count.fetch_add(1, std::memory_order_relaxed);
  impl_->generation.fetch_add(1, std::memory_order_relaxed);
  impl_->InvalidateCache(sub->subject);
  return true;
}

bool Sublist::Remove(const SubscriptionRef& sub) {
  if (!sub) {
    return false;
  }
  Tokens tokens;
  if (!SplitTokens(sub->subject, &tokens)) {
    return false;
  }

  std::unique_lock<std::shared_mutex> lock(impl_->trie_mu);
  absl::InlinedVector<Level*, 16> path;  // path[i] holds the node of tokens[i]
  Level* level = &impl_->root;
  Node* node = nullptr;
  for (size_t i = 0; i < tokens.size(); ++i) {
    path.push_back(level);
    node = FindChild(level, tokens[i]);
    if (node == nullptr) {
      return false;
    }
    if (i + 1 < tokens.size()) {
      if (!node->next) {
        return false;
      }
      level = node->next.get();
    }
  }
  if (!node->subs) {
    return false;
  }
  NodeSubs& subs = *node->subs;
  bool removed = false;
  if (sub->queue.empty()) {
    removed = subs.plain.Remove(sub.get());
  } else {
    for (size_t q = 0; q < subs.queues.size(); ++q) {
      if (subs.queues[q].name() != sub->queue) {
        continue;
      }
      removed = subs.queues[q].members.Remove(sub.get());
      if (removed && subs.queues[q].members.empty()) {
        subs.queues[q] = std::move(subs.queues.back());
        subs.queues.pop_back();
      }
      break;
    }
  }
  if (!removed) {
    return false;
  }
  if (subs.empty()) {
    node->subs.reset();
  }
  // Prune bottom-up: a node with no subscriptions and no children disappears, so the trie
  // never keeps memory for subjects nobody is subscribed to any more.
  for (size_t i = tokens.size(); i-- > 0;) {
    Node* child = FindChild(path[i], tokens[i]);
    LATTICE_DCHECK(child != nullptr);
    if (child->next && child->next->empty()) {
      child->next.reset();
    }
    if (child->subs || child->next) {
      break;
    }
    EraseChild(path[i], tokens[i]);
  }
  impl_->count.fetch_sub(1, std::memory_order_relaxed);
  impl_->generation.fetch_add(1, std::memory_order_relaxed);
  impl_->InvalidateCache(sub->subject);
  return true;
}

SublistResultRef Sublist::Match(std::string_view subject) {
  if (impl_->cache_capacity > 0) {
    std::shared_lock<std::shared_mutex> lock(impl_->cache_mu);
    auto it = impl_->cache.find(Key(subject));
    if (it != impl_->cache.end()) {
      return it->second;
    }
  }
  Tokens tokens;
  if (!SplitTokens(subject, &tokens)) {
    return impl_->empty_result;  // nats-server drops subjects with empty tokens
  }
  std::shared_lock<std::shared_mutex> lock(impl_->trie_mu);
  SublistResult result;
  MatchLevel(&impl_->root, tokens.data(), tokens.size(), &result);
  SublistResultRef ref = result.empty() ? impl_->empty_result
                                        : std::make_shared<const SublistResult>(std::move(result));
  if (impl_->cache_capacity > 0) {
    impl_->StoreInCache(subject, ref);
  }
  return ref;
}

size_t Sublist::count() const {
  return impl_->count.load(std::memory_order_relaxed);
}

uint64_t Sublist::generation() const {
  return impl_->generation.load(std::memory_order_relaxed);
}

size_t Sublist::cache_size() const {
  std::shared_lock<std::shared_mutex> lock(impl_->cache_mu);
  return impl_->cache.size();
}

}  // namespace lattice::sublist
