#include "dataplane/monitor/http_server.h"

#include "httplib.h"
#include "nlohmann/json.hpp"
#include <gtest/gtest.h>

namespace lattice::monitor {
namespace {

// A fixed source: this tests the HTTP layer (routing, status codes, JSONP), not the server.
class FixedSource : public MonitorSource {
 public:
  ServerSnapshot Server() override {
    ServerSnapshot s;
    s.server_id = "NTEST";
    s.connections = 1;
    return s;
  }
  std::vector<ConnectionSnapshot> Connections(bool with_subs) override {
    ConnectionSnapshot c;
    c.cid = 9;
    if (with_subs)
      c.subs.push_back({"$G", "a.b", "", "1", 0, 0, 9});
    c.num_subs = 1;
    return {c};
  }
  std::vector<ConnectionSnapshot> ClosedConnections(bool with_subs) override {
    ConnectionSnapshot c;
    c.cid = 4;
    c.stop = Clock::now();
    c.reason = "TLS Handshake Failure";
    return {c};
  }
  std::vector<AccountSnapshot> Accounts() override {
    AccountSnapshot a;
    a.name = "$G";
    return {a};
  }
  std::vector<SubscriptionDetail> Subscriptions(const std::string&) override {
    return {{"$G", "a.b", "", "1", 0, 0, 9}};
  }
  std::string HealthProblem() override { return problem; }
  std::string problem;
};

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.Start("127.0.0.1", 0).ok()); }
  httplib::Result Get(const std::string& path) {
    httplib::Client client("127.0.0.1", server_.port());
    return client.Get(path.c_str());
  }
  FixedSource source_;
  HttpServer server_{source_};
};

TEST_F(HttpServerTest, ServesVarzAndCountsRequests) {
  ASSERT_TRUE(Get("/varz"));
  auto result = Get("/varz");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(result->get_header_value("Content-Type"), "application/json");
  const auto json = nlohmann::json::parse(result->body);
  EXPECT_EQ(json["server_id"], "NTEST");
  EXPECT_EQ(json["http_req_stats"]["/varz"], 2);
}

TEST_F(HttpServerTest, ConnzWithSubsAndBadSort) {
  auto ok = Get("/connz?subs=1");
  ASSERT_TRUE(ok);
  EXPECT_EQ(nlohmann::json::parse(ok->body)["connections"][0]["subscriptions_list"][0], "a.b");
  auto bad = Get("/connz?sort=bogus");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(bad->body, "invalid sorting option: bogus");
}

TEST_F(HttpServerTest, ConnzStateClosedAndAll) {
  auto closed = Get("/connz?state=closed");
  ASSERT_TRUE(closed);
  auto json = nlohmann::json::parse(closed->body);
  ASSERT_EQ(json["total"], 1);
  EXPECT_EQ(json["connections"][0]["cid"], 4);
  EXPECT_EQ(json["connections"][0]["reason"], "TLS Handshake Failure");
  auto all = Get("/connz?state=all");
  ASSERT_TRUE(all);
  EXPECT_EQ(nlohmann::json::parse(all->body)["total"], 2);
  auto open = Get("/connz");
  ASSERT_TRUE(open);
  EXPECT_EQ(nlohmann::json::parse(open->body)["total"], 1);
}

TEST_F(HttpServerTest, JsonpWhenCallbackGiven) {
  auto result = Get("/healthz?callback=cb");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->body, R"(cb({"status":"ok"}))");
}

TEST_F(HttpServerTest, HealthzReportsProblemsWith503) {
  source_.problem = "lame duck mode";
  auto result = Get("/healthz");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 503);
}

TEST_F(HttpServerTest, UnknownAccountIs404) {
  auto result = Get("/accountz?acc=missing");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 404);
}

TEST_F(HttpServerTest, MetricsArePrometheusText) {
  auto result = Get("/metrics");
  ASSERT_TRUE(result);
  EXPECT_NE(result->body.find("lattice_connections 1"), std::string::npos);
}

TEST(HttpServerBindTest, PortInUseIsAnError) {
  FixedSource source;
  HttpServer first(source);
  ASSERT_TRUE(first.Start("127.0.0.1", 0).ok());
  HttpServer second(source);
  EXPECT_FALSE(second.Start("127.0.0.1", first.port()).ok());
}

}  // namespace
}  // namespace lattice::monitor
