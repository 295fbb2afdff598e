// Authentication and authorization e2e: --user/--pass, --auth token, config-file users with
// permissions (exact violation texts), auth timeout; checked against both servers.
#include <string>

#include "e2e/core/server_test.h"
#include "e2e/harness/nats_client.h"

namespace lattice::e2e {
namespace {

using AuthTest = ServerTest;

constexpr char kUsersConfig[] = R"(
authorization {
  users = [
    {user: admin, password: adminpw}
    {user: limited, password: limitedpw, permissions: {
      publish: {allow: ["allowed.>", "_INBOX.>"], deny: ["allowed.secret"]}
      subscribe: {allow: ["allowed.>", "q v1"], deny: ["allowed.hidden"]}
    }}
  ]
}
)";

// A CONNECT the server accepts: the PING after it is answered and nothing else arrives.
void ExpectAccepted(const ServerProcess& server, const std::string& connect_json) {
  EXPECT_OK(RawClient::ConnectAndHandshake(server.port(), connect_json)) << connect_json;
}

// A CONNECT the server refuses with exactly one Authorization Violation and a close.
void ExpectRejected(const ServerProcess& server, const std::string& connect_json) {
  absl::StatusOr<std::unique_ptr<RawClient>> client = RawClient::Connect(server.port());
  ASSERT_OK(client);
  ASSERT_OK((*client)->ReadInfo());
  ASSERT_OK((*client)->Send("CONNECT " + connect_json + "\r\nPING\r\n"));
  ASSERT_TRUE((*client)->WaitClosed()) << connect_json << " was not closed";
  std::vector<std::string> lines;
  for (const RawOp& op : (*client)->drained()) {
    lines.push_back(op.line);
  }
  EXPECT_EQ(lines, std::vector<std::string>{"-ERR 'Authorization Violation'"}) << connect_json;
}

TEST_P(AuthTest, UserAndPasswordFlags) {
  START_SERVER_OR_FAIL(server, {.args = {"--user", "alice", "--pass", "s3cret"}});
  ExpectAccepted(*server, R"({"verbose":false,"user":"alice","pass":"s3cret"})");
  ExpectRejected(*server, R"({"verbose":false,"user":"alice","pass":"wrong"})");
  ExpectRejected(*server, R"({"verbose":false,"user":"bob","pass":"s3cret"})");
  ExpectRejected(*server, R"({"verbose":false})");
  ExpectRejected(*server, R"({"verbose":false,"auth_token":"s3cret"})");

  // The real client sees the same.
  EXPECT_OK(ConnectNats(server->url(),
                        [](natsOptions* o) { natsOptions_SetUserInfo(o, "alice", "s3cret"); }));
  EXPECT_FALSE(ConnectNats(server->url(), [](natsOptions* o) {
                 natsOptions_SetUserInfo(o, "alice", "nope");
               }).ok());
}

TEST_P(AuthTest, FirstOperationMustBeConnect) {
  START_SERVER_OR_FAIL(server, {.args = {"--user", "alice", "--pass", "s3cret"}});
  ASSERT_OK_AND_ASSIGN(auto client, RawClient::Connect(server->port()));
  ASSERT_OK(client->ReadInfo().status());
  ASSERT_OK(client->Send("SUB foo 1\r\n"));
  ASSERT_TRUE(client->WaitClosed());
  ASSERT_EQ(client->drained().size(), 1u) << DescribeOps(client->drained());
  EXPECT_EQ(client->drained()[0].line, "-ERR 'Authorization Violation'");
}

TEST_P(AuthTest, TokenFlag) {
  START_SERVER_OR_FAIL(server, {.args = {"--auth", "t0ken"}});
  ASSERT_OK_AND_ASSIGN(auto probe, RawClient::Connect(server->port()));
  ASSERT_OK_AND_ASSIGN(nlohmann::json info, probe->ReadInfo());
  EXPECT_EQ(info.value("auth_required", false), true);
  ExpectAccepted(*server, R"({"verbose":false,"auth_token":"t0ken"})");
  ExpectRejected(*server, R"({"verbose":false,"auth_token":"t0ken2"})");
  ExpectRejected(*server, R"({"verbose":false,"user":"t0ken","pass":"t0ken"})");
  EXPECT_OK(ConnectNats(server->url(), [](natsOptions* o) { natsOptions_SetToken(o, "t0ken"); }));
}

TEST_P(AuthTest, ConfigUsersAuthenticate) {
  START_SERVER_OR_FAIL(server, {.config_text = kUsersConfig});
  ExpectAccepted(*server, R"({"verbose":false,"user":"admin","pass":"adminpw"})");
  ExpectAccepted(*server, R"({"verbose":false,"user":"limited","pass":"limitedpw"})");
  ExpectRejected(*server, R"({"verbose":false,"user":"limited","pass":"adminpw"})");
  ExpectRejected(*server, R"({"verbose":false,"user":"nobody","pass":"x"})");
}

TEST_P(AuthTest, PublishPermissionViolationsKeepTheConnection) {
  START_SERVER_OR_FAIL(server, {.config_text = kUsersConfig});
  ASSERT_OK_AND_ASSIGN(
      auto limited,
      RawClient::ConnectAndHandshake(server->port(),
                                     R"({"verbose":false,"user":"limited","pass":"limitedpw"})"));
  ASSERT_OK_AND_ASSIGN(auto admin,
                       RawClient::ConnectAndHandshake(
                           server->port(), R"({"verbose":false,"user":"admin","pass":"adminpw"})"));
  ASSERT_OK(admin->Send("SUB > 1\r\n"));
  ASSERT_OK(admin->Sync().status());

  ASSERT_OK(
      limited->Send("PUB denied.subject 1\r\nx\r\nPUB allowed.secret 1\r\nx\r\n"
                    "PUB allowed.ok 1\r\nx\r\n"));
  ASSERT_OK_AND_ASSIGN(std::vector<RawOp> ops, limited->Sync());
  std::vector<std::string> lines;
  for (const RawOp& op : ops) {
    lines.push_back(op.line);
  }
  EXPECT_EQ(lines, (std::vector<std::string>{
                       "-ERR 'Permissions Violation for Publish to \"denied.subject\"'",
                       "-ERR 'Permissions Violation for Publish to \"allowed.secret\"'"}));
  // Only the allowed publish reached the admin.
  ASSERT_OK_AND_ASSIGN(std::vector<RawOp> admin_ops, admin->Sync());
  ASSERT_EQ(admin_ops.size(), 1u) << DescribeOps(admin_ops);
  EXPECT_EQ(admin_ops[0].line, "MSG allowed.ok 1 1");
}

TEST_P(AuthTest, SubscribePermissionViolationsKeepTheConnection) {
  START_SERVER_OR_FAIL(server, {.config_text = kUsersConfig});
  ASSERT_OK_AND_ASSIGN(
      auto limited,
      RawClient::ConnectAndHandshake(server->port(),
                                     R"({"verbose":false,"user":"limited","pass":"limitedpw"})"));
  ASSERT_OK(
      limited->Send("SUB forbidden 1\r\nSUB q v2 2\r\nSUB q 3\r\nSUB q v1 4\r\n"
                    "SUB allowed.hidden 5\r\nSUB allowed.> 6\r\n"));
  ASSERT_OK_AND_ASSIGN(std::vector<RawOp> ops, limited->Sync());
  std::vector<std::string> lines;
  for (const RawOp& op : ops) {
    lines.push_back(op.line);
  }
  EXPECT_EQ(lines, (std::vector<std::string>{
                       "-ERR 'Permissions Violation for Subscription to \"forbidden\"'",
                       "-ERR 'Permissions Violation for Subscription to \"q\" using queue \"v2\"'",
                       "-ERR 'Permissions Violation for Subscription to \"q\"'",
                       "-ERR 'Permissions Violation for Subscription to \"allowed.hidden\"'"}));

  // The subscribe deny also filters what the allowed wildcard delivers.
  ASSERT_OK_AND_ASSIGN(auto admin,
                       RawClient::ConnectAndHandshake(
                           server->port(), R"({"verbose":false,"user":"admin","pass":"adminpw"})"));
  ASSERT_OK(
      admin->Send("PUB allowed.hidden 1\r\nh\r\nPUB allowed.seen 1\r\ns\r\nPUB q 1\r\nq\r\n"));
  ASSERT_OK(admin->Sync().status());
  ASSERT_OK_AND_ASSIGN(ops, limited->Sync());
  std::multiset<std::string> delivered;
  for (const RawOp& op : ops) {
    delivered.insert(op.line);
  }
  EXPECT_EQ(delivered, (std::multiset<std::string>{"MSG allowed.seen 6 1", "MSG q 4 1"}))
      << DescribeOps(ops);
}

TEST_P(AuthTest, AllowResponsesPermitsOneReplyPerRequest) {
  START_SERVER_OR_FAIL(server, {.config_text = R"(
authorization {
  users = [
    {user: admin, password: adminpw}
    {user: svc, password: svcpw, permissions: {subscribe: "requests", allow_responses: true}}
  ]
}
)"});
  ASSERT_OK_AND_ASSIGN(
      auto svc, RawClient::ConnectAndHandshake(server->port(),
                                               R"({"verbose":false,"user":"svc","pass":"svcpw"})"));
  ASSERT_OK_AND_ASSIGN(auto admin,
                       RawClient::ConnectAndHandshake(
                           server->port(), R"({"verbose":false,"user":"admin","pass":"adminpw"})"));
  ASSERT_OK(svc->Send("SUB requests 1\r\n"));
  ASSERT_OK(svc->Sync().status());
  ASSERT_OK(admin->Send("SUB reply.a 7\r\nPUB requests reply.a 1\r\nq\r\n"));
  ASSERT_OK(admin->Sync().status());
  ASSERT_OK_AND_ASSIGN(RawOp request, svc->ReadOp());
  EXPECT_EQ(request.line, "MSG requests 1 reply.a 1");

  // Publishing anywhere else is denied; the first reply passes, a second one is denied.
  ASSERT_OK(svc->Send("PUB elsewhere 1\r\nx\r\nPUB reply.a 1\r\n1\r\nPUB reply.a 1\r\n2\r\n"));
  ASSERT_OK_AND_ASSIGN(std::vector<RawOp> ops, svc->Sync());
  std::vector<std::string> lines;
  for (const RawOp& op : ops) {
    lines.push_back(op.line);
  }
  EXPECT_EQ(lines,
            (std::vector<std::string>{"-ERR 'Permissions Violation for Publish to \"elsewhere\"'",
                                      "-ERR 'Permissions Violation for Publish to \"reply.a\"'"}));
  ASSERT_OK_AND_ASSIGN(std::vector<RawOp> replies, admin->Sync());
  ASSERT_EQ(replies.size(), 1u) << DescribeOps(replies);
  EXPECT_EQ(replies[0].line, "MSG reply.a 7 1");
  EXPECT_EQ(replies[0].payload, "1");
}

TEST_P(AuthTest, NoAuthUserAdmitsClientsWithoutCredentials) {
  START_SERVER_OR_FAIL(server, {.config_text = R"(
authorization {
  users = [
    {user: guest, password: guestpw, permissions: {publish: "public.>", subscribe: "public.>"}}
    {user: admin, password: adminpw}
  ]
}
no_auth_user: guest
)"});
  ASSERT_OK_AND_ASSIGN(auto anonymous, RawClient::ConnectAndHandshake(server->port()));
  // Treated as the guest user, permissions included.
  ASSERT_OK(
      anonymous->Send("SUB public.news 1\r\nPUB private 1\r\nx\r\nPUB public.news 1\r\ny\r\n"));
  ASSERT_OK_AND_ASSIGN(std::vector<RawOp> ops, anonymous->Sync());
  ASSERT_EQ(ops.size(), 2u) << DescribeOps(ops);
  EXPECT_EQ(ops[0].line, "-ERR 'Permissions Violation for Publish to \"private\"'");
  EXPECT_EQ(ops[1].line, "MSG public.news 1 1");
  // Wrong credentials are still refused rather than mapped to the guest.
  ExpectRejected(*server, R"({"verbose":false,"user":"admin","pass":"wrong"})");
  ExpectAccepted(*server, R"({"verbose":false,"user":"admin","pass":"adminpw"})");
}

TEST_P(AuthTest, SilentClientIsClosedAfterAuthTimeout) {
  START_SERVER_OR_FAIL(server, {.config_text = R"(
authorization {
  user: alice
  password: s3cret
  timeout: 0.5
}
)"});
  ASSERT_OK_AND_ASSIGN(auto client, RawClient::Connect(server->port()));
  ASSERT_OK(client->ReadInfo().status());
  ASSERT_TRUE(client->WaitClosed());
  ASSERT_EQ(client->drained().size(), 1u) << DescribeOps(client->drained());
  EXPECT_EQ(client->drained()[0].line, "-ERR 'Authentication Timeout'");
}

}  // namespace

LATTICE_E2E_INSTANTIATE(AuthTest);

}  // namespace lattice::e2e
