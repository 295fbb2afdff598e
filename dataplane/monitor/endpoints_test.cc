// Tests of endpoint assembly and of $SYS request bodies translated to query parameters.
#include "dataplane/monitor/endpoints.h"

#include "nlohmann/json.hpp"
#include <gtest/gtest.h>

namespace lattice::monitor {
namespace {

class TwoAccountSource : public MonitorSource {
 public:
  ServerSnapshot Server() override {
    ServerSnapshot s;
    s.server_id = "NTEST";
    s.system_account = "SYS";
    return s;
  }
  std::vector<ConnectionSnapshot> Connections(bool with_subs) override {
    ConnectionSnapshot a;
    a.cid = 1;
    a.account = "A";
    ConnectionSnapshot b;
    b.cid = 2;
    b.account = "B";
    if (with_subs) {
      a.subs.push_back({"A", "x", "", "1", 0, 0, 1});
      a.num_subs = 1;
    }
    return {a, b};
  }
  std::vector<ConnectionSnapshot> ClosedConnections(bool) override {
    ConnectionSnapshot c;
    c.cid = 7;
    c.account = "A";
    c.stop = Clock::now();
    c.reason = "Client Closed";
    return {c};
  }
  std::vector<AccountSnapshot> Accounts() override {
    AccountSnapshot a;
    a.name = "A";
    AccountSnapshot sys;
    sys.name = "SYS";
    sys.is_system = true;
    return {a, sys};
  }
  std::vector<SubscriptionDetail> Subscriptions(const std::string&) override {
    return {{"A", "x", "", "1", 0, 0, 1}};
  }
  std::string HealthProblem() override { return ""; }
};

nlohmann::json Parse(const absl::StatusOr<std::string>& text) {
  EXPECT_TRUE(text.ok()) << text.status();
  return text.ok() ? nlohmann::json::parse(*text) : nlohmann::json();
}

TEST(EndpointsTest, NamesOfTheSysRequests) {
  EXPECT_EQ(EndpointFromRequestName("CONNZ"), Endpoint::kConnz);
  EXPECT_EQ(EndpointFromRequestName("HEALTHZ"), Endpoint::kHealthz);
  EXPECT_FALSE(EndpointFromRequestName("connz").has_value());
  EXPECT_FALSE(EndpointFromRequestName("JSZ").has_value());
}

TEST(EndpointsTest, ConnzFiltersByAccountAndState) {
  TwoAccountSource source;
  nlohmann::json open = Parse(RenderEndpoint(source, Endpoint::kConnz, {{"acc", "A"}}, {}));
  ASSERT_EQ(open["connections"].size(), 1u);
  EXPECT_EQ(open["connections"][0]["cid"], 1);
  nlohmann::json all = Parse(RenderEndpoint(source, Endpoint::kConnz, {{"state", "all"}}, {}));
  EXPECT_EQ(all["connections"].size(), 3u);
  nlohmann::json closed =
      Parse(RenderEndpoint(source, Endpoint::kConnz, {{"state", "closed"}}, {}));
  ASSERT_EQ(closed["connections"].size(), 1u);
  EXPECT_EQ(closed["connections"][0]["reason"], "Client Closed");
}

TEST(EndpointsTest, AccountzAndHealthz) {
  TwoAccountSource source;
  nlohmann::json list = Parse(RenderEndpoint(source, Endpoint::kAccountz, {}, {}));
  EXPECT_EQ(list["system_account"], "SYS");
  EXPECT_EQ(list["accounts"].size(), 2u);
  nlohmann::json health = Parse(RenderEndpoint(source, Endpoint::kHealthz, {}, {}));
  EXPECT_EQ(health["status"], "ok");
}

TEST(EndpointsTest, ConnzBodyBecomesQuery) {
  auto query = QueryFromRequestBody(
      Endpoint::kConnz,
      R"({"sort":"msgs_to","limit":5,"offset":0,"subscriptions":true,"acc":"A","state":2,)"
      R"("auth":true,"server_name":"ignored"})");
  ASSERT_TRUE(query.ok()) << query.status();
  EXPECT_EQ(*query, (QueryParams{{"sort", "msgs_to"},
                                 {"limit", "5"},
                                 {"subs", "1"},
                                 {"acc", "A"},
                                 {"state", "all"},
                                 {"auth", "1"}}));
  auto detail = QueryFromRequestBody(Endpoint::kConnz, R"({"subscriptions_detail":true})");
  ASSERT_TRUE(detail.ok());
  EXPECT_EQ(detail->at("subs"), "detail");
}

TEST(EndpointsTest, SubszAndAccountzBodies) {
  auto subsz = QueryFromRequestBody(Endpoint::kSubsz, R"({"subscriptions":true,"account":"A"})");
  ASSERT_TRUE(subsz.ok());
  EXPECT_EQ(*subsz, (QueryParams{{"subs", "1"}, {"acc", "A"}}));
  auto accountz = QueryFromRequestBody(Endpoint::kAccountz, R"({"account":"B"})");
  ASSERT_TRUE(accountz.ok());
  EXPECT_EQ(*accountz, (QueryParams{{"acc", "B"}}));
  auto varz = QueryFromRequestBody(Endpoint::kVarz, R"({"anything":1})");
  ASSERT_TRUE(varz.ok());
  EXPECT_TRUE(varz->empty());
}

TEST(EndpointsTest, BadBodiesAreErrorsNotCrashes) {
  EXPECT_TRUE(QueryFromRequestBody(Endpoint::kConnz, "").ok());
  EXPECT_FALSE(QueryFromRequestBody(Endpoint::kConnz, "{").ok());
  EXPECT_FALSE(QueryFromRequestBody(Endpoint::kConnz, "[1,2]").ok());
  EXPECT_FALSE(QueryFromRequestBody(Endpoint::kConnz, "\xff\xfe").ok());
  auto wrong = QueryFromRequestBody(Endpoint::kConnz, R"({"limit":"ten"})");
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("ConnzOptions.limit"), std::string::npos);
  EXPECT_FALSE(QueryFromRequestBody(Endpoint::kSubsz, R"({"subscriptions":"yes"})").ok());
}

}  // namespace
}  // namespace lattice::monitor
