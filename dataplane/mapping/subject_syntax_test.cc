// Unit tests for the Go-compatible syntax helpers behind the mapping parser.
#include "dataplane/mapping/subject_syntax.h"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace lattice::mapping {
namespace {

TEST(SubjectSyntaxTest, ParseGoIntIsStrconvAtoi) {
  int64_t v = 0;
  EXPECT_TRUE(ParseGoInt("0", &v));
  EXPECT_EQ(v, 0);
  EXPECT_TRUE(ParseGoInt("-12", &v));
  EXPECT_EQ(v, -12);
  EXPECT_TRUE(ParseGoInt("+7", &v));
  EXPECT_EQ(v, 7);
  EXPECT_TRUE(ParseGoInt("007", &v));
  EXPECT_EQ(v, 7);
  EXPECT_TRUE(ParseGoInt("9223372036854775807", &v));
  EXPECT_EQ(v, std::numeric_limits<int64_t>::max());
  EXPECT_TRUE(ParseGoInt("-9223372036854775808", &v));
  EXPECT_EQ(v, std::numeric_limits<int64_t>::min());
  for (const char* bad : {"", "+", "-", " 1", "1 ", "1_000", "0x10", "9223372036854775808",
                          "-9223372036854775809", "1.0"}) {
    EXPECT_FALSE(ParseGoInt(bad, &v)) << bad;
  }
}

TEST(SubjectSyntaxTest, FindFunctionArgs) {
  EXPECT_EQ(FindFunctionArgs("{{wildcard(1)}}", "Wildcard"), "1");
  EXPECT_EQ(FindFunctionArgs("{{ Wildcard ( 1, 2 ) }}", "Wildcard"), " 1, 2 ");
  EXPECT_EQ(FindFunctionArgs("{{split(a)b)}}", "Split"), "a)b");  // greedy
  EXPECT_EQ(FindFunctionArgs("{{split(a)}}x)}}", "Split"), "a)}}x");
  EXPECT_EQ(FindFunctionArgs("{{split(a)}}x}}", "Split"), "a");
  EXPECT_FALSE(FindFunctionArgs("{{WILDCARD(1)}}", "Wildcard").has_value());
  EXPECT_FALSE(FindFunctionArgs("{{splitFromLeft(1,2)}}", "Split").has_value());
  EXPECT_FALSE(FindFunctionArgs("{{wildcard(1)}", "Wildcard").has_value());
  EXPECT_FALSE(FindFunctionArgs("{wildcard(1)}}", "Wildcard").has_value());
  EXPECT_FALSE(FindFunctionArgs("", "Wildcard").has_value());
}

TEST(SubjectSyntaxTest, SplitFunctionArgsIsGoRegexpSplit) {
  using V = std::vector<std::string_view>;
  EXPECT_EQ(SplitFunctionArgs(""), V{""});
  EXPECT_EQ(SplitFunctionArgs("1"), V{"1"});
  EXPECT_EQ(SplitFunctionArgs("1,  2 ,\t3"), (V{"1", "2 ", "3"}));
  EXPECT_EQ(SplitFunctionArgs("1,"), (V{"1", ""}));
  EXPECT_EQ(SplitFunctionArgs(",,"), (V{"", "", ""}));
  EXPECT_EQ(TrimSpaces("  a b  "), "a b");
  EXPECT_EQ(TrimSpaces("\ta\t"), "\ta\t");
}

TEST(SubjectSyntaxTest, Utf8SequenceLengthIsGoDecodeRune) {
  EXPECT_EQ(Utf8SequenceLength(""), 0u);
  EXPECT_EQ(Utf8SequenceLength("a"), 1u);
  EXPECT_EQ(Utf8SequenceLength("\xC3\xA9"), 2u);
  EXPECT_EQ(Utf8SequenceLength("\xE2\x82\xAC"), 3u);
  EXPECT_EQ(Utf8SequenceLength("\xF0\x9F\x98\x80"), 4u);
  EXPECT_EQ(Utf8SequenceLength("\xC0\x80"), 1u);      // overlong
  EXPECT_EQ(Utf8SequenceLength("\xED\xA0\x80"), 1u);  // surrogate
  EXPECT_EQ(Utf8SequenceLength("\xE2\x82"), 1u);      // truncated
  EXPECT_EQ(Utf8SequenceLength("\xF5\x80\x80\x80"), 1u);
}

TEST(SubjectSyntaxTest, SubjectValidity) {
  EXPECT_TRUE(IsValidSubject("a.b.>"));
  EXPECT_TRUE(IsValidSubject("*"));
  EXPECT_FALSE(IsValidSubject(""));
  EXPECT_FALSE(IsValidSubject("a..b"));
  EXPECT_FALSE(IsValidSubject("a.>.b"));
  EXPECT_FALSE(IsValidSubject("a b"));
  EXPECT_FALSE(IsValidSubject("a.\t"));
  SubjectInfo info = AnalyzeSubject("a.*.*.>");
  EXPECT_TRUE(info.valid);
  EXPECT_EQ(info.partial_wildcards, 2);
  EXPECT_TRUE(info.full_wildcard);
  EXPECT_EQ(info.tokens.size(), 4u);
  EXPECT_TRUE(AnalyzeSubject("a b").valid);  // subjectInfo does not look at whitespace
  EXPECT_FALSE(AnalyzeSubject("a.").valid);
}

TEST(SubjectSyntaxTest, IsSubsetMatch) {
  auto match = [](std::string_view subject, const std::vector<std::string>& pattern) {
    std::vector<std::string_view> tokens;
    TokenizeSubject(subject, &tokens);
    return IsSubsetMatch(tokens, pattern);
  };
  EXPECT_TRUE(match("a.b", {"a", "*"}));
  EXPECT_TRUE(match("a.b.c", {"a", ">"}));
  EXPECT_FALSE(match("a", {"a", ">"}));
  EXPECT_FALSE(match("a.b.c", {"a", "*"}));
  EXPECT_FALSE(match("a.*", {"a", "b"}));
  EXPECT_TRUE(match("a.*", {"a", "*"}));
  EXPECT_FALSE(match("a.>", {"a", "*"}));
  EXPECT_TRUE(match("a.q", {"a", "*x"}));  // quirk
}

}  // namespace
}  // namespace lattice::mapping
