// What the monitoring endpoints read from the server: plain snapshot structs, copied out by the
// server on request so the HTTP thread never touches loop-owned state.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace lattice::monitor {

using Clock = std::chrono::system_clock;

struct SubscriptionDetail {
  std::string account;
  std::string subject;
  std::string queue;  // empty for plain subscriptions
  std::string sid;
  int64_t msgs = 0;
  int64_t max = 0;  // auto-unsubscribe limit, 0 = none
  uint64_t cid = 0;
};

struct ConnectionSnapshot {
  uint64_t cid = 0;
  std::string kind = "Client";
  std::string type = "nats";
  std::string ip;
  int port = 0;
  Clock::time_point start;
  Clock::time_point last_activity;
  std::chrono::nanoseconds rtt{0};  // 0 = not measured yet
  int64_t pending_bytes = 0;
  int64_t in_msgs = 0;
  int64_t out_msgs = 0;
  int64_t in_bytes = 0;
  int64_t out_bytes = 0;
  uint32_t num_subs = 0;
  std::string name;
  std::string lang;
  std::string version;
  std::string authorized_user;
  std::string account;
  int64_t slow_consumers = 0;
  std::vector<SubscriptionDetail> subs;  // filled only when asked for
  std::string tls_version;               // TLS connections: "1.3"
  std::string tls_cipher_suite;          // TLS connections: "TLS_AES_128_GCM_SHA256"
  // Closed connections (/connz?state=closed|all): when and why (nats-server's reason texts).
  std::optional<Clock::time_point> stop;
  std::string reason;
};

struct SublistStats {
  uint64_t num_subscriptions = 0;
  uint64_t num_cache = 0;
  uint64_t num_inserts = 0;
  uint64_t num_removes = 0;
  uint64_t num_matches = 0;
  double cache_hit_rate = 0;
  uint64_t max_fanout = 0;
  double avg_fanout = 0;
};

// One export of an account as /accountz?acc= shows it.
struct ExportSnapshot {
  std::string subject;
  bool service = false;
  std::string response_type;  // services: "Singleton", "Streamed" or "Chunked"
  bool token_required = false;
  std::vector<std::string> approved_accounts;
};

// One import. For services `subject` is the importer's local subject and `to` the exporter's;
// for streams `subject` is the exporter's and `local_subject` the importer's (nats-server).
struct ImportSnapshot {
  std::string subject;
  std::string account;
  std::string to;
  std::string local_subject;
  bool service = false;
  bool invalid = false;
  bool share = false;
};

struct MappingDestinationSnapshot {
  std::string subject;
  int weight = 100;  // cumulative, as nats-server lists them
  std::string cluster;
};

struct AccountSnapshot {
  std::string name;
  bool is_system = false;
  std::vector<ExportSnapshot> exports;
  std::vector<ImportSnapshot> imports;
  std::vector<std::pair<std::string, std::vector<MappingDestinationSnapshot>>> mappings;
  Clock::time_point update_time;
  int64_t client_connections = 0;
  int64_t leafnode_connections = 0;
  uint64_t subscriptions = 0;
  int64_t slow_consumers = 0;
  SublistStats sublist;
  // Operator mode: the account JWT the server runs on, as nats-server shows it. Empty
  // `jwt` otherwise.
  std::string jwt;
  std::string issuer_key;
  std::string name_tag;
  std::string decoded_jwt;  // the claims as JSON
  bool expired = false;
  std::vector<std::pair<std::string, Clock::time_point>> revoked_users;
};

// Configuration and counters behind /varz. Counters are read from atomics by the server.
struct ServerSnapshot {
  std::string server_id;
  std::string server_name;
  std::string version;
  int proto = 1;
  std::string host;
  int port = 0;
  bool auth_required = false;
  bool tls_required = false;
  bool tls_verify = false;
  std::vector<std::string> connect_urls;
  int max_connections = 0;
  int max_subscriptions = 0;
  std::chrono::nanoseconds ping_interval{0};
  int ping_max = 0;
  std::string http_host;
  int http_port = 0;
  double auth_timeout_seconds = 0;
  int max_control_line = 0;
  int64_t max_payload = 0;
  int64_t max_pending = 0;
  double tls_timeout_seconds = 0;
  std::chrono::nanoseconds write_deadline{0};
  Clock::time_point start;
  Clock::time_point config_load_time;
  int64_t mem_bytes = 0;
  int cores = 0;
  int worker_threads = 0;
  double cpu_percent = 0;
  int64_t connections = 0;
  uint64_t total_connections = 0;
  int64_t routes = 0;
  int64_t remotes = 0;
  int64_t leafnodes = 0;
  int64_t in_msgs = 0;
  int64_t out_msgs = 0;
  int64_t in_bytes = 0;
  int64_t out_bytes = 0;
  int64_t slow_consumers = 0;
  uint64_t subscriptions = 0;
  std::string system_account;
  bool lame_duck = false;
};

// Implemented by the server (or a test fake). Thread: any; called from the HTTP thread.
class MonitorSource {
 public:
  virtual ~MonitorSource() = default;
  virtual ServerSnapshot Server() = 0;
  virtual std::vector<ConnectionSnapshot> Connections(bool with_subs) = 0;
  // Recently closed connections, oldest first (each with `stop` and `reason`).
  virtual std::vector<ConnectionSnapshot> ClosedConnections(bool with_subs) { return {}; }
  virtual std::vector<AccountSnapshot> Accounts() = 0;
  // Subscriptions across accounts (for /subsz?subs=1), optionally for one account.
  virtual std::vector<SubscriptionDetail> Subscriptions(const std::string& account) = 0;
  // Empty string when healthy, else the reason /healthz reports.
  virtual std::string HealthProblem() = 0;
};

}  // namespace lattice::monitor
