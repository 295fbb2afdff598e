// Monitoring e2e: /varz, /connz, /subsz and /healthz counters and shapes that operators and the
// `nats` CLI read, compared between nats-server and lattice-node.
#include <string>

#include "absl/strings/match.h"

#include "e2e/core/server_test.h"
#include "e2e/harness/eventually.h"
#include "e2e/harness/net.h"

namespace lattice::e2e {
namespace {

using MonitoringTest = ServerTest;

constexpr std::chrono::milliseconds kHttpTimeout{5000};

// GETs `path` and parses it as a JSON object; a discarded json on any failure.
nlohmann::json GetJson(const ServerProcess& server, const std::string& path) {
  absl::StatusOr<std::string> body = HttpGet(server.http_port(), path, kHttpTimeout);
  if (!body.ok()) {
    return nlohmann::json(nlohmann::json::value_t::discarded);
  }
  return nlohmann::json::parse(*body, nullptr, false);
}

int64_t IntField(const nlohmann::json& object, const std::string& key) {
  if (!object.is_object() || !object.contains(key) || !object[key].is_number_integer()) {
    return -1;
  }
  return object[key].get<int64_t>();
}

TEST_P(MonitoringTest, VarzIdentifiesTheServerAndItsLimits) {
  START_SERVER_OR_FAIL(server, {.config_text = "max_payload: 4096\n", .monitoring = true});
  nlohmann::json varz = GetJson(*server, "/varz");
  ASSERT_TRUE(varz.is_object()) << varz;
  ASSERT_OK_AND_ASSIGN(auto client, RawClient::Connect(server->port()));
  ASSERT_OK_AND_ASSIGN(nlohmann::json info, client->ReadInfo());
  EXPECT_EQ(varz.value("server_id", "varz"), info.value("server_id", "info"));
  EXPECT_EQ(IntField(varz, "max_payload"), 4096);
  EXPECT_EQ(IntField(varz, "port"), server->port());
  EXPECT_EQ(IntField(varz, "http_port"), server->http_port());
  EXPECT_TRUE(varz.contains("version") && varz["version"].is_string()) << varz;
  EXPECT_TRUE(varz.contains("now") && varz["now"].is_string()) << varz;
}

TEST_P(MonitoringTest, VarzCountsMessagesBytesAndConnections) {
  START_SERVER_OR_FAIL(server, {.monitoring = true});
  // nats-server counts its own internal ($SYS) subscriptions too: compare against a baseline.
  const int64_t base_subs = IntField(GetJson(*server, "/varz"), "subscriptions");
  ASSERT_GE(base_subs, 0);
  ASSERT_OK_AND_ASSIGN(auto a, RawClient::ConnectAndHandshake(server->port()));
  ASSERT_OK_AND_ASSIGN(auto b, RawClient::ConnectAndHandshake(server->port()));
  ASSERT_OK(a->Send("SUB m 1\r\n"));
  ASSERT_OK(b->Send("SUB m 1\r\nSUB other 2\r\n"));
  ASSERT_OK(a->Sync().status());
  ASSERT_OK(b->Sync().status());
  ASSERT_OK(a->Send("PUB m 5\r\nhello\r\nPUB m 5\r\nworld\r\nPUB nobody 3\r\nabc\r\n"));
  ASSERT_OK(a->Sync().status());
  ASSERT_OK(b->Sync().status());
  nlohmann::json varz;
  // Counters may be published by the server a moment after the messages flow.
  EXPECT_TRUE(Eventually([&] {
    varz = GetJson(*server, "/varz");
    return IntField(varz, "in_msgs") == 3 && IntField(varz, "out_msgs") == 4;
  })) << varz;
  EXPECT_EQ(IntField(varz, "in_bytes"), 13);
  EXPECT_EQ(IntField(varz, "out_bytes"), 20);
  EXPECT_EQ(IntField(varz, "connections"), 2);
  EXPECT_EQ(IntField(varz, "subscriptions"), base_subs + 3);
  EXPECT_EQ(IntField(varz, "slow_consumers"), 0);
}

TEST_P(MonitoringTest, ConnzListsClientsWithTheirCounters) {
  START_SERVER_OR_FAIL(server, {.monitoring = true});
  ASSERT_OK_AND_ASSIGN(
      auto named, RawClient::ConnectAndHandshake(
                      server->port(), R"({"verbose":false,"name":"probe-client","lang":"raw"})"));
  ASSERT_OK(named->Send("SUB c1 1\r\nSUB c2 2\r\nPUB c1 2\r\nhi\r\n"));
  ASSERT_OK(named->Sync().status());
  nlohmann::json connz;
  ASSERT_TRUE(Eventually([&] {
    connz = GetJson(*server, "/connz");
    return IntField(connz, "num_connections") == 1 && connz.contains("connections") &&
           connz["connections"].is_array() && connz["connections"].size() == 1 &&
           IntField(connz["connections"][0], "in_msgs") == 1;
  })) << connz;
  const nlohmann::json& conn = connz["connections"][0];
  EXPECT_EQ(conn.value("name", ""), "probe-client");
  EXPECT_EQ(conn.value("lang", ""), "raw");
  EXPECT_EQ(conn.value("ip", ""), "127.0.0.1");
  EXPECT_EQ(IntField(conn, "subscriptions"), 2);
  EXPECT_EQ(IntField(conn, "out_msgs"), 1);
  EXPECT_EQ(IntField(conn, "in_bytes"), 2);
  EXPECT_GT(IntField(conn, "cid"), 0);
  EXPECT_EQ(IntField(connz, "total"), 1);
}

TEST_P(MonitoringTest, SubszCountsSubscriptions) {
  START_SERVER_OR_FAIL(server, {.monitoring = true});
  const int64_t base = IntField(GetJson(*server, "/subsz"), "num_subscriptions");
  ASSERT_GE(base, 0);
  ASSERT_OK_AND_ASSIGN(auto client, RawClient::ConnectAndHandshake(server->port()));
  ASSERT_OK(client->Send("SUB s.1 1\r\nSUB s.* 2\r\nSUB s.> q 3\r\n"));
  ASSERT_OK(client->Sync().status());
  nlohmann::json subsz;
  EXPECT_TRUE(Eventually([&] {
    subsz = GetJson(*server, "/subsz");
    return IntField(subsz, "num_subscriptions") == base + 3;
  })) << subsz;
  ASSERT_OK(client->Send("UNSUB 2\r\n"));
  ASSERT_OK(client->Sync().status());
  EXPECT_TRUE(Eventually([&] {
    subsz = GetJson(*server, "/subsz");
    return IntField(subsz, "num_subscriptions") == base + 2;
  })) << subsz;
}

TEST_P(MonitoringTest, HealthzIsOk) {
  START_SERVER_OR_FAIL(server, {.monitoring = true});
  nlohmann::json health = GetJson(*server, "/healthz");
  ASSERT_TRUE(health.is_object()) << health;
  EXPECT_EQ(health.value("status", ""), "ok");
}

TEST_P(MonitoringTest, UnknownPathIsNotFound) {
  START_SERVER_OR_FAIL(server, {.monitoring = true});
  absl::StatusOr<std::string> body = HttpGet(server->http_port(), "/nonexistent", kHttpTimeout);
  EXPECT_FALSE(body.ok());
  EXPECT_TRUE(absl::StrContains(body.status().message(), "404")) << body.status();
}

}  // namespace

LATTICE_E2E_INSTANTIATE(MonitoringTest);

}  // namespace lattice::e2e
