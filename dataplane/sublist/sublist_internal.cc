// Sublist internals: compact tokens, subscription sets and trie levels.
#include "dataplane/sublist/sublist_internal.h"

#include <cstdlib>
#include <cstring>
#include <utility>

#include "common/base/check.h"

namespace lattice::sublist::internal {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "Token's inline tag must share a byte with the pointer's low bits");

namespace {

// Varint (7 bits per byte, low groups first) length prefix of a heap token.
size_t PutVarint(size_t value, unsigned char* out) {
  size_t n = 0;
  while (value >= 0x80) {
    out[n++] = static_cast<unsigned char>(value | 0x80);
    value >>= 7;
  }
  out[n++] = static_cast<unsigned char>(value);
  return n;
}

size_t GetVarint(const unsigned char* in, size_t* value) {
  size_t result = 0;
  size_t n = 0;
  int shift = 0;
  while (true) {
    const unsigned char byte = in[n++];
    result |= static_cast<size_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      break;
    }
    shift += 7;
  }
  *value = result;
  return n;
}

}  // namespace

Token::Token(std::string_view token) {
  if (token.size() <= kInlineMax) {
    rep_[0] = static_cast<unsigned char>((token.size() << 1) | 1);
    std::memset(rep_ + 1, 0, kInlineMax);
    if (!token.empty()) {
      std::memcpy(rep_ + 1, token.data(), token.size());
    }
    return;
  }
  unsigned char prefix[10];
  const size_t prefix_len = PutVarint(token.size(), prefix);
  // malloc's alignment keeps the pointer's low bit clear, which tells it from an inline token.
  auto* block = static_cast<unsigned char*>(std::malloc(prefix_len + token.size()));
  LATTICE_CHECK(block != nullptr);
  std::memcpy(block, prefix, prefix_len);
  std::memcpy(block + prefix_len, token.data(), token.size());
  std::memcpy(rep_, &block, sizeof(block));
}

Token::~Token() {
  if (!is_inline()) {
    std::free(const_cast<unsigned char*>(heap()));
  }
}

Token::Token(Token&& other) noexcept {
  std::memcpy(rep_, other.rep_, sizeof(rep_));
  other.rep_[0] = 1;  // inline, empty: owns nothing
}

Token& Token::operator=(Token&& other) noexcept {
  if (this != &other) {
    if (!is_inline()) {
      std::free(const_cast<unsigned char*>(heap()));
    }
    std::memcpy(rep_, other.rep_, sizeof(rep_));
    other.rep_[0] = 1;
  }
  return *this;
}

const unsigned char* Token::heap() const {
  const unsigned char* block;
  std::memcpy(&block, rep_, sizeof(block));
  return block;
}

std::string_view Token::view() const {
  if (is_inline()) {
    return std::string_view(reinterpret_cast<const char*>(rep_ + 1), rep_[0] >> 1);
  }
  const unsigned char* block = heap();
  size_t len = 0;
  const size_t prefix_len = GetVarint(block, &len);
  return std::string_view(reinterpret_cast<const char*>(block + prefix_len), len);
}

bool SubSet::Add(const SubscriptionRef& sub) {
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

bool SubSet::Remove(const Subscription* sub) {
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

size_t SubSet::Find(const Subscription* sub) const {
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

SubsHandle& SubsHandle::operator=(SubsHandle&& other) noexcept {
  if (this != &other) {
    Reset();
    bits_ = other.bits_;
    other.bits_ = 0;
  }
  return *this;
}

void SubsHandle::Reset() {
  if (bits_ == 0) {
    return;
  }
  if (is_single()) {
    delete single();
  } else {
    delete full();
  }
  bits_ = 0;
}

bool SubsHandle::Add(const SubscriptionRef& sub) {
  if (empty() && sub->queue.empty()) {
    bits_ = reinterpret_cast<uintptr_t>(new SubscriptionRef(sub)) | kSingleTag;
    return true;
  }
  if (is_single()) {
    if (single()->get() == sub.get()) {
      return false;
    }
    // Grow to the general form, keeping the existing subscriber.
    auto subs = std::make_unique<NodeSubs>();
    subs->plain.Add(*single());
    Reset();
    bits_ = reinterpret_cast<uintptr_t>(subs.release());
  } else if (empty()) {
    bits_ = reinterpret_cast<uintptr_t>(new NodeSubs());
  }
  NodeSubs& subs = *full();
  if (sub->queue.empty()) {
    return subs.plain.Add(sub);
  }
  for (QueueSubs& q : subs.queues) {
    if (q.name() == sub->queue) {
      return q.members.Add(sub);
    }
  }
  return subs.queues.emplace_back().members.Add(sub);
}

bool SubsHandle::Remove(const Subscription* sub) {
  if (empty()) {
    return false;
  }
  if (is_single()) {
    if (single()->get() != sub) {
      return false;
    }
    Reset();
    return true;
  }
  NodeSubs& subs = *full();
  bool removed = false;
  if (sub->queue.empty()) {
    removed = subs.plain.Remove(sub);
  } else {
    for (size_t q = 0; q < subs.queues.size(); ++q) {
      if (subs.queues[q].name() != sub->queue) {
        continue;
      }
      removed = subs.queues[q].members.Remove(sub);
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
    Reset();
  } else if (subs.queues.empty() && subs.plain.size() == 1) {
    // Back to the one-word form so a node that once had several subscribers does not keep
    // the general block.
    auto* last = new SubscriptionRef(subs.plain.items().front());
    Reset();
    bits_ = reinterpret_cast<uintptr_t>(last) | kSingleTag;
  }
  return true;
}

void SubsHandle::AppendTo(SublistResult* result) const {
  if (empty()) {
    return;
  }
  if (is_single()) {
    result->plain.push_back(*single());
    return;
  }
  const NodeSubs& subs = *full();
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

namespace {

uint32_t SaturatingAdd(uint32_t a, uint32_t b) {
  const uint32_t sum = a + b;
  return sum < a ? ~uint32_t{0} : sum;
}

uint32_t LocalWeight(const SubSet& members) {
  uint32_t total = 0;
  for (const SubscriptionRef& sub : members.items()) {
    if (sub->local_interest) {
      total = SaturatingAdd(total, sub->weight);
    }
  }
  return total;
}

}  // namespace

size_t SubsHandle::LocalPlainCount(size_t limit) const {
  if (empty() || limit == 0) {
    return 0;
  }
  if (is_single()) {
    return (*single())->local_interest ? 1 : 0;
  }
  size_t count = 0;
  for (const SubscriptionRef& sub : full()->plain.items()) {
    if (sub->local_interest && ++count >= limit) {
      break;
    }
  }
  return count;
}

uint32_t SubsHandle::LocalQueueWeight(std::string_view queue) const {
  if (empty() || is_single()) {
    return 0;  // the single form holds one plain subscription
  }
  for (const QueueSubs& q : full()->queues) {
    if (q.name() == queue) {
      return LocalWeight(q.members);
    }
  }
  return 0;
}

void SubsHandle::ForEachLocal(
    absl::FunctionRef<void(std::string_view queue, uint32_t weight)> fn) const {
  if (LocalPlainCount(1) > 0) {
    fn(std::string_view(), 1);
  }
  if (empty() || is_single()) {
    return;
  }
  for (const QueueSubs& q : full()->queues) {
    const uint32_t weight = LocalWeight(q.members);
    if (weight > 0) {
      fn(q.name(), weight);
    }
  }
}

bool IsPwc(std::string_view token) {
  return token.size() == 1 && token[0] == '*';
}

bool IsFwc(std::string_view token) {
  return token.size() == 1 && token[0] == '>';
}

Node* FindChild(Level* level, std::string_view token) {
  Node* node = ChildSlot(level, token);
  return node != nullptr && !node->empty() ? node : nullptr;
}

Node* ChildSlot(Level* level, std::string_view token) {
  if (IsPwc(token)) {
    return &level->pwc;
  }
  if (IsFwc(token)) {
    return &level->fwc;
  }
  if (!level->literal) {
    return nullptr;
  }
  auto it = level->literal->find(Key(token));
  return it == level->literal->end() ? nullptr : &it->node;
}

const Node* FindLiteral(const Level* level, std::string_view token) {
  if (!level->literal) {
    return nullptr;
  }
  auto it = level->literal->find(Key(token));
  return it == level->literal->end() ? nullptr : &it->node;
}

Node* FindOrAddChild(Level* level, std::string_view token) {
  if (IsPwc(token)) {
    return &level->pwc;
  }
  if (IsFwc(token)) {
    return &level->fwc;
  }
  if (!level->literal) {
    level->literal = std::make_unique<LiteralMap>();
  }
  auto it = level->literal->find(Key(token));
  if (it == level->literal->end()) {
    it = level->literal->insert(LiteralChild{Token(token), Node{}}).first;
  }
  return &it->node;
}

void EraseChild(Level* level, std::string_view token) {
  if (IsPwc(token) || IsFwc(token)) {
    Node& node = IsPwc(token) ? level->pwc : level->fwc;
    LATTICE_DCHECK(node.empty());
    node.next.reset();
    return;
  }
  LATTICE_DCHECK(level->literal != nullptr);
  LiteralMap& map = *level->literal;
  auto it = map.find(Key(token));
  LATTICE_DCHECK(it != map.end());
  map.erase(it);
  if (map.empty()) {
    level->literal.reset();
    return;
  }
  // flat_hash_map never shrinks by itself: give back a drained level's table (for example
  // `_INBOX.*` after a burst of connections) so memory tracks live subscriptions.
  if (map.capacity() > 64 && map.size() * 8 < map.capacity()) {
    map.rehash(0);
  }
}

}  // namespace lattice::sublist::internal
