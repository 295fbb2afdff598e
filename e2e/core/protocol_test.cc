// Client protocol e2e: INFO, CONNECT, PING/PONG, verb parsing and the exact -ERR texts and
// close-or-not behaviour of nats-server 2.9.10, checked with a raw socket against both servers.
#include <string>

#include "absl/strings/match.h"

#include "e2e/core/server_test.h"

namespace lattice::e2e {
namespace {

using ProtocolTest = ServerTest;

// Expects the server to send exactly one -ERR with `text` and then close the connection.
void ExpectErrThenClose(RawClient& client, const std::string& text) {
  ASSERT_TRUE(client.WaitClosed()) << "server kept the connection open";
  std::vector<std::string> errs;
  for (const RawOp& op : client.drained()) {
    if (op.verb == "-ERR") {
      errs.push_back(op.line);
    }
  }
  EXPECT_EQ(errs, std::vector<std::string>{"-ERR '" + text + "'"}) << DescribeOps(client.drained());
}

// Expects the server to close the connection without any -ERR.
void ExpectSilentClose(RawClient& client) {
  ASSERT_TRUE(client.WaitClosed()) << "server kept the connection open";
  for (const RawOp& op : client.drained()) {
    EXPECT_NE(op.verb, "-ERR") << op.line;
  }
}

// Sends `input` on a fresh handshaken connection and returns it.
std::unique_ptr<RawClient> SendOnFreshConnection(const ServerProcess& server,
                                                 const std::string& input) {
  absl::StatusOr<std::unique_ptr<RawClient>> client = RawClient::ConnectAndHandshake(server.port());
  EXPECT_OK(client);
  if (!client.ok()) {
    return nullptr;
  }
  EXPECT_OK((*client)->Send(input));
  return *std::move(client);
}

TEST_P(ProtocolTest, InfoCarriesTheFieldsClientsNeed) {
  START_SERVER_OR_FAIL(server);
  ASSERT_OK_AND_ASSIGN(auto client, RawClient::Connect(server->port()));
  ASSERT_OK_AND_ASSIGN(nlohmann::json info, client->ReadInfo());
  EXPECT_TRUE(absl::StartsWith(client->info_line(), "INFO {"));
  EXPECT_TRUE(absl::EndsWith(client->info_line(), "} \r\n")) << client->info_line();
  ASSERT_TRUE(info.contains("server_id") && info["server_id"].is_string()) << info;
  EXPECT_FALSE(info["server_id"].get<std::string>().empty());
  ASSERT_TRUE(info.contains("version") && info["version"].is_string()) << info;
  EXPECT_EQ(info.value("proto", -1), 1);
  EXPECT_EQ(info.value("headers", false), true);
  EXPECT_EQ(info.value("max_payload", 0), 1048576);
  EXPECT_EQ(info.value("port", 0), server->port());
  EXPECT_EQ(info.value("host", ""), "127.0.0.1");
  ASSERT_TRUE(info.contains("client_id") && info["client_id"].is_number_unsigned()) << info;
  EXPECT_GT(info["client_id"].get<uint64_t>(), 0u);
  EXPECT_EQ(info.value("client_ip", ""), "127.0.0.1");
  EXPECT_FALSE(info.contains("auth_required")) << info;
  EXPECT_FALSE(info.contains("tls_required")) << info;

  // Each connection gets its own client_id.
  ASSERT_OK_AND_ASSIGN(auto second, RawClient::Connect(server->port()));
  ASSERT_OK_AND_ASSIGN(nlohmann::json second_info, second->ReadInfo());
  EXPECT_NE(second_info.value("client_id", 0), info.value("client_id", 0));
  EXPECT_EQ(second_info.value("server_id", ""), info.value("server_id", ""));
}

TEST_P(ProtocolTest, InfoSaysAuthRequiredWhenAuthIsConfigured) {
  START_SERVER_OR_FAIL(server, {.args = {"--user", "alice", "--pass", "secret"}});
  ASSERT_OK_AND_ASSIGN(auto client, RawClient::Connect(server->port()));
  ASSERT_OK_AND_ASSIGN(nlohmann::json info, client->ReadInfo());
  EXPECT_EQ(info.value("auth_required", false), true) << info;
}

TEST_P(ProtocolTest, EmptyConnectDefaultsToVerbose) {
  START_SERVER_OR_FAIL(server);
  ASSERT_OK_AND_ASSIGN(auto client, RawClient::Connect(server->port()));
  ASSERT_OK(client->ReadInfo().status());
  ASSERT_OK(client->Send("CONNECT {}\r\n"));
  ASSERT_OK_AND_ASSIGN(RawOp op, client->ReadOp());
  EXPECT_EQ(op.line, "+OK");
}

TEST_P(ProtocolTest, VerboseAcknowledgesEveryOperation) {
  START_SERVER_OR_FAIL(server);
  ASSERT_OK_AND_ASSIGN(auto client, RawClient::Connect(server->port()));
  ASSERT_OK(client->ReadInfo().status());
  ASSERT_OK(client->Send(
      "CONNECT {\"verbose\":true}\r\nSUB foo 1\r\nPUB foo 2\r\nhi\r\nUNSUB 1\r\nUNSUB 99\r\n"));
  ASSERT_OK_AND_ASSIGN(std::vector<RawOp> ops, client->Sync());
  std::vector<std::string> lines;
  for (const RawOp& op : ops) {
    lines.push_back(op.line);
  }
  EXPECT_EQ(lines, (std::vector<std::string>{"+OK", "+OK", "+OK", "MSG foo 1 2", "+OK", "+OK"}));
}

TEST_P(ProtocolTest, PingBeforeConnectGetsPong) {
  START_SERVER_OR_FAIL(server);
  ASSERT_OK_AND_ASSIGN(auto client, RawClient::Connect(server->port()));
  ASSERT_OK(client->ReadInfo().status());
  ASSERT_OK_AND_ASSIGN(std::vector<RawOp> before_pong, client->Sync());
  EXPECT_TRUE(before_pong.empty()) << DescribeOps(before_pong);
}

TEST_P(ProtocolTest, VerbsAreCaseInsensitiveAndWhitespaceTolerant) {
  START_SERVER_OR_FAIL(server);
  ASSERT_OK_AND_ASSIGN(auto client, RawClient::Connect(server->port()));
  ASSERT_OK(client->ReadInfo().status());
  ASSERT_OK(
      client->Send("connect {\"verbose\":false}\r\nsub foo 1\r\nSuB  bar\t 2\r\n"
                   "pub foo 2\r\nhi\r\nPUB  bar   5 \r\nhello\r\npub foo 1\nx\r\n"));
  ASSERT_OK_AND_ASSIGN(std::vector<RawOp> ops, client->Sync());
  ASSERT_EQ(ops.size(), 3u) << DescribeOps(ops);
  EXPECT_EQ(ops[0].line, "MSG foo 1 2");
  EXPECT_EQ(ops[0].payload, "hi");
  EXPECT_EQ(ops[1].line, "MSG bar 2 5");
  EXPECT_EQ(ops[1].payload, "hello");
  EXPECT_EQ(ops[2].line, "MSG foo 1 1");
  EXPECT_EQ(ops[2].payload, "x");
}

TEST_P(ProtocolTest, UnknownOperationIsAnErrorAndCloses) {
  START_SERVER_OR_FAIL(server);
  auto client = SendOnFreshConnection(*server, "FOO bar\r\n");
  ASSERT_NE(client, nullptr);
  ExpectErrThenClose(*client, "Unknown Protocol Operation");
}

TEST_P(ProtocolTest, PubWithoutArgumentsIsUnknownOperation) {
  START_SERVER_OR_FAIL(server);
  auto client = SendOnFreshConnection(*server, "PUB\r\n");
  ASSERT_NE(client, nullptr);
  ExpectErrThenClose(*client, "Unknown Protocol Operation");
}

TEST_P(ProtocolTest, ControlLineTooLongIsAnErrorAndCloses) {
  START_SERVER_OR_FAIL(server);
  auto client = SendOnFreshConnection(*server, "SUB " + std::string(5000, 'a') + " 1\r\n");
  ASSERT_NE(client, nullptr);
  ExpectErrThenClose(*client, "maximum control line exceeded");
}

TEST_P(ProtocolTest, PayloadOverMaxPayloadIsAnErrorAndCloses) {
  START_SERVER_OR_FAIL(server);
  auto client = SendOnFreshConnection(*server, "PUB foo 1048577\r\n");
  ASSERT_NE(client, nullptr);
  ExpectErrThenClose(*client, "Maximum Payload Violation");
}

TEST_P(ProtocolTest, PayloadNotFollowedByCrlfIsAnErrorAndCloses) {
  START_SERVER_OR_FAIL(server);
  auto client = SendOnFreshConnection(*server, "PUB foo 3\r\nabcd\r\n");
  ASSERT_NE(client, nullptr);
  ExpectErrThenClose(*client, "Unknown Protocol Operation");
}

TEST_P(ProtocolTest, NonNumericPayloadSizeClosesSilently) {
  START_SERVER_OR_FAIL(server);
  auto client = SendOnFreshConnection(*server, "PUB foo x\r\n");
  ASSERT_NE(client, nullptr);
  ExpectSilentClose(*client);
}

TEST_P(ProtocolTest, TooManySubArgumentsClosesSilently) {
  START_SERVER_OR_FAIL(server);
  auto client = SendOnFreshConnection(*server, "SUB a 10 extra 11\r\n");
  ASSERT_NE(client, nullptr);
  ExpectSilentClose(*client);
}

TEST_P(ProtocolTest, InvalidSubscribeSubjectIsAnErrorButKeepsTheConnection) {
  START_SERVER_OR_FAIL(server);
  ASSERT_OK_AND_ASSIGN(auto client, RawClient::ConnectAndHandshake(server->port()));
  for (const char* subject : {"foo..bar", ".foo", "foo.", "foo.>.bar"}) {
    ASSERT_OK(client->Send(std::string("SUB ") + subject + " 1\r\n"));
    ASSERT_OK_AND_ASSIGN(std::vector<RawOp> ops, client->Sync());
    ASSERT_EQ(ops.size(), 1u) << subject << ": " << DescribeOps(ops);
    EXPECT_EQ(ops[0].line, "-ERR 'Invalid Subject'") << subject;
  }
  // Still usable: a valid subscription works afterwards.
  ASSERT_OK(client->Send("SUB ok 2\r\nPUB ok 1\r\nx\r\n"));
  ASSERT_OK_AND_ASSIGN(std::vector<RawOp> ops, client->Sync());
  ASSERT_EQ(ops.size(), 1u) << DescribeOps(ops);
  EXPECT_EQ(ops[0].line, "MSG ok 2 1");
}

TEST_P(ProtocolTest, InvalidProtocolNumberIsAnErrorAndCloses) {
  START_SERVER_OR_FAIL(server);
  ASSERT_OK_AND_ASSIGN(auto client, RawClient::Connect(server->port()));
  ASSERT_OK(client->ReadInfo().status());
  ASSERT_OK(client->Send("CONNECT {\"verbose\":false,\"protocol\":2}\r\n"));
  ExpectErrThenClose(*client, "invalid client protocol");
}

TEST_P(ProtocolTest, NoRespondersWithoutHeadersIsAnErrorAndCloses) {
  START_SERVER_OR_FAIL(server);
  ASSERT_OK_AND_ASSIGN(auto client, RawClient::Connect(server->port()));
  ASSERT_OK(client->ReadInfo().status());
  ASSERT_OK(client->Send("CONNECT {\"verbose\":false,\"no_responders\":true}\r\n"));
  ExpectErrThenClose(*client, "no responders requires headers support");
}

TEST_P(ProtocolTest, MalformedConnectJsonClosesSilently) {
  START_SERVER_OR_FAIL(server);
  ASSERT_OK_AND_ASSIGN(auto client, RawClient::Connect(server->port()));
  ASSERT_OK(client->ReadInfo().status());
  ASSERT_OK(client->Send("CONNECT {\"verbose\":\r\n"));
  ExpectSilentClose(*client);
}

TEST_P(ProtocolTest, NoRespondersSendsExact503ToTheRequester) {
  START_SERVER_OR_FAIL(server);
  ASSERT_OK_AND_ASSIGN(
      auto client, RawClient::ConnectAndHandshake(
                       server->port(), R"({"verbose":false,"headers":true,"no_responders":true})"));
  ASSERT_OK(client->Send("SUB _INBOX.r1 7\r\nPUB nobody.home _INBOX.r1 2\r\nhi\r\nPING\r\n"));
  // Exact bytes: read raw until the PONG.
  ASSERT_OK_AND_ASSIGN(std::vector<RawOp> ops, client->ReadUntil("PONG"));
  ASSERT_EQ(ops.size(), 2u) << DescribeOps(ops);
  EXPECT_EQ(ops[0].line, "HMSG _INBOX.r1 7 16 16");
  EXPECT_EQ(ops[0].payload, "NATS/1.0 503\r\n\r\n");
}

TEST_P(ProtocolTest, HeadersAreDeliveredAsHmsgAndStrippedForHeaderlessClients) {
  START_SERVER_OR_FAIL(server);
  ASSERT_OK_AND_ASSIGN(
      auto with_headers,
      RawClient::ConnectAndHandshake(server->port(), R"({"verbose":false,"headers":true})"));
  ASSERT_OK_AND_ASSIGN(auto without_headers, RawClient::ConnectAndHandshake(server->port()));
  ASSERT_OK(with_headers->Send("SUB h 1\r\n"));
  ASSERT_OK(without_headers->Send("SUB h 2\r\n"));
  ASSERT_OK(with_headers->Sync().status());
  ASSERT_OK(without_headers->Sync().status());
  const std::string hdr = "NATS/1.0\r\nK: v\r\n\r\n";  // 18 bytes
  ASSERT_OK(with_headers->Send("HPUB h reply " + std::to_string(hdr.size()) + " " +
                               std::to_string(hdr.size() + 5) + "\r\n" + hdr + "hello\r\n"));
  ASSERT_OK_AND_ASSIGN(RawOp hmsg, with_headers->ReadOp());
  EXPECT_EQ(hmsg.line, "HMSG h 1 reply 18 23");
  EXPECT_EQ(hmsg.payload, hdr + "hello");
  ASSERT_OK_AND_ASSIGN(RawOp msg, without_headers->ReadOp());
  EXPECT_EQ(msg.line, "MSG h 2 reply 5");
  EXPECT_EQ(msg.payload, "hello");
}

TEST_P(ProtocolTest, HpubWithoutNegotiatedHeadersClosesSilently) {
  START_SERVER_OR_FAIL(server);
  auto client = SendOnFreshConnection(*server, "HPUB h 12 14\r\nNATS/1.0\r\n\r\nhi\r\n");
  ASSERT_NE(client, nullptr);
  ExpectSilentClose(*client);
}

TEST_P(ProtocolTest, EveryMatchingSubscriptionGetsACopyAndDuplicateSidsAreIgnored) {
  START_SERVER_OR_FAIL(server);
  ASSERT_OK_AND_ASSIGN(auto client, RawClient::ConnectAndHandshake(server->port()));
  ASSERT_OK(
      client->Send("SUB foo.* 1\r\nSUB foo.> 2\r\nSUB > 3\r\nSUB foo.bar 4\r\n"
                   "SUB other 4\r\nSUB foo.b* 5\r\nPUB foo.bar 1\r\nx\r\n"));
  ASSERT_OK_AND_ASSIGN(std::vector<RawOp> ops, client->Sync());
  std::multiset<std::string> lines;
  for (const RawOp& op : ops) {
    lines.insert(op.line);
  }
  EXPECT_EQ(lines, (std::multiset<std::string>{"MSG foo.bar 1 1", "MSG foo.bar 2 1",
                                               "MSG foo.bar 3 1", "MSG foo.bar 4 1"}))
      << DescribeOps(ops);
  // The literal token "b*" only matches itself.
  ASSERT_OK(client->Send("PUB foo.b* 1\r\ny\r\n"));
  ASSERT_OK_AND_ASSIGN(ops, client->Sync());
  lines.clear();
  for (const RawOp& op : ops) {
    lines.insert(op.line);
  }
  EXPECT_EQ(lines, (std::multiset<std::string>{"MSG foo.b* 1 1", "MSG foo.b* 2 1", "MSG foo.b* 3 1",
                                               "MSG foo.b* 5 1"}))
      << DescribeOps(ops);
}

TEST_P(ProtocolTest, UnsubWithMaxStopsAfterThatManyMessages) {
  START_SERVER_OR_FAIL(server);
  ASSERT_OK_AND_ASSIGN(auto client, RawClient::ConnectAndHandshake(server->port()));
  ASSERT_OK(client->Send("SUB a 1\r\nUNSUB 1 2\r\n"));
  for (int i = 0; i < 4; ++i) {
    ASSERT_OK(client->Send("PUB a 1\r\nx\r\n"));
  }
  ASSERT_OK_AND_ASSIGN(std::vector<RawOp> ops, client->Sync());
  EXPECT_EQ(ops.size(), 2u) << DescribeOps(ops);
}

TEST_P(ProtocolTest, EchoOffSuppressesOwnMessages) {
  START_SERVER_OR_FAIL(server);
  ASSERT_OK_AND_ASSIGN(auto quiet, RawClient::ConnectAndHandshake(
                                       server->port(), R"({"verbose":false,"echo":false})"));
  ASSERT_OK_AND_ASSIGN(auto other, RawClient::ConnectAndHandshake(server->port()));
  ASSERT_OK(other->Send("SUB e 1\r\n"));
  ASSERT_OK(other->Sync().status());
  ASSERT_OK(quiet->Send("SUB e 1\r\nPUB e 1\r\nx\r\n"));
  ASSERT_OK_AND_ASSIGN(std::vector<RawOp> own, quiet->Sync());
  EXPECT_TRUE(own.empty()) << DescribeOps(own);
  ASSERT_OK_AND_ASSIGN(RawOp msg, other->ReadOp());
  EXPECT_EQ(msg.line, "MSG e 1 1");
}

}  // namespace

LATTICE_E2E_INSTANTIATE(ProtocolTest);

}  // namespace lattice::e2e
