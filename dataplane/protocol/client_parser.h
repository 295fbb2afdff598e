// Incremental, zero-copy parser for the NATS client protocol (client -> server direction).
//
// The parser turns bytes into ops and knows nothing of sockets, accounts or routing. Views
// handed to the sink point into the caller's buffer and are valid only during the callback.
//
//   ClientParser parser(limits);
//   size_t consumed = 0;
//   ParseStatus status = parser.Parse(read_buffer, &consumed, session);
//   // erase `consumed` bytes; on kNeedMore keep the rest and read more (at least
//   // parser.bytes_needed() bytes in total are needed before the next call can progress);
//   // on kError send parser.error() (if it has text) and close.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "dataplane/protocol/errors.h"

namespace lattice::protocol {

enum class ParseStatus : uint8_t {
  kOk,        // every complete op in the input was delivered; `consumed` == input size
  kNeedMore,  // a partial op remains at input[consumed...]; call again with more bytes
  kError,     // protocol violation; error() says which; the connection must close
  kStopped,   // the sink asked to stop (e.g. it is closing the connection)
};

// One published message: PUB (header_size == 0 and no headers) or HPUB.
struct PubOp {
  std::string_view subject;
  std::string_view reply;    // empty when absent
  std::string_view headers;  // HPUB only: the header block including its blank line
  std::string_view payload;  // the message body without headers
  bool has_headers = false;  // true for HPUB (even with an empty header block)
};

struct SubOp {
  std::string_view subject;
  std::string_view queue;  // empty when absent
  std::string_view sid;
};

struct UnsubOp {
  std::string_view sid;
  std::optional<uint64_t> max_msgs;
};

// Receives complete ops. Every method returns true to continue, false to stop parsing
// (Parse then returns kStopped with `consumed` just past the op that stopped it).
class ClientOpSink {
 public:
  virtual ~ClientOpSink() = default;
  virtual bool OnConnect(std::string_view json) = 0;
  virtual bool OnPub(const PubOp& op) = 0;
  virtual bool OnSub(const SubOp& op) = 0;
  virtual bool OnUnsub(const UnsubOp& op) = 0;
  virtual bool OnPing() = 0;
  virtual bool OnPong() = 0;
  // Clients may send these; nats-server ignores INFO and +OK and closes on -ERR.
  virtual bool OnInfo(std::string_view json) { return true; }
  virtual bool OnOk() { return true; }
  virtual bool OnErr(std::string_view text) = 0;
};

struct ParserLimits {
  size_t max_control_line = 4096;  // bytes in the argument part of a control line
  int64_t max_payload = 1048576;   // declared PUB/HPUB total size; -1 = unlimited
};

// Thread: single owner (the connection's loop).
class ClientParser {
 public:
  explicit ClientParser(ParserLimits limits = {});

  // Parses as many complete ops from `in` as it can, calling the sink for each.
  ParseStatus Parse(std::string_view in, size_t* consumed, ClientOpSink& sink);

  // Why the last Parse returned kError. ErrorText() gives the exact -ERR text, or empty when
  // nats-server closes without an -ERR (e.g. wrong argument count).
  ProtocolError error() const { return error_; }

  // After kNeedMore: the total bytes the pending op occupies, when known (a PUB whose size
  // has been read), else 0. Lets the caller grow its buffer once for large payloads.
  size_t bytes_needed() const { return bytes_needed_; }

  void set_limits(ParserLimits limits) { limits_ = limits; }
  const ParserLimits& limits() const { return limits_; }

  // Forgets any partial op and a sticky error, e.g. to reuse the parser for a new connection.
  void Reset();

 private:
  // Where the next byte goes. Across calls the parser remembers only this, never bytes: the
  // verb and the separators after it are consumed as soon as they are recognised, so in kArg
  // and kPayload the op's argument starts at input[0] of the next call.
  enum class State : uint8_t {
    kOpStart,     // at the first byte of an op
    kSkipToEol,   // PING, PONG or +OK recognised: everything up to '\n' is ignored
    kSkipSpaces,  // verb recognised: skipping spaces/tabs before the argument
    kArg,         // scanning the argument for '\n'
    kPayload,     // PUB/HPUB control line parsed: waiting for payload + CRLF
  };
  enum class Op : uint8_t { kPub, kHpub, kSub, kUnsub, kConnect, kInfo, kPing, kPong, kOk, kErr };

  // A parsed PUB/HPUB control line, as offsets from the start of its argument so it survives
  // the caller moving its buffer between calls.
  struct PendingPub {
    size_t line_len = 0;  // argument + line terminator, up to the first payload byte
    size_t subject_offset = 0;
    size_t subject_len = 0;
    size_t reply_offset = 0;
    size_t reply_len = 0;
    size_t header_size = 0;
    size_t total_size = 0;
  };

  ParseStatus Fail(ProtocolError error, size_t pos, size_t* consumed);
  ProtocolError ParsePubArgs(std::string_view arg, const char* base);
  // Delivers SUB/UNSUB/CONNECT/INFO/-ERR; sets *error on bad arguments.
  bool DeliverLine(std::string_view arg, ClientOpSink& sink, ProtocolError* error);

  ParserLimits limits_;
  ProtocolError error_ = ProtocolError::kNone;
  size_t bytes_needed_ = 0;
  State state_ = State::kOpStart;
  Op op_ = Op::kPing;
  size_t scanned_ = 0;  // kArg: bytes of the argument already known to hold no '\n'
  PendingPub pub_;
};

}  // namespace lattice::protocol
