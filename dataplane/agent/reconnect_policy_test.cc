// Tests for ReconnectPolicy: failover order and per-sweep backoff of the node agent.
#include "dataplane/agent/reconnect_policy.h"

#include <vector>

#include "gtest/gtest.h"

namespace lattice::agent {
namespace {

using std::chrono::milliseconds;

TEST(ReconnectPolicyTest, FailedAttemptsSweepTheListBeforeBackingOff) {
  ReconnectPolicy policy(3, milliseconds(100), milliseconds(1000));
  std::vector<size_t> order;
  std::vector<int64_t> pauses;
  for (int i = 0; i < 9; ++i) {
    order.push_back(policy.index());
    pauses.push_back(policy.Next(false).count());
  }
  EXPECT_EQ(order, (std::vector<size_t>{0, 1, 2, 0, 1, 2, 0, 1, 2}));
  // No pause inside a sweep; the backoff doubles per failed sweep.
  EXPECT_EQ(pauses, (std::vector<int64_t>{0, 0, 100, 0, 0, 200, 0, 0, 400}));
}

TEST(ReconnectPolicyTest, BackoffIsCappedAtMax) {
  ReconnectPolicy policy(1, milliseconds(100), milliseconds(300));
  std::vector<int64_t> pauses;
  for (int i = 0; i < 5; ++i)
    pauses.push_back(policy.Next(false).count());
  EXPECT_EQ(pauses, (std::vector<int64_t>{100, 200, 300, 300, 300}));
}

TEST(ReconnectPolicyTest, ARegisteredSessionResetsTheBackoffAndMovesOn) {
  ReconnectPolicy policy(3, milliseconds(100), milliseconds(5000));
  for (int i = 0; i < 6; ++i)
    policy.Next(false);  // two failed sweeps: the backoff is now 400
  ASSERT_EQ(policy.index(), 0u);
  // The session on replica 0 registered and then ended (its leader died): the next replica is
  // dialled after the initial pause, and a sweep that fails again pauses only `initial`.
  EXPECT_EQ(policy.Next(true).count(), 100);
  EXPECT_EQ(policy.index(), 1u);
  EXPECT_EQ(policy.Next(false).count(), 0);
  EXPECT_EQ(policy.Next(false).count(), 0);
  EXPECT_EQ(policy.index(), 0u);
  EXPECT_EQ(policy.Next(false).count(), 100);
  EXPECT_EQ(policy.Next(false).count(), 0);
}

TEST(ReconnectPolicyTest, AnEmptyListActsLikeOneAddress) {
  ReconnectPolicy policy(0, milliseconds(10), milliseconds(40));
  EXPECT_EQ(policy.index(), 0u);
  EXPECT_EQ(policy.Next(false).count(), 10);
  EXPECT_EQ(policy.index(), 0u);
}

}  // namespace
}  // namespace lattice::agent
