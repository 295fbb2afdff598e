// ClientParser: every verb, every error path, and every input split at every byte.
#include "dataplane/protocol/client_parser.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "dataplane/protocol/client_parser_testing.h"

namespace lattice::protocol {
namespace {

using ::testing::ElementsAre;
using testing::Feed;
using testing::FeedByteByByte;
using testing::FeedResult;
using testing::FeedWhole;
using ::testing::IsEmpty;
using testing::RecordingSink;

struct Case {
  std::string input;
  std::vector<std::string> ops;
};

// Valid inputs and the exact ops they produce; each also runs split at every byte below.
std::vector<Case> ValidCases() {
  return {
      {"PUB foo 3\r\nabc\r\n", {"PUB foo||abc"}},
      {"PUB foo bar 3\r\nabc\r\n", {"PUB foo|bar|abc"}},
      {"pub foo 3\r\nabc\r\n", {"PUB foo||abc"}},
      {"PuB\tfoo\t\t3\r\nabc\r\n", {"PUB foo||abc"}},
      {"PUB  foo   5 \r\nhello\r\n", {"PUB foo||hello"}},
      {"PUB foo 0\r\n\r\n", {"PUB foo||"}},
      {"PUB foo 3\nabc\r\n", {"PUB foo||abc"}},
      {"PUB foo 4\r\na\r\nb\r\n", {"PUB foo||a\r\nb"}},
      {"HPUB foo 12 14\r\nNATS/1.0\r\n\r\nhi\r\n", {"HPUB foo||NATS/1.0\r\n\r\n|hi"}},
      {"HPUB foo r 12 12\r\nNATS/1.0\r\n\r\n\r\n", {"HPUB foo|r|NATS/1.0\r\n\r\n|"}},
      {"hpub foo 0 2\r\nhi\r\n", {"HPUB foo|||hi"}},
      {"HPUB bar 4 6\r\nab\r\nxx\r\n", {"HPUB bar||ab\r\n|xx"}},
      {"SUB foo 1\r\n", {"SUB foo||1"}},
      {"SUB foo q 22\r\n", {"SUB foo|q|22"}},
      {"sub  foo.*   q\t 22 \n", {"SUB foo.*|q|22"}},
      {"UNSUB 1\r\n", {"UNSUB 1"}},
      {"UNSUB 1 5\r\n", {"UNSUB 1|5"}},
      {"unsub 1 0\r\n", {"UNSUB 1|0"}},
      {"UNSUB 1 abc\r\n", {"UNSUB 1|0"}},  // nats-server: bad max removes at once
      {"CONNECT {\"verbose\":false}\r\n", {"CONNECT {\"verbose\":false}"}},
      {"CONNECT { \"name\" : \"a b\" }\r\n", {"CONNECT { \"name\" : \"a b\" }"}},
      {"connect {}\n", {"CONNECT {}"}},
      {"CONNECT{}\r\n", {"CONNECT {}"}},
      {"CONNECT\r\n", {"CONNECT "}},
      {"INFO {\"a\":1} \r\n", {"INFO {\"a\":1} "}},
      {"PING\r\n", {"PING"}},
      {"ping\n", {"PING"}},
      {"PING junk here\r\n", {"PING"}},
      {"PINGPONG\r\n", {"PING"}},
      {"PONG\r\n", {"PONG"}},
      {"+OK\r\n", {"+OK"}},
      {"+ok\n", {"+OK"}},
      {"-ERR 'Stale Connection'\r\n", {"-ERR 'Stale Connection'"}},
      {"CONNECT {}\r\nPING\r\nSUB a 1\r\nPUB a 2\r\nhi\r\nUNSUB 1\r\nPONG\r\n",
       {"CONNECT {}", "PING", "SUB a||1", "PUB a||hi", "UNSUB 1", "PONG"}},
      {"PUB a 1\r\nx\r\nPUB b 1\r\ny\r\nPUB c 0\r\n\r\n", {"PUB a||x", "PUB b||y", "PUB c||"}},
  };
}

TEST(ClientParserTest, EveryVerbWhole) {
  for (const Case& c : ValidCases()) {
    SCOPED_TRACE(c.input);
    const FeedResult r = FeedWhole(c.input);
    EXPECT_EQ(r.ops, c.ops);
    EXPECT_EQ(r.last_status, ParseStatus::kOk);
    EXPECT_EQ(r.error, ProtocolError::kNone);
    EXPECT_EQ(r.buffered, 0u);
  }
}

TEST(ClientParserTest, EveryValidInputSplitAtEveryPositionYieldsSameOps) {
  for (const Case& c : ValidCases()) {
    for (size_t cut = 0; cut <= c.input.size(); ++cut) {
      SCOPED_TRACE(c.input + " cut at " + std::to_string(cut));
      const FeedResult r = Feed(c.input, {cut});
      EXPECT_EQ(r.ops, c.ops);
      EXPECT_EQ(r.last_status, ParseStatus::kOk);
      EXPECT_EQ(r.buffered, 0u);
    }
  }
}

TEST(ClientParserTest, EveryValidInputSplitAtEveryPairOfPositions) {
  for (const Case& c : ValidCases()) {
    for (size_t a = 0; a <= c.input.size(); ++a) {
      for (size_t b = a; b <= c.input.size(); ++b) {
        const FeedResult r = Feed(c.input, {a, b});
        ASSERT_EQ(r.ops, c.ops) << c.input << " cuts " << a << "," << b;
      }
    }
  }
}

TEST(ClientParserTest, EveryValidInputByteByByte) {
  for (const Case& c : ValidCases()) {
    SCOPED_TRACE(c.input);
    const FeedResult r = FeedByteByByte(c.input);
    EXPECT_EQ(r.ops, c.ops);
    EXPECT_EQ(r.last_status, ParseStatus::kOk);
  }
}

TEST(ClientParserTest, SinkStopAfterEveryOpResumesToSameOps) {
  for (const Case& c : ValidCases()) {
    SCOPED_TRACE(c.input);
    const FeedResult r = Feed(c.input, {}, {}, /*stop_after_every_op=*/true);
    EXPECT_EQ(r.ops, c.ops);
  }
}

TEST(ClientParserTest, ViewsPointIntoCallerBuffer) {
  const std::string input = "PUB foo bar 3\r\nabc\r\n";
  struct Sink : RecordingSink {
    PubOp seen;
    bool OnPub(const PubOp& op) override {
      seen = op;
      return true;
    }
  } sink;
  ClientParser parser;
  size_t consumed = 0;
  ASSERT_EQ(parser.Parse(input, &consumed, sink), ParseStatus::kOk);
  EXPECT_EQ(sink.seen.subject.data(), input.data() + 4);
  EXPECT_EQ(sink.seen.reply.data(), input.data() + 8);
  EXPECT_EQ(sink.seen.payload.data(), input.data() + 15);
  EXPECT_FALSE(sink.seen.has_headers);
  EXPECT_TRUE(sink.seen.headers.empty());
}

struct ErrorCase {
  std::string input;
  ProtocolError error;
  std::vector<std::string> ops_before;  // ops delivered before the error
  ParserLimits limits = {};
};

std::vector<ErrorCase> ErrorCases() {
  ParserLimits small_line;
  small_line.max_control_line = 8;
  ParserLimits small_payload;
  small_payload.max_payload = 4;
  return {
      {"XYZ\r\n", ProtocolError::kUnknownProtocolOperation, {}},
      {"\r\n", ProtocolError::kUnknownProtocolOperation, {}},
      {"PUB\r\n", ProtocolError::kUnknownProtocolOperation, {}},
      {"PUBX foo 1\r\n", ProtocolError::kUnknownProtocolOperation, {}},
      {"PIG\r\n", ProtocolError::kUnknownProtocolOperation, {}},
      {"SUBfoo 1\r\n", ProtocolError::kUnknownProtocolOperation, {}},
      {"-ERR\r\n", ProtocolError::kUnknownProtocolOperation, {}},
      {"+KO\r\n", ProtocolError::kUnknownProtocolOperation, {}},
      {"MSG foo 1 1\r\nx\r\n", ProtocolError::kUnknownProtocolOperation, {}},
      {"HMSG foo 1 0 1\r\nx\r\n", ProtocolError::kUnknownProtocolOperation, {}},
      {"RS+ foo\r\n", ProtocolError::kUnknownProtocolOperation, {}},
      {"PUB foo 3\r\nabcd\r\n", ProtocolError::kUnknownProtocolOperation, {}},
      {"PUB foo 3\r\nabc\n", ProtocolError::kUnknownProtocolOperation, {}},
      {"PUB foo 3\r\nabc\rX", ProtocolError::kUnknownProtocolOperation, {}},
      {"PING\r\nPUB foo 0\r\nx", ProtocolError::kUnknownProtocolOperation, {"PING"}},
      {"PUB foo x\r\n", ProtocolError::kBadArguments, {}},
      {"PUB foo -1\r\n", ProtocolError::kBadArguments, {}},
      {"PUB foo\r\n", ProtocolError::kBadArguments, {}},
      {"PUB foo bar baz 1\r\n", ProtocolError::kBadArguments, {}},
      {"PUB \r\n", ProtocolError::kBadArguments, {}},
      {"PUB foo 1234567890\r\n", ProtocolError::kBadArguments, {}},  // > 9 digits
      {"HPUB foo 5\r\n", ProtocolError::kBadArguments, {}},
      {"HPUB foo 5 4\r\n", ProtocolError::kBadArguments, {}},  // header larger than total
      {"HPUB foo x 4\r\n", ProtocolError::kBadArguments, {}},
      {"HPUB foo 1 x\r\n", ProtocolError::kBadArguments, {}},
      {"HPUB a b c 1 2\r\n", ProtocolError::kBadArguments, {}},
      {"SUB a\r\n", ProtocolError::kBadArguments, {}},
      {"SUB a 10 extra 11\r\n", ProtocolError::kBadArguments, {}},
      {"UNSUB\t\r\n", ProtocolError::kBadArguments, {}},
      {"UNSUB 1 2 3\r\n", ProtocolError::kBadArguments, {}},
      {"SUB foo 1\r\nSUB a\r\n", ProtocolError::kBadArguments, {"SUB foo||1"}},
      {"PUB foo 5\r\nhello\r\n", ProtocolError::kMaxPayloadViolation, {}, small_payload},
      {"HPUB foo 1 5\r\n", ProtocolError::kMaxPayloadViolation, {}, small_payload},
      {"SUB abcdefgh 1\r\n", ProtocolError::kMaxControlLineExceeded, {}, small_line},
      {"CONNECT {\"a\":123456}\r\n", ProtocolError::kMaxControlLineExceeded, {}, small_line},
      {"PUB aaaaaaaaaaaaaaaaaaaaaaaaaaa", ProtocolError::kMaxControlLineExceeded, {}, small_line},
      {"PING\r\nSUB 123456789", ProtocolError::kMaxControlLineExceeded, {"PING"}, small_line},
  };
}

TEST(ClientParserTest, EveryErrorPath) {
  for (const ErrorCase& c : ErrorCases()) {
    SCOPED_TRACE(c.input);
    const FeedResult r = FeedWhole(c.input, c.limits);
    EXPECT_EQ(r.last_status, ParseStatus::kError);
    EXPECT_EQ(r.error, c.error);
    EXPECT_EQ(r.ops, c.ops_before);
  }
}

TEST(ClientParserTest, EveryErrorInputSplitAtEveryPositionFailsTheSameWay) {
  for (const ErrorCase& c : ErrorCases()) {
    for (size_t cut = 0; cut <= c.input.size(); ++cut) {
      SCOPED_TRACE(c.input + " cut at " + std::to_string(cut));
      const FeedResult r = Feed(c.input, {cut}, c.limits);
      EXPECT_EQ(r.last_status, ParseStatus::kError);
      EXPECT_EQ(r.error, c.error);
      EXPECT_EQ(r.ops, c.ops_before);
    }
    const FeedResult bytewise = FeedByteByByte(c.input, c.limits);
    EXPECT_EQ(bytewise.error, c.error) << c.input;
  }
}

TEST(ClientParserTest, ErrorIsStickyUntilReset) {
  ClientParser parser;
  RecordingSink sink;
  size_t consumed = 0;
  EXPECT_EQ(parser.Parse("XX\r\n", &consumed, sink), ParseStatus::kError);
  EXPECT_EQ(parser.error(), ProtocolError::kUnknownProtocolOperation);
  EXPECT_EQ(parser.Parse("PING\r\n", &consumed, sink), ParseStatus::kError);
  EXPECT_THAT(sink.ops, IsEmpty());
  parser.Reset();
  EXPECT_EQ(parser.Parse("PING\r\n", &consumed, sink), ParseStatus::kOk);
  EXPECT_EQ(parser.error(), ProtocolError::kNone);
  EXPECT_THAT(sink.ops, ElementsAre("PING"));
}

TEST(ClientParserTest, ControlLineLimitIsExactAndAppliesToArgumentsOnly) {
  ParserLimits limits;
  limits.max_control_line = 10;
  // "foo.bar 11" is exactly 10 bytes of argument: accepted, even with a long verb run.
  EXPECT_THAT(FeedWhole("SUB     foo.bar 11\r\n", limits).ops, ElementsAre("SUB foo.bar||11"));
  EXPECT_EQ(FeedWhole("SUB foo.bar 111\r\n", limits).error, ProtocolError::kMaxControlLineExceeded);
  // Known to be over the limit before any line terminator arrives.
  ClientParser parser(limits);
  RecordingSink sink;
  size_t consumed = 0;
  EXPECT_EQ(parser.Parse("SUB 0123456789", &consumed, sink), ParseStatus::kNeedMore);
  EXPECT_EQ(parser.Parse("0123456789\r", &consumed, sink), ParseStatus::kNeedMore);
  EXPECT_EQ(parser.Parse("0123456789\ra", &consumed, sink), ParseStatus::kError);
  EXPECT_EQ(parser.error(), ProtocolError::kMaxControlLineExceeded);
}

TEST(ClientParserTest, JunkAfterPingIsConsumedNotBuffered) {
  ClientParser parser;
  RecordingSink sink;
  size_t consumed = 0;
  const std::string junk(100000, 'x');
  EXPECT_EQ(parser.Parse("PING" + junk, &consumed, sink), ParseStatus::kNeedMore);
  EXPECT_EQ(consumed, 4 + junk.size());
  EXPECT_EQ(parser.Parse(junk, &consumed, sink), ParseStatus::kNeedMore);
  EXPECT_EQ(consumed, junk.size());
  EXPECT_EQ(parser.Parse("\r\nPONG\r\n", &consumed, sink), ParseStatus::kOk);
  EXPECT_THAT(sink.ops, ElementsAre("PING", "PONG"));
}

TEST(ClientParserTest, WhitespaceAfterVerbIsConsumed) {
  ClientParser parser;
  RecordingSink sink;
  size_t consumed = 0;
  EXPECT_EQ(parser.Parse("SUB " + std::string(10000, ' '), &consumed, sink),
            ParseStatus::kNeedMore);
  EXPECT_EQ(consumed, 10004u);
  EXPECT_EQ(parser.Parse("a 1\r\n", &consumed, sink), ParseStatus::kOk);
  EXPECT_THAT(sink.ops, ElementsAre("SUB a||1"));
}

TEST(ClientParserTest, LargePayloadWithBytesNeeded) {
  const std::string payload(1 << 20, 'p');
  const std::string input = "PUB big.subject reply.to 1048576\r\n" + payload + "\r\n";
  ClientParser parser;
  RecordingSink sink;
  size_t consumed = 0;
  EXPECT_EQ(parser.Parse(std::string_view(input).substr(0, 100), &consumed, sink),
            ParseStatus::kNeedMore);
  EXPECT_EQ(consumed, 4u);  // the verb is consumed; the argument line is kept
  EXPECT_EQ(parser.bytes_needed(), input.size() - 4);
  // Feeding everything but the final "\n" still needs more, with the same total.
  const std::string_view rest = std::string_view(input).substr(consumed);
  EXPECT_EQ(parser.Parse(rest.substr(0, rest.size() - 1), &consumed, sink), ParseStatus::kNeedMore);
  EXPECT_EQ(consumed, 0u);
  EXPECT_EQ(parser.bytes_needed(), rest.size());
  EXPECT_EQ(parser.Parse(rest, &consumed, sink), ParseStatus::kOk);
  EXPECT_EQ(consumed, rest.size());
  EXPECT_EQ(parser.bytes_needed(), 0u);
  ASSERT_EQ(sink.ops.size(), 1u);
  EXPECT_EQ(sink.ops[0], "PUB big.subject|reply.to|" + payload);
}

TEST(ClientParserTest, BytesNeededIsZeroWhenUnknown) {
  ClientParser parser;
  RecordingSink sink;
  size_t consumed = 0;
  EXPECT_EQ(parser.Parse("PUB foo 12", &consumed, sink), ParseStatus::kNeedMore);
  EXPECT_EQ(parser.bytes_needed(), 0u);
  EXPECT_EQ(parser.Parse("PU", &consumed, sink), ParseStatus::kNeedMore);
  EXPECT_EQ(parser.bytes_needed(), 0u);
}

TEST(ClientParserTest, MaxPayloadBoundaryAndUnlimited) {
  ParserLimits limits;
  limits.max_payload = 3;
  EXPECT_THAT(FeedWhole("PUB a 3\r\nabc\r\n", limits).ops, ElementsAre("PUB a||abc"));
  EXPECT_EQ(FeedWhole("PUB a 4\r\nabcd\r\n", limits).error, ProtocolError::kMaxPayloadViolation);
  limits.max_payload = -1;
  EXPECT_EQ(FeedWhole("PUB a 999999999\r\n", limits).last_status, ParseStatus::kNeedMore);
}

TEST(ClientParserTest, PipelinedOpsInOneBuffer) {
  std::string input;
  std::vector<std::string> expected;
  for (int i = 0; i < 1000; ++i) {
    const std::string n = std::to_string(i);
    input += "PUB s." + n + " " + std::to_string(n.size()) + "\r\n" + n + "\r\n";
    expected.push_back("PUB s." + n + "||" + n);
    if (i % 100 == 0) {
      input += "PING\r\n";
      expected.push_back("PING");
    }
  }
  const FeedResult r = FeedWhole(input);
  EXPECT_EQ(r.ops, expected);
  EXPECT_EQ(r.last_status, ParseStatus::kOk);
  // Also in 7-byte reads, the way a slow socket delivers them.
  std::vector<size_t> cuts;
  for (size_t i = 7; i < input.size(); i += 7) {
    cuts.push_back(i);
  }
  EXPECT_EQ(Feed(input, cuts).ops, expected);
}

TEST(ClientParserTest, SinkFalseStopsWithConsumedJustPastThatOp) {
  const std::string input = "PING\r\nSUB a 1\r\nPUB a 1\r\nx\r\nPONG\r\n";
  struct StopOnSub : RecordingSink {
    bool OnSub(const SubOp& op) override {
      RecordingSink::OnSub(op);
      return false;
    }
  } sink;
  ClientParser parser;
  size_t consumed = 0;
  EXPECT_EQ(parser.Parse(input, &consumed, sink), ParseStatus::kStopped);
  EXPECT_EQ(consumed, 15u);  // "PING\r\nSUB a 1\r\n"
  EXPECT_THAT(sink.ops, ElementsAre("PING", "SUB a||1"));
  EXPECT_EQ(parser.Parse(std::string_view(input).substr(consumed), &consumed, sink),
            ParseStatus::kOk);
  EXPECT_THAT(sink.ops, ElementsAre("PING", "SUB a||1", "PUB a||x", "PONG"));
}

TEST(ClientParserTest, SinkFalseOnPubAndPing) {
  const std::string input = "PUB a 1\r\nx\r\nPING\r\n";
  RecordingSink sink;
  sink.stop_after_every_op = true;
  ClientParser parser;
  size_t consumed = 0;
  EXPECT_EQ(parser.Parse(input, &consumed, sink), ParseStatus::kStopped);
  EXPECT_EQ(consumed, 12u);
  EXPECT_EQ(parser.Parse(std::string_view(input).substr(12), &consumed, sink),
            ParseStatus::kStopped);
  EXPECT_EQ(consumed, 6u);
  EXPECT_THAT(sink.ops, ElementsAre("PUB a||x", "PING"));
}

TEST(ClientParserTest, EmptyInputIsOk) {
  ClientParser parser;
  RecordingSink sink;
  size_t consumed = 99;
  EXPECT_EQ(parser.Parse({}, &consumed, sink), ParseStatus::kOk);
  EXPECT_EQ(consumed, 0u);
}

TEST(ClientParserTest, ErrorTextTable) {
  EXPECT_EQ(ErrorText(ProtocolError::kUnknownProtocolOperation), "Unknown Protocol Operation");
  EXPECT_EQ(ErrorText(ProtocolError::kMaxControlLineExceeded), "maximum control line exceeded");
  EXPECT_EQ(ErrorText(ProtocolError::kMaxPayloadViolation), "Maximum Payload Violation");
  EXPECT_EQ(ErrorText(ProtocolError::kBadArguments), "");
  EXPECT_EQ(ErrorText(ProtocolError::kAuthorizationViolation), "Authorization Violation");
  EXPECT_EQ(ErrorText(ProtocolError::kAuthenticationTimeout), "Authentication Timeout");
  EXPECT_EQ(ErrorText(ProtocolError::kMaxConnectionsExceeded), "maximum connections exceeded");
  EXPECT_EQ(ErrorText(ProtocolError::kMaxSubscriptionsExceeded), "maximum subscriptions exceeded");
  EXPECT_EQ(ErrorText(ProtocolError::kInvalidSubject), "Invalid Subject");
  EXPECT_EQ(ErrorText(ProtocolError::kInvalidPublishSubject), "Invalid Publish Subject");
  EXPECT_EQ(ErrorText(ProtocolError::kStaleConnection), "Stale Connection");
  EXPECT_EQ(ErrorText(ProtocolError::kInvalidClientProtocol), "invalid client protocol");
  EXPECT_EQ(ErrorText(ProtocolError::kNoRespondersRequiresHeaders),
            "no responders requires headers support");
  EXPECT_EQ(ErrorText(ProtocolError::kSlowConsumer), "Slow Consumer");
  EXPECT_EQ(ErrorText(ProtocolError::kNone), "");
  EXPECT_EQ(ErrorText(static_cast<ProtocolError>(200)), "");

  EXPECT_TRUE(ErrorCloses(ProtocolError::kUnknownProtocolOperation));
  EXPECT_TRUE(ErrorCloses(ProtocolError::kBadArguments));
  EXPECT_TRUE(ErrorCloses(ProtocolError::kStaleConnection));
  EXPECT_FALSE(ErrorCloses(ProtocolError::kMaxSubscriptionsExceeded));
  EXPECT_FALSE(ErrorCloses(ProtocolError::kInvalidSubject));
  EXPECT_FALSE(ErrorCloses(ProtocolError::kInvalidPublishSubject));
  EXPECT_FALSE(ErrorCloses(ProtocolError::kNone));
}

}  // namespace
}  // namespace lattice::protocol
