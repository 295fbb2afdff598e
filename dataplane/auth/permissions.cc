// Compiled permission rules and the per-connection caches around them.
#include "dataplane/auth/permissions.h"

#include <utility>

#include "absl/strings/string_view.h"

namespace lattice::auth {
namespace {

constexpr int64_t kDefaultResponseMaxMsgs = 1;
constexpr std::chrono::minutes kDefaultResponseExpiry{2};

void Warn(std::vector<std::string>* warnings, std::string_view what, std::string_view entry) {
  if (warnings != nullptr) {
    warnings->push_back(std::string(what) + " permission entry \"" + std::string(entry) +
                        "\" is not a valid subject; ignored");
  }
}

void CompileSubjects(const std::vector<std::string>& in, std::string_view what,
                     std::vector<SubjectPattern>* out, std::vector<std::string>* warnings) {
  for (const std::string& s : in) {
    SubjectPattern p;
    if (SubjectPattern::Parse(s, &p)) {
      out->push_back(std::move(p));
    } else {
      Warn(warnings, what, s);
    }
  }
}

// Splits "subject [queue]" on ASCII whitespace, as nats-server's splitSubjectQueue does.
bool SplitSubjectQueue(std::string_view entry, std::string_view* subject, std::string_view* queue) {
  std::string_view fields[3];
  size_t count = 0;
  size_t i = 0;
  auto is_space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
  };
  while (i < entry.size()) {
    while (i < entry.size() && is_space(entry[i])) {
      ++i;
    }
    if (i == entry.size()) {
      break;
    }
    size_t start = i;
    while (i < entry.size() && !is_space(entry[i])) {
      ++i;
    }
    if (count == 3) {
      return false;
    }
    fields[count++] = entry.substr(start, i - start);
  }
  if (count == 0 || count > 2) {
    return false;
  }
  *subject = fields[0];
  *queue = count == 2 ? fields[1] : std::string_view();
  return true;
}

void CompileSubEntries(const std::vector<std::string>& in, std::string_view what,
                       std::vector<CompiledPermissions::SubEntry>* out,
                       std::vector<std::string>* warnings) {
  for (const std::string& s : in) {
    std::string_view subject, queue;
    CompiledPermissions::SubEntry e;
    if (SplitSubjectQueue(s, &subject, &queue) && SubjectPattern::Parse(subject, &e.subject)) {
      e.queue = std::string(queue);
      e.queue_is_pattern =
          HasWildcardToken(queue) && SubjectPattern::Parse(queue, &e.queue_pattern);
      out->push_back(std::move(e));
    } else {
      Warn(warnings, what, s);
    }
  }
}

// nats-server queueMatches: the queue equals a group name, or a wildcard group name
// covers it. `any_queue_entry` is set when some queue entry matched the subject.
bool QueueMatches(std::string_view queue, const std::vector<CompiledPermissions::SubEntry>& entries,
                  std::string_view subject, bool* any_queue_entry) {
  *any_queue_entry = false;
  bool matched = false;
  for (const auto& e : entries) {
    if (e.queue.empty() || !e.subject.Matches(subject)) {
      continue;
    }
    *any_queue_entry = true;
    if (queue == e.queue) {
      matched = true;
    } else if (e.queue_is_pattern && e.queue_pattern.Covers(queue)) {
      matched = true;
    }
  }
  return matched;
}

bool AnyPlainMatch(const std::vector<CompiledPermissions::SubEntry>& entries,
                   std::string_view subject) {
  for (const auto& e : entries) {
    if (e.queue.empty() && e.subject.Matches(subject)) {
      return true;
    }
  }
  return false;
}

bool AnyMatch(const std::vector<SubjectPattern>& patterns, std::string_view subject) {
  for (const auto& p : patterns) {
    if (p.Matches(subject)) {
      return true;
    }
  }
  return false;
}

// Debian's Abseil has its own string_view: convert for heterogeneous (allocation-free) lookup.
absl::string_view Key(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

// Drops up to `count` entries of a cache map.
template <typename Map>
void DropSome(Map* map, size_t count) {
  for (auto it = map->begin(); it != map->end() && count > 0; --count) {
    map->erase(it++);
  }
}

}  // namespace

std::shared_ptr<const CompiledPermissions> CompiledPermissions::Compile(
    const options::Permissions& perms, std::vector<std::string>* warnings) {
  std::shared_ptr<CompiledPermissions> c(new CompiledPermissions());
  CompileSubjects(perms.publish.allow, "publish allow", &c->pub_allow_, warnings);
  CompileSubjects(perms.publish.deny, "publish deny", &c->pub_deny_, warnings);
  CompileSubEntries(perms.subscribe.allow, "subscribe allow", &c->sub_allow_, warnings);
  CompileSubEntries(perms.subscribe.deny, "subscribe deny", &c->sub_deny_, warnings);
  // An allow list exists when one was configured (even if all its entries were invalid:
  // nats-server still builds the empty allow sublist) or allow_responses turned it on.
  c->has_pub_allow_ = !perms.publish.allow.empty() || perms.allow_responses.has_value();
  if (perms.allow_responses.has_value()) {
    c->responses_enabled_ = true;
    const options::ResponsePermission& rp = *perms.allow_responses;
    c->responses_.max_msgs = rp.max_msgs == 0 ? kDefaultResponseMaxMsgs : rp.max_msgs;
    c->responses_.expires = rp.expires.count() == 0
                                ? std::chrono::nanoseconds(kDefaultResponseExpiry)
                                : std::chrono::nanoseconds(rp.expires);
  }
  return c;
}

bool CompiledPermissions::PublishAllowedStatic(std::string_view subject) const {
  if (has_pub_allow_ && !AnyMatch(pub_allow_, subject)) {
    return false;
  }
  return !AnyMatch(pub_deny_, subject);
}

bool CompiledPermissions::SubscribeAllowedStatic(std::string_view subject,
                                                 std::string_view queue) const {
  bool allowed = true;
  if (!sub_allow_.empty()) {
    allowed = AnyPlainMatch(sub_allow_, subject);
    if (!queue.empty()) {
      bool any_queue_entry = false;
      bool q = QueueMatches(queue, sub_allow_, subject, &any_queue_entry);
      if (any_queue_entry) {
        allowed = q;  // a matching queue entry decides, as in nats-server
      }
    }
  }
  if (allowed && !sub_deny_.empty()) {
    allowed = !AnyPlainMatch(sub_deny_, subject);
    if (!queue.empty()) {
      bool any_queue_entry = false;
      bool q = QueueMatches(queue, sub_deny_, subject, &any_queue_entry);
      if (any_queue_entry) {
        allowed = !q;
      }
    }
  }
  return allowed;
}

bool CompiledPermissions::MatchesSubscribeDeny(std::string_view subject) const {
  return AnyPlainMatch(sub_deny_, subject);
}

bool CompiledPermissions::WildcardCoversDeny(std::string_view subject) const {
  SubjectPattern sub;
  if (!SubjectPattern::Parse(subject, &sub)) {
    return false;
  }
  for (const auto& e : sub_deny_) {
    if (sub.Covers(e.subject.text())) {
      return true;
    }
  }
  return false;
}

ConnectionPermissions::ConnectionPermissions(std::shared_ptr<const CompiledPermissions> perms)
    : perms_(std::move(perms)) {}

void ConnectionPermissions::Reset(std::shared_ptr<const CompiledPermissions> perms) {
  perms_ = std::move(perms);
  pub_cache_.clear();
  deny_cache_.clear();
  replies_.clear();
  deny_filter_active_ = false;
}

bool ConnectionPermissions::CanPublish(std::string_view subject, PermTime now) {
  if (perms_ == nullptr || !perms_->has_pub_checks()) {
    return true;
  }
  bool allowed;
  auto it = pub_cache_.find(Key(subject));
  if (it != pub_cache_.end()) {
    allowed = it->second;
  } else {
    allowed = perms_->PublishAllowedStatic(subject);
    if (pub_cache_.size() >= kMaxPublishCache) {
      DropSome(&pub_cache_, kPruneCount);
    }
    pub_cache_.emplace(std::string(subject), allowed);
  }
  if (!allowed && perms_->allow_responses()) {
    allowed = CheckReply(subject, now);
  }
  return allowed;
}

bool ConnectionPermissions::CheckReply(std::string_view subject, PermTime now) {
  auto it = replies_.find(Key(subject));
  if (it == replies_.end()) {
    return false;
  }
  const CompiledPermissions::Responses& rp = perms_->responses();
  Reply& r = it->second;
  ++r.sent;
  if (rp.max_msgs > 0 && r.sent > rp.max_msgs) {
    replies_.erase(it);
    return false;
  }
  if (rp.expires.count() > 0 && now - r.delivered > rp.expires) {
    replies_.erase(it);
    return false;
  }
  return true;
}

bool ConnectionPermissions::CanSubscribe(std::string_view subject, std::string_view queue) {
  if (perms_ == nullptr || !perms_->has_sub_checks()) {
    return true;
  }
  bool allowed = perms_->SubscribeAllowedStatic(subject, queue);
  if (allowed && !deny_filter_active_ && perms_->has_sub_deny() && HasWildcardToken(subject) &&
      perms_->WildcardCoversDeny(subject)) {
    deny_filter_active_ = true;
  }
  return allowed;
}

bool ConnectionPermissions::IsDeliveryDenied(std::string_view subject) {
  if (!deny_filter_active_) {
    return false;
  }
  auto it = deny_cache_.find(Key(subject));
  if (it != deny_cache_.end()) {
    return it->second;
  }
  bool denied = perms_->MatchesSubscribeDeny(subject);
  if (deny_cache_.size() >= kMaxDenyCache) {
    DropSome(&deny_cache_, kPruneCount);
  }
  deny_cache_.emplace(std::string(subject), denied);
  return denied;
}

void ConnectionPermissions::OnDelivered(std::string_view reply, PermTime now) {
  if (reply.empty() || perms_ == nullptr || !perms_->allow_responses()) {
    return;
  }
  auto it = replies_.find(Key(reply));
  if (it != replies_.end()) {
    it->second = Reply{now, 0};
  } else {
    replies_.emplace(std::string(reply), Reply{now, 0});
  }
  if (replies_.size() > kMaxReplies) {
    PruneReplies(now);
  }
}

void ConnectionPermissions::PruneReplies(PermTime now) {
  const CompiledPermissions::Responses& rp = perms_->responses();
  for (auto it = replies_.begin(); it != replies_.end();) {
    const Reply& r = it->second;
    bool spent = rp.max_msgs > 0 && r.sent >= rp.max_msgs;
    bool expired = rp.expires.count() > 0 && now - r.delivered > rp.expires;
    if (spent || expired) {
      replies_.erase(it++);
    } else {
      ++it;
    }
  }
}

}  // namespace lattice::auth
