// JSON codecs for permissions, limits, exports, imports, signing keys and mappings.
#include "common/jwt/types.h"

#include <utility>

#include "common/base/status_macros.h"
#include "common/jwt/json_fields.h"

namespace lattice::jwt {

using internal::ReadArray;
using internal::ReadBool;
using internal::ReadInt;
using internal::ReadIntMap;
using internal::ReadObject;
using internal::ReadString;
using internal::ReadStringList;
using internal::WriteBool;
using internal::WriteInt;
using internal::WriteIntMap;
using internal::WriteString;
using internal::WriteStringList;
using internal::WriteValue;

namespace {

absl::Status DecodePermission(const Json& obj, std::string_view key, Permission* out) {
  const Json* p = nullptr;
  LATTICE_RETURN_IF_ERROR(ReadObject(obj, key, &p));
  if (p == nullptr)
    return absl::OkStatus();
  LATTICE_RETURN_IF_ERROR(ReadStringList(*p, "allow", &out->allow));
  return ReadStringList(*p, "deny", &out->deny);
}

Json EncodePermission(const Permission& in) {
  Json obj = Json::object();
  WriteStringList(obj, "allow", in.allow);
  WriteStringList(obj, "deny", in.deny);
  return obj;
}

absl::Status DecodeNatsLimits(const Json& obj, NatsLimits* out) {
  LATTICE_RETURN_IF_ERROR(ReadInt(obj, "subs", &out->subs));
  LATTICE_RETURN_IF_ERROR(ReadInt(obj, "data", &out->data));
  return ReadInt(obj, "payload", &out->payload);
}

void EncodeNatsLimits(const NatsLimits& in, Json& obj) {
  WriteInt(obj, "subs", in.subs);
  WriteInt(obj, "data", in.data);
  WriteInt(obj, "payload", in.payload);
}

absl::Status DecodeJetStreamLimits(const Json& obj, JetStreamLimits* out) {
  LATTICE_RETURN_IF_ERROR(ReadInt(obj, "mem_storage", &out->mem_storage));
  LATTICE_RETURN_IF_ERROR(ReadInt(obj, "disk_storage", &out->disk_storage));
  LATTICE_RETURN_IF_ERROR(ReadInt(obj, "streams", &out->streams));
  LATTICE_RETURN_IF_ERROR(ReadInt(obj, "consumer", &out->consumer));
  LATTICE_RETURN_IF_ERROR(ReadInt(obj, "max_ack_pending", &out->max_ack_pending));
  LATTICE_RETURN_IF_ERROR(ReadInt(obj, "mem_max_stream_bytes", &out->mem_max_stream_bytes));
  LATTICE_RETURN_IF_ERROR(ReadInt(obj, "disk_max_stream_bytes", &out->disk_max_stream_bytes));
  return ReadBool(obj, "max_bytes_required", &out->max_bytes_required);
}

void EncodeJetStreamLimits(const JetStreamLimits& in, Json& obj) {
  WriteInt(obj, "mem_storage", in.mem_storage);
  WriteInt(obj, "disk_storage", in.disk_storage);
  WriteInt(obj, "streams", in.streams);
  WriteInt(obj, "consumer", in.consumer);
  WriteInt(obj, "max_ack_pending", in.max_ack_pending);
  WriteInt(obj, "mem_max_stream_bytes", in.mem_max_stream_bytes);
  WriteInt(obj, "disk_max_stream_bytes", in.disk_max_stream_bytes);
  WriteBool(obj, "max_bytes_required", in.max_bytes_required);
}

absl::Status DecodeExportType(const Json& obj, std::string_view key, ExportType* out) {
  std::string s;
  LATTICE_RETURN_IF_ERROR(ReadString(obj, key, &s));
  if (s.empty())
    return absl::OkStatus();
  if (s == "stream")
    *out = ExportType::kStream;
  else if (s == "service")
    *out = ExportType::kService;
  else
    return absl::InvalidArgumentError("jwt: unknown export type \"" + s + "\"");
  return absl::OkStatus();
}

void EncodeExportType(ExportType type, Json& obj, std::string_view key) {
  if (type == ExportType::kUnknown)
    obj.erase(std::string(key));
  else
    obj[std::string(key)] = std::string(ExportTypeName(type));
}

absl::Status ElementIsObject(const Json& item, std::string_view what) {
  if (!item.is_object())
    return absl::InvalidArgumentError("jwt: every " + std::string(what) + " must be an object");
  return absl::OkStatus();
}

}  // namespace

std::string_view ExportTypeName(ExportType type) {
  switch (type) {
    case ExportType::kStream:
      return "stream";
    case ExportType::kService:
      return "service";
    case ExportType::kUnknown:
      break;
  }
  return "unknown";
}

bool UserPermissionLimits::empty() const {
  return *this == UserPermissionLimits{};
}

bool UserPermissionLimits::operator==(const UserPermissionLimits& o) const {
  return permissions == o.permissions && src == o.src && times == o.times &&
         times_location == o.times_location && limits == o.limits &&
         bearer_token == o.bearer_token && allowed_connection_types == o.allowed_connection_types;
}

OperatorLimits OperatorLimits::Unlimited() {
  OperatorLimits l;
  l.nats = {kNoLimit, kNoLimit, kNoLimit};
  l.account.imports = kNoLimit;
  l.account.exports = kNoLimit;
  l.account.wildcard_exports = true;
  l.account.conn = kNoLimit;
  l.account.leaf = kNoLimit;
  return l;
}

absl::Status DecodePermissions(const Json& obj, Permissions* out) {
  LATTICE_RETURN_IF_ERROR(DecodePermission(obj, "pub", &out->pub));
  LATTICE_RETURN_IF_ERROR(DecodePermission(obj, "sub", &out->sub));
  const Json* resp = nullptr;
  LATTICE_RETURN_IF_ERROR(ReadObject(obj, "resp", &resp));
  if (resp != nullptr) {
    ResponsePermission r;
    LATTICE_RETURN_IF_ERROR(ReadInt(*resp, "max", &r.max_msgs));
    LATTICE_RETURN_IF_ERROR(ReadInt(*resp, "ttl", &r.ttl_ns));
    out->resp = r;
  }
  return absl::OkStatus();
}

Json EncodePermissions(const Permissions& in) {
  Json obj = Json::object();
  // Go always writes "pub" and "sub" (struct fields ignore omitempty); do the same.
  obj["pub"] = EncodePermission(in.pub);
  obj["sub"] = EncodePermission(in.sub);
  if (in.resp.has_value())
    obj["resp"] = Json{{"max", in.resp->max_msgs}, {"ttl", in.resp->ttl_ns}};
  return obj;
}

absl::Status DecodeUserPermissionLimits(const Json& obj, UserPermissionLimits* out) {
  LATTICE_RETURN_IF_ERROR(DecodePermissions(obj, &out->permissions));
  auto src = obj.find("src");
  if (src != obj.end() && src->is_string()) {
    // Legacy form: one comma separated string.
    std::string list = src->get<std::string>();
    out->src.clear();
    size_t start = 0;
    while (start <= list.size() && !list.empty()) {
      size_t comma = list.find(',', start);
      std::string item = list.substr(start, comma == std::string::npos ? comma : comma - start);
      if (!item.empty())
        out->src.push_back(item);
      if (comma == std::string::npos)
        break;
      start = comma + 1;
    }
  } else {
    LATTICE_RETURN_IF_ERROR(ReadStringList(obj, "src", &out->src));
  }
  const Json* times = nullptr;
  LATTICE_RETURN_IF_ERROR(ReadArray(obj, "times", &times));
  if (times != nullptr) {
    for (const Json& t : *times) {
      LATTICE_RETURN_IF_ERROR(ElementIsObject(t, "time range"));
      TimeRange range;
      LATTICE_RETURN_IF_ERROR(ReadString(t, "start", &range.start));
      LATTICE_RETURN_IF_ERROR(ReadString(t, "end", &range.end));
      out->times.push_back(std::move(range));
    }
  }
  LATTICE_RETURN_IF_ERROR(ReadString(obj, "times_location", &out->times_location));
  LATTICE_RETURN_IF_ERROR(DecodeNatsLimits(obj, &out->limits));
  LATTICE_RETURN_IF_ERROR(ReadBool(obj, "bearer_token", &out->bearer_token));
  return ReadStringList(obj, "allowed_connection_types", &out->allowed_connection_types);
}

void EncodeUserPermissionLimits(const UserPermissionLimits& in, Json& obj) {
  Json perms = EncodePermissions(in.permissions);
  obj["pub"] = perms["pub"];
  obj["sub"] = perms["sub"];
  WriteValue(obj, "resp", perms.contains("resp") ? perms["resp"] : Json());
  WriteStringList(obj, "src", in.src);
  Json times = Json::array();
  for (const TimeRange& t : in.times) {
    Json range = Json::object();
    WriteString(range, "start", t.start);
    WriteString(range, "end", t.end);
    times.push_back(std::move(range));
  }
  WriteValue(obj, "times", std::move(times));
  WriteString(obj, "times_location", in.times_location);
  EncodeNatsLimits(in.limits, obj);
  WriteBool(obj, "bearer_token", in.bearer_token);
  WriteStringList(obj, "allowed_connection_types", in.allowed_connection_types);
}

absl::Status DecodeOperatorLimits(const Json& obj, OperatorLimits* out) {
  out->raw = obj;
  LATTICE_RETURN_IF_ERROR(DecodeNatsLimits(obj, &out->nats));
  LATTICE_RETURN_IF_ERROR(ReadInt(obj, "imports", &out->account.imports));
  LATTICE_RETURN_IF_ERROR(ReadInt(obj, "exports", &out->account.exports));
  LATTICE_RETURN_IF_ERROR(ReadBool(obj, "wildcards", &out->account.wildcard_exports));
  LATTICE_RETURN_IF_ERROR(ReadBool(obj, "disallow_bearer", &out->account.disallow_bearer));
  LATTICE_RETURN_IF_ERROR(ReadInt(obj, "conn", &out->account.conn));
  LATTICE_RETURN_IF_ERROR(ReadInt(obj, "leaf", &out->account.leaf));
  LATTICE_RETURN_IF_ERROR(DecodeJetStreamLimits(obj, &out->jetstream));
  const Json* tiered = nullptr;
  LATTICE_RETURN_IF_ERROR(ReadObject(obj, "tiered_limits", &tiered));
  if (tiered != nullptr) {
    for (auto it = tiered->begin(); it != tiered->end(); ++it) {
      LATTICE_RETURN_IF_ERROR(ElementIsObject(it.value(), "tiered limit"));
      LATTICE_RETURN_IF_ERROR(DecodeJetStreamLimits(it.value(), &out->tiered[it.key()]));
    }
  }
  return absl::OkStatus();
}

Json EncodeOperatorLimits(const OperatorLimits& in) {
  Json obj = internal::ObjectOrEmpty(in.raw);
  EncodeNatsLimits(in.nats, obj);
  WriteInt(obj, "imports", in.account.imports);
  WriteInt(obj, "exports", in.account.exports);
  WriteBool(obj, "wildcards", in.account.wildcard_exports);
  WriteBool(obj, "disallow_bearer", in.account.disallow_bearer);
  WriteInt(obj, "conn", in.account.conn);
  WriteInt(obj, "leaf", in.account.leaf);
  EncodeJetStreamLimits(in.jetstream, obj);
  obj.erase("tiered_limits");
  if (!in.tiered.empty()) {
    Json tiered = Json::object();
    for (const auto& [tier, limits] : in.tiered) {
      Json t = Json::object();
      EncodeJetStreamLimits(limits, t);
      tiered[tier] = std::move(t);
    }
    obj["tiered_limits"] = std::move(tiered);
  }
  return obj;
}

absl::Status DecodeExports(const Json& arr, std::vector<Export>* out) {
  for (const Json& item : arr) {
    LATTICE_RETURN_IF_ERROR(ElementIsObject(item, "export"));
    Export e;
    e.raw = item;
    LATTICE_RETURN_IF_ERROR(ReadString(item, "name", &e.name));
    LATTICE_RETURN_IF_ERROR(ReadString(item, "subject", &e.subject));
    LATTICE_RETURN_IF_ERROR(DecodeExportType(item, "type", &e.type));
    LATTICE_RETURN_IF_ERROR(ReadBool(item, "token_req", &e.token_req));
    LATTICE_RETURN_IF_ERROR(ReadIntMap(item, "revocations", &e.revocations));
    LATTICE_RETURN_IF_ERROR(ReadString(item, "response_type", &e.response_type));
    LATTICE_RETURN_IF_ERROR(ReadInt(item, "response_threshold", &e.response_threshold_ns));
    const Json* latency = nullptr;
    LATTICE_RETURN_IF_ERROR(ReadObject(item, "service_latency", &latency));
    if (latency != nullptr) {
      ServiceLatency l;
      auto sampling = latency->find("sampling");
      if (sampling != latency->end() && sampling->is_string()) {
        std::string s = sampling->get<std::string>();
        if (s != "headers" && s != "Headers" && s != "HEADERS")
          return absl::InvalidArgumentError("jwt: invalid service_latency sampling \"" + s + "\"");
        l.sampling_headers = true;
      } else {
        LATTICE_RETURN_IF_ERROR(ReadInt(*latency, "sampling", &l.sampling));
        l.sampling_headers = l.sampling == 0;
      }
      LATTICE_RETURN_IF_ERROR(ReadString(*latency, "results", &l.results));
      e.latency = l;
    }
    LATTICE_RETURN_IF_ERROR(ReadInt(item, "account_token_position", &e.account_token_position));
    LATTICE_RETURN_IF_ERROR(ReadBool(item, "advertise", &e.advertise));
    LATTICE_RETURN_IF_ERROR(ReadString(item, "description", &e.description));
    LATTICE_RETURN_IF_ERROR(ReadString(item, "info_url", &e.info_url));
    out->push_back(std::move(e));
  }
  return absl::OkStatus();
}

Json EncodeExports(const std::vector<Export>& in) {
  Json arr = Json::array();
  for (const Export& e : in) {
    Json obj = internal::ObjectOrEmpty(e.raw);
    WriteString(obj, "name", e.name);
    WriteString(obj, "subject", e.subject);
    EncodeExportType(e.type, obj, "type");
    WriteBool(obj, "token_req", e.token_req);
    WriteIntMap(obj, "revocations", e.revocations);
    WriteString(obj, "response_type", e.response_type);
    WriteInt(obj, "response_threshold", e.response_threshold_ns);
    if (e.latency.has_value()) {
      Json l = Json::object();
      if (e.latency->sampling_headers)
        l["sampling"] = "headers";
      else
        l["sampling"] = e.latency->sampling;
      l["results"] = e.latency->results;
      obj["service_latency"] = std::move(l);
    } else {
      obj.erase("service_latency");
    }
    WriteInt(obj, "account_token_position", e.account_token_position);
    WriteBool(obj, "advertise", e.advertise);
    WriteString(obj, "description", e.description);
    WriteString(obj, "info_url", e.info_url);
    arr.push_back(std::move(obj));
  }
  return arr;
}

absl::Status DecodeImports(const Json& arr, std::vector<Import>* out) {
  for (const Json& item : arr) {
    LATTICE_RETURN_IF_ERROR(ElementIsObject(item, "import"));
    Import i;
    i.raw = item;
    LATTICE_RETURN_IF_ERROR(ReadString(item, "name", &i.name));
    LATTICE_RETURN_IF_ERROR(ReadString(item, "subject", &i.subject));
    LATTICE_RETURN_IF_ERROR(ReadString(item, "account", &i.account));
    LATTICE_RETURN_IF_ERROR(ReadString(item, "token", &i.token));
    LATTICE_RETURN_IF_ERROR(ReadString(item, "to", &i.to));
    LATTICE_RETURN_IF_ERROR(ReadString(item, "local_subject", &i.local_subject));
    LATTICE_RETURN_IF_ERROR(DecodeExportType(item, "type", &i.type));
    LATTICE_RETURN_IF_ERROR(ReadBool(item, "share", &i.share));
    out->push_back(std::move(i));
  }
  return absl::OkStatus();
}

Json EncodeImports(const std::vector<Import>& in) {
  Json arr = Json::array();
  for (const Import& i : in) {
    Json obj = internal::ObjectOrEmpty(i.raw);
    WriteString(obj, "name", i.name);
    WriteString(obj, "subject", i.subject);
    WriteString(obj, "account", i.account);
    WriteString(obj, "token", i.token);
    WriteString(obj, "to", i.to);
    WriteString(obj, "local_subject", i.local_subject);
    EncodeExportType(i.type, obj, "type");
    WriteBool(obj, "share", i.share);
    arr.push_back(std::move(obj));
  }
  return arr;
}

absl::Status DecodeSigningKeys(const Json& arr, std::vector<SigningKey>* out) {
  for (const Json& item : arr) {
    SigningKey key;
    if (item.is_string()) {
      key.key = item.get<std::string>();
    } else if (item.is_object()) {
      key.raw = item;
      std::string kind;
      LATTICE_RETURN_IF_ERROR(ReadString(item, "kind", &kind));
      if (kind != "user_scope")
        return absl::InvalidArgumentError("jwt: unknown signing key scope kind \"" + kind + "\"");
      LATTICE_RETURN_IF_ERROR(ReadString(item, "key", &key.key));
      UserScope scope;
      LATTICE_RETURN_IF_ERROR(ReadString(item, "role", &scope.role));
      const Json* templ = nullptr;
      LATTICE_RETURN_IF_ERROR(ReadObject(item, "template", &templ));
      if (templ != nullptr)
        LATTICE_RETURN_IF_ERROR(DecodeUserPermissionLimits(*templ, &scope.templ));
      key.scope = std::move(scope);
    } else {
      return absl::InvalidArgumentError("jwt: signing keys must be strings or scope objects");
    }
    out->push_back(std::move(key));
  }
  return absl::OkStatus();
}

Json EncodeSigningKeys(const std::vector<SigningKey>& in) {
  Json arr = Json::array();
  for (const SigningKey& key : in) {
    if (!key.scope.has_value()) {
      arr.push_back(key.key);
      continue;
    }
    Json obj = internal::ObjectOrEmpty(key.raw);
    Json templ = Json::object();
    if (obj.contains("template") && obj["template"].is_object())
      templ = obj["template"];
    EncodeUserPermissionLimits(key.scope->templ, templ);
    obj["kind"] = "user_scope";
    obj["key"] = key.key;
    obj["role"] = key.scope->role;
    obj["template"] = std::move(templ);
    arr.push_back(std::move(obj));
  }
  return arr;
}

absl::Status DecodeMappings(const Json& obj,
                            std::map<std::string, std::vector<WeightedMapping>>* out) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (!it.value().is_array())
      return absl::InvalidArgumentError("jwt: every mapping must be an array");
    std::vector<WeightedMapping>& list = (*out)[it.key()];
    for (const Json& m : it.value()) {
      LATTICE_RETURN_IF_ERROR(ElementIsObject(m, "weighted mapping"));
      WeightedMapping w;
      LATTICE_RETURN_IF_ERROR(ReadString(m, "subject", &w.subject));
      LATTICE_RETURN_IF_ERROR(ReadInt(m, "weight", &w.weight));
      LATTICE_RETURN_IF_ERROR(ReadString(m, "cluster", &w.cluster));
      list.push_back(std::move(w));
    }
  }
  return absl::OkStatus();
}

Json EncodeMappings(const std::map<std::string, std::vector<WeightedMapping>>& in) {
  Json obj = Json::object();
  for (const auto& [from, list] : in) {
    Json arr = Json::array();
    for (const WeightedMapping& w : list) {
      Json m = Json{{"subject", w.subject}};
      WriteInt(m, "weight", w.weight);
      WriteString(m, "cluster", w.cluster);
      arr.push_back(std::move(m));
    }
    obj[from] = std::move(arr);
  }
  return obj;
}

}  // namespace lattice::jwt
