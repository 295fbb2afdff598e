// Tests for token-wise pattern matching and subset (covers) checks used by permissions.
#include "dataplane/auth/subject_pattern.h"

#include "gtest/gtest.h"

namespace lattice::auth {
namespace {

SubjectPattern P(std::string_view s) {
  SubjectPattern p;
  EXPECT_TRUE(SubjectPattern::Parse(s, &p)) << s;
  return p;
}

TEST(SubjectPatternTest, ParseRejectsInvalid) {
  SubjectPattern p;
  for (std::string_view bad : {"", ".", "foo.", ".foo", "foo..bar", ">.foo", "foo.>.bar"}) {
    EXPECT_FALSE(SubjectPattern::Parse(bad, &p)) << bad;
  }
  EXPECT_TRUE(SubjectPattern::Parse("foo.*.>", &p));
  EXPECT_TRUE(p.has_wildcard());
  EXPECT_TRUE(SubjectPattern::Parse("foo.b*r.x>", &p));  // not whole tokens: literal
  EXPECT_FALSE(p.has_wildcard());
}

TEST(SubjectPatternTest, LiteralMatch) {
  EXPECT_TRUE(P("foo.bar").Matches("foo.bar"));
  EXPECT_FALSE(P("foo.bar").Matches("foo.baz"));
  EXPECT_FALSE(P("foo.bar").Matches("foo"));
  EXPECT_FALSE(P("foo.bar").Matches("foo.bar.baz"));
  EXPECT_FALSE(P("foo").Matches("foobar"));
}

TEST(SubjectPatternTest, Wildcards) {
  EXPECT_TRUE(P("foo.*").Matches("foo.bar"));
  EXPECT_FALSE(P("foo.*").Matches("foo"));
  EXPECT_FALSE(P("foo.*").Matches("foo.bar.baz"));
  EXPECT_TRUE(P("foo.>").Matches("foo.bar.baz"));
  EXPECT_TRUE(P("foo.>").Matches("foo.bar"));
  EXPECT_FALSE(P("foo.>").Matches("foo"));
  EXPECT_TRUE(P(">").Matches("a"));
  EXPECT_TRUE(P("*.*").Matches("a.b"));
  EXPECT_TRUE(P("*.b.>").Matches("a.b.c.d"));
  EXPECT_FALSE(P("*.b.>").Matches("a.c.c.d"));
}

TEST(SubjectPatternTest, WildcardSubjectTokensAreLiteral) {
  // As nats-server's Sublist.Match: a SUB subject's wildcard tokens are matched literally.
  EXPECT_TRUE(P("foo.*").Matches("foo.*"));
  EXPECT_TRUE(P("foo.>").Matches("foo.*"));
  EXPECT_TRUE(P(">").Matches("foo.>"));
  EXPECT_FALSE(P("foo.bar").Matches("foo.*"));
  EXPECT_TRUE(P("foo.*").Matches("foo.>"));  // '*' takes the '>' token
}

TEST(SubjectPatternTest, EmptyTokensMatchNothing) {
  EXPECT_FALSE(P(">").Matches(""));
  EXPECT_FALSE(P(">").Matches("foo..bar"));
  EXPECT_FALSE(P(">").Matches(".foo"));
  EXPECT_FALSE(P(">").Matches("foo."));
  EXPECT_FALSE(P("foo.>").Matches("foo.bar."));
  EXPECT_FALSE(P("*").Matches(""));
}

TEST(SubjectPatternTest, CoversIsSubsetMatch) {
  EXPECT_TRUE(P("foo.*").Covers("foo.bar"));
  EXPECT_TRUE(P("foo.>").Covers("foo.bar.baz"));
  EXPECT_TRUE(P("foo.>").Covers("foo.*"));
  EXPECT_TRUE(P(">").Covers("foo.>"));
  EXPECT_TRUE(P("foo.*").Covers("foo.*"));
  EXPECT_FALSE(P("foo.bar").Covers("foo.*"));
  EXPECT_FALSE(P("foo.*").Covers("foo.>"));
  EXPECT_FALSE(P("*.bar").Covers("foo.*"));
  EXPECT_FALSE(P("foo.*").Covers("foo.bar.baz"));
  EXPECT_FALSE(P("foo.*").Covers("foo..x"));
}

TEST(SubjectPatternTest, CopiesStayValid) {
  SubjectPattern a = P("foo.*.baz");
  SubjectPattern b = a;
  SubjectPattern c = std::move(a);
  EXPECT_TRUE(b.Matches("foo.x.baz"));
  EXPECT_TRUE(c.Matches("foo.y.baz"));
  EXPECT_EQ(b.text(), "foo.*.baz");
}

TEST(SubjectPatternTest, HasWildcardToken) {
  EXPECT_TRUE(HasWildcardToken("*"));
  EXPECT_TRUE(HasWildcardToken("a.>"));
  EXPECT_TRUE(HasWildcardToken("a.*.b"));
  EXPECT_FALSE(HasWildcardToken("a.b*"));
  EXPECT_FALSE(HasWildcardToken("a"));
  EXPECT_FALSE(HasWildcardToken(""));
}

}  // namespace
}  // namespace lattice::auth
