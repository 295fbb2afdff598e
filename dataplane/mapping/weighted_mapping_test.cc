// Unit tests for WeightedMapping: config errors, remainder rules, picking and clusters.
#include "dataplane/mapping/weighted_mapping.h"

#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace lattice::mapping {
namespace {

// How many of the 100 rolls pick each destination ("<drop>" for none).
std::map<std::string, int> Histogram(const WeightedMapping& m, const std::string& cluster = "") {
  std::map<std::string, int> counts;
  for (uint32_t roll = 0; roll < 100; ++roll) {
    const SubjectTransform* t = m.Pick(roll, cluster);
    ++counts[t == nullptr ? "<drop>" : t->destination()];
  }
  return counts;
}

std::string CreateError(const std::string& source, const std::vector<MapDest>& dests) {
  absl::StatusOr<WeightedMapping> m = WeightedMapping::Create(source, dests);
  EXPECT_FALSE(m.ok());
  return m.ok() ? "" : std::string(m.status().message());
}

TEST(WeightedMappingTest, WeightsSplitTheRollsAndTheRemainderIsUnchanged) {
  absl::StatusOr<WeightedMapping> m =
      WeightedMapping::Create("a.*", {{"b.$1", 30, ""}, {"c.$1", 50, ""}});
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(Histogram(*m), (std::map<std::string, int>{{"b.$1", 30}, {"c.$1", 50}, {"a.$1", 20}}));
  // Sorted by weight, then cumulative: rolls 0-19 -> remainder (20), 20-49 -> b (30), 50-99 -> c.
  EXPECT_EQ(m->Pick(0, "")->destination(), "a.$1");
  EXPECT_EQ(m->Pick(19, "")->destination(), "a.$1");
  EXPECT_EQ(m->Pick(20, "")->destination(), "b.$1");
  EXPECT_EQ(m->Pick(49, "")->destination(), "b.$1");
  EXPECT_EQ(m->Pick(50, "")->destination(), "c.$1");
  EXPECT_EQ(m->Pick(199, "")->destination(), "c.$1");  // roll is taken mod 100
}

TEST(WeightedMappingTest, EqualWeightsKeepConfigOrder) {
  absl::StatusOr<WeightedMapping> m = WeightedMapping::Create("a", {{"x", 50, ""}, {"y", 50, ""}});
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->Pick(0, "")->destination(), "x");
  EXPECT_EQ(m->Pick(50, "")->destination(), "y");
}

TEST(WeightedMappingTest, ListingTheSourceMakesTheRemainderADrop) {
  absl::StatusOr<WeightedMapping> m = WeightedMapping::Create("a", {{"a", 40, ""}, {"b", 10, ""}});
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(Histogram(*m), (std::map<std::string, int>{{"b", 10}, {"a", 40}, {"<drop>", 50}}));
}

TEST(WeightedMappingTest, LiteralAndFullWildcardRemainders) {
  absl::StatusOr<WeightedMapping> m = WeightedMapping::Create("a.*.>", {{"b.$1.>", 0, ""}});
  ASSERT_TRUE(m.ok());
  const SubjectTransform* t = m->Pick(7, "");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->destination(), "a.$1.>");
  std::string out;
  ASSERT_TRUE(t->Apply("a.x.y.z", &out));
  EXPECT_EQ(out, "a.x.y.z");
}

TEST(WeightedMappingTest, ClusterListsWinForTheirClusterOnly) {
  absl::StatusOr<WeightedMapping> m = WeightedMapping::Create(
      "a", {{"east", 30, "east"}, {"west", 30, "west"}, {"default", 40, ""}});
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(Histogram(*m, "east"), (std::map<std::string, int>{{"east", 30}, {"a", 70}}));
  EXPECT_EQ(Histogram(*m, "west"), (std::map<std::string, int>{{"west", 30}, {"a", 70}}));
  EXPECT_EQ(Histogram(*m, "north"), (std::map<std::string, int>{{"default", 40}, {"a", 60}}));
  EXPECT_EQ(Histogram(*m, ""), (std::map<std::string, int>{{"default", 40}, {"a", 60}}));
}

TEST(WeightedMappingTest, OnlyClusterListsLeaveTheDefaultUnchanged) {
  absl::StatusOr<WeightedMapping> m = WeightedMapping::Create("a.*", {{"b.$1", 100, "east"}});
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(Histogram(*m, "west"), (std::map<std::string, int>{{"a.$1", 100}}));
  EXPECT_EQ(Histogram(*m, "east"), (std::map<std::string, int>{{"b.$1", 100}}));
}

TEST(WeightedMappingTest, Errors) {
  EXPECT_EQ(CreateError("a b", {{"c", 100, ""}}), "invalid subject");
  EXPECT_EQ(CreateError("", {{"c", 100, ""}}), "invalid subject");
  EXPECT_EQ(CreateError("a", {{"b", 10, ""}, {"b", 10, ""}}), "duplicate entry for \"b\"");
  // Duplicates are by subject, whatever the cluster.
  EXPECT_EQ(CreateError("a", {{"b", 10, ""}, {"b", 10, "east"}}), "duplicate entry for \"b\"");
  EXPECT_EQ(CreateError("a", {{"b", 101, ""}}), "individual weights need to be <= 100");
  EXPECT_EQ(CreateError("a", {{"b", 60, ""}, {"c", 50, ""}}), "total weight needs to be <= 100");
  // The total counts cluster-scoped destinations too (nats-server 2.9.10).
  EXPECT_EQ(CreateError("a", {{"b", 60, "east"}, {"c", 50, "west"}}),
            "total weight needs to be <= 100");
  EXPECT_EQ(CreateError("a.*", {{"b.$1", 50, ""}, {"c", 50, ""}}),
            "invalid mapping destination: not using all of the token wildcard(s) in c");
}

TEST(WeightedMappingTest, MatchTokens) {
  absl::StatusOr<WeightedMapping> m = WeightedMapping::Create("a.*", {{"b.$1", 100, ""}});
  ASSERT_TRUE(m.ok());
  std::vector<std::string_view> yes = {"a", "x"};
  std::vector<std::string_view> no = {"a", "x", "y"};
  EXPECT_TRUE(m->MatchTokens(yes));
  EXPECT_FALSE(m->MatchTokens(no));
  EXPECT_TRUE(m->source_has_wildcard());
  EXPECT_EQ(m->source(), "a.*");
}

}  // namespace
}  // namespace lattice::mapping
