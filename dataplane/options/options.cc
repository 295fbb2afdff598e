// LoadConfigFile: maps a parsed nats-server config tree onto lattice-node Options.
#include "dataplane/options/options.h"

#include <limits>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

#include "common/base/status_macros.h"
#include "common/config/parser.h"
#include "dataplane/options/options_internal.h"

namespace lattice::options {
namespace {

using config::ConfigValue;

// nats-server options Lattice does not implement (yet), refused with the feature's name rather
// than silently ignored. One table so features can be switched on by deleting their rows.
struct UnsupportedKey {
  const char* key;
  const char* feature;
};
constexpr UnsupportedKey kUnsupportedTopLevel[] = {
    {"jetstream", "JetStream"},
    {"store_dir", "JetStream"},
    {"storedir", "JetStream"},
    {"default_js_domain", "JetStream"},
    {"mqtt", "MQTT"},
    {"websocket", "WebSocket"},
    {"ws", "WebSocket"},
    {"gateway", "gateways (superclusters)"},
    {"leafnodes", "leaf nodes"},
    {"leaf", "leaf nodes"},
    {"root", "operator JWT trust"},
    {"roots", "operator JWT trust"},
    {"root_operator", "operator JWT trust"},
    {"root_operators", "operator JWT trust"},
    {"trusted", "trusted operator keys"},
    {"trusted_keys", "trusted operator keys"},
    {"account_resolver", "the account resolver"},
    {"accounts_resolver", "the account resolver"},
    {"resolver_tls", "the account resolver"},
    {"resolver_pinned_accounts", "the account resolver"},
    {"https", "HTTPS monitoring"},
    {"https_port", "HTTPS monitoring"},
    {"ocsp", "OCSP stapling"},
    {"syslog", "syslog logging"},
    {"remote_syslog", "syslog logging"},
    {"logfile_size_limit", "log rotation"},
    {"log_size_limit", "log rotation"},
    {"prof_port", "the profiling port"},
    {"ports_file_dir", "ports files"},
    {"trace_verbose", "verbose tracing"},
    {"max_traced_msg_len", "traced message truncation"},
    {"http_base_path", "a monitoring base path"},
    {"server_tags", "server tags"},
    {"no_header_support", "disabling headers"},
    {"allow_non_tls", "mixed TLS and plain clients"},
    {"max_sub_tokens", "subject token limits"},
    {"max_subscription_tokens", "subject token limits"},
    {"disable_sublist_cache", "disabling the sublist cache"},
    {"no_sublist_cache", "disabling the sublist cache"},
    {"connect_error_reports", "route error report tuning"},
    {"reconnect_error_reports", "route error report tuning"},
};

absl::Status UnknownField(const ConfigValue& value, const std::string& key) {
  return value.Error(absl::StrCat("unknown field \"", key, "\""));
}

absl::Status ApplyTopLevel(const std::string& key, const ConfigValue& v, Options* o) {
  const std::string k = absl::AsciiStrToLower(key);
  if (k == "listen") {
    return ParseHostPort(v, &o->host, &o->port);
  } else if (k == "host" || k == "net") {
    LATTICE_ASSIGN_OR_RETURN(o->host, v.AsString());
  } else if (k == "port") {
    LATTICE_ASSIGN_OR_RETURN(o->port, GetPort(v));
  } else if (k == "server_name") {
    LATTICE_ASSIGN_OR_RETURN(o->server_name, v.AsString());
    if (absl::StrContains(o->server_name, " "))
      return v.Error("server_name cannot contain spaces");
  } else if (k == "client_advertise") {
    LATTICE_ASSIGN_OR_RETURN(std::string advertise, v.AsString());
    o->client_advertise = {advertise};
  } else if (k == "http") {
    return ParseHostPort(v, &o->http_host, &o->http_port);
  } else if (k == "http_port" || k == "monitor_port") {
    LATTICE_ASSIGN_OR_RETURN(o->http_port, GetPort(v));
  } else if (k == "max_payload") {
    LATTICE_ASSIGN_OR_RETURN(o->max_payload,
                             GetBoundedSize(v, std::numeric_limits<int32_t>::max()));
  } else if (k == "max_control_line") {
    LATTICE_ASSIGN_OR_RETURN(int64_t size, GetBoundedSize(v, std::numeric_limits<int32_t>::max()));
    o->max_control_line = static_cast<int>(size);
  } else if (k == "max_pending") {
    LATTICE_ASSIGN_OR_RETURN(o->max_pending,
                             GetBoundedSize(v, std::numeric_limits<int64_t>::max()));
  } else if (k == "max_connections" || k == "max_conn") {
    LATTICE_ASSIGN_OR_RETURN(o->max_connections, GetNonNegativeInt(v));
  } else if (k == "max_subscriptions" || k == "max_subs") {
    LATTICE_ASSIGN_OR_RETURN(o->max_subscriptions, GetNonNegativeInt(v));
  } else if (k == "ping_interval") {
    LATTICE_ASSIGN_OR_RETURN(o->ping_interval, GetMillis(v));
    if (o->ping_interval.count() == 0)
      return v.Error("ping_interval must be greater than zero");
  } else if (k == "ping_max") {
    LATTICE_ASSIGN_OR_RETURN(o->ping_max, GetNonNegativeInt(v));
  } else if (k == "write_deadline") {
    LATTICE_ASSIGN_OR_RETURN(o->write_deadline, GetMillis(v));
  } else if (k == "lame_duck_duration") {
    LATTICE_ASSIGN_OR_RETURN(o->lame_duck_duration, GetMillis(v));
    if (o->lame_duck_duration < std::chrono::seconds(30))
      return v.Error("invalid lame_duck_duration, minimum is 30 seconds");
  } else if (k == "lame_duck_grace_period") {
    LATTICE_ASSIGN_OR_RETURN(o->lame_duck_grace_period, GetMillis(v));
  } else if (k == "pid_file" || k == "pidfile") {
    LATTICE_ASSIGN_OR_RETURN(o->pid_file, v.AsString());
  } else if (k == "log_file" || k == "logfile") {
    LATTICE_ASSIGN_OR_RETURN(o->log_file, v.AsString());
  } else if (k == "debug") {
    LATTICE_ASSIGN_OR_RETURN(o->debug, v.AsBool());
  } else if (k == "trace") {
    LATTICE_ASSIGN_OR_RETURN(o->trace, v.AsBool());
  } else if (k == "logtime") {
    LATTICE_ASSIGN_OR_RETURN(o->logtime, v.AsBool());
  } else if (k == "authorization") {
    return ParseAuthorization(v, o);
  } else if (k == "no_auth_user") {
    LATTICE_ASSIGN_OR_RETURN(o->no_auth_user, v.AsString());
  } else if (k == "accounts") {
    return ParseAccounts(v, o);
  } else if (k == "mappings" || k == "maps") {
    LATTICE_ASSIGN_OR_RETURN(o->mappings, ParseMappings(v));
  } else if (k == "system_account" || k == "system") {
    LATTICE_ASSIGN_OR_RETURN(o->system_account, v.AsString());
  } else if (k == "no_system_account" || k == "no_system" || k == "no_sys_acc") {
    LATTICE_ASSIGN_OR_RETURN(o->no_system_account, v.AsBool());
  } else if (k == "operator" || k == "operators") {
    return ParseOperators(v, o);
  } else if (k == "resolver") {
    LATTICE_ASSIGN_OR_RETURN(o->resolver, v.AsString());
  } else if (k == "resolver_preload") {
    return ParseResolverPreload(v, o);
  } else if (k == "tls") {
    LATTICE_ASSIGN_OR_RETURN(o->tls, ParseTls(v));
  } else if (k == "cluster") {
    return ParseCluster(v, &o->cluster);
  } else if (k == "worker_threads") {  // Lattice's own: event loops (0 = one per core)
    LATTICE_ASSIGN_OR_RETURN(o->worker_threads, GetNonNegativeInt(v));
  } else {
    for (const UnsupportedKey& unsupported : kUnsupportedTopLevel) {
      if (k == unsupported.key)
        return v.Error(absl::StrCat("\"", key, "\" configures ", unsupported.feature,
                                    ", which Lattice does not support yet"));
    }
    if (v.used_as_variable())  // nats-server allows variable definitions at the top level
      return absl::OkStatus();
    return UnknownField(v, key);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<int> GetPort(const ConfigValue& v) {
  LATTICE_ASSIGN_OR_RETURN(int64_t port, v.AsInt());
  if (port < -1 || port > 65535)
    return v.Error(absl::StrCat("port ", port, " is out of range (-1 to 65535)"));
  return static_cast<int>(port);
}

absl::StatusOr<int> GetNonNegativeInt(const ConfigValue& v) {
  LATTICE_ASSIGN_OR_RETURN(int64_t value, v.AsInt());
  if (value < 0 || value > std::numeric_limits<int>::max())
    return v.Error(absl::StrCat("value ", value, " is out of range (0 to ",
                                std::numeric_limits<int>::max(), ")"));
  return static_cast<int>(value);
}

absl::StatusOr<int64_t> GetBoundedSize(const ConfigValue& v, int64_t max) {
  LATTICE_ASSIGN_OR_RETURN(int64_t size, config::GetSize(v));
  if (size > max)
    return v.Error(absl::StrCat("value ", size, " is greater than ", max));
  return size;
}

absl::StatusOr<std::chrono::milliseconds> GetMillis(const ConfigValue& v) {
  LATTICE_ASSIGN_OR_RETURN(absl::Duration duration, config::GetDuration(v));
  return absl::ToChronoMilliseconds(duration);
}

absl::StatusOr<std::chrono::milliseconds> GetSecondsAsMillis(const ConfigValue& v) {
  if (v.is_string())
    return GetMillis(v);
  LATTICE_ASSIGN_OR_RETURN(double seconds, v.AsFloat());
  if (!(seconds >= 0) || seconds > 1e9)
    return v.Error("timeout must be a non-negative number of seconds");
  return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
}

absl::Status SplitHostPort(absl::string_view text, std::string* host, int* port) {
  size_t colon = text.rfind(':');
  if (colon == absl::string_view::npos)
    return absl::InvalidArgumentError(
        absl::StrCat("could not parse address string \"", text, "\""));
  absl::string_view h = text.substr(0, colon);
  if (absl::StartsWith(h, "[") && absl::EndsWith(h, "]")) {
    h = h.substr(1, h.size() - 2);
  } else if (absl::StrContains(h, ":")) {  // IPv6 without brackets is ambiguous
    return absl::InvalidArgumentError(
        absl::StrCat("could not parse address string \"", text, "\""));
  }
  int p = 0;
  if (!absl::SimpleAtoi(text.substr(colon + 1), &p) || p < -1 || p > 65535)
    return absl::InvalidArgumentError(
        absl::StrCat("could not parse port \"", text.substr(colon + 1), "\""));
  *host = std::string(h);
  *port = p;
  return absl::OkStatus();
}

absl::Status ParseHostPort(const ConfigValue& v, std::string* host, int* port) {
  if (v.is_integer()) {
    LATTICE_ASSIGN_OR_RETURN(*port, GetPort(v));
    return absl::OkStatus();
  }
  if (!v.is_string())
    return v.Error(
        absl::StrCat("expected port or host:port, got ", ConfigValue::KindName(v.kind())));
  absl::Status status = SplitHostPort(v.string_value(), host, port);
  if (!status.ok())
    return v.Error(status.message());
  return absl::OkStatus();
}

absl::Status ValidateOptions(const Options& o) {
  if ((!o.username.empty() || !o.password.empty()) && !o.auth_token.empty())
    return absl::InvalidArgumentError("cannot have a user/pass and a token");
  if (!o.users.empty() && !o.username.empty())
    return absl::InvalidArgumentError("cannot have a single user/pass and a users array");
  if (!o.users.empty() && !o.auth_token.empty())
    return absl::InvalidArgumentError("cannot have a token and a users array");
  for (const User& user : o.users) {
    if (user.account.empty() || user.account == "$G")
      continue;
    bool known = false;
    for (const accounts::AccountSpec& spec : o.accounts)
      known = known || spec.name == user.account;
    if (!known)
      return absl::InvalidArgumentError(
          absl::StrCat("user \"", user.nkey.empty() ? user.username : user.nkey,
                       "\" references unknown account \"", user.account, "\""));
  }
  // In operator mode the system account is an account public key resolved from its JWT.
  if (!o.system_account.empty() && o.system_account != "$SYS" && o.operators.empty()) {
    bool known = false;
    for (const accounts::AccountSpec& spec : o.accounts)
      known = known || spec.name == o.system_account;
    if (!known)
      return absl::InvalidArgumentError(
          absl::StrCat("system_account \"", o.system_account, "\" is not a defined account"));
  }
  if (!o.no_auth_user.empty()) {
    bool found = false;
    for (const User& user : o.users)
      found = found || user.username == o.no_auth_user || user.nkey == o.no_auth_user;
    if (!found)
      return absl::InvalidArgumentError(absl::StrCat(
          "no_auth_user: \"", o.no_auth_user, "\" not present as user or nkey in authorization"));
  }
  if (o.tls.has_value() && (o.tls->cert_file.empty() || o.tls->key_file.empty()))
    return absl::InvalidArgumentError("TLS needs both a certificate and a key file");
  if (o.max_payload > o.max_pending)
    return absl::InvalidArgumentError(absl::StrCat("max_payload (", o.max_payload,
                                                   ") cannot be higher than max_pending (",
                                                   o.max_pending, ")"));
  return absl::OkStatus();
}

absl::Status ApplyConfig(const ConfigValue& root, Options* options) {
  for (const ConfigValue::Entry& entry : root.entries())
    LATTICE_RETURN_IF_ERROR(ApplyTopLevel(entry.first, entry.second, options));
  return absl::OkStatus();
}

absl::StatusOr<Options> LoadConfigFile(const std::string& path, Options base) {
  LATTICE_ASSIGN_OR_RETURN(ConfigValue root, config::ParseConfigFile(path));
  LATTICE_RETURN_IF_ERROR(ApplyConfig(root, &base));
  base.config_file = path;
  absl::Status valid = ValidateOptions(base);
  if (!valid.ok())
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", valid.message()));
  return base;
}

}  // namespace lattice::options
