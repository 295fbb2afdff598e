// Tests for compiled permissions and the per-connection checker (nats-server semantics).
#include "dataplane/auth/permissions.h"

#include <chrono>
#include <string>

#include "gtest/gtest.h"

namespace lattice::auth {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

options::Permissions Pub(std::vector<std::string> allow, std::vector<std::string> deny = {}) {
  options::Permissions p;
  p.publish.allow = std::move(allow);
  p.publish.deny = std::move(deny);
  return p;
}

options::Permissions Sub(std::vector<std::string> allow, std::vector<std::string> deny = {}) {
  options::Permissions p;
  p.subscribe.allow = std::move(allow);
  p.subscribe.deny = std::move(deny);
  return p;
}

const PermTime kT0 = PermTime() + seconds(1000);

TEST(PermissionsTest, NullAllowsEverything) {
  ConnectionPermissions perms;
  EXPECT_TRUE(perms.CanPublish("anything", kT0));
  EXPECT_TRUE(perms.CanSubscribe(">", "q"));
  EXPECT_FALSE(perms.IsDeliveryDenied("x"));
}

TEST(PermissionsTest, EmptyPermissionsAllowEverything) {
  ConnectionPermissions perms(CompiledPermissions::Compile(options::Permissions{}));
  EXPECT_TRUE(perms.CanPublish("foo", kT0));
  EXPECT_TRUE(perms.CanSubscribe("foo.>"));
  EXPECT_EQ(perms.publish_cache_size(), 0u);  // no rules: no cache work either
}

TEST(PermissionsTest, PublishAllowList) {
  ConnectionPermissions perms(CompiledPermissions::Compile(Pub({"foo.*", "bar.>"})));
  EXPECT_TRUE(perms.CanPublish("foo.a", kT0));
  EXPECT_TRUE(perms.CanPublish("bar.a.b", kT0));
  EXPECT_FALSE(perms.CanPublish("foo.a.b", kT0));
  EXPECT_FALSE(perms.CanPublish("baz", kT0));
  EXPECT_FALSE(perms.CanPublish("bar", kT0));
}

TEST(PermissionsTest, PublishDenyOverridesAllow) {
  ConnectionPermissions perms(CompiledPermissions::Compile(Pub({"foo.>"}, {"foo.secret"})));
  EXPECT_TRUE(perms.CanPublish("foo.open", kT0));
  EXPECT_FALSE(perms.CanPublish("foo.secret", kT0));
  ConnectionPermissions deny_only(CompiledPermissions::Compile(Pub({}, {"$SYS.>"})));
  EXPECT_TRUE(deny_only.CanPublish("foo", kT0));
  EXPECT_FALSE(deny_only.CanPublish("$SYS.REQ.X", kT0));
}

TEST(PermissionsTest, PublishCacheHitsAndStaysBounded) {
  ConnectionPermissions perms(CompiledPermissions::Compile(Pub({"ok.>"})));
  EXPECT_TRUE(perms.CanPublish("ok.1", kT0));
  EXPECT_TRUE(perms.CanPublish("ok.1", kT0));
  EXPECT_FALSE(perms.CanPublish("no.1", kT0));
  EXPECT_FALSE(perms.CanPublish("no.1", kT0));
  EXPECT_EQ(perms.publish_cache_size(), 2u);
  for (int i = 0; i < 1000; ++i) {
    bool allowed = perms.CanPublish((i % 2 ? "ok." : "no.") + std::to_string(i), kT0);
    EXPECT_EQ(allowed, i % 2 == 1);
  }
  EXPECT_LE(perms.publish_cache_size(), ConnectionPermissions::kMaxPublishCache);
  // Results stay right after pruning.
  EXPECT_TRUE(perms.CanPublish("ok.1", kT0));
  EXPECT_FALSE(perms.CanPublish("no.2", kT0));
}

TEST(PermissionsTest, WildcardPublishSubjectIsLiteral) {
  // Non-pedantic PUB foo.* is a literal subject: allowed by "foo.*", not by "foo.bar".
  ConnectionPermissions a(CompiledPermissions::Compile(Pub({"foo.*"})));
  EXPECT_TRUE(a.CanPublish("foo.*", kT0));
  ConnectionPermissions b(CompiledPermissions::Compile(Pub({"foo.bar"})));
  EXPECT_FALSE(b.CanPublish("foo.*", kT0));
}

TEST(PermissionsTest, InvalidEntriesSkippedWithWarnings) {
  std::vector<std::string> warnings;
  auto c = CompiledPermissions::Compile(Pub({"foo..bar", "ok"}, {">.x"}), &warnings);
  EXPECT_EQ(warnings.size(), 2u);
  ConnectionPermissions perms(c);
  EXPECT_TRUE(perms.CanPublish("ok", kT0));
  EXPECT_FALSE(perms.CanPublish("foo..bar", kT0));
  // An allow list whose entries are all invalid still denies everything (nats-server
  // creates the empty allow sublist).
  ConnectionPermissions none(CompiledPermissions::Compile(Pub({"a..b"})));
  EXPECT_FALSE(none.CanPublish("a", kT0));
}

TEST(PermissionsTest, SubscribeAllowDeny) {
  ConnectionPermissions perms(CompiledPermissions::Compile(Sub({"foo.>", "bar"}, {"foo.secret"})));
  EXPECT_TRUE(perms.CanSubscribe("foo.a"));
  EXPECT_TRUE(perms.CanSubscribe("foo.*"));
  EXPECT_TRUE(perms.CanSubscribe("foo.>"));
  EXPECT_TRUE(perms.CanSubscribe("bar"));
  EXPECT_FALSE(perms.CanSubscribe("foo.secret"));
  EXPECT_FALSE(perms.CanSubscribe("baz"));
  EXPECT_FALSE(perms.CanSubscribe(">"));
  EXPECT_FALSE(perms.CanSubscribe("bar.*"));
}

TEST(PermissionsTest, WildcardAllowCoversNarrowerSubject) {
  ConnectionPermissions perms(CompiledPermissions::Compile(Sub({"foo.*"})));
  EXPECT_TRUE(perms.CanSubscribe("foo.*"));
  EXPECT_TRUE(perms.CanSubscribe("foo.bar"));
  EXPECT_FALSE(perms.CanSubscribe("foo.bar.baz"));
  ConnectionPermissions literal(CompiledPermissions::Compile(Sub({"foo.bar"})));
  EXPECT_FALSE(literal.CanSubscribe("foo.*"));
}

TEST(PermissionsTest, QueueAllowEntries) {
  // Observed on nats-server: allow "q v1" -> SUB q v1 ok, SUB q and SUB q v2 denied.
  ConnectionPermissions perms(CompiledPermissions::Compile(Sub({"q v1"})));
  EXPECT_TRUE(perms.CanSubscribe("q", "v1"));
  EXPECT_FALSE(perms.CanSubscribe("q"));
  EXPECT_FALSE(perms.CanSubscribe("q", "v2"));
}

TEST(PermissionsTest, QueueEntryOverridesPlainAllow) {
  ConnectionPermissions perms(CompiledPermissions::Compile(Sub({"foo.>", "foo.bar v1"})));
  EXPECT_TRUE(perms.CanSubscribe("foo.bar"));
  EXPECT_TRUE(perms.CanSubscribe("foo.bar", "v1"));
  EXPECT_FALSE(perms.CanSubscribe("foo.bar", "v2"));  // the queue entry decides
  EXPECT_TRUE(perms.CanSubscribe("foo.baz", "v2"));   // no queue entry for this subject
}

TEST(PermissionsTest, WildcardQueueNames) {
  ConnectionPermissions perms(CompiledPermissions::Compile(Sub({"foo v1.*", "bar *"})));
  EXPECT_TRUE(perms.CanSubscribe("foo", "v1.a"));
  EXPECT_TRUE(perms.CanSubscribe("foo", "v1.*"));
  EXPECT_FALSE(perms.CanSubscribe("foo", "v2.a"));
  EXPECT_FALSE(perms.CanSubscribe("foo", "v1.a.b"));
  EXPECT_TRUE(perms.CanSubscribe("bar", "anything"));
}

TEST(PermissionsTest, QueueDenyEntries) {
  ConnectionPermissions perms(CompiledPermissions::Compile(Sub({}, {"foo v1"})));
  EXPECT_TRUE(perms.CanSubscribe("foo"));
  EXPECT_FALSE(perms.CanSubscribe("foo", "v1"));
  EXPECT_TRUE(perms.CanSubscribe("foo", "v2"));
  // A queue deny entry only denies its queue even when a plain deny also matches
  // (nats-server canSubscribe lets the queue result decide).
  ConnectionPermissions both(CompiledPermissions::Compile(Sub({}, {"bar", "bar v1"})));
  EXPECT_FALSE(both.CanSubscribe("bar"));
  EXPECT_FALSE(both.CanSubscribe("bar", "v1"));
  EXPECT_TRUE(both.CanSubscribe("bar", "v2"));
}

TEST(PermissionsTest, MalformedSubscribeEntriesSkipped) {
  std::vector<std::string> warnings;
  auto c = CompiledPermissions::Compile(Sub({"a b c", "", "   ", "ok"}), &warnings);
  EXPECT_EQ(warnings.size(), 3u);
  ConnectionPermissions perms(c);
  EXPECT_TRUE(perms.CanSubscribe("ok"));
  EXPECT_FALSE(perms.CanSubscribe("a"));
}

TEST(PermissionsTest, DeliveryDenyFilterActivatedByBroaderWildcard) {
  ConnectionPermissions perms(CompiledPermissions::Compile(Sub({"foo.>"}, {"foo.secret"})));
  EXPECT_TRUE(perms.CanSubscribe("foo.open"));
  EXPECT_FALSE(perms.delivery_filter_active());
  EXPECT_FALSE(perms.IsDeliveryDenied("foo.secret"));  // filter not active yet
  EXPECT_TRUE(perms.CanSubscribe("foo.*"));            // covers the deny entry
  EXPECT_TRUE(perms.delivery_filter_active());
  EXPECT_TRUE(perms.IsDeliveryDenied("foo.secret"));
  EXPECT_TRUE(perms.IsDeliveryDenied("foo.secret"));  // cached
  EXPECT_FALSE(perms.IsDeliveryDenied("foo.open"));
}

TEST(PermissionsTest, DeliveryFilterNotActivatedByUnrelatedWildcard) {
  ConnectionPermissions perms(CompiledPermissions::Compile(Sub({}, {"foo.*"})));
  EXPECT_TRUE(perms.CanSubscribe("*.bar"));  // does not cover foo.* (foo.baz not in *.bar)
  EXPECT_FALSE(perms.delivery_filter_active());
  EXPECT_TRUE(perms.CanSubscribe(">"));
  EXPECT_TRUE(perms.delivery_filter_active());
  EXPECT_TRUE(perms.IsDeliveryDenied("foo.x"));
}

TEST(PermissionsTest, DeliveryDenyCacheBounded) {
  ConnectionPermissions perms(CompiledPermissions::Compile(Sub({}, {"d.*"})));
  ASSERT_TRUE(perms.CanSubscribe(">"));
  for (int i = 0; i < 2000; ++i) {
    EXPECT_EQ(perms.IsDeliveryDenied((i % 2 ? "d." : "e.") + std::to_string(i)), i % 2 == 1);
  }
}

options::Permissions Responses(int64_t max, milliseconds expires) {
  options::Permissions p;
  p.allow_responses = options::ResponsePermission{max, expires};
  return p;
}

TEST(PermissionsTest, AllowResponsesImpliesPublishDenied) {
  ConnectionPermissions perms(CompiledPermissions::Compile(Responses(1, milliseconds(0))));
  EXPECT_FALSE(perms.CanPublish("anything", kT0));
  perms.OnDelivered("_INBOX.a", kT0);
  EXPECT_TRUE(perms.CanPublish("_INBOX.a", kT0));
  EXPECT_FALSE(perms.CanPublish("_INBOX.a", kT0));  // max 1: second reply denied
  EXPECT_EQ(perms.reply_count(), 0u);
}

TEST(PermissionsTest, AllowResponsesDefaults) {
  auto c = CompiledPermissions::Compile(Responses(0, milliseconds(0)));
  EXPECT_EQ(c->responses().max_msgs, 1);
  EXPECT_EQ(c->responses().expires, std::chrono::minutes(2));
}

TEST(PermissionsTest, AllowResponsesMaxMsgsAndExpiry) {
  ConnectionPermissions perms(CompiledPermissions::Compile(Responses(3, milliseconds(5000))));
  perms.OnDelivered("r.1", kT0);
  EXPECT_TRUE(perms.CanPublish("r.1", kT0));
  EXPECT_TRUE(perms.CanPublish("r.1", kT0 + seconds(1)));
  EXPECT_TRUE(perms.CanPublish("r.1", kT0 + seconds(5)));   // exactly at expiry: still ok
  EXPECT_FALSE(perms.CanPublish("r.1", kT0 + seconds(5)));  // fourth
  perms.OnDelivered("r.2", kT0);
  EXPECT_FALSE(perms.CanPublish("r.2", kT0 + milliseconds(5001)));  // expired
  EXPECT_FALSE(perms.CanPublish("r.2", kT0));                       // and forgotten
}

TEST(PermissionsTest, RedeliveryRestartsReplyCount) {
  ConnectionPermissions perms(CompiledPermissions::Compile(Responses(1, milliseconds(0))));
  perms.OnDelivered("r", kT0);
  EXPECT_TRUE(perms.CanPublish("r", kT0));
  perms.OnDelivered("r", kT0);
  EXPECT_TRUE(perms.CanPublish("r", kT0));
}

TEST(PermissionsTest, AllowResponsesWithExplicitAllow) {
  options::Permissions p = Responses(1, milliseconds(0));
  p.publish.allow = {"svc.>"};
  ConnectionPermissions perms(CompiledPermissions::Compile(p));
  EXPECT_TRUE(perms.CanPublish("svc.x", kT0));
  EXPECT_TRUE(perms.CanPublish("svc.x", kT0));  // statically allowed: not counted
  EXPECT_FALSE(perms.CanPublish("other", kT0));
  perms.OnDelivered("other", kT0);
  EXPECT_TRUE(perms.CanPublish("other", kT0));  // cached static deny, reply table still checked
}

TEST(PermissionsTest, RepliesIgnoredWithoutAllowResponses) {
  ConnectionPermissions perms(CompiledPermissions::Compile(Pub({"a"})));
  perms.OnDelivered("b", kT0);
  EXPECT_EQ(perms.reply_count(), 0u);
  EXPECT_FALSE(perms.CanPublish("b", kT0));
}

TEST(PermissionsTest, ReplyTablePrunesSpentEntries) {
  ConnectionPermissions perms(CompiledPermissions::Compile(Responses(1, milliseconds(1000))));
  for (size_t i = 0; i < ConnectionPermissions::kMaxReplies; ++i) {
    perms.OnDelivered("r." + std::to_string(i), kT0);
  }
  EXPECT_EQ(perms.reply_count(), ConnectionPermissions::kMaxReplies);
  perms.OnDelivered("late", kT0 + seconds(2));  // over the limit: expired entries go
  EXPECT_EQ(perms.reply_count(), 1u);
  EXPECT_TRUE(perms.CanPublish("late", kT0 + seconds(2)));
}

TEST(PermissionsTest, ResetClearsState) {
  ConnectionPermissions perms(CompiledPermissions::Compile(Sub({}, {"x"})));
  ASSERT_TRUE(perms.CanSubscribe(">"));
  EXPECT_TRUE(perms.delivery_filter_active());
  perms.Reset(CompiledPermissions::Compile(Pub({"a"})));
  EXPECT_FALSE(perms.delivery_filter_active());
  EXPECT_FALSE(perms.IsDeliveryDenied("x"));
  EXPECT_FALSE(perms.CanPublish("b", kT0));
  perms.Reset(nullptr);
  EXPECT_TRUE(perms.CanPublish("b", kT0));
  EXPECT_EQ(perms.publish_cache_size(), 0u);
}

}  // namespace
}  // namespace lattice::auth

namespace lattice::auth {
namespace {

// The cases of nats-server's TestQueueSubscribePermissions (server/client_test.go).
struct QueueCase {
  const char* name;
  std::vector<std::string> allow;
  std::vector<std::string> deny;
  const char* subject;
  const char* queue;
  bool want;
};

TEST(PermissionsTest, NatsServerQueueSubscribeTable) {
  const QueueCase cases[] = {
      {"plain subscription on foo", {"foo"}, {}, "foo", "", true},
      {"queue subscribe with allowed group", {"foo bar"}, {}, "foo", "bar", true},
      {"queue subscribe with wildcard allowed group", {"foo bar.*"}, {}, "foo", "bar.fizz", true},
      {"full wildcard subject and subgroup", {"> bar.>"}, {}, "whizz", "bar.bang", true},
      {"plain subscribe with full wildcard subject and subgroup",
       {"> bar.>"},
       {},
       "whizz",
       "",
       false},
      {"deny plain subscription on foo", {">"}, {"foo"}, "foo", "bar", false},
      {"allow plain subscription, except foo", {">"}, {"foo"}, "bar", "", true},
      {"deny everything", {">"}, {">"}, "foo", "bar", false},
      {"can only subscribe to queues v1", {"> v1.>"}, {}, "foo", "v1.prod", true},
      {"cannot subscribe to queues, plain subscribe ok", {">"}, {"> >"}, "foo", "", true},
      {"cannot subscribe to queues, queue subscribe not ok", {}, {"> >"}, "foo", "bar", false},
      {"deny all queue subscriptions on dev or stg only",
       {},
       {"> *.dev", "> *.stg"},
       "foo",
       "bar",
       true},
      {"allow only queue subscription on dev or stg",
       {"> *.dev", "> *.stg"},
       {},
       "foo",
       "bar",
       false},
      {"deny queue subscriptions with subject foo", {}, {"foo >"}, "foo", "bar", false},
      {"plain sub is allowed, but queue subscribe with queue not in list",
       {"foo bar"},
       {},
       "foo",
       "fizz",
       false},
      {"allow plain sub, but do queue subscribe", {"foo"}, {}, "foo", "bar", true},
  };
  for (const QueueCase& c : cases) {
    ConnectionPermissions perms(CompiledPermissions::Compile(Sub(c.allow, c.deny)));
    EXPECT_EQ(perms.CanSubscribe(c.subject, c.queue), c.want) << c.name;
  }
}

// nats-server's TestResponsePermissions cases, with an injected clock instead of sleeps.
TEST(PermissionsTest, NatsServerResponsePermissionsTable) {
  {  // max_msgs 2, expires 1h: 10 replies -> 2 pass
    ConnectionPermissions p(CompiledPermissions::Compile(Responses(2, std::chrono::hours(1))));
    p.OnDelivered("reply", kT0);
    int passed = 0;
    for (int i = 0; i < 10; ++i) {
      passed += p.CanPublish("reply", kT0) ? 1 : 0;
    }
    EXPECT_EQ(passed, 2);
  }
  {  // max 3, negative expiry = none: two replies far apart both pass
    ConnectionPermissions p(CompiledPermissions::Compile(Responses(3, milliseconds(-1))));
    p.OnDelivered("reply", kT0);
    EXPECT_TRUE(p.CanPublish("reply", kT0));
    EXPECT_TRUE(p.CanPublish("reply", kT0 + std::chrono::hours(24)));
  }
  for (int64_t max :
       {int64_t{1000}, int64_t{-1}}) {  // expire 100ms: second reply after 200ms fails
    ConnectionPermissions p(CompiledPermissions::Compile(Responses(max, milliseconds(100))));
    p.OnDelivered("reply", kT0);
    EXPECT_TRUE(p.CanPublish("reply", kT0));
    EXPECT_FALSE(p.CanPublish("reply", kT0 + milliseconds(200)));
  }
}

}  // namespace
}  // namespace lattice::auth
