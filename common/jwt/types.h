// The NATS JWT v2 claim building blocks: permissions, limits, exports, imports, signing keys.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "nlohmann/json.hpp"

namespace lattice::jwt {

using Json = nlohmann::json;

inline constexpr int64_t kNoLimit = -1;

// {"allow":[...],"deny":[...]}
struct Permission {
  std::vector<std::string> allow;
  std::vector<std::string> deny;
  bool empty() const { return allow.empty() && deny.empty(); }
  bool operator==(const Permission& o) const { return allow == o.allow && deny == o.deny; }
};

// {"max":N,"ttl":<nanoseconds>}
struct ResponsePermission {
  int64_t max_msgs = 0;
  int64_t ttl_ns = 0;
  bool operator==(const ResponsePermission& o) const {
    return max_msgs == o.max_msgs && ttl_ns == o.ttl_ns;
  }
};

struct Permissions {
  Permission pub;
  Permission sub;
  std::optional<ResponsePermission> resp;
  bool empty() const { return pub.empty() && sub.empty() && !resp.has_value(); }
  bool operator==(const Permissions& o) const {
    return pub == o.pub && sub == o.sub && resp == o.resp;
  }
};

// Daily window "15:04:05".."15:04:05".
struct TimeRange {
  std::string start;
  std::string end;
  bool operator==(const TimeRange& o) const { return start == o.start && end == o.end; }
};

// subs/data/payload; kNoLimit (-1) is unlimited, 0 is "not set" (Go's zero value).
struct NatsLimits {
  int64_t subs = 0;
  int64_t data = 0;
  int64_t payload = 0;
  bool operator==(const NatsLimits& o) const {
    return subs == o.subs && data == o.data && payload == o.payload;
  }
};

// Everything a user JWT (or a scoped signing key template) may restrict; flat in JSON.
struct UserPermissionLimits {
  Permissions permissions;
  std::vector<std::string> src;  // CIDRs; JSON accepts an array or a comma separated string
  std::vector<TimeRange> times;
  std::string times_location;
  NatsLimits limits;
  bool bearer_token = false;
  std::vector<std::string> allowed_connection_types;

  // True when nothing at all is set (what a scoped-key user must carry).
  bool empty() const;
  bool operator==(const UserPermissionLimits& o) const;
};

struct AccountLimits {
  int64_t imports = 0;
  int64_t exports = 0;
  bool wildcard_exports = false;
  bool disallow_bearer = false;
  int64_t conn = 0;
  int64_t leaf = 0;
};

struct JetStreamLimits {
  int64_t mem_storage = 0;
  int64_t disk_storage = 0;
  int64_t streams = 0;
  int64_t consumer = 0;
  int64_t max_ack_pending = 0;
  int64_t mem_max_stream_bytes = 0;
  int64_t disk_max_stream_bytes = 0;
  bool max_bytes_required = false;
};

// Account "limits": flat JSON of nats, account and JetStream limits plus "tiered_limits".
struct OperatorLimits {
  NatsLimits nats;
  AccountLimits account;
  JetStreamLimits jetstream;
  std::map<std::string, JetStreamLimits> tiered;
  Json raw = Json::object();  // the decoded object; unknown fields survive re-encoding
  // All unlimited, JetStream disabled: what nsc puts in a new account.
  static OperatorLimits Unlimited();
};

enum class ExportType : uint8_t { kUnknown, kStream, kService };
std::string_view ExportTypeName(ExportType type);

struct ServiceLatency {
  bool sampling_headers = false;  // "headers" instead of a percentage
  int64_t sampling = 0;           // 1..100
  std::string results;
};

struct Export {
  std::string name;
  std::string subject;
  ExportType type = ExportType::kUnknown;
  bool token_req = false;
  std::map<std::string, int64_t> revocations;  // importing account (or "*") -> unix seconds
  std::string response_type;                   // Singleton | Stream | Chunked
  int64_t response_threshold_ns = 0;
  std::optional<ServiceLatency> latency;
  int64_t account_token_position = 0;
  bool advertise = false;
  std::string description;
  std::string info_url;
  Json raw = Json::object();  // the decoded object; unknown fields survive re-encoding
};

struct Import {
  std::string name;
  std::string subject;
  std::string account;
  std::string token;
  std::string to;  // deprecated
  std::string local_subject;
  ExportType type = ExportType::kUnknown;
  bool share = false;
  Json raw = Json::object();  // the decoded object; unknown fields survive re-encoding
};

// A signing key: a plain key, or a user scope whose template replaces the user's permissions.
struct UserScope {
  std::string role;
  UserPermissionLimits templ;
};
struct SigningKey {
  std::string key;
  std::optional<UserScope> scope;
  Json raw = Json::object();  // the decoded scope object; unknown fields survive re-encoding
};

struct WeightedMapping {
  std::string subject;
  int64_t weight = 0;
  std::string cluster;
};

// JSON codecs. Decoders check every type and return InvalidArgument naming the bad field.
// Encoders of structs with a `raw` member start from it, so fields we do not model survive.
absl::Status DecodeUserPermissionLimits(const Json& obj, UserPermissionLimits* out);
void EncodeUserPermissionLimits(const UserPermissionLimits& in, Json& obj);
absl::Status DecodePermissions(const Json& obj, Permissions* out);
Json EncodePermissions(const Permissions& in);
absl::Status DecodeOperatorLimits(const Json& obj, OperatorLimits* out);
Json EncodeOperatorLimits(const OperatorLimits& in);
absl::Status DecodeExports(const Json& arr, std::vector<Export>* out);
Json EncodeExports(const std::vector<Export>& in);
absl::Status DecodeImports(const Json& arr, std::vector<Import>* out);
Json EncodeImports(const std::vector<Import>& in);
absl::Status DecodeSigningKeys(const Json& arr, std::vector<SigningKey>* out);
Json EncodeSigningKeys(const std::vector<SigningKey>& in);
absl::Status DecodeMappings(const Json& obj,
                            std::map<std::string, std::vector<WeightedMapping>>* out);
Json EncodeMappings(const std::map<std::string, std::vector<WeightedMapping>>& in);

}  // namespace lattice::jwt
