// Tests for the exact violation texts (Go %q quoting) and reserved reply prefixes.
#include "dataplane/auth/permission_errors.h"

#include "gtest/gtest.h"

namespace lattice::auth {
namespace {

TEST(PermissionErrorsTest, ExactTexts) {
  EXPECT_EQ(PublishViolationText("foo.bar"), "Permissions Violation for Publish to \"foo.bar\"");
  EXPECT_EQ(SubscribeViolationText("foo.>"), "Permissions Violation for Subscription to \"foo.>\"");
  EXPECT_EQ(SubscribeViolationText("q", "v2"),
            "Permissions Violation for Subscription to \"q\" using queue \"v2\"");
  EXPECT_EQ(ReplyViolationText("_R_.abc"),
            "Permissions Violation for Publish with Reply of \"_R_.abc\"");
}

std::string Q(std::string_view s) {
  std::string out;
  AppendGoQuoted(&out, s);
  return out;
}

TEST(PermissionErrorsTest, GoQuoting) {
  EXPECT_EQ(Q(""), "\"\"");
  EXPECT_EQ(Q("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(Q("\a\b\f\n\r\t\v"), "\"\\a\\b\\f\\n\\r\\t\\v\"");
  EXPECT_EQ(Q(std::string_view("\x00\x1f\x7f", 3)), "\"\\x00\\x1f\\x7f\"");
  EXPECT_EQ(Q("caf\xc3\xa9"), "\"caf\xc3\xa9\"");            // printable UTF-8 kept
  EXPECT_EQ(Q("\xf0\x9f\x98\x80"), "\"\xf0\x9f\x98\x80\"");  // emoji kept
  EXPECT_EQ(Q("\xc2\x85"), "\"\\u0085\"");                   // C1 control
  EXPECT_EQ(Q("\xff\xfe"), "\"\\xff\\xfe\"");                // invalid bytes
  EXPECT_EQ(Q("\xc3"), "\"\\xc3\"");                         // truncated sequence
  EXPECT_EQ(Q("\xed\xa0\x80"), "\"\\xed\\xa0\\x80\"");       // surrogate
  EXPECT_EQ(Q("\xe0\x80\xaf"), "\"\\xe0\\x80\\xaf\"");       // overlong
}

TEST(PermissionErrorsTest, ReservedReplies) {
  EXPECT_TRUE(IsReservedReply("_R_.x"));
  EXPECT_TRUE(IsReservedReply("_R_."));
  EXPECT_TRUE(IsReservedReply("$JS.ACK.stream.1"));
  EXPECT_FALSE(IsReservedReply("$JS.ACK."));
  EXPECT_TRUE(IsReservedReply("_GR_.abc"));
  EXPECT_FALSE(IsReservedReply("_GR_."));
  EXPECT_FALSE(IsReservedReply("_R_"));
  EXPECT_FALSE(IsReservedReply("_INBOX.abc"));
  EXPECT_FALSE(IsReservedReply(""));
}

}  // namespace
}  // namespace lattice::auth
