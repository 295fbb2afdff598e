// Publish/subscribe authorization for one client connection, with nats-server's exact
// allow/deny semantics, a bounded per-subject publish cache and allow_responses tracking.
//
//   auto compiled = CompiledPermissions::Compile(user.permissions);   // once per user
//   ConnectionPermissions perms(compiled);                             // once per connection
//   PUB:  if (!perms.CanPublish(subject, clock.Now())) -ERR PublishViolationText(subject)
//   SUB:  if (!perms.CanSubscribe(subject, queue))      -ERR SubscribeViolationText(...)
//   MSG delivery to this connection:
//         if (perms.IsDeliveryDenied(subject)) skip;  perms.OnDelivered(reply, clock.Now());
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"

#include "dataplane/auth/subject_pattern.h"
#include "dataplane/options/options.h"

namespace lattice::auth {

// Monotonic time as the dataplane clock reports it (dataplane/server Clock::Now()).
using PermTime = std::chrono::steady_clock::time_point;

// One user's permissions, parsed and validated once. Immutable after Compile, so one
// instance is shared (shared_ptr<const>) by every connection of that user and survives
// an Authenticator swap on reload while connections still hold it. Thread: any.
class CompiledPermissions {
 public:
  // Builds the checker tables. Entries that are not valid subject patterns (empty tokens,
  // '>' not last, subscribe entries with more than "subject queue") are skipped, as
  // nats-server does; each skipped entry adds a line to `*warnings` when given.
  // allow_responses implies "publish denied unless allowed" (an empty allow list), and its
  // zero max/expiry become the defaults 1 message / 2 minutes, as in nats-server.
  static std::shared_ptr<const CompiledPermissions> Compile(
      const options::Permissions& perms, std::vector<std::string>* warnings = nullptr);

  // A subscribe entry: subject pattern plus optional queue (empty = plain entry).
  struct SubEntry {
    SubjectPattern subject;
    std::string queue;
    bool queue_is_pattern = false;  // queue has a `*`/`>` token: matched as a pattern
    SubjectPattern queue_pattern;
  };
  struct Responses {
    int64_t max_msgs = 1;                 // <= 0: unlimited
    std::chrono::nanoseconds expires{0};  // <= 0: never
  };

  bool has_pub_allow() const { return has_pub_allow_; }
  bool has_pub_checks() const { return has_pub_allow_ || !pub_deny_.empty(); }
  bool has_sub_checks() const { return !sub_allow_.empty() || !sub_deny_.empty(); }
  bool has_sub_deny() const { return !sub_deny_.empty(); }
  bool allow_responses() const { return responses_enabled_; }
  const Responses& responses() const { return responses_; }

  // The static (cache-independent) rules; ConnectionPermissions adds caching and state.
  // Publish: (no allow list or an allow entry matches) and no deny entry matches.
  bool PublishAllowedStatic(std::string_view subject) const;
  // Subscribe, following nats-server's canSubscribe including its queue-entry overrides.
  bool SubscribeAllowedStatic(std::string_view subject, std::string_view queue) const;
  // True when a plain subscribe-deny entry matches the (literal) message subject.
  bool MatchesSubscribeDeny(std::string_view subject) const;
  // True when the wildcard subscription `subject` covers some subscribe-deny entry, so
  // deliveries through it must be filtered (nats-server loads its deny filter then).
  bool WildcardCoversDeny(std::string_view subject) const;

 private:
  CompiledPermissions() = default;

  bool has_pub_allow_ = false;
  std::vector<SubjectPattern> pub_allow_;
  std::vector<SubjectPattern> pub_deny_;
  std::vector<SubEntry> sub_allow_;
  std::vector<SubEntry> sub_deny_;
  bool responses_enabled_ = false;
  Responses responses_;
};

// The mutable per-connection side: publish cache, allow_responses reply table and the
// delivery deny filter. Owned by the client session. Thread: the session's event loop
// only (publishes, subscriptions and deliveries to a connection all run there).
// A null CompiledPermissions means "everything allowed" and costs one branch per check.
class ConnectionPermissions {
 public:
  // nats-server's limits: publish cache 128 subjects, deny cache 256, reply table 4096;
  // a full cache drops kPruneCount entries.
  static constexpr size_t kMaxPublishCache = 128;
  static constexpr size_t kMaxDenyCache = 256;
  static constexpr size_t kMaxReplies = 4096;
  static constexpr size_t kPruneCount = 32;

  explicit ConnectionPermissions(std::shared_ptr<const CompiledPermissions> perms = nullptr);

  // Replaces the rules (new CONNECT or reload); clears caches, reply table and filter.
  void Reset(std::shared_ptr<const CompiledPermissions> perms);
  const std::shared_ptr<const CompiledPermissions>& compiled() const { return perms_; }

  // Publish check for PUB/HPUB `subject` at time `now`. A repeated subject is answered from
  // the cache without allocating. When the static rules deny and allow_responses is on,
  // a reply subject this connection received is allowed up to max_msgs times within
  // `expires` of its delivery (each allowed publish counts one).
  bool CanPublish(std::string_view subject, PermTime now);

  // Subscribe check for SUB `subject` [queue]. May switch on the delivery deny filter
  // (see IsDeliveryDenied), so it is not const.
  bool CanSubscribe(std::string_view subject, std::string_view queue = {});

  // Delivery-time filter: subscribe-deny entries do not stop a broader wildcard subscription
  // (SUB foo.* with deny foo.bar is allowed), so messages on denied subjects must be dropped
  // at delivery. Cheap (false) until such a subscription was allowed; then cached per subject.
  bool IsDeliveryDenied(std::string_view subject);

  // Records that a message with reply subject `reply` was delivered to this connection at
  // `now` (allow_responses bookkeeping; a no-op when the feature is off or reply is empty).
  // Re-delivery of the same reply restarts its count and expiry.
  void OnDelivered(std::string_view reply, PermTime now);

  size_t publish_cache_size() const { return pub_cache_.size(); }
  size_t reply_count() const { return replies_.size(); }
  bool delivery_filter_active() const { return deny_filter_active_; }

 private:
  struct Reply {
    PermTime delivered;
    int64_t sent = 0;
  };
  bool CheckReply(std::string_view subject, PermTime now);
  void PruneReplies(PermTime now);

  std::shared_ptr<const CompiledPermissions> perms_;
  absl::flat_hash_map<std::string, bool> pub_cache_;
  absl::flat_hash_map<std::string, bool> deny_cache_;
  absl::flat_hash_map<std::string, Reply> replies_;
  bool deny_filter_active_ = false;
};

}  // namespace lattice::auth
