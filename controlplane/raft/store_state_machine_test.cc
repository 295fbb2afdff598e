// StoreStateMachine: revision == Raft index with gap filling, replay skipping, snapshot/restore,
// and three real Replicas replicating into RocksDB stores (one of them wiped and rebuilt).
#include "controlplane/raft/store_state_machine.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <thread>

#include <gtest/gtest.h>

#include "common/testing/eventually.h"
#include "common/testing/ports.h"
#include "controlplane/raft/batch_codec.h"
#include "controlplane/raft/replica.h"

namespace lattice::raft {
namespace {

using store::Kind;

std::string PutCommand(const std::string& key, const std::string& value) {
  store::Batch batch;
  batch.actor = "test";
  batch.reason = "put " + key;
  batch.unix_nanos = 42;
  batch.mutations.push_back(store::Mutation::Put(Kind::kAccount, key, value));
  return EncodeBatch(batch);
}

std::optional<std::string> Get(const StoreStateMachine& machine, const std::string& key) {
  auto value = machine.store()->Get(Kind::kAccount, key);
  EXPECT_TRUE(value.ok()) << value.status();
  return value.ok() ? *value : std::nullopt;
}

class StoreStateMachineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TEST_TMPDIR");
    root_ = std::filesystem::path(tmp != nullptr ? tmp : "/tmp") /
            ("store_state_machine_test_" + std::to_string(getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  std::unique_ptr<StoreStateMachine> OpenMachine(const std::string& name) {
    auto machine = StoreStateMachine::Open((root_ / name).string());
    EXPECT_TRUE(machine.ok()) << machine.status();
    return machine.ok() ? std::move(machine).value() : nullptr;
  }

  std::filesystem::path root_;
};

TEST_F(StoreStateMachineTest, RevisionIsTheRaftIndexAndGapsAreFilled) {
  auto machine = OpenMachine("a");
  ASSERT_TRUE(machine->Apply(3, PutCommand("k", "v1")).ok());
  EXPECT_EQ(machine->revision(), 3u);
  EXPECT_EQ(Get(*machine, "k"), "v1");
  auto audit = machine->store()->Audit(0, 10);
  ASSERT_TRUE(audit.ok());
  ASSERT_EQ(audit->size(), 3u);
  EXPECT_EQ((*audit)[0].actor, "raft");
  EXPECT_TRUE((*audit)[0].changed.empty());
  EXPECT_EQ((*audit)[2].actor, "test");
  EXPECT_EQ((*audit)[2].revision, 3u);
}

TEST_F(StoreStateMachineTest, ReplaysAreSkippedAndSurviveReopen) {
  {
    auto machine = OpenMachine("a");
    ASSERT_TRUE(machine->Apply(2, PutCommand("k", "v1")).ok());
    ASSERT_TRUE(machine->Apply(4, PutCommand("k", "v2")).ok());
  }
  auto machine = OpenMachine("a");
  EXPECT_EQ(machine->revision(), 4u);
  // libraft replays from its last snapshot after a restart: already-applied indexes are no-ops.
  EXPECT_TRUE(machine->Apply(2, PutCommand("k", "stale")).ok());
  EXPECT_TRUE(machine->Apply(4, PutCommand("k", "stale")).ok());
  EXPECT_EQ(Get(*machine, "k"), "v2");
  ASSERT_TRUE(machine->Apply(5, PutCommand("k", "v3")).ok());
  EXPECT_EQ(Get(*machine, "k"), "v3");
}

TEST_F(StoreStateMachineTest, MalformedCommandIsRejectedAndItsIndexBecomesAGap) {
  auto machine = OpenMachine("a");
  ASSERT_TRUE(machine->Apply(2, PutCommand("k", "v1")).ok());
  absl::Status bad = machine->Apply(3, "not a batch");
  EXPECT_TRUE(absl::IsInvalidArgument(bad)) << bad;
  EXPECT_EQ(Get(*machine, "k"), "v1");
  ASSERT_TRUE(machine->Apply(5, PutCommand("k", "v2")).ok());
  EXPECT_EQ(machine->revision(), 5u);
  EXPECT_EQ(Get(*machine, "k"), "v2");
}

TEST_F(StoreStateMachineTest, SnapshotRestoresIntoAnotherMachineAndSurvivesReopen) {
  auto source = OpenMachine("source");
  for (uint64_t i = 2; i < 40; ++i) {
    ASSERT_TRUE(source->Apply(i, PutCommand("key" + std::to_string(i), "value")).ok());
  }
  absl::StatusOr<std::string> snapshot = source->Snapshot(39);
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();

  auto target = OpenMachine("target");
  ASSERT_TRUE(target->Apply(2, PutCommand("only-here", "x")).ok());
  std::shared_ptr<const store::Store> reader = target->store();  // a read in flight
  ASSERT_TRUE(target->Restore(39, *snapshot).ok());
  EXPECT_EQ(target->revision(), 39u);
  EXPECT_EQ(Get(*target, "key20"), "value");
  EXPECT_EQ(Get(*target, "only-here"), std::nullopt);
  // The in-flight reader still sees its generation, which goes away when it lets go.
  auto old_value = reader->Get(Kind::kAccount, "only-here");
  ASSERT_TRUE(old_value.ok());
  EXPECT_EQ(*old_value, "x");
  EXPECT_TRUE(std::filesystem::exists(root_ / "target" / "store-0"));
  reader.reset();
  EXPECT_FALSE(std::filesystem::exists(root_ / "target" / "store-0"));

  ASSERT_TRUE(target->Apply(40, PutCommand("after", "y")).ok());
  target.reset();
  auto reopened = OpenMachine("target");
  EXPECT_EQ(reopened->revision(), 40u);
  EXPECT_EQ(Get(*reopened, "key39"), "value");
  EXPECT_EQ(Get(*reopened, "after"), "y");
}

TEST_F(StoreStateMachineTest, ConditionalWriteIsRefusedOnceTheStoreChangedAfterValidation) {
  auto machine = OpenMachine("a");
  ASSERT_TRUE(machine->Apply(2, PutCommand("k", "v1")).ok());
  store::Batch batch;
  batch.mutations.push_back(store::Mutation::Put(Kind::kAccount, "k", "validated-at-2"));
  // Validated at revision 2; a configuration entry at 3 is no change to the store's data.
  ASSERT_TRUE(machine->Apply(4, EncodeBatch(batch, /*validated_at=*/2)).ok());
  EXPECT_EQ(Get(*machine, "k"), "validated-at-2");
  // Validated at 2 again, but the batch at 4 changed the store since: refused, nothing written.
  batch.mutations[0].value = "stale";
  absl::Status stale = machine->Apply(5, EncodeBatch(batch, /*validated_at=*/2));
  EXPECT_TRUE(absl::IsAborted(stale)) << stale;
  EXPECT_EQ(Get(*machine, "k"), "validated-at-2");
  // Re-validated at the current revision: accepted (index 5 became a gap).
  batch.mutations[0].value = "fresh";
  ASSERT_TRUE(machine->Apply(6, EncodeBatch(batch, machine->revision())).ok());
  EXPECT_EQ(Get(*machine, "k"), "fresh");
  EXPECT_EQ(machine->revision(), 6u);
}

TEST_F(StoreStateMachineTest, ExactWriteMustLandRightAfterItsValidationAndListenerSeesIt) {
  auto machine = OpenMachine("a");
  std::vector<uint64_t> seen;
  machine->SetApplyListener([&](uint64_t revision) { seen.push_back(revision); });
  ASSERT_TRUE(machine->Apply(2, PutCommand("k", "v1")).ok());
  store::Batch batch;
  batch.mutations.push_back(store::Mutation::Put(Kind::kAccount, "k", "exact"));
  // Validated at 2 but a configuration entry took index 3: even a filler breaks an exact write.
  absl::Status moved = machine->Apply(4, EncodeBatch(batch, /*validated_at=*/2, /*exact=*/true));
  EXPECT_TRUE(absl::IsAborted(moved)) << moved;
  EXPECT_EQ(Get(*machine, "k"), "v1");
  EXPECT_EQ(machine->revision(), 4u);  // the refused index is filled as well
  ASSERT_TRUE(machine->Apply(5, EncodeBatch(batch, /*validated_at=*/4, /*exact=*/true)).ok());
  EXPECT_EQ(Get(*machine, "k"), "exact");
  EXPECT_EQ(machine->revision(), 5u);
  EXPECT_EQ(seen, (std::vector<uint64_t>{2, 4, 5}));
}

TEST_F(StoreStateMachineTest, SnapshotTheStoreAlreadyCoversIsNotUnpacked) {
  auto machine = OpenMachine("a");
  for (uint64_t i = 2; i < 10; ++i) {
    ASSERT_TRUE(machine->Apply(i, PutCommand("k", std::to_string(i))).ok());
  }
  absl::StatusOr<std::string> snapshot = machine->Snapshot(5);
  ASSERT_TRUE(snapshot.ok());
  ASSERT_TRUE(machine->Restore(5, *snapshot).ok());
  EXPECT_EQ(machine->revision(), 9u);
  EXPECT_EQ(Get(*machine, "k"), "9");
  EXPECT_TRUE(std::filesystem::exists(root_ / "a" / "store-0"));  // still the live generation
}

TEST_F(StoreStateMachineTest, GarbageSnapshotLeavesTheStoreAlone) {
  auto machine = OpenMachine("a");
  ASSERT_TRUE(machine->Apply(2, PutCommand("k", "v1")).ok());
  EXPECT_FALSE(machine->Restore(9, "garbage").ok());
  EXPECT_FALSE(machine->Restore(9, "LTARCH1\n\x01\x00").ok());
  EXPECT_EQ(machine->revision(), 2u);
  EXPECT_EQ(Get(*machine, "k"), "v1");
  ASSERT_TRUE(machine->Apply(3, PutCommand("k", "v2")).ok());
}

// --- three real replicas over loopback TCP, replicating into RocksDB ----------------------------

bool Eventually(const std::function<bool()>& condition) {
  return testutil::Eventually(condition, std::chrono::seconds(60));
}

struct Member {
  std::unique_ptr<StoreStateMachine> machine;
  std::unique_ptr<Replica> replica;
};

TEST_F(StoreStateMachineTest, ThreeReplicasConvergeIncludingAWipedOne) {
  std::vector<Peer> peers;
  for (uint64_t id = 1; id <= 3; ++id) {
    peers.push_back({id, "127.0.0.1:" + std::to_string(testutil::FreePortOrDie())});
  }
  std::map<uint64_t, Member> members;
  auto start = [&](uint64_t id) {
    Member& m = members[id];
    m.machine = OpenMachine("store-" + std::to_string(id));
    ASSERT_NE(m.machine, nullptr);
    m.replica = std::make_unique<Replica>(*m.machine);
    ReplicaConfig config;
    config.id = id;
    config.address = peers[id - 1].address;
    config.data_dir = (root_ / ("raft-" + std::to_string(id))).string();
    config.bootstrap = peers;
    config.election_timeout_ms = 400;
    config.heartbeat_timeout_ms = 50;
    config.snapshot_threshold = 32;
    config.snapshot_trailing = 4;
    ASSERT_TRUE(m.replica->Start(config).ok());
  };
  auto leader = [&]() -> Replica* {
    Replica* found = nullptr;
    Eventually([&] {
      for (auto& [id, m] : members) {
        if (m.replica && m.replica->IsLeader()) {
          found = m.replica.get();
          return true;
        }
      }
      return false;
    });
    return found;
  };
  // Proposes until committed (a new name per attempt keeps the check exact).
  std::map<std::string, std::string> expected;
  auto put = [&](const std::string& key) {
    for (int attempt = 0; attempt < 50; ++attempt) {
      Replica* current = leader();
      ASSERT_NE(current, nullptr);
      std::string value = "v" + std::to_string(attempt);
      ProposeResult result = current->Propose(PutCommand(key, value)).get();
      if (result.code == ProposeCode::kCommitted) {
        ASSERT_TRUE(result.verdict.ok()) << result.verdict;
        expected[key] = value;
        return;
      }
    }
    FAIL() << "never committed " << key;
  };
  for (uint64_t id = 1; id <= 3; ++id) {
    start(id);
  }
  for (int i = 0; i < 60; ++i) {
    put("early" + std::to_string(i));
  }
  uint64_t victim = 0;
  for (auto& [id, m] : members) {
    if (!m.replica->IsLeader()) {
      victim = id;
    }
  }
  members[victim].replica->Stop();
  members[victim] = Member{};
  std::filesystem::remove_all(root_ / ("raft-" + std::to_string(victim)));
  std::filesystem::remove_all(root_ / ("store-" + std::to_string(victim)));
  for (int i = 0; i < 100; ++i) {
    put("late" + std::to_string(i));
  }
  start(victim);

  uint64_t target = 0;
  for (auto& [id, m] : members) {
    if (m.replica->IsLeader()) {
      target = m.machine->revision();
    }
  }
  ASSERT_GT(target, 160u);
  for (auto& [id, m] : members) {
    ASSERT_TRUE(Eventually([&] { return m.machine->revision() >= target; }))
        << "replica " << id << " at revision " << m.machine->revision() << " < " << target;
    for (const auto& [key, value] : expected) {
      ASSERT_EQ(Get(*m.machine, key), value) << "replica " << id << " key " << key;
    }
  }
  EXPECT_GE(members[victim].replica->Stats().snapshots_restored, 1u);
  // Identical audit trails up to the common revision: same batches, same fillers, same order.
  auto reference = members[1].machine->store()->Audit(0, target);
  ASSERT_TRUE(reference.ok());
  for (auto& [id, m] : members) {
    auto audit = m.machine->store()->Audit(0, target);
    ASSERT_TRUE(audit.ok());
    ASSERT_GE(audit->size(), 1u);
    // A restored replica's audit starts with the snapshot's; compare what both hold.
    for (size_t i = 0; i < std::min(audit->size(), reference->size()); ++i) {
      EXPECT_EQ((*audit)[i].revision, (*reference)[i].revision);
      EXPECT_EQ((*audit)[i].changed, (*reference)[i].changed);
    }
  }
  for (auto& [id, m] : members) {
    m.replica->Stop();
  }
}

}  // namespace
}  // namespace lattice::raft
