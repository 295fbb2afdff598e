// Permission violation texts with Go %q quoting, and the reserved reply prefixes.
#include "dataplane/auth/permission_errors.h"

#include <cstdint>

namespace lattice::auth {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void AppendHexByte(std::string* out, uint8_t b) {
  out->append("\\x");
  out->push_back(kHex[b >> 4]);
  out->push_back(kHex[b & 0xf]);
}

// Length of the valid UTF-8 sequence starting at s[i] (2..4), or 0 when invalid.
size_t Utf8SequenceLength(std::string_view s, size_t i, uint32_t* rune) {
  auto b = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  uint8_t c = b(i);
  size_t len;
  uint32_t r;
  if (c >= 0xc2 && c <= 0xdf) {
    len = 2;
    r = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3;
    r = c & 0x0f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4;
    r = c & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) {
    return 0;
  }
  for (size_t k = 1; k < len; ++k) {
    if ((b(i + k) & 0xc0) != 0x80) {
      return 0;
    }
    r = (r << 6) | (b(i + k) & 0x3f);
  }
  // Reject overlong forms, surrogates and values past U+10FFFF.
  if ((len == 3 && r < 0x800) || (len == 4 && (r < 0x10000 || r > 0x10ffff)) ||
      (r >= 0xd800 && r <= 0xdfff)) {
    return 0;
  }
  *rune = r;
  return len;
}

std::string Quoted(std::string_view prefix, std::string_view s) {
  std::string out(prefix);
  AppendGoQuoted(&out, s);
  return out;
}

}  // namespace

void AppendGoQuoted(std::string* out, std::string_view s) {
  out->reserve(out->size() + s.size() + 2);
  out->push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    uint8_t c = static_cast<uint8_t>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"':
          out->append("\\\"");
          break;
        case '\\':
          out->append("\\\\");
          break;
        case '\a':
          out->append("\\a");
          break;
        case '\b':
          out->append("\\b");
          break;
        case '\f':
          out->append("\\f");
          break;
        case '\n':
          out->append("\\n");
          break;
        case '\r':
          out->append("\\r");
          break;
        case '\t':
          out->append("\\t");
          break;
        case '\v':
          out->append("\\v");
          break;
        default:
          if (c < 0x20 || c == 0x7f) {
            AppendHexByte(out, c);
          } else {
            out->push_back(static_cast<char>(c));
          }
      }
      ++i;
      continue;
    }
    uint32_t rune = 0;
    size_t len = Utf8SequenceLength(s, i, &rune);
    if (len == 0) {
      AppendHexByte(out, c);
      ++i;
      continue;
    }
    if (rune <= 0x9f) {  // C1 controls are not printable
      out->append("\\u00");
      out->push_back(kHex[(rune >> 4) & 0xf]);
      out->push_back(kHex[rune & 0xf]);
    } else {
      out->append(s.substr(i, len));
    }
    i += len;
  }
  out->push_back('"');
}

std::string PublishViolationText(std::string_view subject) {
  return Quoted("Permissions Violation for Publish to ", subject);
}

std::string SubscribeViolationText(std::string_view subject, std::string_view queue) {
  std::string out = Quoted("Permissions Violation for Subscription to ", subject);
  if (!queue.empty()) {
    out.append(" using queue ");
    AppendGoQuoted(&out, queue);
  }
  return out;
}

std::string ReplyViolationText(std::string_view reply) {
  return Quoted("Permissions Violation for Publish with Reply of ", reply);
}

bool IsReservedReply(std::string_view reply) {
  // Lengths must exceed the prefix (nats-server compares with '>' on the length).
  auto has_prefix = [&](std::string_view p) {
    return reply.size() > p.size() && reply.substr(0, p.size()) == p;
  };
  if (reply.size() > 3 && reply.substr(0, 4) == "_R_.") {
    return true;
  }
  return has_prefix("$JS.ACK.") || has_prefix("_GR_.");
}

}  // namespace lattice::auth
