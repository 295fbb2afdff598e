// Tests for export authorization and wildcard subject rewriting.
#include "dataplane/accounts/exports.h"

#include "gtest/gtest.h"

namespace lattice::accounts {
namespace {

TEST(IsSubsetMatchTest, Wildcards) {
  EXPECT_TRUE(IsSubsetMatch("a.b", "a.b"));
  EXPECT_TRUE(IsSubsetMatch("a.b", "a.*"));
  EXPECT_TRUE(IsSubsetMatch("a.*", "a.>"));
  EXPECT_TRUE(IsSubsetMatch("a.b.c", "a.>"));
  EXPECT_TRUE(IsSubsetMatch("a.>", "a.>"));
  EXPECT_FALSE(IsSubsetMatch("a.>", "a.*"));
  EXPECT_FALSE(IsSubsetMatch("a", "a.>"));
  EXPECT_FALSE(IsSubsetMatch("a.*", "a.b"));
  EXPECT_FALSE(IsSubsetMatch("a.b.c", "a.*"));
  EXPECT_FALSE(IsSubsetMatch("b.c", "a.>"));
}

TEST(FindExportTest, PublicPrivateAndToken) {
  AccountSpec a;
  a.name = "A";
  a.stream_exports.push_back({"public.>", {}});
  StreamExport priv;
  priv.subject = "private.>";
  priv.access.approved = {"B"};
  a.stream_exports.push_back(priv);
  StreamExport tok;
  tok.subject = "token.>";
  tok.access.token_required = true;
  a.stream_exports.push_back(tok);

  EXPECT_NE(FindStreamExport(a, "public.x", "C", false), nullptr);
  EXPECT_NE(FindStreamExport(a, "private.x", "B", false), nullptr);
  EXPECT_EQ(FindStreamExport(a, "private.x", "C", false), nullptr);
  EXPECT_EQ(FindStreamExport(a, "token.x", "C", false), nullptr);
  EXPECT_NE(FindStreamExport(a, "token.x", "C", true), nullptr);
  EXPECT_EQ(FindStreamExport(a, "other", "B", false), nullptr);
  EXPECT_EQ(FindServiceExport(a, "public.x", "B", false), nullptr);
}

TEST(FindExportTest, ExactSubjectDecidesAlone) {
  AccountSpec a;
  ServiceExport narrow;
  narrow.subject = "svc.a";
  narrow.access.approved = {"B"};
  a.service_exports.push_back(narrow);
  ServiceExport wide;
  wide.subject = "svc.*";
  a.service_exports.push_back(wide);
  EXPECT_EQ(FindServiceExport(a, "svc.a", "C", false), nullptr);
  EXPECT_NE(FindServiceExport(a, "svc.b", "C", false), nullptr);
}

TEST(MapWildcardsTest, RewritesByPosition) {
  EXPECT_EQ(MapWildcards("req.*", "svc.*", "req.one"), "svc.one");
  EXPECT_EQ(MapWildcards("req.*.x.>", "svc.*.>", "req.a.x.b.c"), "svc.a.b.c");
  EXPECT_EQ(MapWildcards("req", "svc", "req"), "svc");
  EXPECT_EQ(MapWildcards("req.*", "fixed", "req.one"), "fixed");
}

TEST(ImportPrefixTest, NoWildcards) {
  EXPECT_TRUE(IsValidImportPrefix("from.a"));
  EXPECT_FALSE(IsValidImportPrefix("from.*"));
  EXPECT_FALSE(IsValidImportPrefix(""));
}

}  // namespace
}  // namespace lattice::accounts
