// Tests for Eventually: immediate success, success after polls, and giving up at the deadline.
#include "common/testing/eventually.h"

#include <chrono>

#include "gtest/gtest.h"

namespace lattice::testutil {
namespace {

TEST(EventuallyTest, TrueConditionIsEvaluatedOnce) {
  int calls = 0;
  EXPECT_TRUE(Eventually([&] { return ++calls > 0; }));
  EXPECT_EQ(calls, 1);
}

TEST(EventuallyTest, PollsUntilTheConditionHolds) {
  int calls = 0;
  EXPECT_TRUE(Eventually([&] { return ++calls == 5; }, std::chrono::seconds(30)));
  EXPECT_EQ(calls, 5);
}

TEST(EventuallyTest, FalseAfterTheDeadline) {
  int calls = 0;
  EXPECT_FALSE(Eventually(
      [&] {
        ++calls;
        return false;
      },
      std::chrono::milliseconds(0)));
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace lattice::testutil
