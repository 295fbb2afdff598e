// Unit tests for SubjectTransform: every destination function, the `>` tail, errors and quirks.
#include "dataplane/mapping/subject_transform.h"

#include <string>

#include "gtest/gtest.h"

namespace lattice::mapping {
namespace {

// Applies `source -> destination` to `subject`; "<no match>" or "<error: ...>" otherwise.
std::string Map(const std::string& source, const std::string& destination,
                const std::string& subject) {
  absl::StatusOr<SubjectTransform> t = SubjectTransform::Create(source, destination);
  if (!t.ok()) {
    return "<error: " + std::string(t.status().message()) + ">";
  }
  std::string out = "untouched";
  if (!t->Apply(subject, &out)) {
    EXPECT_EQ(out, "untouched");
    return "<no match>";
  }
  return out;
}

std::string CreateError(const std::string& source, const std::string& destination) {
  absl::StatusOr<SubjectTransform> t = SubjectTransform::Create(source, destination);
  EXPECT_FALSE(t.ok()) << source << " -> " << destination;
  if (!t.ok()) {
    EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  }
  return t.ok() ? "" : std::string(t.status().message());
}

TEST(SubjectTransformTest, LiteralSourceMapsVerbatim) {
  EXPECT_EQ(Map("foo", "bar", "foo"), "bar");
  EXPECT_EQ(Map("foo.bar", "baz.$1", "foo.bar"), "baz.$1");
  EXPECT_EQ(Map("foo", "x.{{partition(3,1)}}", "foo"), "x.{{partition(3,1)}}");
  EXPECT_EQ(Map("foo", "bar", "foo.x"), "<no match>");
  EXPECT_EQ(Map("foo", "bar", "fo"), "<no match>");
}

TEST(SubjectTransformTest, DollarAndWildcardPlaceholders) {
  EXPECT_EQ(Map("a.*.*", "b.$2.$1", "a.x.y"), "b.y.x");
  EXPECT_EQ(Map("a.*.*", "b.{{wildcard(2)}}.{{wildcard(1)}}", "a.x.y"), "b.y.x");
  EXPECT_EQ(Map("a.*.*", "b.{{ Wildcard ( 1 ) }}.$2", "a.x.y"), "b.x.y");
  EXPECT_EQ(Map("a.*.*", "b.$1.$1", "a.x.y"), "b.x.x");  // repeats count as "using" wildcards
  EXPECT_EQ(Map("a.*", "b.$0.$1", "a.x"), "b.a.x");      // $0: subject token 0
  EXPECT_EQ(Map("a.*", "b.{{wildcard(-3)}}.$1", "a.x"), "b.a.x");
  EXPECT_EQ(Map("a.*", "b.$foo.$1", "a.x"), "b.$foo.x");  // not a number: literal
  EXPECT_EQ(Map("a.*", "b.$+1", "a.x"), "b.x");           // Go's Atoi takes a sign
  EXPECT_EQ(Map("*.b", "$1.c", "z.b"), "z.c");
  EXPECT_EQ(Map("a.*", "b.$1", "a.x.y"), "<no match>");
  EXPECT_EQ(Map("a.*", "b.$1", "b.x"), "<no match>");
}

TEST(SubjectTransformTest, FullWildcardCarriesTheRest) {
  EXPECT_EQ(Map("a.>", "b.>", "a.x"), "b.x");
  EXPECT_EQ(Map("a.>", "b.>", "a.x.y.z"), "b.x.y.z");
  EXPECT_EQ(Map("a.*.>", "b.$1.c.>", "a.x.y.z"), "b.x.c.y.z");
  EXPECT_EQ(Map("a.>", ">", "a.x.y"), "x.y");
  EXPECT_EQ(Map(">", ">", "any.thing"), "any.thing");
  EXPECT_EQ(Map(">", "pre.>", "any.thing"), "pre.any.thing");
  EXPECT_EQ(Map("a.>", "b.>", "a"), "<no match>");
}

TEST(SubjectTransformTest, PartitionIsFnv1aOfConcatenatedTokensModN) {
  // Values checked against nats-server in nats_server_test (FNV-1a 32: "a" -> 0xe40c292c).
  EXPECT_EQ(Map("p.*", "q.{{partition(10,1)}}", "p.a"), "q.0");
  EXPECT_EQ(Map("p.*", "q.{{partition(10,1)}}", "p.hello"), "q.3");
  EXPECT_EQ(Map("p.*.*", "q.{{partition(7,1,2)}}.$1.$2", "p.ab.c"), "q.5.ab.c");
  EXPECT_EQ(Map("p.*.*", "q.{{partition(7,1,2)}}.$1.$2", "p.a.bc"), "q.5.a.bc");
  EXPECT_EQ(Map("p.*.*", "q.{{partition(7,2,1)}}.$1.$2", "p.c.ab"), "q.5.c.ab");
  // One function is one placeholder, however many wildcards it reads.
  EXPECT_EQ(Map("p.*.*", "q.{{partition(7,1,2)}}", "p.a.b"),
            "<error: invalid mapping destination: not using all of the token wildcard(s) in "
            "q.{{partition(7,1,2)}}>");
  EXPECT_EQ(Map("p.*", "q.{{partition(1,1)}}", "p.anything"), "q.0");
  EXPECT_EQ(Map("p.*", "q.{{partition(-1,1)}}", "p.a"), "q.3826002220");
  // int32 wrap as in nats-server: 4294967306 == 2^32 + 10.
  EXPECT_EQ(Map("p.*", "q.{{partition(4294967306,1)}}", "p.a"), "q.0");
  EXPECT_EQ(Map("p.*", "q.{{ partition( 10 , 1 ) }}", "p.a"), "q.0");
}

TEST(SubjectTransformTest, Split) {
  EXPECT_EQ(Map("s.*", "t.{{split(1,-)}}", "s.a-b-c"), "t.a.b.c");
  EXPECT_EQ(Map("s.*", "t.{{split(1,-)}}", "s.-a-"), "t.a");
  EXPECT_EQ(Map("s.*", "t.{{split(1,-)}}", "s.a--b"), "t.a.b");
  EXPECT_EQ(Map("s.*", "t.{{split(1,-)}}", "s.abc"), "t.abc");
  EXPECT_EQ(Map("s.*", "t.{{split(1,-)}}", "s.--a"), "t..a");  // nats-server's separator rule
  EXPECT_EQ(Map("s.*", "t.{{split(1,-)}}", "s.-"), "t.");
  EXPECT_EQ(Map("s.*", "t.{{split(1,ab)}}", "s.xabyabz"), "t.x.y.z");
  EXPECT_EQ(Map("s.*", "t.{{Split(1,-)}}.$1", "s.a-b"), "t.a.b.a-b");
  // An empty delimiter splits into UTF-8 characters (Go's strings.Split(s, "")).
  EXPECT_EQ(Map("s.*", "t.{{split(1,)}}", "s.abc"), "t.a.b.c");
  EXPECT_EQ(Map("s.*", "t.{{split(1,)}}", "s.\xC3\xA9z"), "t.\xC3\xA9.z");
  EXPECT_EQ(Map("s.*", "t.{{split(1,)}}", "s.\xFFz"), "t.\xFF.z");
}

TEST(SubjectTransformTest, SplitFromLeftAndRight) {
  EXPECT_EQ(Map("s.*", "t.{{splitFromLeft(1,2)}}", "s.abcdef"), "t.ab.cdef");
  EXPECT_EQ(Map("s.*", "t.{{SplitFromLeft(1,2)}}", "s.ab"), "t.ab");
  EXPECT_EQ(Map("s.*", "t.{{splitFromLeft(1,0)}}", "s.abc"), "t.abc");
  EXPECT_EQ(Map("s.*", "t.{{splitFromLeft(1,-1)}}", "s.abc"), "t.abc");
  EXPECT_EQ(Map("s.*", "t.{{splitFromRight(1,2)}}", "s.abcdef"), "t.abcd.ef");
  EXPECT_EQ(Map("s.*", "t.{{splitFromRight(1,5)}}", "s.abc"), "t.abc");
}

TEST(SubjectTransformTest, SliceFromLeftAndRight) {
  EXPECT_EQ(Map("s.*", "t.{{sliceFromLeft(1,2)}}", "s.abcde"), "t.ab.cd.e");
  EXPECT_EQ(Map("s.*", "t.{{sliceFromLeft(1,2)}}", "s.abcd"), "t.ab.cd");
  EXPECT_EQ(Map("s.*", "t.{{sliceFromLeft(1,3)}}", "s.abcdefg"), "t.abc.def.g");
  EXPECT_EQ(Map("s.*", "t.{{sliceFromLeft(1,2)}}", "s.a"), "t.a");
  EXPECT_EQ(Map("s.*", "t.{{sliceFromLeft(1,0)}}", "s.abc"), "t.abc");
  EXPECT_EQ(Map("s.*", "t.{{sliceFromRight(1,2)}}", "s.abcde"), "t.a.bc.de");
  EXPECT_EQ(Map("s.*", "t.{{sliceFromRight(1,3)}}", "s.abcdef"), "t.abc.def");
  EXPECT_EQ(Map("s.*", "t.{{sliceFromRight(1,3)}}", "s.abc"), "t.abc");
}

TEST(SubjectTransformTest, FunctionNamesFollowNatsServersRegexps) {
  // Only the capitalised positions of each name accept either case.
  EXPECT_EQ(Map("s.*", "t.{{SliceFromRight(1,2)}}", "s.abc"), "t.a.bc");
  EXPECT_EQ(CreateError("s.*", "t.{{SLICEFROMRIGHT(1,2)}}"),
            "invalid mapping destination: unknown function in {{SLICEFROMRIGHT(1,2)}}");
  // The pattern is unanchored inside a {{...}} token.
  EXPECT_EQ(Map("s.*", "t.{{x{{wildcard(1)}}", "s.v"), "t.v");
  // A newline stops `(.*)`, but not the `\s*` around the name.
  EXPECT_EQ(Map("s.*", "t.{{\nwildcard(1)\n}}", "s.v"), "t.v");
  EXPECT_EQ(CreateError("s.*", "t.{{wildcard(1\n)}}"),
            "invalid mapping destination: unknown function in {{wildcard(1\n)}}");
}

TEST(SubjectTransformTest, MatchAgreesWithApply) {
  absl::StatusOr<SubjectTransform> t = SubjectTransform::Create("a.*.c.>", "x.$1.>");
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->Match("a.b.c.d"));
  EXPECT_TRUE(t->Match("a.b.c.d.e"));
  EXPECT_FALSE(t->Match("a.b.c"));
  EXPECT_FALSE(t->Match("a.b.x.d"));
  EXPECT_FALSE(t->Match(""));
  EXPECT_FALSE(t->Match("a..c.d"));  // empty tokens never match a wildcard
  EXPECT_TRUE(t->source_has_wildcard());
  EXPECT_EQ(t->source(), "a.*.c.>");
  EXPECT_EQ(t->destination(), "x.$1.>");
}

TEST(SubjectTransformTest, StarPrefixedSourceTokenMatchesAnything) {
  // nats-server's subset match only looks at a pattern token's first byte for '*'.
  EXPECT_EQ(Map("a.*x.*", "b.$1", "a.zz.q"), "b.q");
  EXPECT_EQ(Map("a.*x", "b", "a.anything"), "b");
}

TEST(SubjectTransformTest, ApplyReplacesOutput) {
  absl::StatusOr<SubjectTransform> t = SubjectTransform::Create("a.*", "b.$1");
  ASSERT_TRUE(t.ok());
  std::string out = "previous content that is long";
  ASSERT_TRUE(t->Apply("a.x", &out));
  EXPECT_EQ(out, "b.x");
}

TEST(SubjectTransformTest, Errors) {
  const std::string p = "invalid mapping destination: ";
  EXPECT_EQ(CreateError("a.*", "b.{{wildcard(2)}}"),
            p + "wildcard index out of range in {{wildcard(2)}}: [2]");
  EXPECT_EQ(CreateError("a.*", "b.$3"), p + "wildcard index out of range in $3: [3]");
  EXPECT_EQ(CreateError("a.*", "b.{{partition(2,1,4)}}"),
            p + "wildcard index out of range in {{partition(2,1,4)}}: [4]");
  EXPECT_EQ(CreateError("a.*", "b.{{foo(1)}}"), p + "unknown function in {{foo(1)}}");
  EXPECT_EQ(CreateError("a", "{{nope()}}"), p + "unknown function in {{nope()}}");
  EXPECT_EQ(CreateError("a.*", "b"), p + "not using all of the token wildcard(s) in b");
  EXPECT_EQ(CreateError("a.*.*", "b.$1"), p + "not using all of the token wildcard(s) in b.$1");
  EXPECT_EQ(CreateError("a.*", "b.{{wildcard()}}"),
            p + "not enough arguments passed to the function in {{wildcard()}}");
  EXPECT_EQ(CreateError("a.*", "b.{{wildcard(1,2)}}"),
            p + "too many arguments passed to the function in {{wildcard(1,2)}}");
  EXPECT_EQ(CreateError("a.*", "b.{{wildcard(x)}}"),
            p + "function argument is invalid or in the wrong format in {{wildcard(x)}}");
  EXPECT_EQ(CreateError("a.*", "b.{{partition(3)}}"),
            p + "not enough arguments passed to the function in {{partition(3)}}");
  EXPECT_EQ(CreateError("a.*", "b.{{partition(x,1)}}"),
            p + "function argument is invalid or in the wrong format in {{partition(x,1)}}");
  // '.' splits tokens first, so this is two literal tokens and an unused wildcard.
  EXPECT_EQ(CreateError("a.*", "b.{{partition(3,1.5)}}"),
            p + "not using all of the token wildcard(s) in b.{{partition(3,1.5)}}");
  EXPECT_EQ(CreateError("a.*", "b.{{split(1)}}"),
            p + "not enough arguments passed to the function in {{split(1)}}");
  EXPECT_EQ(CreateError("a.*", "b.{{split(1,-,x)}}"),
            p + "too many arguments passed to the function in {{split(1,-,x)}}");
  EXPECT_EQ(CreateError("a.*", "b.{{split(1,a b)}}"),
            p + "function argument is invalid or in the wrong format in {{split(1,a b)}}");
  EXPECT_EQ(CreateError("a.*", "b.{{split(y,-)}}"),
            p + "function argument is invalid or in the wrong format in {{split(y,-)}}");
  EXPECT_EQ(CreateError("a.*", "b.{{splitFromLeft(1)}}"),
            p + "not enough arguments passed to the function in {{splitFromLeft(1)}}");
  EXPECT_EQ(CreateError("a.*", "b.{{splitFromRight(1,2,3)}}"),
            p + "too many arguments passed to the function in {{splitFromRight(1,2,3)}}");
  EXPECT_EQ(CreateError("a.*", "b.{{sliceFromLeft(1,z)}}"),
            p + "function argument is invalid or in the wrong format in {{sliceFromLeft(1,z)}}");
  EXPECT_EQ(CreateError("a.*", "b.{{sliceFromRight(q,2)}}"),
            p + "function argument is invalid or in the wrong format in {{sliceFromRight(q,2)}}");
  EXPECT_EQ(CreateError("a.*", "b.{{sliceFromRight(99999999999999999999,2)}}"),
            p + "function argument is invalid or in the wrong format in "
                "{{sliceFromRight(99999999999999999999,2)}}");
  // Deviation (documented): nats-server 2.9.10 accepts 0 partitions, then divides by zero.
  EXPECT_EQ(CreateError("a.*", "b.{{partition(0,1)}}"),
            p + "function argument is invalid or in the wrong format in {{partition(0,1)}}");
  // Subject-level errors.
  EXPECT_EQ(CreateError("a", "b c"), p + "invalid subject");
  EXPECT_EQ(CreateError("a", ""), p + "invalid subject in ");
  EXPECT_EQ(CreateError("a", "b..c"), p + "invalid subject in ");
  EXPECT_EQ(CreateError("a.>", "b.>.c"), p + "invalid subject in c");
  EXPECT_EQ(CreateError("a.*", "b.*"), "invalid subject");
  EXPECT_EQ(CreateError("a.>", "b"), "invalid subject");
  EXPECT_EQ(CreateError("a", "b.>"), "invalid subject");
  EXPECT_EQ(CreateError("", "b"), "invalid subject");
  EXPECT_EQ(CreateError("a..b", "b"), "invalid subject");
  EXPECT_EQ(CreateError("a.>.b", "b"), "invalid subject");
}

}  // namespace
}  // namespace lattice::mapping
