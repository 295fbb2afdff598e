// Unit tests for MappingTable: first match wins, replace/remove order, drops, the fast path.
#include "dataplane/mapping/mapping_table.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

#include "dataplane/mapping/mapping_cases.h"

namespace lattice::mapping {
namespace {

std::string MapOrSame(const MappingTable& table, const std::string& subject, uint32_t roll = 0) {
  std::string out = "untouched";
  if (!table.Map(subject, roll, &out)) {
    EXPECT_EQ(out, "untouched");
    return subject;
  }
  return out.empty() ? "<drop>" : out;
}

TEST(MappingTableTest, EmptyTableMapsNothing) {
  MappingTable table;
  EXPECT_TRUE(table.empty());
  std::string out;
  EXPECT_FALSE(table.Map("a.b", 0, &out));
}

TEST(MappingTableTest, FirstMatchingMappingWins) {
  MappingTable table;
  ASSERT_TRUE(table.Add("a.*", "first.$1").ok());
  ASSERT_TRUE(table.Add("a.b", "second").ok());
  ASSERT_TRUE(table.Add("a.>", "third.>").ok());
  EXPECT_EQ(table.size(), 3u);
  EXPECT_EQ(MapOrSame(table, "a.b"), "first.b");
  EXPECT_EQ(MapOrSame(table, "a.b.c"), "third.b.c");
  EXPECT_EQ(MapOrSame(table, "b.b"), "b.b");
}

TEST(MappingTableTest, AddReplacesInPlaceAndRemoveMovesTheLast) {
  MappingTable table;
  ASSERT_TRUE(table.Add("a.*", "one.$1").ok());
  ASSERT_TRUE(table.Add("a.b", "two").ok());
  ASSERT_TRUE(table.Add("a.>", "three.>").ok());
  ASSERT_TRUE(table.Add("a.*", "uno.$1").ok());  // keeps slot 0
  EXPECT_EQ(table.size(), 3u);
  EXPECT_EQ(MapOrSame(table, "a.b"), "uno.b");
  // Removing slot 0 moves "a.>" there, ahead of "a.b" (nats-server's swap-remove).
  EXPECT_TRUE(table.Remove("a.*"));
  EXPECT_FALSE(table.Remove("a.*"));
  EXPECT_EQ(MapOrSame(table, "a.b"), "three.b");
  EXPECT_TRUE(table.Remove("a.>"));
  EXPECT_EQ(MapOrSame(table, "a.b"), "two");
  EXPECT_TRUE(table.Remove("a.b"));
  EXPECT_TRUE(table.empty());
  EXPECT_EQ(MapOrSame(table, "a.b"), "a.b");
}

TEST(MappingTableTest, FailedAddLeavesTheTableAlone) {
  MappingTable table;
  ASSERT_TRUE(table.Add("a.*", "one.$1").ok());
  EXPECT_FALSE(table.Add("a.*", "bad").ok());
  EXPECT_EQ(MapOrSame(table, "a.b"), "one.b");
}

TEST(MappingTableTest, FirstTokenFastPathStillSeesWildcardFirstTokens) {
  MappingTable table;
  ASSERT_TRUE(table.Add("orders.*", "o.$1").ok());
  EXPECT_EQ(MapOrSame(table, "payments.x"), "payments.x");
  EXPECT_EQ(MapOrSame(table, "orders"), "orders");
  EXPECT_EQ(MapOrSame(table, "orders.x"), "o.x");
  ASSERT_TRUE(table.Add("*.audit", "audit.$1").ok());
  EXPECT_EQ(MapOrSame(table, "payments.audit"), "audit.payments");
  ASSERT_TRUE(table.Remove("*.audit"));
  EXPECT_EQ(MapOrSame(table, "payments.audit"), "payments.audit");
  ASSERT_TRUE(table.Add(">", "all.>").ok());
  EXPECT_EQ(MapOrSame(table, "x"), "all.x");
}

TEST(MappingTableTest, FirstTokenIndexKeepsTableOrderAcrossWildcardFirstTokens) {
  MappingTable table;
  ASSERT_TRUE(table.Add("a.y", "lit-before").ok());
  ASSERT_TRUE(table.Add("*.x", "star.$1").ok());
  ASSERT_TRUE(table.Add("a.x", "lit-after").ok());
  ASSERT_TRUE(table.Add("b.*", "b-wild.$1").ok());
  ASSERT_TRUE(table.Add("*x.q", "quirk").ok());  // literal source; "*x" matches any token
  EXPECT_EQ(MapOrSame(table, "a.x"), "star.a");
  EXPECT_EQ(MapOrSame(table, "a.y"), "lit-before");
  EXPECT_EQ(MapOrSame(table, "b.x"), "star.b");
  EXPECT_EQ(MapOrSame(table, "b.z"), "b-wild.z");
  EXPECT_EQ(MapOrSame(table, "c.q"), "quirk");
  EXPECT_EQ(MapOrSame(table, "c.z"), "c.z");
  ASSERT_TRUE(table.Remove("*.x"));  // "*x.q" moves into slot 1
  EXPECT_EQ(MapOrSame(table, "a.x"), "lit-after");
  EXPECT_EQ(MapOrSame(table, "a.q"), "quirk");
}

TEST(MappingTableTest, WeightedDropAndClusterSelection) {
  MappingTable table("east");
  ASSERT_TRUE(table.Add("d", {{"d", 30, ""}}).ok());
  EXPECT_EQ(MapOrSame(table, "d", 29), "d");
  EXPECT_EQ(MapOrSame(table, "d", 30), "<drop>");
  // East: identity 40 then e 60 (cumulative 40, 100). West: w 40 then identity (40, 100).
  const std::vector<MapDest> dests = {{"e.$1", 60, "east"}, {"w.$1", 40, "west"}};
  ASSERT_TRUE(table.Add("c.*", dests).ok());
  EXPECT_EQ(MapOrSame(table, "c.x", 39), "c.x");
  EXPECT_EQ(MapOrSame(table, "c.x", 40), "e.x");
  MappingTable west("west");
  ASSERT_TRUE(west.Add("c.*", dests).ok());
  EXPECT_EQ(MapOrSame(west, "c.x", 39), "w.x");
  EXPECT_EQ(MapOrSame(west, "c.x", 40), "c.x");
  MappingTable other("north");
  ASSERT_TRUE(other.Add("c.*", dests).ok());
  EXPECT_EQ(MapOrSame(other, "c.x", 99), "c.x");
}

TEST(MappingTableTest, ObservedNatsServerCases) {
  MappingTable table;
  const auto cases = testdata::ObservedCases();
  for (const auto& c : cases) {
    ASSERT_TRUE(table.Add(c.source, c.dests).ok()) << c.source;
  }
  for (const auto& c : cases) {
    EXPECT_EQ(MapOrSame(table, c.input), c.expected.value_or("<drop>")) << c.source;
  }
}

}  // namespace
}  // namespace lattice::mapping
