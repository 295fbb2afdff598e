// The JSON documents nats-server 2.9 publishes into the system account: client connect and
// disconnect advisories, account connection counts, server statsz, and the request envelope
// {"server":{...},"data":...} / {"error":{...}}. Pure functions over plain structs (key order
// as nats-server marshals them), plus the request-body filter every $SYS request accepts.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace lattice::server {

using EventTime = std::chrono::system_clock::time_point;

inline constexpr std::string_view kConnectEventType = "io.nats.server.advisory.v1.client_connect";
inline constexpr std::string_view kDisconnectEventType =
    "io.nats.server.advisory.v1.client_disconnect";
inline constexpr std::string_view kAccountConnsEventType =
    "io.nats.server.advisory.v1.account_connections";

// The "server" object of every event and response. `seq` counts messages this server sent.
struct EventServerInfo {
  std::string name;
  std::string host;
  std::string id;
  std::string version;
  uint64_t seq = 0;
  EventTime time;
};

// The "client" object of connect/disconnect/auth-error events.
struct EventClientInfo {
  EventTime start;
  std::string host;
  uint64_t id = 0;
  std::string account;
  std::string user;
  std::string name;
  std::string lang;
  std::string version;
  std::chrono::nanoseconds rtt{0};  // disconnects only; 0 is left out
  std::string server;               // the server id (name) the client is on
  bool stopped = false;
  EventTime stop;
};

// Messages and bytes, nats-server's DataStats.
struct DataStats {
  int64_t msgs = 0;
  int64_t bytes = 0;
};

// One account's local activity (AccountStat): connections and traffic of its clients.
struct AccountStat {
  std::string account;
  int64_t conns = 0;
  int64_t leafnodes = 0;
  DataStats sent;      // to the account's clients
  DataStats received;  // from the account's clients
  int64_t slow_consumers = 0;
};

// The "statsz" object of $SYS.SERVER.<id>.STATSZ.
struct StatszStats {
  EventTime start;
  int64_t mem = 0;
  int cores = 0;
  double cpu = 0;
  int64_t connections = 0;
  uint64_t total_connections = 0;
  int64_t active_accounts = 0;
  uint64_t subscriptions = 0;
  DataStats sent;
  DataStats received;
  int64_t slow_consumers = 0;
};

// A fresh event id (22 characters from [0-9A-Za-z], like a nuid). Thread: any.
std::string NewEventId();

// The server object alone: the payload of $SYS.SERVER.<id>.SHUTDOWN.
std::string ServerInfoJson(const EventServerInfo& server);

std::string ConnectEventJson(std::string_view event_id, const EventServerInfo& server,
                             const EventClientInfo& client);
// Also the shape of $SYS.SERVER.<id>.CLIENT.AUTH.ERR (reason "Authentication Failure").
// `sent` is what the client sent (its in_msgs), `received` what it was sent.
std::string DisconnectEventJson(std::string_view event_id, const EventServerInfo& server,
                                const EventClientInfo& client, const DataStats& sent,
                                const DataStats& received, std::string_view reason);
std::string AccountConnsEventJson(std::string_view event_id, const EventServerInfo& server,
                                  const AccountStat& stat);
std::string StatszJson(const EventServerInfo& server, const StatszStats& stats);
// {"server_id":..., "now":..., "account_statz":[...]}: the data of an account STATZ request.
std::string AccountStatzJson(std::string_view server_id, EventTime now,
                             const std::vector<AccountStat>& accounts);

// {"server":{...},"data":<data_json>}; `data_json` is a rendered JSON document.
std::string ApiResponseJson(const EventServerInfo& server, std::string_view data_json);
// {"server":{...},"error":{"code":code,"description":...}}.
std::string ApiErrorJson(const EventServerInfo& server, int code, std::string_view description);

// The filter fields every $SYS request body may carry (EventFilterOptions); a request whose
// filter does not match this server is ignored, not answered.
struct EventFilter {
  std::string server_name;
  std::string cluster;
  std::string host;
  std::vector<std::string> tags;
  std::string domain;
};

// Reads the filter from a request body (empty body: no filter). InvalidArgument for bodies that
// are not JSON objects or carry filter fields of the wrong type.
absl::StatusOr<EventFilter> ParseEventFilter(std::string_view body);

// True when the filter excludes a server named `name` on `host` (substring matches, as
// nats-server; no cluster, tags or JetStream domain here, so any of those excludes us).
bool FilterExcludes(const EventFilter& filter, std::string_view name, std::string_view host);

// The account STATZ request body (AccountStatzOptions): which accounts, and whether accounts
// without local connections are listed.
struct AccountStatzRequest {
  std::vector<std::string> accounts;
  bool include_unused = false;
};
absl::StatusOr<AccountStatzRequest> ParseAccountStatzRequest(std::string_view body);

}  // namespace lattice::server
