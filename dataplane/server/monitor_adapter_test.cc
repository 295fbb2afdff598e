// MonitorAdapter: the monitoring structs reflect a live server's connections and counters.
#include "dataplane/server/monitor_adapter.h"

#include "gtest/gtest.h"

#include "dataplane/server/test_client.h"

namespace lattice::server {
namespace {

using testing::RawClient;
using testing::StartServer;

TEST(MonitorAdapterTest, ReflectsConnectionsSubscriptionsAndCounters) {
  auto server = StartServer();
  MonitorAdapter adapter(*server);
  RawClient c(server->port());
  c.Handshake(R"({"verbose":false,"name":"mon"})");
  c.Send("SUB a q 7\r\nUNSUB 7 10\r\nPUB a 2\r\nhi\r\n");
  c.Sync();

  monitor::ServerSnapshot s = adapter.Server();
  EXPECT_EQ(s.server_id, server->server_id());
  EXPECT_EQ(s.port, server->port());
  EXPECT_EQ(s.connections, 1);
  EXPECT_EQ(s.in_msgs, 1);
  EXPECT_EQ(s.out_msgs, 1);
  EXPECT_EQ(s.subscriptions, 1u);
  EXPECT_EQ(s.worker_threads, 2);
  EXPECT_GT(s.mem_bytes, 0);
  EXPECT_FALSE(s.lame_duck);

  auto conns = adapter.Connections(true);
  ASSERT_EQ(conns.size(), 1u);
  EXPECT_EQ(conns[0].name, "mon");
  EXPECT_EQ(conns[0].num_subs, 1u);
  ASSERT_EQ(conns[0].subs.size(), 1u);
  EXPECT_EQ(conns[0].subs[0].subject, "a");
  EXPECT_EQ(conns[0].subs[0].queue, "q");
  EXPECT_EQ(conns[0].subs[0].sid, "7");
  EXPECT_EQ(conns[0].subs[0].msgs, 1);
  EXPECT_EQ(conns[0].subs[0].max, 10);
  EXPECT_TRUE(adapter.Connections(false)[0].subs.empty());

  auto accounts = adapter.Accounts();
  ASSERT_EQ(accounts.size(), 1u);
  EXPECT_EQ(accounts[0].name, "$G");
  EXPECT_EQ(accounts[0].client_connections, 1);
  EXPECT_EQ(adapter.Subscriptions("$G").size(), 1u);
  EXPECT_TRUE(adapter.Subscriptions("OTHER").empty());
  EXPECT_EQ(adapter.HealthProblem(), "");
  server->Shutdown();
  EXPECT_NE(adapter.HealthProblem(), "");
}

}  // namespace
}  // namespace lattice::server
