#include "dataplane/monitor/render.h"

#include "nlohmann/json.hpp"
#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace lattice::monitor {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

const Clock::time_point kStart = Clock::time_point(seconds(1795799000));

nlohmann::json Parse(const std::string& text) {
  return nlohmann::json::parse(text);
}

ConnectionSnapshot Conn(uint64_t cid, uint32_t subs, int64_t out_msgs) {
  ConnectionSnapshot c;
  c.cid = cid;
  c.ip = "127.0.0.1";
  c.port = 50000 + static_cast<int>(cid);
  c.start = kStart + seconds(cid);
  c.last_activity = kStart + seconds(10 * cid);
  c.num_subs = subs;
  c.out_msgs = out_msgs;
  c.account = "$G";
  c.authorized_user = "user" + std::to_string(cid);
  c.subs.push_back({"$G", "foo." + std::to_string(cid), "", "1", 3, 0, cid});
  return c;
}

TEST(GoDurationTest, MatchesGoFormatting) {
  EXPECT_EQ(GoDuration(nanoseconds(0)), "0s");
  EXPECT_EQ(GoDuration(nanoseconds(999)), "999ns");
  EXPECT_EQ(GoDuration(microseconds(624)), "624µs");
  EXPECT_EQ(GoDuration(nanoseconds(1500)), "1.5µs");
  EXPECT_EQ(GoDuration(nanoseconds(1234567)), "1.234567ms");
  EXPECT_EQ(GoDuration(milliseconds(1500)), "1.5s");
  EXPECT_EQ(GoDuration(seconds(3723)), "1h2m3s");
  EXPECT_EQ(GoDuration(seconds(60)), "1m0s");
}

TEST(UptimeStringTest, UsesWholeSecondsAndDays) {
  EXPECT_EQ(UptimeString(milliseconds(900)), "0s");
  EXPECT_EQ(UptimeString(seconds(65)), "1m5s");
  EXPECT_EQ(UptimeString(seconds(2 * 86400 + 3 * 3600 + 4 * 60 + 5)), "2d3h4m5s");
  EXPECT_EQ(UptimeString(seconds(366 * 86400)), "1y1d0h0m0s");
}

TEST(Rfc3339NanoTest, TrimsTrailingZerosLikeGo) {
  EXPECT_EQ(Rfc3339Nano(Clock::time_point(seconds(0))), "1970-01-01T00:00:00Z");
  EXPECT_EQ(Rfc3339Nano(Clock::time_point(seconds(86400) + milliseconds(120))),
            "1970-01-02T00:00:00.12Z");
}

TEST(RenderVarzTest, CarriesNatsServerKeys) {
  ServerSnapshot s;
  s.server_id = "NABC";
  s.server_name = "n1";
  s.port = 4222;
  s.max_payload = 1048576;
  s.ping_interval = std::chrono::minutes(2);
  s.start = kStart;
  s.in_msgs = 7;
  const auto json = Parse(RenderVarz(s, {{"/varz", 2}}, kStart + seconds(61)));
  EXPECT_EQ(json["server_id"], "NABC");
  EXPECT_EQ(json["max_payload"], 1048576);
  EXPECT_EQ(json["ping_interval"], 120000000000LL);
  EXPECT_EQ(json["uptime"], "1m1s");
  EXPECT_EQ(json["in_msgs"], 7);
  EXPECT_EQ(json["http_req_stats"]["/varz"], 2);
  EXPECT_TRUE(json["cluster"].is_object());
  EXPECT_FALSE(json.contains("auth_required"));  // omitempty, as nats-server
}

TEST(RenderConnzTest, PagesAndSortsByCidByDefault) {
  auto text = RenderConnz("N1", {Conn(3, 1, 5), Conn(1, 4, 9), Conn(2, 2, 1)},
                          {{"offset", "1"}, {"limit", "1"}}, kStart + seconds(100));
  ASSERT_TRUE(text.ok()) << text.status();
  const auto json = Parse(*text);
  EXPECT_EQ(json["total"], 3);
  EXPECT_EQ(json["num_connections"], 1);
  EXPECT_EQ(json["offset"], 1);
  EXPECT_EQ(json["limit"], 1);
  EXPECT_EQ(json["connections"][0]["cid"], 2);
  EXPECT_FALSE(json["connections"][0].contains("subscriptions_list"));
}

TEST(RenderConnzTest, SortOptionsAreDescendingExceptCid) {
  auto text = RenderConnz("N1", {Conn(1, 1, 5), Conn(2, 4, 9), Conn(3, 2, 1)},
                          {{"sort", "msgs_to"}}, kStart);
  ASSERT_TRUE(text.ok());
  const auto json = Parse(*text);
  EXPECT_EQ(json["connections"][0]["cid"], 2);
  EXPECT_EQ(json["connections"][2]["cid"], 3);
}

TEST(RenderConnzTest, SubsListAndDetail) {
  auto list = RenderConnz("N1", {Conn(1, 1, 0)}, {{"subs", "1"}}, kStart);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(Parse(*list)["connections"][0]["subscriptions_list"][0], "foo.1");
  auto detail = RenderConnz("N1", {Conn(1, 1, 0)}, {{"subs", "detail"}}, kStart);
  ASSERT_TRUE(detail.ok());
  const auto sub = Parse(*detail)["connections"][0]["subscriptions_list_detail"][0];
  EXPECT_EQ(sub["sid"], "1");
  EXPECT_EQ(sub["msgs"], 3);
}

TEST(RenderConnzTest, RejectsBadParametersWithNatsServerMessages) {
  auto bad_sort = RenderConnz("N1", {}, {{"sort", "nope"}}, kStart);
  EXPECT_EQ(bad_sort.status().message(), "invalid sorting option: nope");
  auto bad_limit = RenderConnz("N1", {}, {{"limit", "x"}}, kStart);
  EXPECT_FALSE(bad_limit.ok());
  // nats-server 2.9.10 checks the filters before reading them, so acc= works without auth.
  auto acc_without_auth = RenderConnz("N1", {Conn(1, 1, 0)}, {{"acc", "A"}}, kStart);
  ASSERT_TRUE(acc_without_auth.ok());
  EXPECT_EQ(Parse(*acc_without_auth)["num_connections"], 0);
  auto stop_on_open = RenderConnz("N1", {}, {{"sort", "stop"}}, kStart);
  EXPECT_FALSE(stop_on_open.ok());
}

TEST(RenderConnzTest, AuthShowsUserAndFiltersByCid) {
  auto text =
      RenderConnz("N1", {Conn(1, 1, 0), Conn(2, 1, 0)}, {{"auth", "1"}, {"cid", "2"}}, kStart);
  ASSERT_TRUE(text.ok());
  const auto json = Parse(*text);
  ASSERT_EQ(json["connections"].size(), 1u);
  EXPECT_EQ(json["connections"][0]["authorized_user"], "user2");
}

TEST(RenderConnzTest, TlsFieldsOnlyForTlsConnections) {
  ConnectionSnapshot plain = Conn(1, 0, 0);
  ConnectionSnapshot secure = Conn(2, 0, 0);
  secure.tls_version = "1.3";
  secure.tls_cipher_suite = "TLS_AES_128_GCM_SHA256";
  auto json = Parse(*RenderConnz("S", {plain, secure}, {}, kStart + seconds(100)));
  EXPECT_FALSE(json["connections"][0].contains("tls_version"));
  EXPECT_EQ(json["connections"][1]["tls_version"], "1.3");
  EXPECT_EQ(json["connections"][1]["tls_cipher_suite"], "TLS_AES_128_GCM_SHA256");
}

TEST(RenderConnzTest, StateSelectsOpenClosedOrAll) {
  ConnectionSnapshot open = Conn(1, 0, 0);
  ConnectionSnapshot gone = Conn(2, 0, 0);
  gone.stop = kStart + seconds(50);  // started at +2 s, last active at +20 s
  gone.reason = "Client Closed";
  ConnectionSnapshot older = Conn(3, 0, 0);
  older.stop = kStart + seconds(40);
  older.reason = "Authentication Timeout";
  const Clock::time_point now = kStart + seconds(100);
  auto open_only = Parse(*RenderConnz("S", {open, gone, older}, {}, now));
  ASSERT_EQ(open_only["total"], 1);
  EXPECT_FALSE(open_only["connections"][0].contains("stop"));

  auto closed = Parse(*RenderConnz("S", {open, gone, older}, {{"state", "closed"}}, now));
  ASSERT_EQ(closed["total"], 2);
  const auto c = nlohmann::ordered_json::parse(
      *RenderConnz("S", {open, gone, older}, {{"state", "closed"}}, now))["connections"][0];
  EXPECT_EQ(c["cid"], 2);
  EXPECT_EQ(c["reason"], "Client Closed");
  EXPECT_EQ(c["stop"], Rfc3339Nano(kStart + seconds(50)));
  EXPECT_EQ(c["uptime"], "48s");  // frozen at stop, not now
  EXPECT_EQ(c["idle"], "30s");
  // nats-server's key order: stop and reason right after last_activity.
  std::vector<std::string> keys;
  for (auto it = c.begin(); it != c.end(); ++it) {
    keys.push_back(it.key());
  }
  ASSERT_GE(keys.size(), 9u);
  EXPECT_EQ(keys[6], "last_activity");
  EXPECT_EQ(keys[7], "stop");
  EXPECT_EQ(keys[8], "reason");

  auto by_stop =
      Parse(*RenderConnz("S", {open, gone, older}, {{"state", "closed"}, {"sort", "stop"}}, now));
  EXPECT_EQ(by_stop["connections"][0]["cid"], 2);  // most recent first
  auto by_reason =
      Parse(*RenderConnz("S", {open, gone, older}, {{"state", "closed"}, {"sort", "reason"}}, now));
  EXPECT_EQ(by_reason["connections"][0]["reason"], "Authentication Timeout");
  EXPECT_FALSE(RenderConnz("S", {open}, {{"state", "all"}, {"sort", "stop"}}, now).ok());

  auto all = Parse(*RenderConnz("S", {open, gone, older}, {{"state", "all"}}, now));
  EXPECT_EQ(all["total"], 3);
}

TEST(RenderSubszTest, StatsOnlyUnlessSubsRequested) {
  SublistStats stats;
  stats.num_subscriptions = 2;
  auto plain = RenderSubsz("N1", stats, {}, {}, kStart);
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(Parse(*plain).contains("subscriptions_list"));
  EXPECT_EQ(Parse(*plain)["num_subscriptions"], 2);

  std::vector<SubscriptionDetail> subs = {{"$G", "foo.*", "", "1", 0, 0, 1},
                                          {"$G", "bar", "q", "2", 0, 0, 1}};
  auto listed = RenderSubsz("N1", stats, subs, {{"subs", "1"}, {"test", "foo.x"}}, kStart);
  ASSERT_TRUE(listed.ok());
  const auto json = Parse(*listed);
  EXPECT_EQ(json["total"], 1);
  EXPECT_EQ(json["subscriptions_list"][0]["subject"], "foo.*");
}

TEST(RenderAccountzTest, ListsAndDetailsAccounts) {
  ServerSnapshot s;
  s.server_id = "N1";
  s.system_account = "$SYS";
  AccountSnapshot g;
  g.name = "$G";
  g.client_connections = 3;
  auto list = RenderAccountz(s, {g}, {}, kStart);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(Parse(*list)["accounts"][0], "$G");
  auto detail = RenderAccountz(s, {g}, {{"acc", "$G"}}, kStart);
  ASSERT_TRUE(detail.ok());
  EXPECT_EQ(Parse(*detail)["account_detail"]["client_connections"], 3);
  EXPECT_EQ(RenderAccountz(s, {g}, {{"acc", "nope"}}, kStart).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(RenderHealthzTest, OkOrReason) {
  EXPECT_EQ(RenderHealthz(""), R"({"status":"ok"})");
  EXPECT_EQ(Parse(RenderHealthz("lame duck"))["error"], "lame duck");
}

TEST(RenderMetricsTest, PrometheusTextWithEscapedLabels) {
  ServerSnapshot s;
  s.connections = 2;
  AccountSnapshot a;
  a.name = "we\"ird";
  a.slow_consumers = 4;
  const std::string text = RenderMetrics(s, {a}, {Conn(7, 0, 0)});
  EXPECT_THAT(text,
              ::testing::HasSubstr("# TYPE lattice_connections gauge\nlattice_connections 2\n"));
  EXPECT_THAT(text, ::testing::HasSubstr(
                        "lattice_account_slow_consumers_total{account=\"we\\\"ird\"} 4\n"));
  EXPECT_THAT(text, ::testing::HasSubstr("lattice_connection_pending_bytes{cid=\"7\""));
}

TEST(MergeSublistStatsTest, SumsCountsAndWeightsAverages) {
  AccountSnapshot a, b;
  a.sublist.num_subscriptions = 2;
  a.sublist.num_cache = 1;
  a.sublist.avg_fanout = 4;
  a.sublist.max_fanout = 4;
  b.sublist.num_subscriptions = 3;
  b.sublist.num_cache = 3;
  b.sublist.avg_fanout = 0;
  b.sublist.max_fanout = 1;
  const SublistStats total = MergeSublistStats({a, b});
  EXPECT_EQ(total.num_subscriptions, 5u);
  EXPECT_EQ(total.max_fanout, 4u);
  EXPECT_DOUBLE_EQ(total.avg_fanout, 1.0);
}

}  // namespace
}  // namespace lattice::monitor
