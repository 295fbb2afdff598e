// Component tests for auth, permissions, keepalive, lame duck and reload on a real Server.
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "dataplane/server/server.h"
#include "dataplane/server/test_client.h"
#include "dataplane/server/work_pool.h"

namespace lattice::server {
namespace {

using testing::Eventually;
using ::testing::HasSubstr;
using testing::RawClient;
using testing::StartServer;
using testing::TestOptions;

options::Options UserPassOptions() {
  options::Options opts = TestOptions();
  opts.username = "alice";
  opts.password = "secret";
  return opts;
}

TEST(ServerAuthTest, InfoAdvertisesAuthAndGoodCredentialsGetIn) {
  auto server = StartServer(UserPassOptions());
  RawClient c(server->port());
  EXPECT_THAT(c.ReadInfo(), HasSubstr("\"auth_required\":true"));
  c.Send(R"(CONNECT {"verbose":false,"user":"alice","pass":"secret"})"
         "\r\nPING\r\n");
  EXPECT_EQ(c.ReadUntil("PONG\r\n"), "PONG\r\n");
  std::vector<ConnectionSnapshot> conns = server->Connections();
  ASSERT_EQ(conns.size(), 1u);
  EXPECT_EQ(conns[0].user, "alice");
}

TEST(ServerAuthTest, BadPasswordIsAuthorizationViolation) {
  auto server = StartServer(UserPassOptions());
  RawClient c(server->port());
  c.ReadInfo();
  c.Send(R"(CONNECT {"verbose":false,"user":"alice","pass":"wrong"})"
         "\r\n");
  std::string rest;
  EXPECT_TRUE(c.WaitForClose(&rest));
  EXPECT_EQ(rest, "-ERR 'Authorization Violation'\r\n");
}

TEST(ServerAuthTest, FirstOpMustBeConnectWhenAuthRequired) {
  auto server = StartServer(UserPassOptions());
  RawClient c(server->port());
  c.ReadInfo();
  c.Send("SUB foo 1\r\n");
  std::string rest;
  EXPECT_TRUE(c.WaitForClose(&rest));
  EXPECT_EQ(rest, "-ERR 'Authorization Violation'\r\n");
}

TEST(ServerAuthTest, AuthTimeoutClosesSilentClient) {
  options::Options opts = UserPassOptions();
  opts.auth_timeout = std::chrono::milliseconds(100);
  auto server = StartServer(opts);
  RawClient c(server->port());
  c.ReadInfo();
  std::string rest;
  EXPECT_TRUE(c.WaitForClose(&rest));
  EXPECT_EQ(rest, "-ERR 'Authentication Timeout'\r\n");
}

TEST(ServerAuthTest, PermissionViolationsKeepConnectionOpen) {
  options::Options opts = TestOptions();
  options::User user;
  user.username = "bob";
  user.password = "pw";
  options::Permissions perms;
  perms.publish.allow = {"allowed.>"};
  perms.subscribe.deny = {"secret.>"};
  user.permissions = perms;
  opts.users.push_back(user);
  auto server = StartServer(opts);
  RawClient c(server->port());
  c.Handshake(R"({"verbose":false,"user":"bob","pass":"pw"})");
  c.Send("PUB denied 1\r\nx\r\nSUB secret.x 1\r\nSUB allowed.> 2\r\nPUB allowed.a 1\r\ny\r\n");
  EXPECT_EQ(c.Sync(),
            "-ERR 'Permissions Violation for Publish to \"denied\"'\r\n"
            "-ERR 'Permissions Violation for Subscription to \"secret.x\"'\r\n"
            "MSG allowed.a 2 1\r\ny\r\n");
}

// bcrypt("s3cret") at cost 4 (fast) and cost 13 (about half a second of CPU).
constexpr char kFastHash[] = "$2b$04$H6PrHha680FwExkFd6gWDOHjEMT8/iqI.CFkpt.cSpsP4xOK1Veyi";

options::Options BcryptOptions(const char* alice_hash) {
  options::Options opts = TestOptions();
  opts.worker_threads = 1;  // one loop: a check on the loop thread would stall everybody
  options::User alice;
  alice.username = "alice";
  alice.password = alice_hash;
  options::User bob;
  bob.username = "bob";
  bob.password = "plain";
  opts.users = {alice, bob};
  return opts;
}

TEST(ServerAuthTest, BcryptConnectChecksOffLoopAndKeepsPipelinedOrder) {
  auto server = StartServer(BcryptOptions(kFastHash));
  RawClient c(server->port());
  c.ReadInfo();
  // Everything in one write: the ops after CONNECT wait in the read buffer for the verdict.
  c.Send(
      "CONNECT {\"verbose\":true,\"user\":\"alice\",\"pass\":\"s3cret\"}\r\n"
      "SUB foo 1\r\nPUB foo 2\r\nhi\r\nPING\r\n");
  EXPECT_EQ(c.ReadUntil("PONG\r\n"), "+OK\r\n+OK\r\n+OK\r\nMSG foo 1 2\r\nhi\r\nPONG\r\n");
}

TEST(ServerAuthTest, BcryptWrongPasswordIsRejected) {
  auto server = StartServer(BcryptOptions(kFastHash));
  RawClient c(server->port());
  c.ReadInfo();
  c.Send("CONNECT {\"verbose\":false,\"user\":\"alice\",\"pass\":\"nope\"}\r\nPING\r\n");
  std::string rest;
  EXPECT_TRUE(c.WaitForClose(&rest));
  EXPECT_EQ(rest, "-ERR 'Authorization Violation'\r\n");
}

TEST(ServerAuthTest, PendingBcryptCheckDoesNotStallOtherClients) {
  options::Options opts = BcryptOptions(kFastHash);
  opts.auth_timeout = std::chrono::seconds(30);  // sanitizer builds check slowly
  auto server = StartServer(opts);
  // Hold every auth-pool thread on a gate, so alice's check is queued for as long as the test
  // decides: no race between a slow hash and bob's handshake.
  WorkPool* pool = server->context().auth_pool();
  ASSERT_NE(pool, nullptr);
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  for (size_t i = 0; i < pool->thread_count(); ++i) {
    pool->Submit([&] {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return open; });
    });
  }
  RawClient slow(server->port());
  slow.ReadInfo();
  slow.Send("CONNECT {\"verbose\":false,\"user\":\"alice\",\"pass\":\"s3cret\"}\r\nPING\r\n");
  // bob (plain password) on the same loop gets through while alice's check waits in the pool;
  // checked inline, bob's handshake could not complete before alice's.
  RawClient fast(server->port());
  fast.Handshake(R"({"verbose":false,"user":"bob","pass":"plain"})");
  EXPECT_EQ(slow.ReadUntil("PONG\r\n", std::chrono::milliseconds(1)), "");  // still gated
  {
    std::lock_guard<std::mutex> lock(mu);
    open = true;
  }
  cv.notify_all();
  EXPECT_EQ(slow.ReadUntil("PONG\r\n", std::chrono::seconds(30)), "PONG\r\n");
}

TEST(ServerAuthTest, ReservedReplyIsRefused) {
  auto server = StartServer();
  RawClient c(server->port());
  c.Handshake();
  c.Send("SUB foo 1\r\nPUB foo _R_.abc 1\r\nx\r\n");
  EXPECT_EQ(c.Sync(), "-ERR 'Permissions Violation for Publish with Reply of \"_R_.abc\"'\r\n");
}

TEST(ServerAuthTest, ReloadChangesCredentials) {
  auto server = StartServer(UserPassOptions());
  RawClient before(server->port());
  before.Handshake(R"({"verbose":false,"user":"alice","pass":"secret"})");
  options::Options next = UserPassOptions();
  next.password = "rotated";
  ASSERT_TRUE(server->Reload(next).ok());
  // The connected client no longer authenticates and is closed silently (nats-server 2.9.10).
  std::string rest;
  EXPECT_TRUE(before.WaitForClose(&rest));
  EXPECT_EQ(rest, "");
  RawClient after(server->port());
  after.Handshake(R"({"verbose":false,"user":"alice","pass":"rotated"})");
  EXPECT_FALSE(after.WaitForClose(nullptr, std::chrono::milliseconds(50)));
}

TEST(ServerKeepaliveTest, StaleConnectionAfterUnansweredPings) {
  options::Options opts = TestOptions();
  opts.ping_interval = std::chrono::milliseconds(50);
  opts.ping_max = 1;
  auto server = StartServer(opts);
  RawClient c(server->port());
  c.Handshake();
  std::string rest;
  EXPECT_TRUE(c.WaitForClose(&rest));
  EXPECT_EQ(rest, "PING\r\n-ERR 'Stale Connection'\r\n");
}

TEST(ServerKeepaliveTest, AnsweredPingsKeepConnectionAlive) {
  options::Options opts = TestOptions();
  opts.ping_interval = std::chrono::milliseconds(20);
  opts.ping_max = 1;
  auto server = StartServer(opts);
  RawClient c(server->port());
  c.Handshake();
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(c.ReadUntil("PING\r\n"), "PING\r\n");
    c.Send("PONG\r\n");
  }
  EXPECT_EQ(c.Sync().find("-ERR"), std::string::npos);
}

TEST(ServerLameDuckTest, ClientsGetLdmInfoThenAreClosed) {
  options::Options opts = TestOptions();
  opts.lame_duck_grace_period = std::chrono::milliseconds(50);
  opts.lame_duck_duration = std::chrono::milliseconds(200);
  auto server = StartServer(opts);
  RawClient c(server->port());
  c.Handshake(R"({"verbose":false,"protocol":1})");
  RawClient old(server->port());
  old.Handshake(R"({"verbose":false,"protocol":0})");
  server->EnterLameDuckMode();
  std::string info = c.ReadUntil("\r\n");
  EXPECT_THAT(info, ::testing::StartsWith("INFO {"));
  EXPECT_THAT(info, HasSubstr("\"ldm\":true"));
  EXPECT_TRUE(server->lame_duck());
  std::string rest;
  EXPECT_TRUE(c.WaitForClose(&rest));
  EXPECT_TRUE(old.WaitForClose(&rest));
  EXPECT_EQ(rest, "");  // protocol-0 clients get no async INFO
  server->WaitForShutdown();
  EXPECT_FALSE(RawClient(server->port()).connected());
}

}  // namespace
}  // namespace lattice::server
