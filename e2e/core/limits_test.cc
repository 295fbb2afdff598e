// Server limits e2e: max_connections, max_subscriptions, max_payload, slow consumers and stale
// connections, with the reference server's exact errors and close behaviour.
#include <string>

#include "absl/strings/str_cat.h"

#include "e2e/core/server_test.h"
#include "e2e/harness/eventually.h"
#include "e2e/harness/net.h"

namespace lattice::e2e {
namespace {

using LimitsTest = ServerTest;

std::vector<std::string> Lines(const std::vector<RawOp>& ops) {
  std::vector<std::string> lines;
  for (const RawOp& op : ops) {
    lines.push_back(op.line);
  }
  return lines;
}

// Reads /varz and returns `field` as an integer (-1 when unavailable).
int64_t VarzField(const ServerProcess& server, const std::string& field) {
  absl::StatusOr<std::string> body =
      HttpGet(server.http_port(), "/varz", std::chrono::milliseconds(2000));
  if (!body.ok()) {
    return -1;
  }
  nlohmann::json varz = nlohmann::json::parse(*body, nullptr, false);
  if (varz.is_discarded() || !varz.contains(field) || !varz[field].is_number_integer()) {
    return -1;
  }
  return varz[field].get<int64_t>();
}

TEST_P(LimitsTest, MaxConnectionsRejectsTheNextClientAfterInfo) {
  START_SERVER_OR_FAIL(server, {.config_text = "max_connections: 2\n"});
  std::vector<std::unique_ptr<RawClient>> held;
  // The harness' readiness probe may still be counted for a moment: retry until admitted.
  for (int i = 0; i < 2; ++i) {
    std::unique_ptr<RawClient> client;
    ASSERT_TRUE(Eventually([&] {
      absl::StatusOr<std::unique_ptr<RawClient>> c = RawClient::ConnectAndHandshake(server->port());
      if (!c.ok()) {
        return false;
      }
      client = *std::move(c);
      return true;
    }));
    held.push_back(std::move(client));
  }
  ASSERT_OK_AND_ASSIGN(auto third, RawClient::Connect(server->port()));
  ASSERT_TRUE(third->WaitClosed());
  ASSERT_EQ(third->drained().size(), 2u) << DescribeOps(third->drained());
  EXPECT_EQ(third->drained()[0].verb, "INFO");
  EXPECT_EQ(third->drained()[1].line, "-ERR 'maximum connections exceeded'");
  // The admitted clients are unaffected.
  EXPECT_OK(held[0]->Sync());
  EXPECT_OK(held[1]->Sync());
}

TEST_P(LimitsTest, MaxSubscriptionsRefusesTheExtraSubButKeepsTheConnection) {
  START_SERVER_OR_FAIL(server, {.config_text = "max_subscriptions: 2\n"});
  ASSERT_OK_AND_ASSIGN(auto client, RawClient::ConnectAndHandshake(server->port()));
  ASSERT_OK(client->Send("SUB a 1\r\nSUB b 2\r\nSUB c 3\r\n"));
  ASSERT_OK_AND_ASSIGN(std::vector<RawOp> ops, client->Sync());
  EXPECT_EQ(Lines(ops), std::vector<std::string>{"-ERR 'maximum subscriptions exceeded'"});
  ASSERT_OK(client->Send("PUB c 1\r\nx\r\nPUB a 1\r\ny\r\n"));
  ASSERT_OK_AND_ASSIGN(ops, client->Sync());
  EXPECT_EQ(Lines(ops), std::vector<std::string>{"MSG a 1 1"});
  // Unsubscribing frees a slot.
  ASSERT_OK(client->Send("UNSUB 2\r\nSUB c 3\r\nPUB c 1\r\nz\r\n"));
  ASSERT_OK_AND_ASSIGN(ops, client->Sync());
  EXPECT_EQ(Lines(ops), std::vector<std::string>{"MSG c 3 1"});
}

TEST_P(LimitsTest, ConfiguredMaxPayloadIsAdvertisedAndEnforced) {
  START_SERVER_OR_FAIL(server, {.config_text = "max_payload: 1024\n"});
  ASSERT_OK_AND_ASSIGN(auto client, RawClient::Connect(server->port()));
  ASSERT_OK_AND_ASSIGN(nlohmann::json info, client->ReadInfo());
  EXPECT_EQ(info.value("max_payload", 0), 1024);
  ASSERT_OK(client->Send("CONNECT {\"verbose\":false}\r\nSUB p 1\r\nPUB p 1024\r\n" +
                         std::string(1024, 'x') + "\r\n"));
  ASSERT_OK_AND_ASSIGN(std::vector<RawOp> ops, client->Sync());
  ASSERT_EQ(ops.size(), 1u) << DescribeOps(ops);
  EXPECT_EQ(ops[0].line, "MSG p 1 1024");
  ASSERT_OK(client->Send("PUB p 1025\r\n"));
  ASSERT_TRUE(client->WaitClosed());
  EXPECT_EQ(Lines(client->drained()), std::vector<std::string>{"-ERR 'Maximum Payload Violation'"});
}

TEST_P(LimitsTest, SlowConsumerIsClosedAndCounted) {
  START_SERVER_OR_FAIL(
      server, {.config_text = "max_payload: 65536\nmax_pending: 262144\nwrite_deadline: \"2s\"\n",
               .monitoring = true});
  ASSERT_OK_AND_ASSIGN(auto slow, RawClient::ConnectAndHandshake(server->port()));
  ASSERT_OK(slow->Send("SUB flood 1\r\n"));
  ASSERT_OK(slow->Sync().status());
  EXPECT_EQ(VarzField(*server, "slow_consumers"), 0);

  ASSERT_OK_AND_ASSIGN(auto publisher, RawClient::ConnectAndHandshake(server->port()));
  const std::string chunk = "PUB flood 65536\r\n" + std::string(65536, 'f') + "\r\n";
  // Publish until the server has given up on the subscriber (bounded: 64 MiB at most).
  bool counted = false;
  for (int i = 0; i < 1024 && !counted; ++i) {
    ASSERT_OK(publisher->Send(chunk));
    if (i % 16 == 15) {
      counted = VarzField(*server, "slow_consumers") >= 1;
    }
  }
  // Counted (nats-server 2.9.10 counts this one connection twice: once for max_pending, once
  // for the write deadline of the flush before closing) and gone from the server's connections.
  EXPECT_TRUE(Eventually([&] { return VarzField(*server, "slow_consumers") >= 1; }));
  EXPECT_TRUE(Eventually([&] { return VarzField(*server, "connections") == 1; }))
      << "connections=" << VarzField(*server, "connections");
  // The subscriber finds its connection closed once it reads what was already sent.
  EXPECT_TRUE(slow->WaitClosed());
  // The publisher is unaffected.
  EXPECT_OK(publisher->Sync());
}

TEST_P(LimitsTest, StaleConnectionIsClosedAfterUnansweredPings) {
  START_SERVER_OR_FAIL(server, {.config_text = "ping_interval: \"200ms\"\nping_max: 1\n"});
  ASSERT_OK_AND_ASSIGN(auto client, RawClient::ConnectAndHandshake(server->port()));
  client->set_auto_pong(false);
  ASSERT_TRUE(client->WaitClosed());
  std::vector<std::string> lines = Lines(client->drained());
  ASSERT_GE(lines.size(), 2u) << DescribeOps(client->drained());
  EXPECT_EQ(lines.back(), "-ERR 'Stale Connection'");
  lines.pop_back();
  for (const std::string& line : lines) {
    EXPECT_EQ(line, "PING");
  }
}

TEST_P(LimitsTest, ClientAnsweringPingsStaysConnected) {
  START_SERVER_OR_FAIL(server, {.config_text = "ping_interval: \"100ms\"\nping_max: 1\n"});
  ASSERT_OK_AND_ASSIGN(auto client, RawClient::ConnectAndHandshake(server->port()));
  // RawClient answers server PINGs while reading. Several intervals pass while it waits for the
  // server PINGs; the connection must stay open throughout.
  int pings = 0;
  client->set_auto_pong(false);
  while (pings < 3) {
    ASSERT_OK_AND_ASSIGN(RawOp op, client->ReadOp());
    ASSERT_EQ(op.line, "PING");
    ++pings;
    ASSERT_OK(client->Send("PONG\r\n"));
  }
  EXPECT_OK(client->Sync());
}

}  // namespace

LATTICE_E2E_INSTANTIATE(LimitsTest);

}  // namespace lattice::e2e
