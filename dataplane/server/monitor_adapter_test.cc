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
  ASSERT_EQ(accounts.size(), 2u);  // $G and the default system account, as nats-server
  EXPECT_EQ(accounts[0].name, "$G");
  EXPECT_EQ(accounts[0].client_connections, 1);
  EXPECT_EQ(accounts[1].name, "$SYS");
  EXPECT_TRUE(accounts[1].is_system);
  EXPECT_EQ(adapter.Subscriptions("$G").size(), 1u);
  EXPECT_TRUE(adapter.Subscriptions("OTHER").empty());
  EXPECT_EQ(adapter.HealthProblem(), "");
  server->Shutdown();
  EXPECT_NE(adapter.HealthProblem(), "");
}

TEST(CpuUsageTest, CpuTimeOverWallTimeBetweenSamples) {
  using std::chrono::milliseconds;
  auto t0 = std::chrono::steady_clock::time_point() + std::chrono::hours(1);
  CpuUsage usage(t0);
  // First sample: the average since start (1 s of CPU in 4 s).
  EXPECT_DOUBLE_EQ(usage.Sample(milliseconds(1000), t0 + milliseconds(4000)), 25.0);
  // Too soon after the last sample: the previous value.
  EXPECT_DOUBLE_EQ(usage.Sample(milliseconds(1100), t0 + milliseconds(4100)), 25.0);
  // 1.5 s of CPU over 1 s of wall time: one and a half cores busy.
  EXPECT_DOUBLE_EQ(usage.Sample(milliseconds(2500), t0 + milliseconds(5000)), 150.0);
  // Idle.
  EXPECT_DOUBLE_EQ(usage.Sample(milliseconds(2500), t0 + milliseconds(7000)), 0.0);
}

TEST(CpuUsageTest, ProcessCpuTimeCountsThisProcess) {
  // Starting the test binary alone costs CPU; the clock never runs backwards.
  auto first = ProcessCpuTime();
  EXPECT_GT(first.count(), 0);
  EXPECT_GE(ProcessCpuTime(), first);
}

}  // namespace
}  // namespace lattice::server
