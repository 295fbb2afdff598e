// Incremental parser for the server-to-client half of the NATS protocol (INFO, MSG, HMSG, ...).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace lattice::bench {

enum class ParseStatus : uint8_t { kOk, kNeedMore, kError };

// One delivered message. Views point into the parser's input and die with the next Parse().
struct MsgView {
  std::string_view subject;
  std::string_view sid;
  std::string_view reply;    // empty when the message has no reply subject
  std::string_view headers;  // empty for MSG; the header block (with its blank line) for HMSG
  std::string_view payload;
};

// Receives parsed server ops. Implemented by the scenario that owns the connection.
class ServerOpSink {
 public:
  virtual ~ServerOpSink() = default;
  virtual void OnMsg(const MsgView& msg) = 0;
  virtual void OnPing() = 0;
  virtual void OnPong() = 0;
  virtual void OnInfo(std::string_view json) {}
  virtual void OnOk() {}
  virtual void OnErr(std::string_view text) = 0;
};

// Stateless between calls: Parse() consumes whole ops only, so a caller keeps the unconsumed tail
// and offers it again with more bytes. Whitespace between fields may be any run of spaces/tabs
// (nats-server writes `MSG a 1  5` for an empty reply). Thread: single owner.
class ServerParser {
 public:
  // Hard limit on a declared payload; larger sizes are a protocol error, never an allocation.
  static constexpr size_t kMaxPayload = 64u << 20;
  static constexpr size_t kMaxControlLine = 64u << 10;

  // Calls `sink` once per complete op found at the start of `in`. `*consumed` is the number of
  // bytes covered by those ops. kNeedMore: the tail holds a partial op (not an error).
  // kError: the bytes at `in[*consumed]` are not a valid server op; error() says why.
  ParseStatus Parse(std::string_view in, size_t* consumed, ServerOpSink& sink);

  std::string_view error() const { return error_; }

 private:
  // Parses one op at the start of `in`; returns bytes used, 0 when incomplete, -1 on error.
  long ParseOne(std::string_view in, ServerOpSink& sink);
  long ParseMsg(std::string_view in, std::string_view line, size_t line_len, bool with_headers,
                ServerOpSink& sink);

  std::string_view error_;
};

}  // namespace lattice::bench
