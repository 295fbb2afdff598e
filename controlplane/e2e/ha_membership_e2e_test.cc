// End-to-end replica set with real lattice-control processes: writes and NodeSync streams sent to
// a follower are served through the leader; `latticectl replicas add/remove` grows and shrinks the
// group (the added replica catches up), the leader is killed and writes continue, and a replica
// whose data directory was wiped rejoins under a new id at its old addresses. Every wait is a
// poll with a deadline.
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"

#include "common/testing/eventually.h"
#include "controlplane/e2e/ha_cluster.h"
#include "controlplane/e2e/ha_test_fixture.h"
#include "controlplane/e2e/process.h"
#include "lattice/control/v1/node_sync.grpc.pb.h"

namespace lattice::control_e2e {
namespace {

using Clock = std::chrono::steady_clock;

std::unique_ptr<grpc::ClientContext> Authed() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->AddMetadata("authorization", std::string("Bearer ") + kHaToken);
  return ctx;
}

v1::NodeMessage Register(const std::string& id) {
  v1::NodeMessage m;
  m.mutable_register_()->set_node_id(id);
  m.mutable_register_()->set_cluster("east");
  return m;
}

// Reads until a message of `kind` arrives (false when the stream ends first).
template <typename Stream>
bool ReadUntil(Stream* stream, v1::ControlMessage::BodyCase kind, v1::ControlMessage* out) {
  while (stream->Read(out)) {
    if (out->body_case() == kind)
      return true;
  }
  return false;
}

class HaMembershipE2eTest : public HaClusterTest {
 protected:
  Output Ctl(int via, std::vector<std::string> args) {
    std::vector<std::string> argv = {Runfile("tools/latticectl_admin/latticectl-admin"), "--server",
                                     cluster_->admin_address(via), "--token", kHaToken};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunToCompletion(argv);
  }

  // Replica i has applied `revision` and holds every name in `names`.
  void ExpectHolds(int i, uint64_t revision, const std::set<std::string>& names) {
    ASSERT_TRUE(Eventually([&] {
      auto r = cluster_->Revision(i);
      return r.ok() && *r >= revision;
    })) << "replica index "
        << i << " stuck; log:\n"
        << cluster_->log(i);
    auto listed = cluster_->ClusterNames(i);
    ASSERT_TRUE(listed.ok()) << listed.status();
    std::set<std::string> stored(listed->begin(), listed->end());
    for (const std::string& name : names)
      EXPECT_EQ(stored.count(name), 1u) << "replica index " << i << " lacks " << name;
  }
};

TEST_F(HaMembershipE2eTest, FollowerForwardsAdminWritesAndRelaysNodeSync) {
  const int leader = WaitLeader();
  const int follower = (leader + 1) % cluster_->size();
  uint64_t revision = 0;
  grpc::Status put = cluster_->PutOn(follower, "via-follower", std::chrono::seconds(10), &revision);
  ASSERT_TRUE(put.ok()) << put.error_message() << " " << put.error_details();
  EXPECT_GT(revision, 0u);
  for (int i = 0; i < cluster_->size(); ++i)
    ExpectHolds(i, revision, {"via-follower"});

  // A node agent connected to the follower registers, receives pushes and ACKs through it.
  auto channel =
      grpc::CreateChannel(cluster_->admin_address(follower), grpc::InsecureChannelCredentials());
  auto node_sync = v1::NodeSync::NewStub(channel);
  auto ctx = Authed();
  auto stream = node_sync->Sync(ctx.get());
  ASSERT_TRUE(stream->Write(Register("n1")));
  v1::ControlMessage msg;
  ASSERT_TRUE(stream->Read(&msg));
  ASSERT_TRUE(msg.has_registered()) << msg.DebugString();
  ASSERT_TRUE(ReadUntil(stream.get(), v1::ControlMessage::kTopology, &msg));
  EXPECT_EQ(msg.topology().peers_size(), 0);
  v1::NodeMessage ack;
  ack.mutable_ack()->set_resource_type("topology");
  ack.mutable_ack()->set_version(msg.topology().version());
  ASSERT_TRUE(stream->Write(ack));
  const std::string acked = msg.topology().version();

  // The registration and the ACK are replicated state: every replica sees them.
  v1::GetTopologyRequest get;
  get.set_kind(v1::TOPOLOGY_KIND_NODE);
  get.set_key("n1");
  for (int i = 0; i < cluster_->size(); ++i) {
    auto admin = v1::Admin::NewStub(
        grpc::CreateChannel(cluster_->admin_address(i), grpc::InsecureChannelCredentials()));
    EXPECT_TRUE(Eventually([&] {
      v1::TopologyObject node;
      if (!admin->GetTopology(Authed().get(), get, &node).ok() ||
          node.node().state() != v1::NODE_STATE_UP)
        return false;
      for (const auto& s : node.node().sync()) {
        if (s.resource_type() == "topology" && s.last_acked_version() == acked)
          return true;
      }
      return false;
    })) << "replica index "
        << i;
  }

  // A second node registered on the leader shows up as n1's peer: pushes flow through the relay.
  auto leader_sync = v1::NodeSync::NewStub(
      grpc::CreateChannel(cluster_->admin_address(leader), grpc::InsecureChannelCredentials()));
  auto ctx2 = Authed();
  auto stream2 = leader_sync->Sync(ctx2.get());
  ASSERT_TRUE(stream2->Write(Register("n2")));
  bool peer_seen = false;
  while (!peer_seen && ReadUntil(stream.get(), v1::ControlMessage::kTopology, &msg))
    peer_seen = msg.topology().peers_size() == 1;
  EXPECT_TRUE(peer_seen);

  // Closing the relayed stream marks n1 down on the leader.
  stream->WritesDone();
  while (stream->Read(&msg)) {
  }
  (void)stream->Finish();
  auto admin = v1::Admin::NewStub(
      grpc::CreateChannel(cluster_->admin_address(leader), grpc::InsecureChannelCredentials()));
  EXPECT_TRUE(Eventually([&] {
    v1::TopologyObject node;
    return admin->GetTopology(Authed().get(), get, &node).ok() &&
           node.node().state() == v1::NODE_STATE_DOWN;
  }));
  ctx2->TryCancel();
  (void)stream2->Finish();
}

TEST_F(HaMembershipE2eTest, ReplicasAddedAndRemovedThroughLatticectlAndWipedReplicaRejoins) {
  int leader = WaitLeader();
  std::set<std::string> names;
  uint64_t revision = 0;
  for (int i = 0; i < 50; ++i) {
    names.insert("m" + std::to_string(i));
    revision = MustPut("m" + std::to_string(i));
  }

  // A 4th replica, told only its own address, added through a follower (forwarded to the
  // leader); it catches up and every replica lists the same four admin addresses.
  const int fourth = cluster_->AddJoiner();
  ASSERT_TRUE(cluster_->Restart(fourth).ok());
  const int follower = (leader + 1) % 3;
  Output added =
      Ctl(follower, {"replicas", "add", std::to_string(cluster_->replica_id(fourth)),
                     cluster_->raft_address(fourth), "--admin", cluster_->admin_address(fourth)});
  ASSERT_EQ(added.exit_code, 0) << added.err << added.out;
  ExpectHolds(fourth, revision, names);
  auto same_set = [&](int i) {
    auto replicas = cluster_->Replicas(i);
    if (!replicas.ok() || replicas->replicas_size() != 4)
      return false;
    for (const auto& r : replicas->replicas()) {
      bool matched = false;
      for (int j = 0; j < cluster_->size(); ++j) {
        if (cluster_->replica_id(j) == r.id())
          matched = r.admin_address() == cluster_->admin_address(j);
      }
      if (!matched)
        return false;
    }
    return !replicas->leader_admin_address().empty();
  };
  for (int i = 0; i < cluster_->size(); ++i)
    EXPECT_TRUE(Eventually([&] { return same_set(i); })) << "replica index " << i;

  // Remove an original follower, stop it; kill the leader: 2 of the 3 voters left, writes go on.
  const int removed = (leader + 2) % 3;
  Output rm = Ctl(fourth, {"replicas", "remove", std::to_string(cluster_->replica_id(removed))});
  ASSERT_EQ(rm.exit_code, 0) << rm.err << rm.out;
  cluster_->Kill(removed, SIGKILL);
  cluster_->Kill(leader, SIGKILL);
  names.insert("after-leader-kill");
  revision = MustPut("after-leader-kill");
  const int new_leader = WaitLeader();
  EXPECT_TRUE(new_leader == follower || new_leader == fourth) << new_leader;

  // The old leader lost its disk: it must not come back under its old id (its vote and log are
  // gone). Remove the old id, restart it empty under a new id at the same admin and Raft
  // addresses (the leader's transport still dials the removed id there), add it: it catches up.
  const uint64_t old_id = cluster_->replica_id(leader);
  const std::string raft_address = cluster_->raft_address(leader);
  cluster_->Wipe(leader);
  cluster_->Rejoin(leader);
  ASSERT_EQ(cluster_->raft_address(leader), raft_address);
  Output rm_old = Ctl(new_leader, {"replicas", "remove", std::to_string(old_id)});
  ASSERT_EQ(rm_old.exit_code, 0) << rm_old.err << rm_old.out;
  ASSERT_TRUE(cluster_->Restart(leader).ok());
  Output rejoined =
      Ctl(new_leader, {"replicas", "add", std::to_string(cluster_->replica_id(leader)),
                       raft_address, "--admin", cluster_->admin_address(leader)});
  ASSERT_EQ(rejoined.exit_code, 0) << rejoined.err << rejoined.out << cluster_->log(leader);
  names.insert("after-rejoin");
  revision = MustPut("after-rejoin");
  for (int i : {follower, fourth, leader})
    ExpectHolds(i, revision, names);
  auto replicas = cluster_->Replicas(new_leader);
  ASSERT_TRUE(replicas.ok()) << replicas.status();
  std::set<uint64_t> ids;
  for (const auto& r : replicas->replicas())
    ids.insert(r.id());
  EXPECT_EQ(ids, (std::set<uint64_t>{cluster_->replica_id(follower), cluster_->replica_id(fourth),
                                     cluster_->replica_id(leader)}));
}

}  // namespace
}  // namespace lattice::control_e2e
