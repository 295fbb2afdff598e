// Tests for JSON diffs and plan rendering.
#include "controlplane/plan/diff.h"

#include "gtest/gtest.h"

namespace lattice::plan {
namespace {

TEST(DiffJson, ReportsAddedRemovedAndChangedLeaves) {
  Json before = {{"name", "a"}, {"nats", {{"limits", {{"conn", -1}, {"subs", 10}}}}}};
  Json after = {{"name", "a"}, {"nats", {{"limits", {{"conn", 5}}}, {"exports", {1, 2}}}}};
  auto diffs = DiffJson(before, after);
  ASSERT_EQ(diffs.size(), 3u);
  EXPECT_EQ(diffs[0].path(), "nats.exports");
  EXPECT_EQ(diffs[0].before(), "");
  EXPECT_EQ(diffs[0].after(), "[1,2]");
  EXPECT_EQ(diffs[1].path(), "nats.limits.conn");
  EXPECT_EQ(diffs[1].before(), "-1");
  EXPECT_EQ(diffs[1].after(), "5");
  EXPECT_EQ(diffs[2].path(), "nats.limits.subs");
  EXPECT_EQ(diffs[2].after(), "");
}

TEST(DiffJson, NullEqualsAbsentAndEqualDocsHaveNoDiff) {
  Json a = {{"x", 1}, {"y", nullptr}};
  Json b = {{"x", 1}};
  EXPECT_TRUE(DiffJson(a, b).empty());
  EXPECT_TRUE(DiffJson(b, b).empty());
}

TEST(MakeChange, ChoosesOpAndSkipsNoOps) {
  control::v1::Change c;
  EXPECT_TRUE(MakeChange("cluster", "east", nullptr, Json{{"name", "east"}}, &c));
  EXPECT_EQ(c.op(), control::v1::Change::OP_CREATE);
  EXPECT_EQ(c.kind(), "cluster");
  EXPECT_TRUE(MakeChange("cluster", "east", Json{{"name", "east"}}, nullptr, &c));
  EXPECT_EQ(c.op(), control::v1::Change::OP_DELETE);
  EXPECT_FALSE(MakeChange("cluster", "east", Json{{"name", "east"}}, Json{{"name", "east"}}, &c));
  EXPECT_TRUE(MakeChange("cluster", "east", Json{{"name", "e"}}, Json{{"name", "east"}}, &c));
  EXPECT_EQ(c.op(), control::v1::Change::OP_UPDATE);
  ASSERT_EQ(c.fields_size(), 1);
  EXPECT_EQ(c.fields(0).before(), "\"e\"");
}

TEST(RenderPlan, ShowsSignsFieldsAndErrors) {
  control::v1::Plan plan;
  MakeChange("account", "ABC", nullptr, Json{{"nats", {{"limits", {{"conn", 5}}}}}},
             plan.add_changes());
  plan.add_errors("import \"x\" from AB: no such export");
  std::string text = RenderPlan(plan);
  EXPECT_NE(text.find("+ account/ABC\n"), std::string::npos);
  EXPECT_NE(text.find("nats.limits.conn: (none) -> 5"), std::string::npos);
  EXPECT_NE(text.find("! error: import"), std::string::npos);
  EXPECT_EQ(RenderPlan(control::v1::Plan()), "(no changes)\n");
}

}  // namespace
}  // namespace lattice::plan
