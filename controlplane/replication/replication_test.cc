// Component tests: three replicas (Replica + StoreStateMachine + ReplicatedStore + Frontend) on
// loopback in one process. Writes go through the leader's Frontend; followers refuse them naming
// the leader, serve reads locally and wake their watchers from applied entries.
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/testing/eventually.h"
#include "common/testing/ports.h"
#include "controlplane/accounts/key_vault.h"
#include "controlplane/frontend/frontend.h"
#include "controlplane/raft/replica.h"
#include "controlplane/raft/store_state_machine.h"
#include "controlplane/replication/peers.h"
#include "controlplane/replication/raft_replication.h"
#include "controlplane/replication/replicated_store.h"

namespace lattice::replication {
namespace {

namespace v1 = ::lattice::control::v1;
constexpr auto kDeadline = std::chrono::seconds(60);

bool Eventually(const std::function<bool()>& condition) {
  return testutil::Eventually(condition, kDeadline);
}

v1::PutTopologyRequest Cluster(const std::string& name, uint64_t expected_revision = 0,
                               const std::string& description = "") {
  v1::PutTopologyRequest req;
  req.mutable_object()->mutable_cluster()->set_name(name);
  req.mutable_object()->mutable_cluster()->set_description(description);
  req.set_expected_revision(expected_revision);
  return req;
}

v1::ListTopologyRequest ClusterList() {
  v1::ListTopologyRequest req;
  req.set_kind(v1::TOPOLOGY_KIND_CLUSTER);
  return req;
}

struct Member {
  uint64_t id = 0;
  std::string raft_address;
  std::string dir;
  std::unique_ptr<raft::StoreStateMachine> machine;
  std::unique_ptr<raft::Replica> replica;
  std::unique_ptr<ReplicatedStore> store;
  std::unique_ptr<frontend::Frontend> frontend;
  std::unique_ptr<RaftReplication> replication;
  // A directory of its own (knowing only itself locally, reading the replicated records); the
  // fixture's shared one when null.
  std::unique_ptr<AdminDirectory> own_directory;
};

class ReplicationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::string(std::getenv("TEST_TMPDIR")) + "/" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(root_);
    auto vault = accounts::KeyVault::FromKey(std::string(32, 'k'));
    ASSERT_TRUE(vault.ok()) << vault.status();
    vault_ = std::make_unique<accounts::KeyVault>(*std::move(vault));
    for (uint64_t id = 1; id <= 3; ++id) {
      members_[id - 1].id = id;
      members_[id - 1].raft_address = "127.0.0.1:" + std::to_string(testutil::FreePortOrDie());
      members_[id - 1].dir = root_ + "/r" + std::to_string(id);
      directory_.Set(id, "admin-" + std::to_string(id) + ":1");
    }
    for (Member& m : members_)
      Start(m);
  }

  void TearDown() override {
    for (Member& m : members_)
      Stop(m);
    Stop(extra_);
  }

  void Start(Member& m, bool bootstrap = true) {
    auto machine = raft::StoreStateMachine::Open(m.dir + "/store");
    ASSERT_TRUE(machine.ok()) << machine.status();
    m.machine = *std::move(machine);
    m.replica = std::make_unique<raft::Replica>(*m.machine);
    AdminDirectory* directory = &directory_;
    if (m.own_directory) {
      directory = m.own_directory.get();
      directory->AttachStore(m.machine.get());
    }
    m.store = std::make_unique<ReplicatedStore>(m.replica.get(), m.machine.get(), directory);
    m.frontend = std::make_unique<frontend::Frontend>(m.store.get(), vault_.get());
    frontend::Frontend* frontend = m.frontend.get();
    m.machine->SetApplyListener([frontend](uint64_t r) { frontend->notifier().Publish(r); });
    m.replication =
        std::make_unique<RaftReplication>(m.id, m.replica.get(), m.machine.get(), directory);
    raft::ReplicaConfig config;
    config.id = m.id;
    config.address = m.raft_address;
    config.data_dir = m.dir + "/raft";
    config.election_timeout_ms = 1000;
    config.heartbeat_timeout_ms = 100;
    config.snapshot_threshold = 64;
    config.snapshot_trailing = 8;
    for (const Member& peer : members_) {
      if (bootstrap)
        config.bootstrap.push_back({peer.id, peer.raft_address});
    }
    ASSERT_TRUE(m.replica->Start(config).ok());
  }

  void Stop(Member& m) {
    if (m.replica)
      m.replica->Stop();
    m.replication.reset();
    if (m.machine)
      m.machine->SetApplyListener(nullptr);
    m.frontend.reset();
    m.store.reset();
    m.replica.reset();
    m.machine.reset();
  }

  // The member every running replica agrees leads.
  Member* Leader() {
    Member* leader = nullptr;
    EXPECT_TRUE(Eventually([&] {
      for (Member& m : members_) {
        if (m.replica && m.replica->IsLeader()) {
          leader = &m;
          return true;
        }
      }
      return false;
    }));
    return leader;
  }

  // Writes through whichever member leads, following leader changes (an idempotent put: a write
  // whose outcome was unknown may be sent again). Returns the revision that holds it.
  uint64_t PutOnLeader(const v1::PutTopologyRequest& req) {
    uint64_t revision = 0;
    EXPECT_TRUE(Eventually([&] {
      Member* leader = Leader();
      if (leader == nullptr)
        return false;
      auto r = frontend::RetryIfMoved([&] { return leader->frontend->PutTopology("admin", req); });
      if (!r.ok())
        return false;
      revision = r->applied ? r->revision : leader->frontend->revision();
      return true;
    }));
    return revision;
  }

  std::string root_;
  std::unique_ptr<accounts::KeyVault> vault_;
  AdminDirectory directory_;
  Member members_[3];
  Member extra_;  // a replica added through AddReplica
};

TEST_F(ReplicationTest, LeaderWritesReachEveryReplicaAndFollowersRefuseNamingTheLeader) {
  Member* leader = Leader();
  ASSERT_NE(leader, nullptr);
  std::vector<uint64_t> revisions;
  for (int i = 0; i < 20; ++i) {
    auto r = frontend::RetryIfMoved(
        [&] { return leader->frontend->PutTopology("admin", Cluster("c" + std::to_string(i))); });
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_TRUE(r->applied);
    revisions.push_back(r->revision);
    // The stored object's meta revision is the revision it landed at (exact placement).
    auto stored = leader->frontend->GetTopology(v1::TOPOLOGY_KIND_CLUSTER, "c" + std::to_string(i));
    ASSERT_TRUE(stored.ok());
    EXPECT_EQ(stored->cluster().meta().revision(), r->revision);
  }
  const uint64_t last = revisions.back();
  for (Member& m : members_) {
    ASSERT_TRUE(Eventually([&] { return m.frontend->revision() >= last; })) << m.id;
    // Watchers on followers are woken by applied entries, not by local writes.
    EXPECT_GE(m.frontend->notifier().WaitAfter(last - 1, std::chrono::milliseconds(0)), last);
    auto listed = m.frontend->ListTopology(ClusterList());
    ASSERT_TRUE(listed.ok()) << listed.status();
    EXPECT_EQ(listed->objects_size(), 20) << m.id;
  }
  for (Member& m : members_) {
    if (&m == leader)
      continue;
    auto refused = m.frontend->PutTopology("admin", Cluster("on-follower"));
    ASSERT_FALSE(refused.ok());
    EXPECT_TRUE(absl::IsUnavailable(refused.status())) << refused.status();
    auto hint = refused.status().GetPayload(store::kLeaderPayload);
    ASSERT_TRUE(hint.has_value());
    EXPECT_EQ(std::string(*hint), "admin-" + std::to_string(leader->id) + ":1");
    EXPECT_TRUE(absl::IsUnavailable(m.replication->ReadFence()));
    EXPECT_TRUE(absl::IsUnavailable(m.replication->WriteFence()));
  }
  EXPECT_TRUE(leader->replication->ReadFence().ok());
  EXPECT_TRUE(leader->replication->WriteFence().ok());
  EXPECT_TRUE(leader->replication->WriteFence().ok());  // once per term: no barrier this time
  auto replicas = leader->replication->ListReplicas();
  ASSERT_TRUE(replicas.ok());
  EXPECT_EQ(replicas->leader_id(), leader->id);
  EXPECT_EQ(replicas->replicas_size(), 3);
  EXPECT_GE(replicas->applied_index(), last);
}

TEST_F(ReplicationTest, CompareAndSetSurvivesLeaderChangeAndEntriesLandExactly) {
  Member* leader = Leader();
  ASSERT_NE(leader, nullptr);
  auto created = frontend::RetryIfMoved(
      [&] { return leader->frontend->PutTopology("admin", Cluster("cas")); });
  ASSERT_TRUE(created.ok()) << created.status();
  // A barrier takes a Raft index the store sees as a filler: the next write must not embed a
  // stale revision (it is placed exactly, or refused for a retry with nothing written).
  ASSERT_TRUE(leader->replication->ReadFence().ok());
  auto updated = frontend::RetryIfMoved([&] {
    return leader->frontend->PutTopology("admin", Cluster("cas", created->revision, "v2"));
  });
  ASSERT_TRUE(updated.ok()) << updated.status();
  auto stored = leader->frontend->GetTopology(v1::TOPOLOGY_KIND_CLUSTER, "cas");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->cluster().meta().revision(), updated->revision);
  // A stale expected revision is refused.
  auto stale = leader->frontend->PutTopology("admin", Cluster("cas", created->revision, "v2"));
  EXPECT_TRUE(absl::IsAborted(stale.status())) << stale.status();

  // Stop the leader; a new one takes over and accepts a CAS against the replicated state.
  const uint64_t old_id = leader->id;
  Stop(*leader);
  Member* next = Leader();
  ASSERT_NE(next, nullptr);
  ASSERT_NE(next->id, old_id);
  absl::StatusOr<frontend::WriteResult> after;
  ASSERT_TRUE(Eventually([&] {
    // A new leader fences its first write of the term (the Admin API does this for every
    // write): validation then sees everything its predecessor committed.
    if (!next->replication->WriteFence().ok())
      return false;
    after = frontend::RetryIfMoved([&] {
      return next->frontend->PutTopology("admin", Cluster("cas", updated->revision, "v3"));
    });
    return after.ok() || absl::IsAborted(after.status());
  }));
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_GT(after->revision, updated->revision);
}

TEST_F(ReplicationTest, WipedFollowerCatchesUpBySnapshot) {
  Member* leader = Leader();
  ASSERT_NE(leader, nullptr);
  Member* follower = &members_[leader->id % 3];
  Stop(*follower);
  std::filesystem::remove_all(follower->dir);
  uint64_t last = 0;
  for (int i = 0; i < 150; ++i) {  // past snapshot_threshold: the log is truncated
    last = PutOnLeader(Cluster("w" + std::to_string(i)));
    ASSERT_NE(last, 0u);
  }
  Start(*follower);
  ASSERT_TRUE(Eventually([&] { return follower->frontend->revision() >= last; }));
  auto listed = follower->frontend->ListTopology(ClusterList());
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_EQ(listed->objects_size(), 150);
  EXPECT_GE(follower->replica->Stats().snapshots_restored, 1u);
}

TEST_F(ReplicationTest, MembershipChangesGoThroughTheLeader) {
  Member* leader = Leader();
  ASSERT_NE(leader, nullptr);
  Member* follower = &members_[leader->id % 3];
  v1::RemoveReplicaRequest remove;
  remove.set_id(follower->id);
  absl::Status refused = follower->replication->RemoveReplica(remove);
  EXPECT_TRUE(absl::IsUnavailable(refused)) << refused;
  EXPECT_TRUE(refused.GetPayload(store::kLeaderPayload).has_value());
  v1::AddReplicaRequest bad;
  EXPECT_TRUE(absl::IsInvalidArgument(leader->replication->AddReplica(bad)));

  ASSERT_TRUE(leader->replication->RemoveReplica(remove).ok());
  auto replicas = leader->replication->ListReplicas();
  ASSERT_TRUE(replicas.ok());
  EXPECT_EQ(replicas->replicas_size(), 2);
  for (const auto& r : replicas->replicas()) {
    EXPECT_NE(r.id(), follower->id);
    if (r.leader()) {  // the leader's own row: nothing behind itself
      EXPECT_EQ(r.match_index(), replicas->last_index());
      EXPECT_EQ(r.lag(), 0u);
    }
  }
  // Two voters left: writes still commit.
  EXPECT_NE(PutOnLeader(Cluster("after-remove")), 0u);
}

// The replica set is replicated state: a replica added later, which was told only its own Admin
// address, names every member's (and the leader's) address, and every replica lists the same set.
TEST_F(ReplicationTest, AddedReplicaLearnsTheReplicaSetThroughTheLog) {
  Member* leader = Leader();
  ASSERT_NE(leader, nullptr);
  extra_.id = 4;
  extra_.raft_address = "127.0.0.1:" + std::to_string(testutil::FreePortOrDie());
  extra_.dir = root_ + "/r4";
  extra_.own_directory = std::make_unique<AdminDirectory>();
  extra_.own_directory->Set(4, "admin-4:1");
  Start(extra_, /*bootstrap=*/false);
  v1::AddReplicaRequest add;
  add.set_id(4);
  add.set_raft_address(extra_.raft_address);
  add.set_admin_address("admin-4:1");
  ASSERT_TRUE(leader->replication->AddReplica(add).ok());
  const uint64_t leader_id = leader->id;

  auto same_set = [&](Member& m) {
    auto replicas = m.replication->ListReplicas();
    if (!replicas.ok() || replicas->replicas_size() != 4 || replicas->leader_id() != leader_id)
      return false;
    for (const auto& r : replicas->replicas()) {
      if (r.admin_address() != "admin-" + std::to_string(r.id()) + ":1")
        return false;
    }
    return replicas->leader_admin_address() == "admin-" + std::to_string(leader_id) + ":1";
  };
  EXPECT_TRUE(Eventually([&] { return same_set(extra_); }));
  for (Member& m : members_)
    EXPECT_TRUE(Eventually([&] { return same_set(m); })) << "replica " << m.id;
  // The records themselves, in replica 4's applied store.
  for (uint64_t id = 1; id <= 4; ++id) {
    std::optional<PeerSpec> record = ReadReplicaRecord(*extra_.machine->store(), id);
    ASSERT_TRUE(record.has_value()) << id;
    EXPECT_EQ(record->admin_address, "admin-" + std::to_string(id) + ":1");
  }
  // A write refused by replica 4 names the leader's address it learned from the log.
  v1::RemoveReplicaRequest self_remove;
  self_remove.set_id(4);
  absl::Status refused = extra_.replication->RemoveReplica(self_remove);
  ASSERT_TRUE(absl::IsUnavailable(refused)) << refused;
  auto hint = refused.GetPayload(store::kLeaderPayload);
  ASSERT_TRUE(hint.has_value());
  EXPECT_EQ(std::string(*hint), "admin-" + std::to_string(leader_id) + ":1");

  // Removal drops the record on every replica.
  ASSERT_TRUE(leader->replication->RemoveReplica(self_remove).ok());
  for (Member& m : members_) {
    EXPECT_TRUE(Eventually([&] { return !ReadReplicaRecord(*m.machine->store(), 4).has_value(); }))
        << "replica " << m.id;
  }
}

TEST(PeersTest, ReplicaRecordsRoundTripAndIgnoreGarbage) {
  EXPECT_EQ(ReplicaKey(42), "00000000000000000042");
  EXPECT_LT(ReplicaKey(9), ReplicaKey(10));
  store::Mutation put = PutReplicaRecord(PeerSpec{7, "h:1", "h:2"});
  EXPECT_EQ(put.kind, store::Kind::kReplica);
  EXPECT_EQ(put.key, ReplicaKey(7));
  EXPECT_FALSE(DeleteReplicaRecord(7).value.has_value());
}

TEST(PeersTest, ParsesAndRefuses) {
  auto peers = ParsePeers("1=127.0.0.1:7100@127.0.0.1:7600, 2=h:7101");
  ASSERT_TRUE(peers.ok()) << peers.status();
  ASSERT_EQ(peers->size(), 2u);
  EXPECT_EQ((*peers)[0].admin_address, "127.0.0.1:7600");
  EXPECT_EQ((*peers)[1].raft_address, "h:7101");
  EXPECT_TRUE((*peers)[1].admin_address.empty());
  for (const char* bad : {"x=h:1", "0=h:1", "1=h", "1=h:1,1=h:2", "1=h:99999", "1=h:1@z", "1h:1"})
    EXPECT_FALSE(ParsePeers(bad).ok()) << bad;
}

}  // namespace
}  // namespace lattice::replication
