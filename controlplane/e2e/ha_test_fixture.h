// A gtest fixture over HaCluster for the HA e2e suites: starts three replicas in the test's own
// temporary directory and offers the waits and writes every scenario begins with.
#pragma once

#include <chrono>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "gtest/gtest.h"

#include "common/testing/eventually.h"
#include "controlplane/e2e/ha_cluster.h"
#include "controlplane/e2e/process.h"

namespace lattice::control_e2e {

// Replicas start, elect and apply on a loaded 2-core box: every wait allows two minutes.
template <typename F>
bool Eventually(F condition) {
  return testutil::Eventually(condition, std::chrono::seconds(120));
}

// Thread: the test thread.
class HaClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_ = std::make_unique<HaCluster>(
        Runfile("controlplane/lattice-control"),
        std::string(std::getenv("TEST_TMPDIR")) + "/ha-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    absl::Status started = cluster_->Start();
    ASSERT_TRUE(started.ok()) << started;
  }

  // The leader's index (0-based, as Kill/Restart take it) once one is elected (0 and a test
  // failure if none in time).
  int WaitLeader() {
    std::optional<int> leader;
    EXPECT_TRUE(Eventually([&] { return (leader = cluster_->Leader()).has_value(); }));
    return leader.value_or(0);
  }

  // One acknowledged write (a new cluster named `name`); its revision, 0 on failure.
  uint64_t MustPut(const std::string& name) {
    auto revision =
        cluster_->Put(name, std::chrono::steady_clock::now() + std::chrono::seconds(120));
    EXPECT_TRUE(revision.ok()) << revision.status();
    return revision.value_or(0);
  }

  std::unique_ptr<HaCluster> cluster_;
};

}  // namespace lattice::control_e2e
