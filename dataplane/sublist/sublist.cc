// Subscription index implementation: token trie, per-node subscription sets, match cache.
#include "dataplane/sublist/sublist.h"

#include <atomic>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/string_view.h"

#include "common/base/check.h"
#include "dataplane/sublist/sublist_internal.h"

namespace lattice::sublist {
namespace {

using internal::FindChild;
using internal::FindLiteral;
using internal::FindOrAddChild;
using internal::IsFwc;
using internal::IsPwc;
using internal::Key;
using internal::Level;
using internal::Node;

using Tokens = absl::InlinedVector<std::string_view, 16>;

bool IsWhitespace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
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

// Collects every subscription whose pattern matches `tokens` (compared literally). Each pattern
// corresponds to exactly one trie path, so no subscription is reported twice.
void MatchLevel(const Level* level, const std::string_view* tokens, size_t count,
                SublistResult* result) {
  for (size_t i = 0; i < count; ++i) {
    const bool last = i + 1 == count;
    level->fwc.subs.AppendTo(result);  // '>' takes this and every later token
    if (last) {
      level->pwc.subs.AppendTo(result);
    } else if (level->pwc.next) {
      MatchLevel(level->pwc.next.get(), tokens + i + 1, count - i - 1, result);
    }
    const Node* node = FindLiteral(level, tokens[i]);
    if (node == nullptr) {
      return;
    }
    if (last) {
      node->subs.AppendTo(result);
      return;
    }
    if (!node->next) {
      return;
    }
    level = node->next.get();
  }
}

// Depth-first walk for ForEachInterest; `subject` holds the tokens down to `level`.
void WalkInterest(const Level& level, std::string* subject,
                  absl::FunctionRef<void(std::string_view, std::string_view, uint32_t)> fn) {
  auto visit = [&](std::string_view token, const Node& node) {
    const size_t mark = subject->size();
    if (mark > 0) {
      subject->push_back('.');
    }
    subject->append(token.data(), token.size());
    node.subs.ForEachLocal(
        [&](std::string_view queue, uint32_t weight) { fn(*subject, queue, weight); });
    if (node.next) {
      WalkInterest(*node.next, subject, fn);
    }
    subject->resize(mark);
  };
  if (level.literal) {
    for (const internal::LiteralChild& child : *level.literal) {
      visit(child.token.view(), child.node);
    }
  }
  if (!level.pwc.empty()) {
    visit("*", level.pwc);
  }
  if (!level.fwc.empty()) {
    visit(">", level.fwc);
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

bool Sublist::Insert(const SubscriptionRef& sub, bool* interest_changed) {
  if (interest_changed != nullptr) {
    *interest_changed = false;
  }
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
  const bool added = node->subs.Add(sub);
  if (!added) {
    return true;  // the same subscription object is already indexed: nothing changes
  }
  if (interest_changed != nullptr && sub->local_interest) {
    *interest_changed = !sub->queue.empty() || node->subs.LocalPlainCount(2) == 1;
  }
  impl_->count.fetch_add(1, std::memory_order_relaxed);
  impl_->generation.fetch_add(1, std::memory_order_relaxed);
  impl_->InvalidateCache(sub->subject);
  return true;
}

bool Sublist::Remove(const SubscriptionRef& sub, bool* interest_changed) {
  if (interest_changed != nullptr) {
    *interest_changed = false;
  }
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
  if (!node->subs.Remove(sub.get())) {
    return false;
  }
  if (interest_changed != nullptr && sub->local_interest) {
    // Before pruning, which may free `node`.
    *interest_changed = !sub->queue.empty() || node->subs.LocalPlainCount(1) == 0;
  }
  // Prune bottom-up: a node with no subscriptions and no children disappears, so the trie
  // never keeps memory for subjects nobody is subscribed to any more.
  for (size_t i = tokens.size(); i-- > 0;) {
    Node* child = internal::ChildSlot(path[i], tokens[i]);
    LATTICE_DCHECK(child != nullptr);
    if (child->next && child->next->empty()) {
      child->next.reset();
    }
    if (!child->empty()) {
      break;
    }
    internal::EraseChild(path[i], tokens[i]);
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

SublistResultRef Sublist::MatchUncached(std::string_view subject) {
  Tokens tokens;
  if (!SplitTokens(subject, &tokens)) {
    return impl_->empty_result;
  }
  std::shared_lock<std::shared_mutex> lock(impl_->trie_mu);
  SublistResult result;
  MatchLevel(&impl_->root, tokens.data(), tokens.size(), &result);
  return result.empty() ? impl_->empty_result
                        : std::make_shared<const SublistResult>(std::move(result));
}

uint32_t Sublist::InterestAt(std::string_view subject, std::string_view queue) const {
  Tokens tokens;
  if (!SplitTokens(subject, &tokens)) {
    return 0;
  }
  std::shared_lock<std::shared_mutex> lock(impl_->trie_mu);
  // ChildSlot/FindChild take a mutable level; nothing is modified on this path.
  Level* level = &impl_->root;
  const Node* node = nullptr;
  for (size_t i = 0; i < tokens.size(); ++i) {
    node = FindChild(level, tokens[i]);
    if (node == nullptr) {
      return 0;
    }
    if (i + 1 < tokens.size()) {
      if (!node->next) {
        return 0;
      }
      level = node->next.get();
    }
  }
  if (queue.empty()) {
    return node->subs.LocalPlainCount(1) > 0 ? 1 : 0;
  }
  return node->subs.LocalQueueWeight(queue);
}

void Sublist::ForEachInterest(
    absl::FunctionRef<void(std::string_view subject, std::string_view queue, uint32_t weight)> fn)
    const {
  std::shared_lock<std::shared_mutex> lock(impl_->trie_mu);
  std::string subject;
  WalkInterest(impl_->root, &subject, fn);
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
