// Source network, time window and connection type checks for user JWTs.
#include "common/jwt/user_limits.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace lattice::jwt {
namespace {

// Parses an IPv4 or IPv6 address into 16 bytes (IPv4 mapped into ::ffff:0:0/96).
bool ParseIp(const std::string& text, unsigned char out[16], bool* is_v4) {
  in_addr v4;
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    std::memset(out, 0, 10);
    out[10] = 0xff;
    out[11] = 0xff;
    std::memcpy(out + 12, &v4, 4);
    *is_v4 = true;
    return true;
  }
  *is_v4 = false;
  return inet_pton(AF_INET6, text.c_str(), out) == 1;
}

bool CidrContains(const std::string& cidr, const unsigned char ip[16], bool ip_is_v4, bool* valid) {
  size_t slash = cidr.find('/');
  *valid = false;
  if (slash == std::string::npos)
    return false;
  unsigned char net[16];
  bool net_is_v4 = false;
  if (!ParseIp(cidr.substr(0, slash), net, &net_is_v4))
    return false;
  std::string bits_text = cidr.substr(slash + 1);
  if (bits_text.empty() || bits_text.size() > 3 ||
      !std::all_of(bits_text.begin(), bits_text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return false;
  int bits = std::stoi(bits_text);
  if (bits > (net_is_v4 ? 32 : 128))
    return false;
  *valid = true;
  if (net_is_v4 != ip_is_v4)
    return false;
  if (net_is_v4)
    bits += 96;
  for (int i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    unsigned char mask = bits >= 8 ? 0xff : static_cast<unsigned char>(0xff << (8 - bits));
    if ((net[i] & mask) != (ip[i] & mask))
      return false;
  }
  return true;
}

// Seconds since midnight for "HH:MM:SS", or -1.
int ParseClock(const std::string& text) {
  if (text.size() != 8 || text[2] != ':' || text[5] != ':')
    return -1;
  int parts[3];
  for (int i = 0; i < 3; ++i) {
    char a = text[i * 3], b = text[i * 3 + 1];
    if (a < '0' || a > '9' || b < '0' || b > '9')
      return -1;
    parts[i] = (a - '0') * 10 + (b - '0');
  }
  if (parts[0] > 23 || parts[1] > 59 || parts[2] > 59)
    return -1;
  return parts[0] * 3600 + parts[1] * 60 + parts[2];
}

}  // namespace

bool SourceAllowed(const UserPermissionLimits& limits, std::string_view client_ip) {
  if (limits.src.empty())
    return true;
  unsigned char ip[16];
  bool is_v4 = false;
  if (!ParseIp(std::string(client_ip), ip, &is_v4))
    return false;
  for (const std::string& cidr : limits.src) {
    bool valid = false;
    if (CidrContains(cidr, ip, is_v4, &valid))
      return true;
    if (!valid)
      return false;
  }
  return false;
}

std::optional<int64_t> TimeWindowRemaining(const UserPermissionLimits& limits, int64_t now) {
  if (limits.times.empty())
    return std::numeric_limits<int64_t>::max();
  absl::TimeZone zone = absl::UTCTimeZone();
  if (!limits.times_location.empty() && !absl::LoadTimeZone(limits.times_location, &zone))
    return std::nullopt;
  absl::CivilSecond civil = absl::ToCivilSecond(absl::FromUnixSeconds(now), zone);
  int64_t of_day = civil.hour() * 3600 + civil.minute() * 60 + civil.second();
  for (const TimeRange& range : limits.times) {
    int start = ParseClock(range.start);
    int end = ParseClock(range.end);
    if (start < 0 || end < 0)
      return std::nullopt;
    if (start > end) {
      // Overnight: from start today until end tomorrow.
      if (of_day > start)
        return 86400 - of_day + end;
    } else if (of_day > start && of_day < end) {
      return end - of_day;
    }
  }
  return std::nullopt;
}

bool ConnectionTypeAllowed(const UserPermissionLimits& limits, std::string_view type) {
  if (limits.allowed_connection_types.empty())
    return true;
  return std::find(limits.allowed_connection_types.begin(), limits.allowed_connection_types.end(),
                   type) != limits.allowed_connection_types.end();
}

}  // namespace lattice::jwt
