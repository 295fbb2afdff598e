// Protocol edge cases e2e: input split at every byte, pedantic subjects, bad publish subjects,
// client -ERR/INFO/+OK, a second CONNECT, bad HPUB sizes, configured max_control_line, ordering.
#include <set>
#include <string>

#include "absl/strings/str_cat.h"

#include "e2e/core/server_test.h"

namespace lattice::e2e {
namespace {

using ProtocolEdgeTest = ServerTest;

std::vector<std::string> Lines(const std::vector<RawOp>& ops) {
  std::vector<std::string> lines;
  for (const RawOp& op : ops) {
    lines.push_back(op.line);
  }
  return lines;
}

// Copies for different subscriptions of one message come in no specified order.
std::multiset<std::string> LineSet(const std::vector<RawOp>& ops) {
  std::vector<std::string> lines = Lines(ops);
  return std::multiset<std::string>(lines.begin(), lines.end());
}

TEST_P(ProtocolEdgeTest, InputSplitIntoSingleBytesIsParsedTheSame) {
  START_SERVER_OR_FAIL(server);
  ASSERT_OK_AND_ASSIGN(auto client, RawClient::Connect(server->port()));
  ASSERT_OK(client->ReadInfo().status());
  const std::string input =
      "CONNECT {\"verbose\":false,\"headers\":true}\r\nSUB a.* q1 1\r\nSUB a.b 2\r\n"
      "PUB a.b reply 5\r\nhello\r\nHPUB a.c 12 14\r\nNATS/1.0\r\n\r\nhi\r\n"
      "UNSUB 2\r\nPUB a.b 0\r\n\r\n";
  for (char byte : input) {
    ASSERT_OK(client->Send(std::string(1, byte)));
  }
  ASSERT_OK_AND_ASSIGN(std::vector<RawOp> ops, client->Sync());
  ASSERT_EQ(ops.size(), 4u) << DescribeOps(ops);
  EXPECT_EQ(LineSet({ops[0], ops[1]}),
            (std::multiset<std::string>{"MSG a.b 1 reply 5", "MSG a.b 2 reply 5"}));
  EXPECT_EQ(ops[0].payload, "hello");
  EXPECT_EQ(ops[1].payload, "hello");
  EXPECT_EQ(ops[2].line, "HMSG a.c 1 12 14");
  EXPECT_EQ(ops[2].payload, "NATS/1.0\r\n\r\nhi");
  EXPECT_EQ(ops[3].line, "MSG a.b 1 0");
  EXPECT_EQ(ops[3].payload, "");
}

TEST_P(ProtocolEdgeTest, PedanticRejectsWildcardPublishButStillDelivers) {
  START_SERVER_OR_FAIL(server);
  ASSERT_OK_AND_ASSIGN(auto client, RawClient::ConnectAndHandshake(
                                        server->port(), R"({"verbose":false,"pedantic":true})"));
  ASSERT_OK(client->Send("SUB foo.> 1\r\nPUB foo.* 1\r\nx\r\n"));
  ASSERT_OK_AND_ASSIGN(std::vector<RawOp> ops, client->Sync());
  EXPECT_EQ(Lines(ops),
            (std::vector<std::string>{"-ERR 'Invalid Publish Subject'", "MSG foo.* 1 1"}));
  EXPECT_FALSE(client->closed());
}

TEST_P(ProtocolEdgeTest, NonPedanticWildcardPublishIsALiteralAndEmptyTokensAreDropped) {
  START_SERVER_OR_FAIL(server);
  ASSERT_OK_AND_ASSIGN(auto client, RawClient::ConnectAndHandshake(server->port()));
  ASSERT_OK(
      client->Send("SUB foo.* 1\r\nSUB > 2\r\nSUB foo.bar 3\r\n"
                   "PUB foo.* 1\r\nx\r\nPUB foo..bar 1\r\ny\r\n"));
  ASSERT_OK_AND_ASSIGN(std::vector<RawOp> ops, client->Sync());
  EXPECT_EQ(LineSet(ops), (std::multiset<std::string>{"MSG foo.* 1 1", "MSG foo.* 2 1"}));
}

TEST_P(ProtocolEdgeTest, ClientInfoAndOkAreIgnoredButClientErrCloses) {
  START_SERVER_OR_FAIL(server);
  ASSERT_OK_AND_ASSIGN(auto client, RawClient::ConnectAndHandshake(server->port()));
  ASSERT_OK(client->Send("INFO {}\r\n+OK\r\n"));
  ASSERT_OK_AND_ASSIGN(std::vector<RawOp> ops, client->Sync());
  EXPECT_TRUE(ops.empty()) << DescribeOps(ops);
  ASSERT_OK(client->Send("-ERR 'client side trouble'\r\n"));
  ASSERT_TRUE(client->WaitClosed());
  EXPECT_TRUE(client->drained().empty()) << DescribeOps(client->drained());
}

TEST_P(ProtocolEdgeTest, SecondConnectChangesOptions) {
  START_SERVER_OR_FAIL(server);
  ASSERT_OK_AND_ASSIGN(auto client, RawClient::ConnectAndHandshake(server->port()));
  ASSERT_OK(client->Send("SUB a 1\r\n"));
  ASSERT_OK_AND_ASSIGN(std::vector<RawOp> ops, client->Sync());
  EXPECT_TRUE(ops.empty()) << DescribeOps(ops);
  ASSERT_OK(client->Send("CONNECT {\"verbose\":true}\r\nSUB b 2\r\n"));
  ASSERT_OK_AND_ASSIGN(ops, client->Sync());
  EXPECT_EQ(Lines(ops), (std::vector<std::string>{"+OK", "+OK"}));
}

TEST_P(ProtocolEdgeTest, HpubHeaderLargerThanTotalClosesSilently) {
  START_SERVER_OR_FAIL(server);
  ASSERT_OK_AND_ASSIGN(auto client, RawClient::ConnectAndHandshake(
                                        server->port(), R"({"verbose":false,"headers":true})"));
  ASSERT_OK(client->Send("HPUB h 20 10\r\n0123456789\r\n"));
  ASSERT_TRUE(client->WaitClosed());
  EXPECT_TRUE(client->drained().empty()) << DescribeOps(client->drained());
}

TEST_P(ProtocolEdgeTest, ConfiguredMaxControlLineIsEnforced) {
  START_SERVER_OR_FAIL(server, {.config_text = "max_control_line: 64\n"});
  ASSERT_OK_AND_ASSIGN(auto client, RawClient::ConnectAndHandshake(server->port()));
  // 60 bytes of arguments fit.
  ASSERT_OK(client->Send("SUB " + std::string(56, 'a') + " 1\r\n"));
  ASSERT_OK_AND_ASSIGN(std::vector<RawOp> ops, client->Sync());
  EXPECT_TRUE(ops.empty()) << DescribeOps(ops);
  ASSERT_OK(client->Send("SUB " + std::string(100, 'b') + " 2\r\n"));
  ASSERT_TRUE(client->WaitClosed());
  EXPECT_EQ(Lines(client->drained()),
            (std::vector<std::string>{"-ERR 'maximum control line exceeded'"}));
}

TEST_P(ProtocolEdgeTest, UnsubWithMaxAlreadyReachedRemovesAtOnce) {
  START_SERVER_OR_FAIL(server);
  ASSERT_OK_AND_ASSIGN(auto client, RawClient::ConnectAndHandshake(server->port()));
  ASSERT_OK(
      client->Send("SUB a 1\r\nPUB a 1\r\nx\r\nPUB a 1\r\ny\r\nUNSUB 1 1\r\nPUB a 1\r\nz\r\n"));
  ASSERT_OK_AND_ASSIGN(std::vector<RawOp> ops, client->Sync());
  EXPECT_EQ(Lines(ops), (std::vector<std::string>{"MSG a 1 1", "MSG a 1 1"}));
}

TEST_P(ProtocolEdgeTest, MessagesFromOnePublisherArriveInOrder) {
  START_SERVER_OR_FAIL(server);
  ASSERT_OK_AND_ASSIGN(auto sub, RawClient::ConnectAndHandshake(server->port()));
  ASSERT_OK_AND_ASSIGN(auto pub, RawClient::ConnectAndHandshake(server->port()));
  ASSERT_OK(sub->Send("SUB seq 1\r\n"));
  ASSERT_OK(sub->Sync().status());
  constexpr int kMessages = 2000;
  std::string batch;
  for (int i = 0; i < kMessages; ++i) {
    std::string body = absl::StrCat(i);
    absl::StrAppend(&batch, "PUB seq ", body.size(), "\r\n", body, "\r\n");
  }
  ASSERT_OK(pub->Send(batch));
  ASSERT_OK(pub->Sync().status());
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_OK_AND_ASSIGN(RawOp op, sub->ReadOp());
    ASSERT_EQ(op.payload, absl::StrCat(i)) << op.line;
  }
  ASSERT_OK_AND_ASSIGN(std::vector<RawOp> rest, sub->Sync());
  EXPECT_TRUE(rest.empty()) << DescribeOps(rest);
}

TEST_P(ProtocolEdgeTest, QueueSubscriberCountsAsAResponder) {
  START_SERVER_OR_FAIL(server);
  ASSERT_OK_AND_ASSIGN(auto worker, RawClient::ConnectAndHandshake(server->port()));
  ASSERT_OK(worker->Send("SUB svc workers 1\r\n"));
  ASSERT_OK(worker->Sync().status());
  ASSERT_OK_AND_ASSIGN(
      auto client, RawClient::ConnectAndHandshake(
                       server->port(), R"({"verbose":false,"headers":true,"no_responders":true})"));
  ASSERT_OK(client->Send("SUB _INBOX.a 9\r\nPUB svc _INBOX.a 1\r\nx\r\n"));
  ASSERT_OK_AND_ASSIGN(std::vector<RawOp> ops, client->Sync());
  EXPECT_TRUE(ops.empty()) << DescribeOps(ops);
  ASSERT_OK_AND_ASSIGN(RawOp request, worker->ReadOp());
  EXPECT_EQ(request.line, "MSG svc 1 _INBOX.a 1");
}

}  // namespace

LATTICE_E2E_INSTANTIATE(ProtocolEdgeTest);

}  // namespace lattice::e2e
