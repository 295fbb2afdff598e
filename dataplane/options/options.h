// Everything lattice-node can be configured with: built from defaults, then the config file
// (nats-server syntax), then command-line flags (flags win), as nats-server does.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"

#include "dataplane/accounts/account_spec.h"

namespace lattice::options {

// Publish/subscribe allow and deny lists (subject patterns; subscribe entries may be
// "subject queue" to restrict queue subscriptions).
struct SubjectPermission {
  std::vector<std::string> allow;
  std::vector<std::string> deny;
  bool empty() const { return allow.empty() && deny.empty(); }
};

struct ResponsePermission {
  int64_t max_msgs = 1;
  std::chrono::milliseconds expires{std::chrono::minutes(2)};
};

struct Permissions {
  SubjectPermission publish;
  SubjectPermission subscribe;
  std::optional<ResponsePermission> allow_responses;
};

struct User {
  std::string username;
  std::string password;  // plain text or a bcrypt hash ($2a$/$2b$/$2y$)
  std::string nkey;      // U... public key for nkey users (accounts issue)
  std::string account;   // empty = global account $G; else an `accounts` entry
  std::optional<Permissions> permissions;
};

struct TlsOptions {
  std::string cert_file;
  std::string key_file;
  std::string ca_file;
  bool verify = false;
  bool verify_and_map = false;
  std::chrono::milliseconds timeout{std::chrono::seconds(2)};
};

struct ClusterOptions {
  std::string name;
  std::string host;
  int port = 0;                     // 0 = no cluster listener
  std::vector<std::string> routes;  // nats-route://host:port
  bool no_advertise = false;
};

struct Options {
  // Identity and listeners.
  std::string server_name;  // defaults to the server id
  std::string host = "0.0.0.0";
  int port = 4222;  // -1 = random port (as nats-server's -p -1)
  std::string http_host = "0.0.0.0";
  int http_port = 0;  // 0 = monitoring off
  std::vector<std::string> client_advertise;

  // Limits (nats-server defaults).
  int64_t max_payload = 1024 * 1024;
  int max_control_line = 4096;
  int max_connections = 64 * 1024;
  int max_subscriptions = 0;  // 0 = unlimited
  int64_t max_pending = 64 * 1024 * 1024;
  std::chrono::milliseconds write_deadline{std::chrono::seconds(10)};
  std::chrono::milliseconds ping_interval{std::chrono::minutes(2)};
  int ping_max = 2;

  // Simple authentication (accounts, nkeys and JWT arrive with the accounts issue).
  std::string username;
  std::string password;
  std::string auth_token;
  std::vector<User> users;
  std::optional<Permissions> default_permissions;
  std::chrono::milliseconds auth_timeout{std::chrono::seconds(2)};
  bool auth_timeout_set = false;  // else with TLS it becomes tls.timeout + 1 s (nats-server)
  std::string no_auth_user;

  // Accounts (`accounts { A { users, exports, imports, mappings, limits } }`); users defined
  // inside an account are in `users` with `account` set. The global account's mappings are
  // the top-level `mappings`.
  std::vector<accounts::AccountSpec> accounts;
  std::vector<accounts::SubjectMapping> mappings;
  std::string system_account;  // empty = "$SYS"
  bool no_system_account = false;

  // Operator mode, parsed but not acted on yet: `operator` (inline JWTs or file paths),
  // `resolver` (raw: MEMORY, URL(...)), `resolver_preload` (account public key -> JWT).
  std::vector<std::string> operators;
  std::string resolver;
  absl::flat_hash_map<std::string, std::string> resolver_preload;

  std::optional<TlsOptions> tls;
  ClusterOptions cluster;

  // Lifecycle.
  std::chrono::milliseconds lame_duck_duration{std::chrono::minutes(2)};
  std::chrono::milliseconds lame_duck_grace_period{std::chrono::seconds(10)};
  std::string pid_file;
  std::string log_file;
  bool debug = false;
  bool trace = false;
  bool logtime = true;

  // Threads: 0 = one worker event loop per core.
  int worker_threads = 0;

  // Where the options came from, for reload (SIGHUP) and error messages.
  std::string config_file;
};

// What the command line asked for besides options.
struct CommandLine {
  Options options;
  bool show_version = false;
  bool show_help = false;
  bool check_config = false;  // -t: load and validate the configuration, then exit
  std::string signal;         // `--signal ldm=<pid>` etc.; empty when absent
};

// Parses argv (nats-server's common flags, single or double dash), loading the config file
// named by -c/--config first so that flags override it. Unsupported flags (e.g. JetStream
// ones) are an error with a clear message.
absl::StatusOr<CommandLine> ParseCommandLine(int argc, const char* const* argv);

// Loads a config file into options (over the given base). Errors carry file:line and reason.
absl::StatusOr<Options> LoadConfigFile(const std::string& path, Options base = {});

// The -h/--help text.
std::string UsageText();

}  // namespace lattice::options
