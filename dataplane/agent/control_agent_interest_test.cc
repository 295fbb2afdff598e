// ControlAgent interest reporting against a real in-process gRPC NodeSync server and a real
// Server with real clients: snapshot after Registered, deltas for SUB/UNSUB, a snapshot at the
// next sequence for InterestResync, and a new snapshot from sequence 1 after re-registering.
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"

#include "common/base/mutex.h"
#include "dataplane/agent/control_agent.h"
#include "dataplane/agent/test_chain.h"
#include "dataplane/interest/interest_batcher.h"
#include "dataplane/server/test_client.h"
#include "lattice/control/v1/admin.grpc.pb.h"
#include "lattice/control/v1/node_sync.grpc.pb.h"

namespace lattice::agent {
namespace {

using server::testing::Eventually;
using server::testing::RawClient;
using Key = std::tuple<std::string, std::string, std::string>;
using Interest = std::map<Key, int32_t>;

// A NodeSync server that registers every node, records the interest messages of each stream
// (session) and lets the test push an InterestResync or drop the live stream.
// Thread: handlers on gRPC's threads, the rest from the test thread.
class FakeNodeSync final : public v1::NodeSync::Service {
 public:
  grpc::Status Sync(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<v1::ControlMessage, v1::NodeMessage>* stream) override {
    v1::NodeMessage first;
    if (!stream->Read(&first) || !first.has_register_())
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "register first");
    size_t session;
    {
      MutexLock lock(&mu_);
      session = sessions_.size();
      sessions_.emplace_back();
      live_ = stream;
      live_context_ = context;
    }
    v1::ControlMessage registered;
    registered.mutable_registered()->set_node_id(first.register_().node_id());
    registered.mutable_registered()->set_revision(1);
    {
      MutexLock lock(&write_mu_);
      stream->Write(registered);
    }
    v1::NodeMessage message;
    while (stream->Read(&message)) {
      if (message.has_interest()) {
        MutexLock lock(&mu_);
        sessions_[session].push_back(message.interest());
      }
    }
    MutexLock lock(&mu_);
    if (live_ == stream) {
      live_ = nullptr;
      live_context_ = nullptr;
    }
    return grpc::Status::OK;
  }

  void SendResync() {
    MutexLock lock(&mu_);
    ASSERT_NE(live_, nullptr);
    v1::ControlMessage resync;
    resync.mutable_interest_resync()->set_reason("test: sequence gap");
    MutexLock write(&write_mu_);
    live_->Write(resync);
  }
  void DropStream() {
    MutexLock lock(&mu_);
    ASSERT_NE(live_context_, nullptr);
    live_context_->TryCancel();
  }

  size_t sessions() {
    MutexLock lock(&mu_);
    return sessions_.size();
  }
  std::vector<v1::InterestDelta> messages(size_t session) {
    MutexLock lock(&mu_);
    return session < sessions_.size() ? sessions_[session] : std::vector<v1::InterestDelta>();
  }

 private:
  Mutex mu_;
  Mutex write_mu_;  // the handler's Registered and the test's pushes
  std::vector<std::vector<v1::InterestDelta>> sessions_ ABSL_GUARDED_BY(mu_);
  grpc::ServerReaderWriter<v1::ControlMessage, v1::NodeMessage>* live_ ABSL_GUARDED_BY(mu_) =
      nullptr;
  grpc::ServerContext* live_context_ ABSL_GUARDED_BY(mu_) = nullptr;
};

// ListReplicas as the agent's probe sees it: a replicated control plane whose leader is
// `leader` (0: this replica knows none, as one cut off from its majority). Thread: any.
class FakeAdmin final : public v1::Admin::Service {
 public:
  grpc::Status ListReplicas(grpc::ServerContext*, const v1::ListReplicasRequest*,
                            v1::ListReplicasResponse* response) override {
    response->set_replicated(true);
    response->set_leader_id(leader_.load());
    return grpc::Status::OK;
  }
  void set_leader(uint64_t id) { leader_ = id; }

 private:
  std::atomic<uint64_t> leader_{1};
};

// The interest the control plane would hold after applying `messages` in order (a snapshot
// replaces everything, weight 0 removes). Also checks the session's sequencing.
Interest Fold(const std::vector<v1::InterestDelta>& messages) {
  Interest out;
  for (size_t i = 0; i < messages.size(); ++i) {
    const v1::InterestDelta& m = messages[i];
    EXPECT_EQ(m.sequence(), i + 1) << "gap or reorder in the session's sequence";
    if (i == 0) {
      EXPECT_TRUE(m.snapshot()) << "a session starts with a snapshot";
    }
    if (m.snapshot())
      out.clear();
    for (const auto& c : m.changes()) {
      const Key key(c.account(), c.subject(), c.queue());
      if (c.weight() == 0) {
        out.erase(key);
      } else {
        out[key] = c.weight();
      }
    }
  }
  return out;
}

class ControlAgentInterestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&fake_);
    builder.RegisterService(&admin_);
    grpc_server_ = builder.BuildAndStart();
    ASSERT_NE(grpc_server_, nullptr);
    ASSERT_GT(port_, 0);

    node_ = std::make_unique<server::Server>(server::testing::TestOptions());
    interest::InterestTracker::Options batching;
    batching.batch_delay = std::chrono::milliseconds(5);
    node_->EnableInterestReporting(batching);
    ASSERT_TRUE(node_->Start().ok());
  }

  void TearDown() override {
    if (agent_ != nullptr)
      agent_->Stop();
    grpc_server_->Shutdown();
  }

  void StartAgent() {
    AgentConfig config;
    config.control_addresses = {"127.0.0.1:" + std::to_string(port_)};
    config.cluster = "east";
    config.node_id = "n1";
    config.operator_jwt = op_.Jwt();
    config.initial_backoff = std::chrono::milliseconds(10);
    config.max_backoff = std::chrono::milliseconds(50);
    config.probe_interval = probe_interval_;
    auto agent = ControlAgent::Create(
        std::move(config), &sink_,
        InterestReporting{node_->interest_tracker(), node_->interest_source()});
    ASSERT_TRUE(agent.ok()) << agent.status();
    agent_ = *std::move(agent);
    ASSERT_TRUE(agent_->Start().ok());
  }

  std::unique_ptr<RawClient> Connect() {
    auto c = std::make_unique<RawClient>(node_->port());
    c->Handshake();
    return c;
  }

  // Waits until what session `s` reported folds to `want`.
  bool Converges(size_t s, const Interest& want) {
    return Eventually([&] { return Fold(fake_.messages(s)) == want; });
  }

  class NullSink : public AgentSink {
   public:
    absl::Status ApplyAccounts(std::shared_ptr<const AccountsBundle>) override {
      return absl::OkStatus();
    }
    absl::Status ApplyTopology(std::shared_ptr<const v1::Topology>) override {
      return absl::OkStatus();
    }
  };

  FakeNodeSync fake_;
  FakeAdmin admin_;
  std::chrono::milliseconds probe_interval_{2000};
  int port_ = 0;
  std::unique_ptr<grpc::Server> grpc_server_;
  std::unique_ptr<server::Server> node_;
  testing::TestOperator op_;
  NullSink sink_;
  std::unique_ptr<ControlAgent> agent_;
};

TEST_F(ControlAgentInterestTest, SnapshotDeltasResyncAndReRegistration) {
  // Interest that exists before the agent registers is in the first snapshot.
  auto c1 = Connect();
  c1->Send("SUB early 1\r\nSUB early 2\r\nSUB jobs.* workers 3\r\n");
  c1->Sync();
  StartAgent();
  ASSERT_TRUE(Eventually([&] { return !fake_.messages(0).empty(); }));
  const v1::InterestDelta first = fake_.messages(0)[0];
  EXPECT_TRUE(first.snapshot());
  EXPECT_EQ(first.sequence(), 1u);
  ASSERT_TRUE(
      Converges(0, Interest{{Key("$G", "early", ""), 1}, {Key("$G", "jobs.*", "workers"), 1}}));

  // Deltas for SUB/UNSUB from two connections; queue weights are member counts.
  auto c2 = Connect();
  c2->Send("SUB jobs.* workers 1\r\nSUB jobs.* workers 2\r\nSUB late.> 3\r\n");
  c2->Sync();
  c1->Send("UNSUB 1\r\n");  // "early" still has sid 2: no change
  c1->Sync();
  ASSERT_TRUE(Converges(0, Interest{{Key("$G", "early", ""), 1},
                                    {Key("$G", "jobs.*", "workers"), 3},
                                    {Key("$G", "late.>", ""), 1}}));
  c1->Send("UNSUB 2\r\n");
  c1->Sync();
  c2->Send("UNSUB 2\r\n");
  c2->Sync();
  ASSERT_TRUE(
      Converges(0, Interest{{Key("$G", "jobs.*", "workers"), 2}, {Key("$G", "late.>", ""), 1}}));
  std::vector<v1::InterestDelta> session0 = fake_.messages(0);
  ASSERT_GE(session0.size(), 2u);
  for (size_t i = 1; i < session0.size(); ++i)
    EXPECT_FALSE(session0[i].snapshot()) << i;

  // InterestResync: a fresh snapshot at the next sequence, on the same stream.
  const uint64_t before = session0.size();
  fake_.SendResync();
  ASSERT_TRUE(Eventually([&] {
    auto m = fake_.messages(0);
    return m.size() > before && m[before].snapshot();
  }));
  EXPECT_EQ(fake_.messages(0)[before].sequence(), before + 1);
  ASSERT_TRUE(
      Converges(0, Interest{{Key("$G", "jobs.*", "workers"), 2}, {Key("$G", "late.>", ""), 1}}));
  EXPECT_EQ(agent_->status().interest_resyncs, 1u);

  // A new stream (the control plane dropped this one): a snapshot from sequence 1 again,
  // including what changed while the node was not registered.
  fake_.DropStream();
  c2.reset();  // closes: its members and late.> go away
  auto c3 = Connect();
  c3->Send("SUB fresh 1\r\n");
  c3->Sync();
  ASSERT_TRUE(Eventually([&] { return fake_.sessions() >= 2; }));
  ASSERT_TRUE(Eventually([&] { return !fake_.messages(1).empty(); }));
  EXPECT_TRUE(fake_.messages(1)[0].snapshot());
  EXPECT_EQ(fake_.messages(1)[0].sequence(), 1u);
  ASSERT_TRUE(
      Converges(1, Interest{{Key("$G", "jobs.*", "workers"), 1}, {Key("$G", "fresh", ""), 1}}));

  const AgentStatus status = agent_->status();
  EXPECT_EQ(status.registrations, 2u);
  EXPECT_EQ(status.interest_snapshots, 3u);  // two registrations and one resync
  EXPECT_GE(status.interest_deltas, 2u);
  EXPECT_GT(status.interest_changes, 0u);
  EXPECT_EQ(status.interest_sequence, fake_.messages(1).back().sequence());
}

TEST_F(ControlAgentInterestTest, ManyChangesAreSplitIntoBoundedMessages) {
  StartAgent();
  ASSERT_TRUE(Eventually([&] { return !fake_.messages(0).empty(); }));
  auto c = Connect();
  std::string subs;
  Interest want;
  for (int i = 0; i < 5000; ++i) {
    subs += "SUB bulk." + std::to_string(i) + " " + std::to_string(i + 1) + "\r\n";
    want[Key("$G", "bulk." + std::to_string(i), "")] = 1;
  }
  c->Send(subs);
  c->Sync();
  ASSERT_TRUE(Converges(0, want));
  for (const auto& m : fake_.messages(0))
    EXPECT_LE(m.changes_size(), static_cast<int>(interest::InterestBatcher::kDefaultMaxChanges));

  // And the snapshot of a re-registration is split the same way, only its first part
  // replacing what the control plane held.
  fake_.DropStream();
  ASSERT_TRUE(Eventually([&] { return fake_.sessions() >= 2; }));
  ASSERT_TRUE(Converges(1, want));
  const auto session1 = fake_.messages(1);
  ASSERT_GE(session1.size(), 3u);
  EXPECT_TRUE(session1[0].snapshot());
  EXPECT_FALSE(session1[1].snapshot());
}

// A replica cut off from its majority still answers probes but knows no leader, so the
// interest it holds is not what the leader sees. After `leaderless_probes` such answers in a
// row the agent registers again (here on the same replica, once it has a leader again), and
// the new session starts with a snapshot.
TEST_F(ControlAgentInterestTest, AReplicaWithoutALeaderIsLeftAndTheNextSessionSnapshots) {
  probe_interval_ = std::chrono::milliseconds(20);
  auto c = Connect();
  c->Send("SUB kept 1\r\n");
  c->Sync();
  StartAgent();
  const Interest want{{Key("$G", "kept", ""), 1}};
  ASSERT_TRUE(Converges(0, want));

  admin_.set_leader(0);
  ASSERT_TRUE(Eventually([&] { return fake_.sessions() >= 2; }));
  admin_.set_leader(2);
  ASSERT_TRUE(Eventually([&] {
    const size_t latest = fake_.sessions() - 1;
    const std::vector<v1::InterestDelta> messages = fake_.messages(latest);
    return !messages.empty() && messages[0].snapshot() && Fold(messages) == want;
  }));
  EXPECT_GE(agent_->status().registrations, 2u);
}

TEST_F(ControlAgentInterestTest, ReportingNeedsBothTrackerAndSource) {
  AgentConfig config;
  config.control_addresses = {"127.0.0.1:1"};
  config.cluster = "east";
  config.node_id = "n1";
  config.operator_jwt = op_.Jwt();
  auto agent =
      ControlAgent::Create(config, &sink_, InterestReporting{node_->interest_tracker(), nullptr});
  EXPECT_FALSE(agent.ok());
}

}  // namespace
}  // namespace lattice::agent
