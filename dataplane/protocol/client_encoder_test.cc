// Encoder frames are byte-exact and round-trip through a parser-shaped reading of MSG/HMSG.
#include "dataplane/protocol/client_encoder.h"

#include <cstdint>
#include <limits>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "dataplane/protocol/client_parser_testing.h"

namespace lattice::protocol {
namespace {

std::string Uint(uint64_t value) {
  char buffer[kMaxUintDigits];
  return std::string(buffer, WriteUint(buffer, value));
}

TEST(ClientEncoderTest, WriteUintMatchesToString) {
  const uint64_t values[] = {0,
                             1,
                             9,
                             10,
                             11,
                             99,
                             100,
                             101,
                             999,
                             1000,
                             1048576,
                             999999999,
                             1u << 31,
                             std::numeric_limits<uint32_t>::max(),
                             std::numeric_limits<uint64_t>::max()};
  for (const uint64_t v : values) {
    EXPECT_EQ(Uint(v), std::to_string(v));
  }
  for (uint64_t v = 0; v < 100000; v += 7) {
    ASSERT_EQ(Uint(v), std::to_string(v));
  }
}

TEST(ClientEncoderTest, MsgHeaderWithAndWithoutReply) {
  std::string out = "prefix";
  AppendMsgHeader(&out, "foo.bar", "22", "", 5);
  EXPECT_EQ(out, "prefixMSG foo.bar 22 5\r\n");
  out.clear();
  AppendMsgHeader(&out, "foo", "1", "_INBOX.x", 0);
  EXPECT_EQ(out, "MSG foo 1 _INBOX.x 0\r\n");
}

TEST(ClientEncoderTest, FullMsg) {
  std::string out;
  AppendMsg(&out, "foo", "1", "r", "hello");
  EXPECT_EQ(out, "MSG foo 1 r 5\r\nhello\r\n");
  AppendMsg(&out, "a", "2", "", "");
  EXPECT_EQ(out, "MSG foo 1 r 5\r\nhello\r\nMSG a 2 0\r\n\r\n");
}

TEST(ClientEncoderTest, HmsgNoRespondersIsByteExact) {
  std::string out;
  AppendHmsg(&out, "_INBOX.abc", "7", "", "NATS/1.0 503\r\n\r\n", "");
  EXPECT_EQ(out, "HMSG _INBOX.abc 7 16 16\r\nNATS/1.0 503\r\n\r\n\r\n");
}

TEST(ClientEncoderTest, HmsgHeaderWithReply) {
  std::string out;
  AppendHmsgHeader(&out, "foo", "9", "bar", 12, 14);
  EXPECT_EQ(out, "HMSG foo 9 bar 12 14\r\n");
  out.clear();
  AppendHmsg(&out, "foo", "9", "bar", "NATS/1.0\r\n\r\n", "hi");
  EXPECT_EQ(out, "HMSG foo 9 bar 12 14\r\nNATS/1.0\r\n\r\nhi\r\n");
}

TEST(ClientEncoderTest, RawWriterStaysWithinMaxSize) {
  const std::string subject(300, 's');
  const std::string reply(200, 'r');
  std::string buffer(MaxHmsgHeaderSize(subject, "123", reply), '\0');
  char* end =
      WriteHmsgHeader(buffer.data(), subject, "123", reply, std::numeric_limits<uint64_t>::max(),
                      std::numeric_limits<uint64_t>::max());
  EXPECT_LE(static_cast<size_t>(end - buffer.data()), buffer.size());
  std::string msg(MaxMsgHeaderSize(subject, "1", reply), '\0');
  end = WriteMsgHeader(msg.data(), subject, "1", reply, std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(static_cast<size_t>(end - msg.data()), msg.size());  // the bound is tight
}

TEST(ClientEncoderTest, ErrFrames) {
  std::string out;
  AppendErr(&out, "Permissions Violation for Publish to \"foo\"");
  EXPECT_EQ(out, "-ERR 'Permissions Violation for Publish to \"foo\"'\r\n");
  out.clear();
  EXPECT_TRUE(AppendErr(&out, ProtocolError::kMaxPayloadViolation));
  EXPECT_EQ(out, "-ERR 'Maximum Payload Violation'\r\n");
  out.clear();
  EXPECT_FALSE(AppendErr(&out, ProtocolError::kBadArguments));
  EXPECT_EQ(out, "");
}

TEST(ClientEncoderTest, InfoHasSpaceBeforeCrLf) {
  std::string out;
  AppendInfo(&out, "{\"server_id\":\"N1\",\"proto\":1}");
  EXPECT_EQ(out, "INFO {\"server_id\":\"N1\",\"proto\":1} \r\n");
}

TEST(ClientEncoderTest, BareFrames) {
  std::string out;
  AppendPing(&out);
  AppendPong(&out);
  AppendOk(&out);
  EXPECT_EQ(out, "PING\r\nPONG\r\n+OK\r\n");
}

TEST(ClientEncoderTest, AppendReusesCapacity) {
  std::string out;
  out.reserve(4096);
  const char* data = out.data();
  for (int i = 0; i < 20; ++i) {
    AppendMsg(&out, "subject", "1", "", "0123456789");
  }
  EXPECT_EQ(out.data(), data);  // no reallocation while capacity suffices
  EXPECT_EQ(out.size(), 20u * (sizeof("MSG subject 1 10\r\n0123456789\r\n") - 1));
}

// Frames that both directions share parse back into the ops that produced them.
TEST(ClientEncoderTest, SharedFramesRoundTripThroughParser) {
  std::string out;
  AppendInfo(&out, "{\"proto\":1}");
  AppendPing(&out);
  AppendPong(&out);
  AppendOk(&out);
  AppendErr(&out, ProtocolError::kStaleConnection);
  EXPECT_THAT(testing::FeedByteByByte(out).ops,
              ::testing::ElementsAre("INFO {\"proto\":1} ", "PING", "PONG", "+OK",
                                     "-ERR 'Stale Connection'"));
}

}  // namespace
}  // namespace lattice::protocol
