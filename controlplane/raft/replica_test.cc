// Component tests: real Replicas with libraft's libuv TCP transport and on-disk log on loopback,
// all in one process. "Eventually" means polling with a generous deadline, never a timing claim.
#include "controlplane/raft/replica.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "common/base/mutex.h"
#include "common/testing/eventually.h"
#include "common/testing/ports.h"

namespace lattice::raft {
namespace {

constexpr auto kDeadline = std::chrono::seconds(60);

// Applied commands, readable from the test thread while the loop thread applies.
class MemoryMachine : public StateMachine {
 public:
  absl::Status Apply(uint64_t index, std::string_view command) override {
    MutexLock lock(&mu_);
    if (!applied_.empty() && index <= applied_.back().first) {
      return absl::OkStatus();  // replay after restart: already applied
    }
    applied_.emplace_back(index, std::string(command));
    return absl::OkStatus();
  }
  absl::StatusOr<std::string> Snapshot(uint64_t index) override {
    MutexLock lock(&mu_);
    std::string out;
    for (const auto& [i, command] : applied_) {
      out += std::to_string(i) + " " + command + "\n";
    }
    return out;
  }
  absl::Status Restore(uint64_t index, std::string_view snapshot) override {
    MutexLock lock(&mu_);
    applied_.clear();
    std::istringstream in{std::string(snapshot)};
    uint64_t i = 0;
    std::string command;
    while (in >> i >> command) {
      applied_.emplace_back(i, command);
    }
    return absl::OkStatus();
  }
  std::vector<std::pair<uint64_t, std::string>> applied() {
    MutexLock lock(&mu_);
    return applied_;
  }
  uint64_t last_index() {
    MutexLock lock(&mu_);
    return applied_.empty() ? 0 : applied_.back().first;
  }

 private:
  Mutex mu_;
  std::vector<std::pair<uint64_t, std::string>> applied_ ABSL_GUARDED_BY(mu_);
};

bool Eventually(const std::function<bool()>& condition) {
  return testutil::Eventually(condition, kDeadline);
}

struct Node {
  Peer peer;
  std::string dir;
  std::unique_ptr<MemoryMachine> machine;
  std::unique_ptr<Replica> replica;
};

class ReplicaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TEST_TMPDIR");
    root_ = std::filesystem::path(tmp != nullptr ? tmp : "/tmp") /
            ("replica_test_" + std::to_string(getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
  }
  void TearDown() override {
    for (auto& [id, node] : nodes_) {
      if (node.replica) {
        node.replica->Stop();
      }
    }
    nodes_.clear();
    std::filesystem::remove_all(root_);
  }

  void AddNodes(int count) {
    for (int i = 0; i < count; ++i) {
      uint64_t id = nodes_.size() + 1;
      Node& node = nodes_[id];
      node.peer = {id, "127.0.0.1:" + std::to_string(testutil::FreePortOrDie())};
      node.dir = (root_ / ("replica-" + std::to_string(id))).string();
    }
  }

  ReplicaConfig ConfigFor(uint64_t id, bool bootstrap) {
    ReplicaConfig config;
    config.id = id;
    config.address = nodes_[id].peer.address;
    config.data_dir = nodes_[id].dir;
    if (bootstrap) {
      for (auto& [other, node] : nodes_) {
        if (other <= initial_voters_) {
          config.bootstrap.push_back(node.peer);
        }
      }
    }
    config.election_timeout_ms = 400;
    config.heartbeat_timeout_ms = 50;
    config.snapshot_threshold = snapshot_threshold_;
    config.snapshot_trailing = snapshot_trailing_;
    return config;
  }

  // Starts (or restarts, with a fresh in-memory machine) replica `id`.
  void StartNode(uint64_t id, bool bootstrap = true) {
    Node& node = nodes_[id];
    node.machine = std::make_unique<MemoryMachine>();
    node.replica = std::make_unique<Replica>(*node.machine);
    absl::Status status = node.replica->Start(ConfigFor(id, bootstrap));
    ASSERT_TRUE(status.ok()) << status;
  }

  void StopNode(uint64_t id) {
    nodes_[id].replica->Stop();
    nodes_[id].replica.reset();
  }

  // Waits until the running replicas agree on one leader; returns its id.
  uint64_t WaitForLeader() {
    uint64_t leader = 0;
    bool agreed = Eventually([&] {
      leader = 0;
      for (auto& [id, node] : nodes_) {
        if (node.replica && node.replica->IsLeader()) {
          leader = id;
        }
      }
      if (leader == 0) {
        return false;
      }
      // Replicas that know no leader yet (a joiner not yet added) do not veto.
      int followers = 0;
      for (auto& [id, node] : nodes_) {
        if (!node.replica || id == leader) {
          continue;
        }
        uint64_t seen = node.replica->Leader().id;
        if (seen != 0 && seen != leader) {
          return false;
        }
        followers += seen == leader ? 1 : 0;
      }
      return followers > 0;
    });
    EXPECT_TRUE(agreed) << "no agreed leader";
    return leader;
  }

  // Proposes "<prefix><n>" for n in [0, count), pipelined; retries commands whose outcome is
  // negative on the current leader under a new name. Returns acknowledged (index, command).
  std::vector<std::pair<uint64_t, std::string>> ProposeMany(const std::string& prefix, int count) {
    std::vector<std::pair<uint64_t, std::string>> acked;
    std::vector<std::string> todo;
    for (int n = 0; n < count; ++n) {
      todo.push_back(prefix + std::to_string(n));
    }
    for (int attempt = 0; !todo.empty() && attempt < 20; ++attempt) {
      uint64_t leader = WaitForLeader();
      std::vector<std::pair<std::string, std::future<ProposeResult>>> pending;
      for (const std::string& command : todo) {
        std::string name = attempt == 0 ? command : command + "-retry" + std::to_string(attempt);
        pending.emplace_back(name, nodes_[leader].replica->Propose(name));
      }
      todo.clear();
      for (auto& [name, future] : pending) {
        ProposeResult result = future.get();
        if (result.code == ProposeCode::kCommitted) {
          EXPECT_TRUE(result.verdict.ok());
          acked.emplace_back(result.index, name);
        } else {
          todo.push_back(name.substr(0, name.find("-retry")));
        }
      }
    }
    EXPECT_TRUE(todo.empty()) << todo.size() << " commands never committed";
    return acked;
  }

  // Every running replica applied the same sequence, containing each acked command once.
  void ExpectConsistent(const std::vector<std::pair<uint64_t, std::string>>& acked) {
    uint64_t last = 0;
    for (const auto& entry : acked) {
      last = std::max(last, entry.first);
    }
    std::vector<std::pair<uint64_t, std::string>> reference;
    for (auto& [id, node] : nodes_) {
      if (!node.replica) {
        continue;
      }
      ASSERT_TRUE(Eventually([&] { return node.machine->last_index() >= last; }))
          << "replica " << id << " stuck at " << node.machine->last_index() << " < " << last;
      auto applied = node.machine->applied();
      if (reference.empty()) {
        reference = applied;
      }
      size_t common = std::min(reference.size(), applied.size());
      for (size_t i = 0; i < common; ++i) {
        ASSERT_EQ(applied[i], reference[i]) << "replica " << id << " diverges at " << i;
      }
      std::map<std::string, int> seen;
      for (const auto& entry : applied) {
        ++seen[entry.second];
      }
      for (const auto& [index, command] : acked) {
        ASSERT_EQ(seen[command], 1)
            << "replica " << id << " applied " << command << " " << seen[command] << " times";
      }
    }
  }

  std::filesystem::path root_;
  std::map<uint64_t, Node> nodes_;
  uint64_t initial_voters_ = 3;
  unsigned snapshot_threshold_ = 1024;
  unsigned snapshot_trailing_ = 128;
};

TEST_F(ReplicaTest, ThreeReplicasReplicateAndSurviveLeaderLoss) {
  AddNodes(3);
  for (uint64_t id = 1; id <= 3; ++id) {
    StartNode(id);
  }
  auto acked = ProposeMany("first-", 1000);
  ASSERT_EQ(acked.size(), 1000u);
  ExpectConsistent(acked);

  uint64_t old_leader = WaitForLeader();
  StopNode(old_leader);
  uint64_t new_leader = WaitForLeader();
  ASSERT_NE(new_leader, old_leader);
  auto more = ProposeMany("second-", 200);
  acked.insert(acked.end(), more.begin(), more.end());
  ExpectConsistent(acked);

  // The old leader restarts from its own log (fresh in-memory machine: it replays) and catches up.
  StartNode(old_leader);
  ExpectConsistent(acked);
  ReplicaStats stats = nodes_[WaitForLeader()].replica->Stats();
  EXPECT_EQ(stats.role, Role::kLeader);
  EXPECT_EQ(stats.members.size(), 3u);
  EXPECT_GE(stats.commit_index, acked.back().first);
  EXPECT_TRUE(Eventually([&] {
    ReplicaStats s = nodes_[WaitForLeader()].replica->Stats();
    for (const MemberProgress& member : s.members) {
      if (member.match_index < acked.back().first) {
        return false;
      }
    }
    return true;
  })) << "followers' match index never caught up";
}

TEST_F(ReplicaTest, FollowerAnswersWithTheLeaderAndAMinorityCannotCommit) {
  AddNodes(3);
  for (uint64_t id = 1; id <= 3; ++id) {
    StartNode(id);
  }
  uint64_t leader = WaitForLeader();
  uint64_t follower = leader == 1 ? 2 : 1;
  ProposeResult refused = nodes_[follower].replica->Propose("to-follower").get();
  EXPECT_EQ(refused.code, ProposeCode::kNotLeader);
  EXPECT_EQ(refused.leader.id, leader);
  EXPECT_EQ(refused.leader.address, nodes_[leader].peer.address);

  auto acked = ProposeMany("base-", 10);
  ExpectConsistent(acked);
  for (uint64_t id = 1; id <= 3; ++id) {
    if (id != leader) {
      StopNode(id);
    }
  }
  size_t before = nodes_[leader].machine->applied().size();
  ProposeResult alone = nodes_[leader].replica->Propose("alone").get();
  // Without a quorum the leader steps down: the entry is not acknowledged, nor applied.
  EXPECT_NE(alone.code, ProposeCode::kCommitted);
  EXPECT_EQ(nodes_[leader].machine->applied().size(), before);
  EXPECT_FALSE(nodes_[leader].replica->IsLeader());
}

TEST_F(ReplicaTest, WipedFollowerCatchesUpThroughASnapshot) {
  snapshot_threshold_ = 64;
  snapshot_trailing_ = 8;
  AddNodes(3);
  for (uint64_t id = 1; id <= 3; ++id) {
    StartNode(id);
  }
  auto acked = ProposeMany("early-", 100);
  ExpectConsistent(acked);
  uint64_t leader = WaitForLeader();
  uint64_t victim = leader == 3 ? 2 : 3;
  StopNode(victim);
  std::filesystem::remove_all(nodes_[victim].dir);
  auto more = ProposeMany("late-", 300);
  acked.insert(acked.end(), more.begin(), more.end());
  ExpectConsistent(acked);
  EXPECT_GT(nodes_[WaitForLeader()].replica->Stats().snapshot_index, 100u);

  StartNode(victim);  // empty directory: bootstraps the same initial configuration, then syncs
  ExpectConsistent(acked);
  EXPECT_GE(nodes_[victim].replica->Stats().snapshots_restored, 1u);
}

TEST_F(ReplicaTest, AddsAndRemovesAVoter) {
  AddNodes(4);
  for (uint64_t id = 1; id <= 3; ++id) {
    StartNode(id);
  }
  auto acked = ProposeMany("before-", 20);
  StartNode(4, /*bootstrap=*/false);
  uint64_t leader = WaitForLeader();
  uint64_t follower = leader == 1 ? 2 : 1;
  absl::Status refused = nodes_[follower].replica->AddVoter(nodes_[4].peer).get();
  EXPECT_TRUE(absl::IsFailedPrecondition(refused)) << refused;

  absl::Status added = nodes_[leader].replica->AddVoter(nodes_[4].peer).get();
  ASSERT_TRUE(added.ok()) << added;
  // Retrying the same add (a client that lost the answer) succeeds without a second change;
  // the same id at another address is refused.
  leader = WaitForLeader();
  absl::Status again = nodes_[leader].replica->AddVoter(nodes_[4].peer).get();
  EXPECT_TRUE(again.ok()) << again;
  absl::Status moved = nodes_[leader].replica->AddVoter(Peer{4, "127.0.0.1:1"}).get();
  EXPECT_TRUE(absl::IsFailedPrecondition(moved)) << moved;
  auto more = ProposeMany("after-", 20);
  acked.insert(acked.end(), more.begin(), more.end());
  ExpectConsistent(acked);  // includes replica 4
  ReplicaStats stats = nodes_[WaitForLeader()].replica->Stats();
  ASSERT_EQ(stats.members.size(), 4u);
  for (const MemberProgress& member : stats.members) {
    EXPECT_TRUE(member.voter) << member.id;
  }

  leader = WaitForLeader();
  absl::Status removed = nodes_[leader].replica->Remove(4).get();
  ASSERT_TRUE(removed.ok()) << removed;
  EXPECT_EQ(nodes_[WaitForLeader()].replica->Stats().members.size(), 3u);
  StopNode(4);
  auto last = ProposeMany("without-4-", 5);
  EXPECT_EQ(last.size(), 5u);
}

TEST_F(ReplicaTest, StartFailuresAreReportedAndLeaveNothingRunning) {
  MemoryMachine machine;
  {
    Replica replica(machine);
    EXPECT_TRUE(absl::IsInvalidArgument(replica.Start(ReplicaConfig{})));
    // Never started: requests are answered at once instead of hanging.
    EXPECT_EQ(replica.Propose("x").get().code, ProposeCode::kShutdown);
    EXPECT_FALSE(replica.IsLeader());
    EXPECT_TRUE(absl::IsUnavailable(replica.AddVoter(Peer{9, "127.0.0.1:1"}).get()));
  }
  AddNodes(1);
  std::filesystem::create_directories(root_);
  {
    // The data directory path is a regular file.
    std::ofstream(root_ / "not-a-dir") << "x";
    ReplicaConfig config = ConfigFor(1, true);
    config.data_dir = (root_ / "not-a-dir").string();
    Replica replica(machine);
    EXPECT_FALSE(replica.Start(config).ok());
  }
  {
    // A bootstrap list with a duplicate id is refused before anything starts.
    ReplicaConfig config = ConfigFor(1, true);
    config.bootstrap.push_back(config.bootstrap.front());
    Replica replica(machine);
    EXPECT_FALSE(replica.Start(config).ok());
  }
  // A good start after the failures, and a second Start on the same Replica is refused.
  StartNode(1);
  EXPECT_TRUE(
      absl::IsFailedPrecondition(nodes_[1].replica->Start(ConfigFor(1, /*bootstrap=*/true))));
}

TEST_F(ReplicaTest, BarrierOnTheLeaderAndRefusalOnAFollower) {
  AddNodes(3);
  for (uint64_t id = 1; id <= 3; ++id) {
    StartNode(id);
  }
  auto acked = ProposeMany("pre-", 5);
  uint64_t leader = WaitForLeader();
  uint64_t follower = leader == 1 ? 2 : 1;
  absl::Status refused = nodes_[follower].replica->Barrier().get();
  EXPECT_TRUE(absl::IsFailedPrecondition(refused)) << refused;
  absl::Status barrier;
  for (int attempt = 0; attempt < 10; ++attempt) {  // a leadership change would fail one
    leader = WaitForLeader();
    barrier = nodes_[leader].replica->Barrier().get();
    if (barrier.ok()) {
      break;
    }
  }
  ASSERT_TRUE(barrier.ok()) << barrier;
  // Everything acknowledged before the barrier is applied on the leader when it completes.
  EXPECT_GE(nodes_[leader].machine->last_index(), acked.back().first);
  // The barrier took a log index without reaching the machine: later commands skip it.
  auto more = ProposeMany("post-", 5);
  ExpectConsistent(acked);
  ExpectConsistent(more);
}

TEST_F(ReplicaTest, RecoverAfterLosingQuorumLetsTheSurvivorLeadAlone) {
  AddNodes(3);
  for (uint64_t id = 1; id <= 3; ++id) {
    StartNode(id);
  }
  auto acked = ProposeMany("before-", 20);
  ExpectConsistent(acked);
  for (uint64_t id = 1; id <= 3; ++id) {
    StopNode(id);
  }
  // Replicas 2 and 3 are lost for good; 1 is recovered as a group of one.
  nodes_.erase(3);
  nodes_.erase(2);
  absl::Status recovered = Replica::Recover(ConfigFor(1, false), {nodes_[1].peer});
  ASSERT_TRUE(recovered.ok()) << recovered;
  StartNode(1, /*bootstrap=*/false);
  ASSERT_TRUE(Eventually([&] { return nodes_[1].replica->IsLeader(); }));
  ProposeResult result = nodes_[1].replica->Propose("after-recovery").get();
  ASSERT_EQ(result.code, ProposeCode::kCommitted) << result.error;
  // The fresh in-memory machine replayed the log: old commands, then the new one.
  auto applied = nodes_[1].machine->applied();
  ASSERT_EQ(applied.size(), acked.size() + 1);
  EXPECT_EQ(applied.back().second, "after-recovery");
  EXPECT_EQ(nodes_[1].replica->Stats().members.size(), 1u);
}

}  // namespace
}  // namespace lattice::raft
