// End-to-end HA: three real lattice-control processes as one Raft group on loopback.
// kill -9 of the leader during a stream of writes loses no acknowledged write and applies none
// twice; a leader cut off from both followers (SIGSTOP) cannot commit; a full stop and restart
// keeps all state; a wiped follower catches up by snapshot; latticectl follows the leader.
// No timing assertions: every wait is a poll with a deadline.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <set>
#include <thread>

#include "gtest/gtest.h"

#include "common/testing/eventually.h"
#include "controlplane/e2e/ha_cluster.h"
#include "controlplane/e2e/ha_test_fixture.h"
#include "controlplane/e2e/process.h"

namespace lattice::control_e2e {
namespace {

using Clock = std::chrono::steady_clock;

class HaE2eTest : public HaClusterTest {
 protected:
  // Every running replica reaches `revision`; then each holds exactly `names` (plus `extra`,
  // writes whose outcome is allowed either way) and each name is in exactly one audit record.
  void ExpectConverged(uint64_t revision, const std::set<std::string>& names,
                       const std::set<std::string>& maybe = {}) {
    std::vector<std::vector<std::string>> trails;
    for (int i = 0; i < cluster_->size(); ++i) {
      if (!cluster_->Running(i))
        continue;
      ASSERT_TRUE(Eventually([&] {
        auto r = cluster_->Revision(i);
        return r.ok() && *r >= revision;
      })) << "replica "
          << i + 1 << " stuck; log:\n"
          << cluster_->log(i);
      auto listed = cluster_->ClusterNames(i);
      ASSERT_TRUE(listed.ok()) << listed.status();
      std::set<std::string> stored(listed->begin(), listed->end());
      for (const std::string& name : names)
        EXPECT_EQ(stored.count(name), 1u) << "replica " << i + 1 << " lost acknowledged " << name;
      for (const std::string& name : stored)
        EXPECT_TRUE(names.count(name) || maybe.count(name)) << "unexpected " << name;
      auto audit = cluster_->AuditTrail(i);
      ASSERT_TRUE(audit.ok()) << audit.status();
      std::map<std::string, int> writes;
      std::vector<std::string> trail;
      for (const auto& entry : *audit) {
        for (const auto& changed : entry.changed()) {
          ++writes[changed];
          trail.push_back(std::to_string(entry.revision()) + " " + changed);
        }
      }
      for (const auto& [changed, count] : writes)
        EXPECT_EQ(count, 1) << changed << " applied " << count << " times on " << i + 1;
      trails.push_back(trail);
    }
    for (size_t t = 1; t < trails.size(); ++t) {
      // Same entries at the same revisions everywhere (compared up to the shorter trail).
      size_t n = std::min(trails[0].size(), trails[t].size());
      EXPECT_TRUE(std::equal(trails[0].begin(), trails[0].begin() + n, trails[t].begin()));
    }
  }
};

TEST_F(HaE2eTest, LeaderKilledDuringWriteStreamLosesNothingAndAppliesNothingTwice) {
  constexpr int kWrites = 1200;
  std::atomic<int> acked{0};
  std::set<std::string> names;
  for (int i = 0; i < kWrites; ++i)
    names.insert("k" + std::to_string(i));
  std::atomic<uint64_t> last_revision{0};
  std::atomic<bool> failed{false};
  std::thread writer([&] {
    for (int i = 0; i < kWrites; ++i) {
      auto revision =
          cluster_->Put("k" + std::to_string(i), Clock::now() + std::chrono::seconds(120));
      if (!revision.ok()) {
        failed = true;
        return;
      }
      last_revision = std::max(last_revision.load(), *revision);
      ++acked;
    }
  });
  ASSERT_TRUE(Eventually([&] { return acked >= 300 || failed; }));
  const int leader = WaitLeader();
  cluster_->Kill(leader, SIGKILL);
  writer.join();
  ASSERT_FALSE(failed);
  ASSERT_EQ(acked, kWrites);
  WaitLeader();
  ASSERT_TRUE(cluster_->Restart(leader).ok());
  ExpectConverged(last_revision, names);
}

TEST_F(HaE2eTest, MinorityCannotCommitAndEverythingSurvivesAFullRestart) {
  std::set<std::string> names;
  uint64_t revision = 0;
  for (int i = 0; i < 50; ++i) {
    names.insert("a" + std::to_string(i));
    revision = MustPut("a" + std::to_string(i));
  }
  const int leader = WaitLeader();
  std::vector<int> followers;
  for (int i = 0; i < cluster_->size(); ++i) {
    if (i != leader)
      followers.push_back(i);
  }
  for (int f : followers)
    ASSERT_TRUE(cluster_->Signal(f, SIGSTOP).ok());
  // The old leader alone: nothing it is asked commits while both followers are stopped.
  for (int attempt = 0; attempt < 3; ++attempt) {
    uint64_t ignored = 0;
    grpc::Status status =
        cluster_->PutOn(leader, "minority", std::chrono::milliseconds(1500), &ignored);
    if (status.ok())
      names.insert("minority");  // acknowledged, so it must not be lost either
    EXPECT_FALSE(status.ok()) << "a minority committed a write at revision " << ignored
                              << "; replica " << leader + 1 << "'s log:\n"
                              << cluster_->log(leader);
  }
  for (int f : followers)
    ASSERT_TRUE(cluster_->Signal(f, SIGCONT).ok());
  names.insert("after-partition");
  revision = MustPut("after-partition");
  ExpectConverged(revision, names, {"minority"});

  for (int i = 0; i < cluster_->size(); ++i)
    cluster_->Kill(i, SIGTERM);
  for (int i = 0; i < cluster_->size(); ++i)
    ASSERT_TRUE(cluster_->Restart(i).ok());
  WaitLeader();
  ExpectConverged(revision, names, {"minority"});
  names.insert("after-restart");
  ExpectConverged(MustPut("after-restart"), names, {"minority"});
}

TEST_F(HaE2eTest, WipedFollowerCatchesUpBySnapshotAndLatticectlFollowsTheLeader) {
  const int leader = WaitLeader();
  const int follower = (leader + 1) % cluster_->size();
  cluster_->Kill(follower, SIGKILL);
  cluster_->Wipe(follower);
  std::set<std::string> names;
  uint64_t revision = 0;
  for (int i = 0; i < 1300; ++i) {  // past the snapshot threshold (1024): the log is truncated
    names.insert("w" + std::to_string(i));
    revision = MustPut("w" + std::to_string(i));
  }
  ASSERT_TRUE(cluster_->Restart(follower).ok());
  ExpectConverged(revision, names);
  EXPECT_NE(cluster_->log(follower).find("restored store from snapshot"), std::string::npos);

  // latticectl given the follower first: refused there, it follows the leader hint.
  Output put = RunToCompletion({Runfile("tools/latticectl_admin/latticectl-admin"), "--server",
                                cluster_->admin_address(follower), "--token", kHaToken, "cluster",
                                "put", "via-cli"});
  EXPECT_EQ(put.exit_code, 0) << put.err;
  EXPECT_NE(put.out.find("applied at revision"), std::string::npos) << put.out;
  Output replicas =
      RunToCompletion({Runfile("tools/latticectl_admin/latticectl-admin"), "--server",
                       cluster_->admin_address(leader), "--token", kHaToken, "replicas"});
  EXPECT_EQ(replicas.exit_code, 0) << replicas.err;
  EXPECT_NE(replicas.out.find("LAG"), std::string::npos) << replicas.out;
  Output linearizable = RunToCompletion({Runfile("tools/latticectl_admin/latticectl-admin"),
                                         "--server", cluster_->admin_address(follower), "--token",
                                         kHaToken, "--linearizable", "cluster", "get", "via-cli"});
  EXPECT_EQ(linearizable.exit_code, 0) << linearizable.err;
}

}  // namespace
}  // namespace lattice::control_e2e
