// RecordingSink and the chunked Feed driver used by the parser tests and fuzzer.
#include "dataplane/protocol/client_parser_testing.h"

#include <utility>

namespace lattice::protocol::testing {

bool RecordingSink::Record(std::string op) {
  ops.push_back(std::move(op));
  return !stop_after_every_op;
}

bool RecordingSink::OnConnect(std::string_view json) {
  return Record("CONNECT " + std::string(json));
}

bool RecordingSink::OnPub(const PubOp& op) {
  std::string text = op.has_headers ? "HPUB " : "PUB ";
  text.append(op.subject).append("|").append(op.reply).append("|");
  if (op.has_headers) {
    text.append(op.headers).append("|");
  }
  text.append(op.payload);
  return Record(std::move(text));
}

bool RecordingSink::OnSub(const SubOp& op) {
  return Record("SUB " + std::string(op.subject) + "|" + std::string(op.queue) + "|" +
                std::string(op.sid));
}

bool RecordingSink::OnUnsub(const UnsubOp& op) {
  std::string text = "UNSUB " + std::string(op.sid);
  if (op.max_msgs.has_value()) {
    text += "|" + std::to_string(*op.max_msgs);
  }
  return Record(std::move(text));
}

bool RecordingSink::OnPing() {
  return Record("PING");
}
bool RecordingSink::OnPong() {
  return Record("PONG");
}
bool RecordingSink::OnInfo(std::string_view json) {
  return Record("INFO " + std::string(json));
}
bool RecordingSink::OnOk() {
  return Record("+OK");
}
bool RecordingSink::OnErr(std::string_view text) {
  return Record("-ERR " + std::string(text));
}

FeedResult Feed(std::string_view input, const std::vector<size_t>& cuts, ParserLimits limits,
                bool stop_after_every_op) {
  ClientParser parser(limits);
  RecordingSink sink;
  sink.stop_after_every_op = stop_after_every_op;
  FeedResult result;
  std::string buffer;
  size_t start = 0;
  for (size_t i = 0; i <= cuts.size(); ++i) {
    const size_t end = i < cuts.size() ? cuts[i] : input.size();
    if (end < start || end > input.size()) {
      continue;  // ignore unsorted or out-of-range cuts
    }
    buffer.append(input.substr(start, end - start));
    start = end;
    while (true) {
      size_t consumed = ~size_t{0};
      const ParseStatus status = parser.Parse(buffer, &consumed, sink);
      result.last_status = status;
      if (consumed > buffer.size() || (status == ParseStatus::kOk && consumed != buffer.size())) {
        sink.ops.push_back("INVARIANT consumed");
        consumed = buffer.size();
      }
      if (status == ParseStatus::kError) {
        result.error = parser.error();
        result.ops = std::move(sink.ops);
        result.buffered = 0;  // the connection closes; what it held depends on the reads
        return result;
      }
      buffer.erase(0, consumed);
      if (status != ParseStatus::kStopped) {
        break;
      }
    }
  }
  result.ops = std::move(sink.ops);
  result.buffered = buffer.size();
  return result;
}

FeedResult FeedWhole(std::string_view input, ParserLimits limits) {
  return Feed(input, {}, limits);
}

FeedResult FeedByteByByte(std::string_view input, ParserLimits limits) {
  std::vector<size_t> cuts;
  for (size_t i = 1; i < input.size(); ++i) {
    cuts.push_back(i);
  }
  return Feed(input, cuts, limits);
}

}  // namespace lattice::protocol::testing
