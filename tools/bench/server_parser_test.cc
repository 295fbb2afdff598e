// Tests for the server-to-client protocol parser, including every split point of the input.
#include "tools/bench/server_parser.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace lattice::bench {
namespace {

// Records every op as a readable string.
class RecordingSink : public ServerOpSink {
 public:
  void OnMsg(const MsgView& m) override {
    ops.push_back("MSG " + std::string(m.subject) + "|" + std::string(m.sid) + "|" +
                  std::string(m.reply) + "|" + std::string(m.headers) + "|" +
                  std::string(m.payload));
  }
  void OnPing() override { ops.push_back("PING"); }
  void OnPong() override { ops.push_back("PONG"); }
  void OnInfo(std::string_view json) override { ops.push_back("INFO " + std::string(json)); }
  void OnOk() override { ops.push_back("OK"); }
  void OnErr(std::string_view text) override { ops.push_back("ERR " + std::string(text)); }
  std::vector<std::string> ops;
};

// Feeds `in` the way a connection does: the unconsumed tail is kept and offered again.
ParseStatus FeedInPieces(std::string_view in, size_t split, RecordingSink& sink) {
  ServerParser parser;
  std::string buffer;
  ParseStatus last = ParseStatus::kOk;
  for (std::string_view piece : {in.substr(0, split), in.substr(split)}) {
    buffer.append(piece.data(), piece.size());
    size_t consumed = 0;
    last = parser.Parse(buffer, &consumed, sink);
    if (last == ParseStatus::kError) {
      return last;
    }
    buffer.erase(0, consumed);
  }
  return buffer.empty() ? last : ParseStatus::kNeedMore;
}

const char kStream[] =
    "INFO {\"server_id\":\"N1\",\"max_payload\":1048576} \r\n"
    "PING\r\n"
    "MSG foo.bar 7 5\r\nhello\r\n"
    "MSG a 1  _INBOX.x.3 3\r\nabc\r\n"
    "HMSG h 2 12 14\r\nNATS/1.0\r\n\r\nhi\r\n"
    "HMSG h 2 reply 16 16\r\nNATS/1.0 503\r\n\r\n\r\n"
    "msg lower 9 0\r\n\r\n"
    "+OK\r\n"
    "-ERR 'Slow Consumer'\r\n"
    "PONG\n";

const std::vector<std::string> kExpected = {
    "INFO {\"server_id\":\"N1\",\"max_payload\":1048576}",
    "PING",
    "MSG foo.bar|7|||hello",
    "MSG a|1|_INBOX.x.3||abc",
    "MSG h|2||NATS/1.0\r\n\r\n|hi",
    "MSG h|2|reply|NATS/1.0 503\r\n\r\n|",
    "MSG lower|9|||",
    "OK",
    "ERR Slow Consumer",
    "PONG",
};

TEST(ServerParserTest, ParsesEveryOpInOneBuffer) {
  RecordingSink sink;
  ServerParser parser;
  std::string_view in(kStream);
  size_t consumed = 0;
  EXPECT_EQ(parser.Parse(in, &consumed, sink), ParseStatus::kOk);
  EXPECT_EQ(consumed, in.size());
  EXPECT_EQ(sink.ops, kExpected);
}

TEST(ServerParserTest, SameOpsAtEverySplitPoint) {
  std::string_view in(kStream);
  for (size_t split = 0; split <= in.size(); ++split) {
    RecordingSink sink;
    ASSERT_EQ(FeedInPieces(in, split, sink), ParseStatus::kOk) << "split at " << split;
    EXPECT_EQ(sink.ops, kExpected) << "split at " << split;
  }
}

TEST(ServerParserTest, PartialPayloadConsumesNothing) {
  RecordingSink sink;
  ServerParser parser;
  size_t consumed = 99;
  EXPECT_EQ(parser.Parse("PONG\r\nMSG foo 1 10\r\nabc", &consumed, sink), ParseStatus::kNeedMore);
  EXPECT_EQ(consumed, 6u);
  EXPECT_EQ(sink.ops, std::vector<std::string>{"PONG"});
}

TEST(ServerParserTest, RejectsMalformedInput) {
  const char* bad[] = {
      "FOO\r\n",                       // unknown op
      "MSG foo 1\r\n",                 // too few fields
      "MSG foo 1 r x 3\r\nabc\r\n",    // too many fields
      "MSG foo 1 -3\r\n",              // signed size
      "MSG foo 1 99999999999999\r\n",  // absurd size
      "MSG foo 1 3\r\nabcd\r\n",       // payload longer than declared
      "HMSG foo 1 5 3\r\nabc\r\n",     // header longer than total
      "HMSG foo 1 3\r\nabc\r\n",       // HMSG without total
  };
  for (const char* input : bad) {
    RecordingSink sink;
    ServerParser parser;
    size_t consumed = 7;
    EXPECT_EQ(parser.Parse(input, &consumed, sink), ParseStatus::kError) << input;
    EXPECT_EQ(consumed, 0u) << input;
    EXPECT_FALSE(parser.error().empty()) << input;
    EXPECT_TRUE(sink.ops.empty()) << input;
  }
}

TEST(ServerParserTest, OverlongControlLineIsAnErrorNotABuffer) {
  RecordingSink sink;
  ServerParser parser;
  std::string line = "INFO " + std::string(ServerParser::kMaxControlLine + 1, 'x');
  size_t consumed = 0;
  EXPECT_EQ(parser.Parse(line, &consumed, sink), ParseStatus::kError);
  EXPECT_EQ(parser.Parse(line.substr(0, 100), &consumed, sink), ParseStatus::kNeedMore);
}

TEST(ServerParserTest, ArbitraryBytesNeverCrash) {
  // A cheap deterministic sweep of junk: every result must be a status, never a crash.
  std::string junk;
  uint32_t x = 12345;
  for (int round = 0; round < 2000; ++round) {
    junk.clear();
    int len = static_cast<int>(x % 40);
    for (int i = 0; i < len; ++i) {
      x = x * 1103515245u + 12345u;
      const char alphabet[] = "MSGHPINOK-ER \r\n0123456789ab";
      junk += alphabet[(x >> 16) % (sizeof(alphabet) - 1)];
    }
    RecordingSink sink;
    ServerParser parser;
    size_t consumed = 0;
    ParseStatus st = parser.Parse(junk, &consumed, sink);
    EXPECT_LE(consumed, junk.size());
    (void)st;
  }
}

}  // namespace
}  // namespace lattice::bench
