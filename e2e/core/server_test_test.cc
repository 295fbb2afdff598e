// Tests for the known-gaps list parsing and lookup used by the differential suites.
#include "e2e/core/server_test.h"

namespace lattice::e2e {
namespace {

TEST(KnownGapsTest, ParsesIdsAndReasonsSkippingComments) {
  std::vector<KnownGap> gaps = ParseKnownGaps(
      "# comment\n\n  ProtocolTest.Foo   reason one  \nNatsJs.Drain\treason two\nBare\n");
  ASSERT_EQ(gaps.size(), 3u);
  EXPECT_EQ(gaps[0].id, "ProtocolTest.Foo");
  EXPECT_EQ(gaps[0].reason, "reason one");
  EXPECT_EQ(gaps[1].id, "NatsJs.Drain");
  EXPECT_EQ(gaps[1].reason, "reason two");
  EXPECT_EQ(gaps[2].id, "Bare");
  EXPECT_EQ(gaps[2].reason, "(no reason given)");
}

TEST(KnownGapsTest, MatchesGtestParameterizedNames) {
  std::vector<KnownGap> gaps = ParseKnownGaps("ProtocolTest.Foo why\n");
  const std::string* reason = FindKnownGap(gaps, "Servers/ProtocolTest", "Foo/lattice_node");
  ASSERT_NE(reason, nullptr);
  EXPECT_EQ(*reason, "why");
  EXPECT_EQ(FindKnownGap(gaps, "Servers/ProtocolTest", "FooBar/lattice_node"), nullptr);
  EXPECT_EQ(FindKnownGap(gaps, "Servers/AuthTest", "Foo/lattice_node"), nullptr);
}

TEST(KnownGapsTest, StarMatchesEverything) {
  std::vector<KnownGap> gaps = ParseKnownGaps("* not serving yet\n");
  ASSERT_NE(FindKnownGap(gaps, "Servers/AuthTest", "Anything/lattice_node"), nullptr);
}

TEST(KnownGapsTest, TheCheckedInListReads) {
  absl::StatusOr<std::vector<KnownGap>> gaps = KnownLatticeGaps();
  ASSERT_OK(gaps);
}

}  // namespace
}  // namespace lattice::e2e
