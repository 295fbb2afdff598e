// Server-to-client NATS protocol parser used by lattice-bench's connections.
#include "tools/bench/server_parser.h"

#include <cstring>

namespace lattice::bench {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t';
}

char Upper(char c) {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

bool VerbIs(std::string_view verb, std::string_view want) {
  if (verb.size() != want.size()) {
    return false;
  }
  for (size_t i = 0; i < verb.size(); ++i) {
    if (Upper(verb[i]) != want[i]) {
      return false;
    }
  }
  return true;
}

// Splits `args` on runs of whitespace into at most `max` fields; returns the count, or max + 1
// when there are more fields than allowed.
size_t SplitFields(std::string_view args, std::string_view* out, size_t max) {
  size_t n = 0;
  size_t i = 0;
  while (i < args.size()) {
    while (i < args.size() && IsSpace(args[i])) {
      ++i;
    }
    if (i == args.size()) {
      break;
    }
    size_t start = i;
    while (i < args.size() && !IsSpace(args[i])) {
      ++i;
    }
    if (n == max) {
      return max + 1;
    }
    out[n++] = args.substr(start, i - start);
  }
  return n;
}

// Decimal size without sign; false on empty, non-digits or a value above `limit`.
bool ParseSize(std::string_view s, size_t limit, size_t* out) {
  if (s.empty() || s.size() > 12) {
    return false;
  }
  size_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') {
      return false;
    }
    v = v * 10 + static_cast<size_t>(c - '0');
  }
  if (v > limit) {
    return false;
  }
  *out = v;
  return true;
}

}  // namespace

ParseStatus ServerParser::Parse(std::string_view in, size_t* consumed, ServerOpSink& sink) {
  size_t pos = 0;
  error_ = {};
  while (pos < in.size()) {
    long used = ParseOne(in.substr(pos), sink);
    if (used < 0) {
      *consumed = pos;
      return ParseStatus::kError;
    }
    if (used == 0) {
      *consumed = pos;
      return ParseStatus::kNeedMore;
    }
    pos += static_cast<size_t>(used);
  }
  *consumed = pos;
  return ParseStatus::kOk;
}

long ServerParser::ParseOne(std::string_view in, ServerOpSink& sink) {
  const void* nl = std::memchr(in.data(), '\n', in.size());
  if (nl == nullptr) {
    if (in.size() > kMaxControlLine) {
      error_ = "control line too long";
      return -1;
    }
    return 0;
  }
  size_t line_len = static_cast<size_t>(static_cast<const char*>(nl) - in.data()) + 1;
  std::string_view line = in.substr(0, line_len - 1);
  if (!line.empty() && line.back() == '\r') {
    line.remove_suffix(1);
  }
  size_t verb_end = 0;
  while (verb_end < line.size() && !IsSpace(line[verb_end])) {
    ++verb_end;
  }
  std::string_view verb = line.substr(0, verb_end);
  std::string_view rest = line.substr(verb_end);

  if (VerbIs(verb, "MSG")) {
    return ParseMsg(in, rest, line_len, false, sink);
  }
  if (VerbIs(verb, "HMSG")) {
    return ParseMsg(in, rest, line_len, true, sink);
  }
  if (VerbIs(verb, "PING")) {
    sink.OnPing();
    return static_cast<long>(line_len);
  }
  if (VerbIs(verb, "PONG")) {
    sink.OnPong();
    return static_cast<long>(line_len);
  }
  if (VerbIs(verb, "+OK")) {
    sink.OnOk();
    return static_cast<long>(line_len);
  }
  if (VerbIs(verb, "INFO")) {
    size_t i = 0;
    while (i < rest.size() && IsSpace(rest[i])) {
      ++i;
    }
    std::string_view json = rest.substr(i);
    while (!json.empty() && IsSpace(json.back())) {
      json.remove_suffix(1);
    }
    sink.OnInfo(json);
    return static_cast<long>(line_len);
  }
  if (VerbIs(verb, "-ERR")) {
    size_t i = 0;
    while (i < rest.size() && IsSpace(rest[i])) {
      ++i;
    }
    std::string_view text = rest.substr(i);
    if (text.size() >= 2 && text.front() == '\'' && text.back() == '\'') {
      text = text.substr(1, text.size() - 2);
    }
    sink.OnErr(text);
    return static_cast<long>(line_len);
  }
  error_ = "unknown server operation";
  return -1;
}

long ServerParser::ParseMsg(std::string_view in, std::string_view args, size_t line_len,
                            bool with_headers, ServerOpSink& sink) {
  std::string_view f[5];
  size_t n = SplitFields(args, f, 5);
  MsgView msg;
  size_t hdr_len = 0;
  size_t total = 0;
  bool ok = false;
  if (!with_headers && (n == 3 || n == 4)) {
    msg.subject = f[0];
    msg.sid = f[1];
    msg.reply = n == 4 ? f[2] : std::string_view();
    ok = ParseSize(f[n - 1], kMaxPayload, &total);
  } else if (with_headers && (n == 4 || n == 5)) {
    msg.subject = f[0];
    msg.sid = f[1];
    msg.reply = n == 5 ? f[2] : std::string_view();
    ok = ParseSize(f[n - 2], kMaxPayload, &hdr_len) && ParseSize(f[n - 1], kMaxPayload, &total) &&
         hdr_len <= total;
  }
  if (!ok) {
    error_ = with_headers ? "malformed HMSG" : "malformed MSG";
    return -1;
  }
  size_t need = line_len + total + 2;
  if (in.size() < need) {
    return 0;
  }
  if (in[line_len + total] != '\r' || in[line_len + total + 1] != '\n') {
    error_ = "payload not followed by CRLF";
    return -1;
  }
  msg.headers = in.substr(line_len, hdr_len);
  msg.payload = in.substr(line_len + hdr_len, total - hdr_len);
  sink.OnMsg(msg);
  return static_cast<long>(need);
}

}  // namespace lattice::bench
