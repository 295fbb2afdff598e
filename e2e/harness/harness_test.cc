// Tests of the e2e harness itself, run against the reference nats-server.
#include <signal.h>
#include <sys/wait.h>

#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

#include "e2e/harness/eventually.h"
#include "e2e/harness/net.h"
#include "e2e/harness/raw_client.h"
#include "e2e/harness/server_process.h"
#include "e2e/harness/status_matchers.h"

namespace lattice::e2e {
namespace {

TEST(NetTest, FreePortReturnsBindablePort) {
  ASSERT_OK_AND_ASSIGN(int port, FreePort());
  EXPECT_GT(port, 0);
  EXPECT_LT(port, 65536);
  EXPECT_FALSE(WaitForTcp(port, std::chrono::milliseconds(0)));
}

TEST(NetTest, TempDirsAreDistinct) {
  ASSERT_OK_AND_ASSIGN(std::string a, MakeTempDir("harness"));
  ASSERT_OK_AND_ASSIGN(std::string b, MakeTempDir("harness"));
  EXPECT_NE(a, b);
  ASSERT_OK(WriteFile(a + "/f", "contents"));
  EXPECT_EQ(ReadFileOrEmpty(a + "/f"), "contents");
  EXPECT_EQ(ReadFileOrEmpty(b + "/missing"), "");
}

TEST(EventuallyTest, ReturnsTrueOnceThePredicateHolds) {
  int calls = 0;
  EXPECT_TRUE(Eventually([&] { return ++calls == 3; }));
  EXPECT_EQ(calls, 3);
}

TEST(EventuallyTest, ReturnsFalseAtTheDeadline) {
  EXPECT_FALSE(Eventually([] { return false; }, std::chrono::milliseconds(20)));
}

TEST(ServerProcessTest, MissingBinaryIsAnError) {
  setenv("NATS_SERVER_BIN", "/nonexistent/nats-server", 1);
  EXPECT_FALSE(ServerProcess::Start(ServerKind::kNatsServer, {}).ok());
  unsetenv("NATS_SERVER_BIN");
}

TEST(ServerProcessTest, BadConfigFailsWithTheLogInTheError) {
  ServerConfig config;
  config.config_text = "this is { not a config";
  absl::StatusOr<std::unique_ptr<ServerProcess>> server =
      ServerProcess::Start(ServerKind::kNatsServer, config);
  ASSERT_FALSE(server.ok());
  EXPECT_TRUE(absl::StrContains(server.status().message(), "server log")) << server.status();
}

TEST(ServerProcessTest, StartsServesAndStops) {
  ServerConfig config;
  config.monitoring = true;
  ASSERT_OK_AND_ASSIGN(auto server, ServerProcess::Start(ServerKind::kNatsServer, config));
  EXPECT_TRUE(server->Running());
  EXPECT_TRUE(absl::StrContains(server->ReadLog(), "Server is ready"));
  ASSERT_OK_AND_ASSIGN(std::string varz,
                       HttpGet(server->http_port(), "/varz", std::chrono::milliseconds(5000)));
  EXPECT_TRUE(absl::StrContains(varz, "\"server_id\"")) << varz;

  ASSERT_OK_AND_ASSIGN(auto client, RawClient::ConnectAndHandshake(server->port()));
  ASSERT_OK(client->Send("SUB foo 1\r\nPUB foo 5\r\nhello\r\n"));
  ASSERT_OK_AND_ASSIGN(RawOp msg, client->ReadOp());
  EXPECT_EQ(msg.line, "MSG foo 1 5");
  EXPECT_EQ(msg.payload, "hello");

  ASSERT_OK_AND_ASSIGN(int status, server->Stop());
  EXPECT_TRUE(WIFEXITED(status)) << DescribeWaitStatus(status);
  EXPECT_FALSE(server->Running());
  EXPECT_TRUE(client->WaitClosed());
  ASSERT_OK(server->Restart());
  EXPECT_TRUE(server->Running());
  EXPECT_OK(RawClient::ConnectAndHandshake(server->port()));
}

TEST(RawClientTest, ReadOpTimesOutWithoutData) {
  ASSERT_OK_AND_ASSIGN(auto server, ServerProcess::Start(ServerKind::kNatsServer, {}));
  ASSERT_OK_AND_ASSIGN(auto client, RawClient::ConnectAndHandshake(server->port()));
  absl::StatusOr<RawOp> op = client->ReadOp(std::chrono::milliseconds(10));
  EXPECT_TRUE(absl::IsDeadlineExceeded(op.status())) << op.status();
  EXPECT_FALSE(client->WaitClosed(std::chrono::milliseconds(10)));
}

}  // namespace
}  // namespace lattice::e2e
