// System-account event and response JSON, in nats-server 2.9's field order.
#include "dataplane/server/system_events_json.h"

#include "nlohmann/json.hpp"
#include <sodium.h>

#include "dataplane/monitor/render.h"

namespace lattice::server {
namespace {

using Json = nlohmann::ordered_json;

std::string Time(EventTime t) {
  return monitor::Rfc3339Nano(t);
}

Json ServerJson(const EventServerInfo& s) {
  Json json;
  json["name"] = s.name;
  json["host"] = s.host;
  json["id"] = s.id;
  json["ver"] = s.version;
  json["seq"] = s.seq;
  json["jetstream"] = false;
  json["time"] = Time(s.time);
  return json;
}

Json ClientJson(const EventClientInfo& c) {
  Json json;
  json["start"] = Time(c.start);
  if (!c.host.empty()) {
    json["host"] = c.host;
  }
  if (c.id != 0) {
    json["id"] = c.id;
  }
  json["acc"] = c.account;
  if (!c.user.empty()) {
    json["user"] = c.user;
  }
  if (!c.name.empty()) {
    json["name"] = c.name;
  }
  if (!c.lang.empty()) {
    json["lang"] = c.lang;
  }
  if (!c.version.empty()) {
    json["ver"] = c.version;
  }
  if (c.rtt.count() != 0) {
    json["rtt"] = c.rtt.count();  // Go marshals time.Duration as integer nanoseconds
  }
  if (!c.server.empty()) {
    json["server"] = c.server;
  }
  if (c.stopped) {
    json["stop"] = Time(c.stop);
  }
  json["kind"] = "Client";
  json["client_type"] = "nats";
  return json;
}

Json DataJson(const DataStats& d) {
  return Json{{"msgs", d.msgs}, {"bytes", d.bytes}};
}

Json TypedEvent(std::string_view type, std::string_view id, EventTime time) {
  Json json;
  json["type"] = type;
  json["id"] = id;
  json["timestamp"] = Time(time);
  return json;
}

Json AccountStatFields(const AccountStat& s) {
  Json json;
  json["acc"] = s.account;
  json["conns"] = s.conns;
  json["leafnodes"] = s.leafnodes;
  json["total_conns"] = s.conns + s.leafnodes;
  json["sent"] = DataJson(s.sent);
  json["received"] = DataJson(s.received);
  json["slow_consumers"] = s.slow_consumers;
  return json;
}

// A field of the wrong type in a request body: Go's json error, roughly.
absl::Status WrongType(std::string_view field, const Json& value, std::string_view want) {
  return absl::InvalidArgumentError("json: cannot unmarshal " + std::string(value.type_name()) +
                                    " into Go struct field ." + std::string(field) + " of type " +
                                    std::string(want));
}

absl::StatusOr<Json> ParseObject(std::string_view body) {
  Json json = Json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    return absl::InvalidArgumentError("invalid character in request body: not JSON");
  }
  if (!json.is_object()) {
    return absl::InvalidArgumentError("json: cannot unmarshal " + std::string(json.type_name()) +
                                      " into Go value");
  }
  return json;
}

absl::Status ReadString(const Json& body, const char* field, std::string* out) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) {
    return absl::OkStatus();
  }
  if (!it->is_string()) {
    return WrongType(field, *it, "string");
  }
  *out = it->get<std::string>();
  return absl::OkStatus();
}

absl::Status ReadStrings(const Json& body, const char* field, std::vector<std::string>* out) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) {
    return absl::OkStatus();
  }
  if (!it->is_array()) {
    return WrongType(field, *it, "[]string");
  }
  for (const Json& item : *it) {
    if (!item.is_string()) {
      return WrongType(field, item, "string");
    }
    out->push_back(item.get<std::string>());
  }
  return absl::OkStatus();
}

}  // namespace

std::string NewEventId() {
  static constexpr char kDigits[] =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::string id(22, '0');
  for (char& c : id) {
    c = kDigits[randombytes_uniform(62)];
  }
  return id;
}

std::string ServerInfoJson(const EventServerInfo& server) {
  return ServerJson(server).dump();
}

std::string ConnectEventJson(std::string_view event_id, const EventServerInfo& server,
                             const EventClientInfo& client) {
  Json json = TypedEvent(kConnectEventType, event_id, server.time);
  json["server"] = ServerJson(server);
  json["client"] = ClientJson(client);
  return json.dump();
}

std::string DisconnectEventJson(std::string_view event_id, const EventServerInfo& server,
                                const EventClientInfo& client, const DataStats& sent,
                                const DataStats& received, std::string_view reason) {
  Json json = TypedEvent(kDisconnectEventType, event_id, server.time);
  json["server"] = ServerJson(server);
  json["client"] = ClientJson(client);
  json["sent"] = DataJson(sent);
  json["received"] = DataJson(received);
  json["reason"] = reason;
  return json.dump();
}

std::string AccountConnsEventJson(std::string_view event_id, const EventServerInfo& server,
                                  const AccountStat& stat) {
  Json json = TypedEvent(kAccountConnsEventType, event_id, server.time);
  json["server"] = ServerJson(server);
  Json fields = AccountStatFields(stat);
  for (auto& [key, value] : fields.items()) {
    json[key] = value;
  }
  return json.dump();
}

std::string StatszJson(const EventServerInfo& server, const StatszStats& s) {
  Json stats;
  stats["start"] = Time(s.start);
  stats["mem"] = s.mem;
  stats["cores"] = s.cores;
  stats["cpu"] = s.cpu;
  stats["connections"] = s.connections;
  stats["total_connections"] = s.total_connections;
  stats["active_accounts"] = s.active_accounts;
  stats["subscriptions"] = s.subscriptions;
  stats["sent"] = DataJson(s.sent);
  stats["received"] = DataJson(s.received);
  stats["slow_consumers"] = s.slow_consumers;
  stats["active_servers"] = 1;  // no cluster yet: this server alone
  Json json;
  json["server"] = ServerJson(server);
  json["statsz"] = std::move(stats);
  return json.dump();
}

std::string AccountStatzJson(std::string_view server_id, EventTime now,
                             const std::vector<AccountStat>& accounts) {
  Json json;
  json["server_id"] = server_id;
  json["now"] = Time(now);
  Json list = Json::array();
  for (const AccountStat& stat : accounts) {
    list.push_back(AccountStatFields(stat));
  }
  json["account_statz"] = std::move(list);
  return json.dump();
}

std::string ApiResponseJson(const EventServerInfo& server, std::string_view data_json) {
  std::string out = "{\"server\":";
  out += ServerJson(server).dump();
  out += ",\"data\":";
  out += data_json;
  out += "}";
  return out;
}

std::string ApiErrorJson(const EventServerInfo& server, int code, std::string_view description) {
  Json json;
  json["server"] = ServerJson(server);
  json["error"] = Json{{"code", code}, {"description", description}};
  // Bodies echo untrusted bytes: replace invalid UTF-8 instead of failing.
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

absl::StatusOr<EventFilter> ParseEventFilter(std::string_view body) {
  EventFilter filter;
  if (body.empty()) {
    return filter;
  }
  absl::StatusOr<Json> json = ParseObject(body);
  if (!json.ok()) {
    return json.status();
  }
  for (absl::Status s :
       {ReadString(*json, "server_name", &filter.server_name),
        ReadString(*json, "cluster", &filter.cluster), ReadString(*json, "host", &filter.host),
        ReadStrings(*json, "tags", &filter.tags), ReadString(*json, "domain", &filter.domain)}) {
    if (!s.ok()) {
      return s;
    }
  }
  return filter;
}

bool FilterExcludes(const EventFilter& filter, std::string_view name, std::string_view host) {
  if (!filter.server_name.empty() && name.find(filter.server_name) == std::string_view::npos) {
    return true;
  }
  if (!filter.host.empty() && host.find(filter.host) == std::string_view::npos) {
    return true;
  }
  return !filter.cluster.empty() || !filter.tags.empty() || !filter.domain.empty();
}

absl::StatusOr<AccountStatzRequest> ParseAccountStatzRequest(std::string_view body) {
  AccountStatzRequest request;
  if (body.empty()) {
    return request;
  }
  absl::StatusOr<Json> json = ParseObject(body);
  if (!json.ok()) {
    return json.status();
  }
  if (absl::Status s = ReadStrings(*json, "accounts", &request.accounts); !s.ok()) {
    return s;
  }
  if (auto it = json->find("include_unused"); it != json->end() && !it->is_null()) {
    if (!it->is_boolean()) {
      return WrongType("include_unused", *it, "bool");
    }
    request.include_unused = it->get<bool>();
  }
  return request;
}

}  // namespace lattice::server
