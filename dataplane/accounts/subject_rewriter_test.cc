// Tests for SubjectRewriter: same results as MapWildcards / prefixing, and no reallocation of
// a warmed buffer.
#include "dataplane/accounts/subject_rewriter.h"

#include <string>

#include "gtest/gtest.h"

#include "dataplane/accounts/exports.h"

namespace lattice::accounts {
namespace {

TEST(SubjectRewriterTest, AgreesWithMapWildcards) {
  struct Case {
    const char* from;
    const char* to;
    const char* subject;
  };
  const Case cases[] = {
      {"req.*", "svc.*", "req.one"},
      {"req.*.x.>", "svc.*.>", "req.a.x.b.c"},
      {"a.>", "b.>", "a.x.y.z"},
      {"a.*.*", "b.*.c.*", "a.1.2"},
      {"a.*", "b.*.*", "a.1"},  // more `to` wildcards than captures: the extra stays "*"
      {"a.*", "literal.subject", "a.1"},
      {"lit.eral", "x.*", "lit.eral"},
      {"*", ">", "one"},
      {"a.>", "p.>", "a.b..c"},
  };
  for (const Case& c : cases) {
    SubjectRewriter r = SubjectRewriter::Mapping(c.from, c.to);
    std::string buffer;
    EXPECT_EQ(r.Apply(c.subject, &buffer), MapWildcards(c.from, c.to, c.subject))
        << c.from << " -> " << c.to << " on " << c.subject;
  }
}

TEST(SubjectRewriterTest, LiteralSidesAreConstant) {
  EXPECT_TRUE(SubjectRewriter::Mapping("bench.stream", "bench.imported").is_constant());
  EXPECT_TRUE(SubjectRewriter::Mapping("a.*", "b.c").is_constant());
  EXPECT_FALSE(SubjectRewriter::Mapping("a.*", "b.*").is_constant());
  std::string buffer = "untouched";
  EXPECT_EQ(SubjectRewriter::Mapping("a.*", "b.c").Apply("a.zz", &buffer), "b.c");
  EXPECT_EQ(buffer, "untouched");
}

TEST(SubjectRewriterTest, PrefixAndIdentity) {
  std::string buffer;
  EXPECT_EQ(SubjectRewriter::Prefix("p").Apply("x.y", &buffer), "p.x.y");
  EXPECT_EQ(SubjectRewriter().Apply("x.y", &buffer), "x.y");
}

TEST(SubjectRewriterTest, WarmBufferIsReusedWithoutReallocation) {
  SubjectRewriter r = SubjectRewriter::Mapping("orders.*.>", "local.*.>");
  std::string buffer;
  buffer.reserve(64);
  const char* data = buffer.data();
  for (int i = 0; i < 100; ++i) {
    std::string subject = "orders.n" + std::to_string(i) + ".eu.west";
    EXPECT_EQ(r.Apply(subject, &buffer), "local.n" + std::to_string(i) + ".eu.west");
    EXPECT_EQ(buffer.data(), data);  // same storage: no allocation per message
  }
}

TEST(SubjectRewriterTest, ManyWildcardsFallBack) {
  std::string from = "s";
  std::string to = "d";
  std::string subject = "s";
  for (int i = 0; i < 20; ++i) {
    from += ".*";
    to += ".*";
    subject += "." + std::to_string(i);
  }
  std::string buffer;
  EXPECT_EQ(SubjectRewriter::Mapping(from, to).Apply(subject, &buffer),
            MapWildcards(from, to, subject));
}

}  // namespace
}  // namespace lattice::accounts
