// Tests of the system-account JSON shapes (keys, order, omitted fields) and request filters.
#include "dataplane/server/system_events_json.h"

#include <set>

#include "nlohmann/json.hpp"
#include <gtest/gtest.h>

namespace lattice::server {
namespace {

using Json = nlohmann::ordered_json;

EventServerInfo Server() {
  EventServerInfo s;
  s.name = "n1";
  s.host = "127.0.0.1";
  s.id = "NID";
  s.version = "2.9.10";
  s.seq = 7;
  s.time = EventTime(std::chrono::seconds(1700000000));
  return s;
}

std::vector<std::string> Keys(const Json& json) {
  std::vector<std::string> keys;
  for (auto it = json.begin(); it != json.end(); ++it) {
    keys.push_back(it.key());
  }
  return keys;
}

TEST(SystemEventsJsonTest, ConnectEventHasNatsServerKeysInOrder) {
  EventClientInfo c;
  c.start = EventTime(std::chrono::seconds(1700000000));
  c.host = "127.0.0.1";
  c.id = 5;
  c.account = "A";
  c.user = "a";
  c.lang = "C";
  c.version = "3.6.1";
  Json json = Json::parse(ConnectEventJson("EID", Server(), c));
  EXPECT_EQ(Keys(json), (std::vector<std::string>{"type", "id", "timestamp", "server", "client"}));
  EXPECT_EQ(json["type"], "io.nats.server.advisory.v1.client_connect");
  EXPECT_EQ(Keys(json["server"]),
            (std::vector<std::string>{"name", "host", "id", "ver", "seq", "jetstream", "time"}));
  EXPECT_EQ(json["server"]["seq"], 7);
  EXPECT_EQ(json["server"]["time"], "2023-11-14T22:13:20Z");
  // name is empty: left out; no rtt or stop on connect.
  EXPECT_EQ(Keys(json["client"]), (std::vector<std::string>{"start", "host", "id", "acc", "user",
                                                            "lang", "ver", "kind", "client_type"}));
  EXPECT_EQ(json["client"]["kind"], "Client");
  EXPECT_EQ(json["client"]["client_type"], "nats");
}

TEST(SystemEventsJsonTest, DisconnectEventCarriesStatsReasonStopAndRtt) {
  EventClientInfo c;
  c.account = "A";
  c.id = 9;
  c.rtt = std::chrono::microseconds(250);
  c.stopped = true;
  c.stop = EventTime(std::chrono::seconds(1700000001));
  Json json =
      Json::parse(DisconnectEventJson("EID", Server(), c, {3, 30}, {4, 40}, "Client Closed"));
  EXPECT_EQ(Keys(json), (std::vector<std::string>{"type", "id", "timestamp", "server", "client",
                                                  "sent", "received", "reason"}));
  EXPECT_EQ(json["type"], "io.nats.server.advisory.v1.client_disconnect");
  EXPECT_EQ(json["sent"], Json({{"msgs", 3}, {"bytes", 30}}));
  EXPECT_EQ(json["received"]["msgs"], 4);
  EXPECT_EQ(json["reason"], "Client Closed");
  EXPECT_EQ(json["client"]["rtt"], 250000);  // Go's time.Duration: nanoseconds
  EXPECT_EQ(json["client"]["stop"], "2023-11-14T22:13:21Z");
}

TEST(SystemEventsJsonTest, AccountConnsAndStatzShapes) {
  AccountStat stat;
  stat.account = "A";
  stat.conns = 2;
  stat.sent = {5, 50};
  Json conns = Json::parse(AccountConnsEventJson("EID", Server(), stat));
  EXPECT_EQ(Keys(conns), (std::vector<std::string>{"type", "id", "timestamp", "server", "acc",
                                                   "conns", "leafnodes", "total_conns", "sent",
                                                   "received", "slow_consumers"}));
  EXPECT_EQ(conns["type"], "io.nats.server.advisory.v1.account_connections");
  EXPECT_EQ(conns["total_conns"], 2);

  Json statz = Json::parse(
      AccountStatzJson("NID", EventTime(std::chrono::seconds(1700000000)), {stat, stat}));
  EXPECT_EQ(Keys(statz), (std::vector<std::string>{"server_id", "now", "account_statz"}));
  EXPECT_EQ(statz["account_statz"].size(), 2u);
  EXPECT_EQ(statz["account_statz"][0]["acc"], "A");
}

TEST(SystemEventsJsonTest, StatszShape) {
  StatszStats stats;
  stats.connections = 3;
  stats.received = {10, 100};
  Json json = Json::parse(StatszJson(Server(), stats));
  EXPECT_EQ(Keys(json), (std::vector<std::string>{"server", "statsz"}));
  EXPECT_EQ(Keys(json["statsz"]),
            (std::vector<std::string>{"start", "mem", "cores", "cpu", "connections",
                                      "total_connections", "active_accounts", "subscriptions",
                                      "sent", "received", "slow_consumers", "active_servers"}));
  EXPECT_EQ(json["statsz"]["connections"], 3);
  EXPECT_EQ(json["statsz"]["received"]["bytes"], 100);
}

TEST(SystemEventsJsonTest, ApiEnvelope) {
  Json ok = Json::parse(ApiResponseJson(Server(), R"({"x":1})"));
  EXPECT_EQ(Keys(ok), (std::vector<std::string>{"server", "data"}));
  EXPECT_EQ(ok["data"]["x"], 1);
  Json error = Json::parse(ApiErrorJson(Server(), 400, "bad \xff body"));
  EXPECT_EQ(Keys(error), (std::vector<std::string>{"server", "error"}));
  EXPECT_EQ(error["error"]["code"], 400);
  EXPECT_TRUE(error["error"]["description"].is_string());
}

TEST(SystemEventsJsonTest, EventIdsAreNuidLike) {
  std::set<std::string> ids;
  for (int i = 0; i < 100; ++i) {
    std::string id = NewEventId();
    ASSERT_EQ(id.size(), 22u);
    for (char c : id) {
      ASSERT_TRUE(std::isalnum(static_cast<unsigned char>(c))) << id;
    }
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 100u);
}

TEST(SystemEventsJsonTest, FilterMatchesNameAndHostBySubstring) {
  auto filter = ParseEventFilter(R"({"server_name":"n1","host":"127.0"})");
  ASSERT_TRUE(filter.ok());
  EXPECT_FALSE(FilterExcludes(*filter, "n1", "127.0.0.1"));
  EXPECT_TRUE(FilterExcludes(*filter, "other", "127.0.0.1"));
  EXPECT_TRUE(FilterExcludes(*filter, "n1", "10.0.0.1"));
  auto cluster = ParseEventFilter(R"({"cluster":"east"})");
  ASSERT_TRUE(cluster.ok());
  EXPECT_TRUE(FilterExcludes(*cluster, "n1", "h"));  // no cluster here
  auto none = ParseEventFilter("");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(FilterExcludes(*none, "n1", "h"));
}

TEST(SystemEventsJsonTest, BadBodiesAreErrors) {
  EXPECT_FALSE(ParseEventFilter("{").ok());
  EXPECT_FALSE(ParseEventFilter("\"str\"").ok());
  EXPECT_FALSE(ParseEventFilter(R"({"tags":"x"})").ok());
  EXPECT_FALSE(ParseEventFilter(R"({"tags":[1]})").ok());
  EXPECT_FALSE(ParseEventFilter(R"({"server_name":5})").ok());
  auto statz = ParseAccountStatzRequest(R"({"accounts":["A","B"],"include_unused":true})");
  ASSERT_TRUE(statz.ok());
  EXPECT_EQ(statz->accounts, (std::vector<std::string>{"A", "B"}));
  EXPECT_TRUE(statz->include_unused);
  EXPECT_FALSE(ParseAccountStatzRequest(R"({"include_unused":"yes"})").ok());
}

}  // namespace
}  // namespace lattice::server
