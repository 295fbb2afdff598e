// Server -> client frames of the NATS client protocol, written without per-message allocation.
//
// Two layers: Write*() put a frame at a raw pointer that has room for Max*Size() bytes and
// return the end (for outbound buffers that are not std::string), and Append*() grow a
// std::string that the caller reuses, so steady-state appends never allocate.
//
//   std::string& out = session.outbound();
//   AppendMsgHeader(&out, subject, sid, reply, payload.size());
//   out.append(payload);
//   out.append(kCrLf);  // or AppendMsg(&out, subject, sid, reply, payload) for all three
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "dataplane/protocol/errors.h"

namespace lattice::protocol {

inline constexpr std::string_view kCrLf = "\r\n";
inline constexpr std::string_view kPingFrame = "PING\r\n";
inline constexpr std::string_view kPongFrame = "PONG\r\n";
inline constexpr std::string_view kOkFrame = "+OK\r\n";

// Longest decimal rendering of a uint64_t.
inline constexpr size_t kMaxUintDigits = 20;

// Writes `value` in decimal at `dst` (room for kMaxUintDigits) and returns the end.
char* WriteUint(char* dst, uint64_t value);

// `MSG <subject> <sid> [reply] <size>\r\n` (the reply and its space only when non-empty).
size_t MaxMsgHeaderSize(std::string_view subject, std::string_view sid, std::string_view reply);
char* WriteMsgHeader(char* dst, std::string_view subject, std::string_view sid,
                     std::string_view reply, uint64_t size);
void AppendMsgHeader(std::string* out, std::string_view subject, std::string_view sid,
                     std::string_view reply, uint64_t size);
// Header, payload and the trailing CRLF.
void AppendMsg(std::string* out, std::string_view subject, std::string_view sid,
               std::string_view reply, std::string_view payload);

// `HMSG <subject> <sid> [reply] <header size> <total size>\r\n`; total = header + payload.
size_t MaxHmsgHeaderSize(std::string_view subject, std::string_view sid, std::string_view reply);
char* WriteHmsgHeader(char* dst, std::string_view subject, std::string_view sid,
                      std::string_view reply, uint64_t header_size, uint64_t total_size);
void AppendHmsgHeader(std::string* out, std::string_view subject, std::string_view sid,
                      std::string_view reply, uint64_t header_size, uint64_t total_size);
// Header line, header block, payload and the trailing CRLF.
void AppendHmsg(std::string* out, std::string_view subject, std::string_view sid,
                std::string_view reply, std::string_view headers, std::string_view payload);

// `-ERR '<text>'\r\n`.
void AppendErr(std::string* out, std::string_view text);
// The -ERR for `error` from the errors.h table; appends nothing (and returns false) when
// nats-server sends no -ERR for it.
bool AppendErr(std::string* out, ProtocolError error);

// `INFO <json> \r\n`, with the space before CRLF that nats-server puts on client INFO lines.
void AppendInfo(std::string* out, std::string_view json);

inline void AppendPing(std::string* out) {
  out->append(kPingFrame);
}
inline void AppendPong(std::string* out) {
  out->append(kPongFrame);
}
inline void AppendOk(std::string* out) {
  out->append(kOkFrame);
}

}  // namespace lattice::protocol
