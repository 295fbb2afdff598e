// ClientParser: an incremental state machine over the caller's read buffer (no copies, no
// allocation). Edge cases follow nats-server 2.9.10 server/parser.go and client.go.
#include "dataplane/protocol/client_parser.h"

#include <cstring>

namespace lattice::protocol {
namespace {

enum class VerbMatch : uint8_t { kMatched, kNeedMore, kUnknown };

bool IsSpace(char c) {
  return c == ' ' || c == '\t';
}

char ToLower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// nats-server's parseSize: 1 to 9 decimal digits, else -1 (so a size never exceeds 999999999).
int64_t ParseSize(std::string_view digits) {
  constexpr size_t kMaxDigits = 9;
  if (digits.empty() || digits.size() > kMaxDigits) {
    return -1;
  }
  int64_t value = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9') {
      return -1;
    }
    value = value * 10 + (c - '0');
  }
  return value;
}

// Splits `arg` into tokens separated by runs of spaces/tabs (and '\r' when `cr_separates`, as
// nats-server does for SUB/UNSUB). Stores up to N tokens; returns the count, which exceeds N
// (and stops early) when there are more.
template <size_t N>
size_t SplitArgs(std::string_view arg, bool cr_separates, std::string_view (&out)[N]) {
  const auto is_separator = [cr_separates](char c) {
    return IsSpace(c) || (cr_separates && c == '\r');
  };
  size_t count = 0;
  size_t i = 0;
  const size_t n = arg.size();
  while (i < n) {
    while (i < n && is_separator(arg[i])) {
      ++i;
    }
    if (i == n) {
      break;
    }
    const size_t start = i;
    while (i < n && !is_separator(arg[i])) {
      ++i;
    }
    if (count == N) {
      return N + 1;
    }
    out[count++] = arg.substr(start, i - start);
  }
  return count;
}

// Length of the argument on a line whose '\n' is at `eol`: a '\r' right before it is dropped.
size_t ArgLength(std::string_view rest, size_t eol) {
  return (eol > 0 && rest[eol - 1] == '\r') ? eol - 1 : eol;
}

}  // namespace

ClientParser::ClientParser(ParserLimits limits) : limits_(limits) {}

void ClientParser::Reset() {
  error_ = ProtocolError::kNone;
  bytes_needed_ = 0;
  state_ = State::kOpStart;
  scanned_ = 0;
  pub_ = PendingPub{};
}

ParseStatus ClientParser::Fail(ProtocolError error, size_t pos, size_t* consumed) {
  error_ = error;
  *consumed = pos;
  return ParseStatus::kError;
}

// One pass over `in`, one state per loop turn. Verbs that take whitespace-separated arguments
// match together with their first separator, so `PUB\r\n` and `PUBX` are unknown operations
// exactly as in nats-server; CONNECT and INFO need no separator.
ParseStatus ClientParser::Parse(std::string_view in, size_t* consumed, ClientOpSink& sink) {
  bytes_needed_ = 0;
  if (error_ != ProtocolError::kNone) {
    *consumed = 0;
    return ParseStatus::kError;
  }
  size_t pos = 0;
  while (true) {
    const std::string_view rest = in.substr(pos);
    switch (state_) {
      case State::kOpStart: {
        if (rest.empty()) {
          *consumed = pos;
          return ParseStatus::kOk;
        }
        std::string_view word;
        bool needs_separator = true;
        switch (ToLower(rest[0])) {
          case 'p':
            if (rest.size() < 2) {
              *consumed = pos;
              return ParseStatus::kNeedMore;
            }
            switch (ToLower(rest[1])) {
              case 'u':
                word = "pub";
                op_ = Op::kPub;
                break;
              case 'i':
                word = "ping";
                op_ = Op::kPing;
                needs_separator = false;
                break;
              case 'o':
                word = "pong";
                op_ = Op::kPong;
                needs_separator = false;
                break;
              default:
                return Fail(ProtocolError::kUnknownProtocolOperation, pos, consumed);
            }
            break;
          case 'h':
            word = "hpub";
            op_ = Op::kHpub;
            break;
          case 's':
            word = "sub";
            op_ = Op::kSub;
            break;
          case 'u':
            word = "unsub";
            op_ = Op::kUnsub;
            break;
          case 'c':
            word = "connect";
            op_ = Op::kConnect;
            needs_separator = false;
            break;
          case 'i':
            word = "info";
            op_ = Op::kInfo;
            needs_separator = false;
            break;
          case '+':
            word = "+ok";
            op_ = Op::kOk;
            needs_separator = false;
            break;
          case '-':
            word = "-err";
            op_ = Op::kErr;
            break;
          default:
            return Fail(ProtocolError::kUnknownProtocolOperation, pos, consumed);
        }
        const size_t available = rest.size() < word.size() ? rest.size() : word.size();
        for (size_t i = 0; i < available; ++i) {
          if (ToLower(rest[i]) != word[i]) {
            return Fail(ProtocolError::kUnknownProtocolOperation, pos + i, consumed);
          }
        }
        const size_t verb_len = word.size() + (needs_separator ? 1 : 0);
        if (rest.size() < verb_len) {
          *consumed = pos;
          return ParseStatus::kNeedMore;
        }
        if (needs_separator && !IsSpace(rest[word.size()])) {
          return Fail(ProtocolError::kUnknownProtocolOperation, pos + word.size(), consumed);
        }
        pos += verb_len;
        const bool bare = op_ == Op::kPing || op_ == Op::kPong || op_ == Op::kOk;
        state_ = bare ? State::kSkipToEol : State::kSkipSpaces;
        break;
      }

      case State::kSkipToEol: {
        // nats-server ignores anything between PING/PONG/+OK and '\n'; consuming it keeps the
        // caller from buffering junk.
        const void* nl = rest.empty() ? nullptr : std::memchr(rest.data(), '\n', rest.size());
        if (nl == nullptr) {
          *consumed = in.size();
          return ParseStatus::kNeedMore;
        }
        pos += static_cast<size_t>(static_cast<const char*>(nl) - rest.data()) + 1;
        state_ = State::kOpStart;
        bool go = true;
        switch (op_) {
          case Op::kPing:
            go = sink.OnPing();
            break;
          case Op::kPong:
            go = sink.OnPong();
            break;
          default:
            go = sink.OnOk();
            break;
        }
        if (!go) {
          *consumed = pos;
          return ParseStatus::kStopped;
        }
        break;
      }

      case State::kSkipSpaces: {
        size_t i = 0;
        while (i < rest.size() && IsSpace(rest[i])) {
          ++i;
        }
        pos += i;
        if (i == rest.size()) {
          *consumed = pos;
          return ParseStatus::kNeedMore;
        }
        state_ = State::kArg;
        scanned_ = 0;
        break;
      }

      case State::kArg: {
        const size_t from = scanned_ <= rest.size() ? scanned_ : 0;
        const void* nl = from == rest.size()
                             ? nullptr
                             : std::memchr(rest.data() + from, '\n', rest.size() - from);
        if (nl == nullptr) {
          // Enforce the limit before the line ends so a client cannot make us buffer unbounded
          // bytes. A trailing '\r' may yet be the terminator, so it does not count.
          const size_t known = ArgLength(rest, rest.size());
          if (known > limits_.max_control_line) {
            return Fail(ProtocolError::kMaxControlLineExceeded, pos, consumed);
          }
          scanned_ = rest.size();
          *consumed = pos;
          return ParseStatus::kNeedMore;
        }
        const size_t eol = static_cast<size_t>(static_cast<const char*>(nl) - rest.data());
        const std::string_view arg = rest.substr(0, ArgLength(rest, eol));
        if (arg.size() > limits_.max_control_line) {
          return Fail(ProtocolError::kMaxControlLineExceeded, pos, consumed);
        }
        if (op_ == Op::kPub || op_ == Op::kHpub) {
          const ProtocolError error = ParsePubArgs(arg, rest.data());
          if (error != ProtocolError::kNone) {
            return Fail(error, pos, consumed);
          }
          pub_.line_len = eol + 1;
          state_ = State::kPayload;
          break;
        }
        ProtocolError error = ProtocolError::kNone;
        const bool go = DeliverLine(arg, sink, &error);
        if (error != ProtocolError::kNone) {
          return Fail(error, pos, consumed);
        }
        pos += eol + 1;
        state_ = State::kOpStart;
        if (!go) {
          *consumed = pos;
          return ParseStatus::kStopped;
        }
        break;
      }

      case State::kPayload: {
        // The payload must be followed by exactly "\r\n"; fail as soon as a wrong byte arrives.
        const size_t body_end = pub_.line_len + pub_.total_size;
        if ((rest.size() > body_end && rest[body_end] != '\r') ||
            (rest.size() > body_end + 1 && rest[body_end + 1] != '\n')) {
          return Fail(ProtocolError::kUnknownProtocolOperation, pos, consumed);
        }
        if (rest.size() < body_end + 2) {
          bytes_needed_ = body_end + 2;
          *consumed = pos;
          return ParseStatus::kNeedMore;
        }
        PubOp op;
        op.subject = rest.substr(pub_.subject_offset, pub_.subject_len);
        op.reply = rest.substr(pub_.reply_offset, pub_.reply_len);
        const std::string_view body = rest.substr(pub_.line_len, pub_.total_size);
        if (op_ == Op::kHpub) {
          op.has_headers = true;
          op.headers = body.substr(0, pub_.header_size);
          op.payload = body.substr(pub_.header_size);
        } else {
          op.payload = body;
        }
        pos += body_end + 2;
        state_ = State::kOpStart;
        if (!sink.OnPub(op)) {
          *consumed = pos;
          return ParseStatus::kStopped;
        }
        break;
      }
    }
  }
}

// PUB <subject> [reply] <size> / HPUB <subject> [reply] <header size> <total size>, separated
// by spaces/tabs only (as nats-server's processPub/processHeaderPub). Offsets are from `base`.
ProtocolError ClientParser::ParsePubArgs(std::string_view arg, const char* base) {
  std::string_view args[4];
  const size_t count = SplitArgs(arg, /*cr_separates=*/false, args);
  const bool headers = op_ == Op::kHpub;
  const size_t min_args = headers ? 3 : 2;
  if (count < min_args || count > min_args + 1) {
    return ProtocolError::kBadArguments;
  }
  const bool has_reply = count == min_args + 1;
  const std::string_view subject = args[0];
  const std::string_view reply = has_reply ? args[1] : std::string_view();
  const size_t sizes = has_reply ? 2 : 1;
  int64_t header_size = 0;
  if (headers) {
    header_size = ParseSize(args[sizes]);
    if (header_size < 0) {
      return ProtocolError::kBadArguments;
    }
  }
  const int64_t total_size = ParseSize(args[sizes + (headers ? 1 : 0)]);
  if (total_size < 0 || header_size > total_size) {
    return ProtocolError::kBadArguments;
  }
  if (limits_.max_payload >= 0 && total_size > limits_.max_payload) {
    return ProtocolError::kMaxPayloadViolation;
  }
  pub_.subject_offset = static_cast<size_t>(subject.data() - base);
  pub_.subject_len = subject.size();
  pub_.reply_offset = has_reply ? static_cast<size_t>(reply.data() - base) : 0;
  pub_.reply_len = reply.size();
  pub_.header_size = static_cast<size_t>(header_size);
  pub_.total_size = static_cast<size_t>(total_size);
  return ProtocolError::kNone;
}

bool ClientParser::DeliverLine(std::string_view arg, ClientOpSink& sink, ProtocolError* error) {
  switch (op_) {
    case Op::kSub: {
      std::string_view args[3];
      const size_t count = SplitArgs(arg, /*cr_separates=*/true, args);
      if (count != 2 && count != 3) {
        *error = ProtocolError::kBadArguments;
        return false;
      }
      SubOp op;
      op.subject = args[0];
      op.queue = count == 3 ? args[1] : std::string_view();
      op.sid = args[count - 1];
      return sink.OnSub(op);
    }
    case Op::kUnsub: {
      std::string_view args[2];
      const size_t count = SplitArgs(arg, /*cr_separates=*/true, args);
      if (count != 1 && count != 2) {
        *error = ProtocolError::kBadArguments;
        return false;
      }
      UnsubOp op;
      op.sid = args[0];
      if (count == 2) {
        // nats-server reads a bad max as -1 and, like 0, removes the subscription at once.
        const int64_t max = ParseSize(args[1]);
        op.max_msgs = max > 0 ? static_cast<uint64_t>(max) : 0;
      }
      return sink.OnUnsub(op);
    }
    case Op::kConnect:
      return sink.OnConnect(arg);
    case Op::kInfo:
      return sink.OnInfo(arg);
    case Op::kErr:
      return sink.OnErr(arg);
    default:
      // PUB/HPUB and the bare verbs never reach here.
      return true;
  }
}

}  // namespace lattice::protocol
