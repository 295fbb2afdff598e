// Frame writers for server -> client NATS protocol lines; integers are formatted by hand.
#include "dataplane/protocol/client_encoder.h"

#include <cstring>

namespace lattice::protocol {
namespace {

// "00".."99", so each division step emits two digits.
constexpr char kDigitPairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

char* Put(char* dst, std::string_view text) {
  if (!text.empty()) {  // memcpy from a null view is undefined even for zero bytes
    std::memcpy(dst, text.data(), text.size());
  }
  return dst + text.size();
}

// The `<subject> <sid> [reply] ` part shared by MSG and HMSG.
char* WriteRouting(char* dst, std::string_view subject, std::string_view sid,
                   std::string_view reply) {
  dst = Put(dst, subject);
  *dst++ = ' ';
  dst = Put(dst, sid);
  *dst++ = ' ';
  if (!reply.empty()) {
    dst = Put(dst, reply);
    *dst++ = ' ';
  }
  return dst;
}

size_t RoutingSize(std::string_view subject, std::string_view sid, std::string_view reply) {
  return subject.size() + 1 + sid.size() + 1 + (reply.empty() ? 0 : reply.size() + 1);
}

// Grows `out` by `max`, lets `write` fill it from the old end, then trims to what was written.
template <typename Writer>
void AppendBounded(std::string* out, size_t max, Writer write) {
  const size_t old_size = out->size();
  out->resize(old_size + max);
  char* begin = out->data() + old_size;
  char* end = write(begin);
  out->resize(old_size + static_cast<size_t>(end - begin));
}

}  // namespace

char* WriteUint(char* dst, uint64_t value) {
  char buffer[kMaxUintDigits];
  char* p = buffer + kMaxUintDigits;
  while (value >= 100) {
    const size_t pair = static_cast<size_t>(value % 100) * 2;
    value /= 100;
    *--p = kDigitPairs[pair + 1];
    *--p = kDigitPairs[pair];
  }
  if (value >= 10) {
    const size_t pair = static_cast<size_t>(value) * 2;
    *--p = kDigitPairs[pair + 1];
    *--p = kDigitPairs[pair];
  } else {
    *--p = static_cast<char>('0' + value);
  }
  const size_t n = static_cast<size_t>(buffer + kMaxUintDigits - p);
  std::memcpy(dst, p, n);
  return dst + n;
}

size_t MaxMsgHeaderSize(std::string_view subject, std::string_view sid, std::string_view reply) {
  return 4 + RoutingSize(subject, sid, reply) + kMaxUintDigits + 2;
}

char* WriteMsgHeader(char* dst, std::string_view subject, std::string_view sid,
                     std::string_view reply, uint64_t size) {
  dst = Put(dst, "MSG ");
  dst = WriteRouting(dst, subject, sid, reply);
  dst = WriteUint(dst, size);
  return Put(dst, kCrLf);
}

void AppendMsgHeader(std::string* out, std::string_view subject, std::string_view sid,
                     std::string_view reply, uint64_t size) {
  AppendBounded(out, MaxMsgHeaderSize(subject, sid, reply),
                [&](char* dst) { return WriteMsgHeader(dst, subject, sid, reply, size); });
}

void AppendMsg(std::string* out, std::string_view subject, std::string_view sid,
               std::string_view reply, std::string_view payload) {
  const size_t max = MaxMsgHeaderSize(subject, sid, reply) + payload.size() + 2;
  AppendBounded(out, max, [&](char* dst) {
    dst = WriteMsgHeader(dst, subject, sid, reply, payload.size());
    dst = Put(dst, payload);
    return Put(dst, kCrLf);
  });
}

size_t MaxHmsgHeaderSize(std::string_view subject, std::string_view sid, std::string_view reply) {
  return 5 + RoutingSize(subject, sid, reply) + kMaxUintDigits + 1 + kMaxUintDigits + 2;
}

char* WriteHmsgHeader(char* dst, std::string_view subject, std::string_view sid,
                      std::string_view reply, uint64_t header_size, uint64_t total_size) {
  dst = Put(dst, "HMSG ");
  dst = WriteRouting(dst, subject, sid, reply);
  dst = WriteUint(dst, header_size);
  *dst++ = ' ';
  dst = WriteUint(dst, total_size);
  return Put(dst, kCrLf);
}

void AppendHmsgHeader(std::string* out, std::string_view subject, std::string_view sid,
                      std::string_view reply, uint64_t header_size, uint64_t total_size) {
  AppendBounded(out, MaxHmsgHeaderSize(subject, sid, reply), [&](char* dst) {
    return WriteHmsgHeader(dst, subject, sid, reply, header_size, total_size);
  });
}

void AppendHmsg(std::string* out, std::string_view subject, std::string_view sid,
                std::string_view reply, std::string_view headers, std::string_view payload) {
  const size_t max = MaxHmsgHeaderSize(subject, sid, reply) + headers.size() + payload.size() + 2;
  AppendBounded(out, max, [&](char* dst) {
    dst =
        WriteHmsgHeader(dst, subject, sid, reply, headers.size(), headers.size() + payload.size());
    dst = Put(dst, headers);
    dst = Put(dst, payload);
    return Put(dst, kCrLf);
  });
}

void AppendErr(std::string* out, std::string_view text) {
  AppendBounded(out, 6 + text.size() + 3, [&](char* dst) {
    dst = Put(dst, "-ERR '");
    dst = Put(dst, text);
    return Put(dst, "'\r\n");
  });
}

bool AppendErr(std::string* out, ProtocolError error) {
  const std::string_view text = ErrorText(error);
  if (text.empty()) {
    return false;
  }
  AppendErr(out, text);
  return true;
}

void AppendInfo(std::string* out, std::string_view json) {
  AppendBounded(out, 5 + json.size() + 3, [&](char* dst) {
    dst = Put(dst, "INFO ");
    dst = Put(dst, json);
    return Put(dst, " \r\n");
  });
}

}  // namespace lattice::protocol
