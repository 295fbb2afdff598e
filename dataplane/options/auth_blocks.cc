// The nested blocks of a config: authorization (users, permissions), tls and cluster.
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

#include "common/base/status_macros.h"
#include "dataplane/options/options_internal.h"

namespace lattice::options {
namespace {

using config::ConfigValue;

absl::Status ExpectMap(const ConfigValue& v, absl::string_view what) {
  if (!v.is_map())
    return v.Error(
        absl::StrCat("expected a map to define ", what, ", got ", ConfigValue::KindName(v.kind())));
  return absl::OkStatus();
}

absl::Status UnknownIn(const ConfigValue& v, const std::string& key, absl::string_view block) {
  return v.Error(absl::StrCat("unknown field \"", key, "\" in ", block));
}

// A subject, or an array of subjects.
absl::StatusOr<std::vector<std::string>> ParseSubjects(const ConfigValue& v) {
  if (v.is_string()) {
    if (v.string_value().empty())
      return v.Error("empty subject in permissions");
    return std::vector<std::string>{v.string_value()};
  }
  if (!v.is_array())
    return v.Error(
        absl::StrCat("expected subject permissions to be a subject or an array of "
                     "subjects, got ",
                     ConfigValue::KindName(v.kind())));
  std::vector<std::string> subjects;
  for (const ConfigValue& element : v.array()) {
    if (!element.is_string() || element.string_value().empty())
      return element.Error("subject in permissions array must be a non-empty string");
    subjects.push_back(element.string_value());
  }
  return subjects;
}

// `publish: "a.>"`, `publish: ["a", "b"]` or `publish: {allow: ..., deny: ...}`.
absl::StatusOr<SubjectPermission> ParseSubjectPermission(const ConfigValue& v) {
  SubjectPermission permission;
  if (!v.is_map()) {
    LATTICE_ASSIGN_OR_RETURN(permission.allow, ParseSubjects(v));
    return permission;
  }
  for (const auto& [key, value] : v.entries()) {
    const std::string k = absl::AsciiStrToLower(key);
    if (k == "allow") {
      LATTICE_ASSIGN_OR_RETURN(permission.allow, ParseSubjects(value));
    } else if (k == "deny") {
      LATTICE_ASSIGN_OR_RETURN(permission.deny, ParseSubjects(value));
    } else if (!value.used_as_variable()) {
      return value.Error(absl::StrCat("unknown field \"", key,
                                      "\" in subject permissions, only 'allow' or 'deny' are "
                                      "permitted"));
    }
  }
  return permission;
}

absl::StatusOr<std::optional<ResponsePermission>> ParseAllowResponses(const ConfigValue& v) {
  if (v.is_bool()) {
    if (!v.bool_value())
      return std::optional<ResponsePermission>();
    return std::optional<ResponsePermission>(ResponsePermission{});
  }
  if (!v.is_map())
    return v.Error("allow_responses expects a boolean or a map");
  ResponsePermission responses;
  for (const auto& [key, value] : v.entries()) {
    const std::string k = absl::AsciiStrToLower(key);
    if (k == "max" || k == "max_msgs" || k == "max_messages" || k == "max_responses") {
      LATTICE_ASSIGN_OR_RETURN(int64_t max, value.AsInt());
      if (max < 0)
        return value.Error("allow_responses max must not be negative");
      if (max != 0)
        responses.max_msgs = max;
    } else if (k == "expires" || k == "expiration" || k == "ttl") {
      if (!value.is_string())
        return value.Error("error parsing expires, not a duration string");
      LATTICE_ASSIGN_OR_RETURN(std::chrono::milliseconds expires, GetMillis(value));
      if (expires.count() != 0)
        responses.expires = expires;
    } else if (!value.used_as_variable()) {
      return UnknownIn(value, key, "allow_responses");
    }
  }
  return std::optional<ResponsePermission>(responses);
}

}  // namespace

absl::StatusOr<User> ParseUser(const ConfigValue& v) {
  LATTICE_RETURN_IF_ERROR(ExpectMap(v, "a user"));
  User user;
  for (const auto& [key, value] : v.entries()) {
    const std::string k = absl::AsciiStrToLower(key);
    if (k == "user" || k == "username") {
      LATTICE_ASSIGN_OR_RETURN(user.username, value.AsString());
    } else if (k == "pass" || k == "password") {
      LATTICE_ASSIGN_OR_RETURN(user.password, value.AsString());
    } else if (k == "nkey") {
      LATTICE_ASSIGN_OR_RETURN(user.nkey, value.AsString());
      if (user.nkey.size() != 56 || user.nkey[0] != 'U')
        return value.Error("not a valid public nkey for a user");
    } else if (k == "permission" || k == "permissions" || k == "authorization") {
      LATTICE_ASSIGN_OR_RETURN(user.permissions, ParsePermissions(value));
    } else if (k == "account") {
      LATTICE_ASSIGN_OR_RETURN(user.account, value.AsString());
    } else if (k == "allowed_connection_types" || k == "connection_types" || k == "clients") {
      return value.Error(absl::StrCat("\"", key,
                                      "\" configures connection type limits, which Lattice does "
                                      "not support yet"));
    } else if (!value.used_as_variable()) {
      return UnknownIn(value, key, "user");
    }
  }
  if (user.username.empty() && user.nkey.empty())
    return v.Error("user entry requires a user");
  if (!user.nkey.empty() && (!user.username.empty() || !user.password.empty()))
    return v.Error("nkey users cannot also have a user or password");
  return user;
}

absl::StatusOr<Permissions> ParsePermissions(const ConfigValue& v) {
  LATTICE_RETURN_IF_ERROR(ExpectMap(v, "permissions"));
  Permissions permissions;
  for (const auto& [key, value] : v.entries()) {
    const std::string k = absl::AsciiStrToLower(key);
    if (k == "pub" || k == "publish" || k == "import") {
      LATTICE_ASSIGN_OR_RETURN(permissions.publish, ParseSubjectPermission(value));
    } else if (k == "sub" || k == "subscribe" || k == "export") {
      LATTICE_ASSIGN_OR_RETURN(permissions.subscribe, ParseSubjectPermission(value));
    } else if (k == "allow_responses" || k == "publish_allow_responses") {
      LATTICE_ASSIGN_OR_RETURN(permissions.allow_responses, ParseAllowResponses(value));
    } else if (!value.used_as_variable()) {
      return value.Error(absl::StrCat("unknown field \"", key, "\" parsing permissions"));
    }
  }
  return permissions;
}

absl::Status ParseAuthorization(const ConfigValue& v, Options* o) {
  LATTICE_RETURN_IF_ERROR(ExpectMap(v, "authorization"));
  std::string user, pass, token;
  bool has_users = false;
  std::vector<User> users;
  std::optional<Permissions> defaults;
  for (const auto& [key, value] : v.entries()) {
    const std::string k = absl::AsciiStrToLower(key);
    if (k == "user" || k == "username") {
      LATTICE_ASSIGN_OR_RETURN(user, value.AsString());
    } else if (k == "pass" || k == "password") {
      LATTICE_ASSIGN_OR_RETURN(pass, value.AsString());
    } else if (k == "token") {
      LATTICE_ASSIGN_OR_RETURN(token, value.AsString());
    } else if (k == "timeout") {
      LATTICE_ASSIGN_OR_RETURN(o->auth_timeout, GetSecondsAsMillis(value));
      o->auth_timeout_set = true;
    } else if (k == "users") {
      if (!value.is_array())
        return value.Error("expected users to be an array");
      has_users = true;
      std::set<std::string> seen;
      for (const ConfigValue& entry : value.array()) {
        LATTICE_ASSIGN_OR_RETURN(User parsed, ParseUser(entry));
        const std::string& id = parsed.nkey.empty() ? parsed.username : parsed.nkey;
        if (!seen.insert(id).second)
          return entry.Error(absl::StrCat("duplicate user \"", id, "\" detected"));
        users.push_back(std::move(parsed));
      }
    } else if (k == "default_permission" || k == "default_permissions" || k == "permissions") {
      LATTICE_ASSIGN_OR_RETURN(defaults, ParsePermissions(value));
    } else if (!value.used_as_variable()) {
      return UnknownIn(value, key, "authorization");
    }
  }
  if ((!user.empty() || !pass.empty()) && !token.empty())
    return v.Error("cannot have a user/pass and token");
  if (has_users && !user.empty())
    return v.Error("can not have a single user/pass and a users array");
  if (has_users && !token.empty())
    return v.Error("can not have a token and a users array");
  // Users without their own permissions get the defaults (nats-server's behaviour).
  if (defaults.has_value()) {
    for (User& u : users) {
      if (!u.permissions.has_value())
        u.permissions = defaults;
    }
  }
  o->username = user;
  o->password = pass;
  o->auth_token = token;
  // Users defined inside `accounts` may already be there (either block may come first).
  o->users.insert(o->users.begin(), std::make_move_iterator(users.begin()),
                  std::make_move_iterator(users.end()));
  o->default_permissions = std::move(defaults);
  return absl::OkStatus();
}

absl::StatusOr<std::optional<TlsOptions>> ParseTls(const ConfigValue& v) {
  LATTICE_RETURN_IF_ERROR(ExpectMap(v, "tls"));
  TlsOptions tls;
  for (const auto& [key, value] : v.entries()) {
    const std::string k = absl::AsciiStrToLower(key);
    if (k == "cert_file") {
      LATTICE_ASSIGN_OR_RETURN(tls.cert_file, value.AsString());
    } else if (k == "key_file") {
      LATTICE_ASSIGN_OR_RETURN(tls.key_file, value.AsString());
    } else if (k == "ca_file") {
      LATTICE_ASSIGN_OR_RETURN(tls.ca_file, value.AsString());
    } else if (k == "verify") {
      LATTICE_ASSIGN_OR_RETURN(tls.verify, value.AsBool());
    } else if (k == "verify_and_map") {
      LATTICE_ASSIGN_OR_RETURN(tls.verify_and_map, value.AsBool());
      tls.verify = tls.verify || tls.verify_and_map;
    } else if (k == "timeout") {
      LATTICE_ASSIGN_OR_RETURN(tls.timeout, GetSecondsAsMillis(value));
    } else {
      return value.Error(absl::StrCat("error parsing tls config, unknown field \"", key,
                                      "\" (Lattice supports cert_file, key_file, ca_file, verify, "
                                      "verify_and_map, timeout)"));
    }
  }
  if (tls.cert_file.empty())
    return v.Error("missing 'cert_file' in TLS configuration");
  if (tls.key_file.empty())
    return v.Error("missing 'key_file' in TLS configuration");
  return std::optional<TlsOptions>(std::move(tls));
}

absl::Status ParseCluster(const ConfigValue& v, ClusterOptions* cluster) {
  LATTICE_RETURN_IF_ERROR(ExpectMap(v, "cluster"));
  for (const auto& [key, value] : v.entries()) {
    const std::string k = absl::AsciiStrToLower(key);
    if (k == "name") {
      LATTICE_ASSIGN_OR_RETURN(cluster->name, value.AsString());
      if (absl::StrContains(cluster->name, " "))
        return value.Error("cluster name cannot contain spaces");
    } else if (k == "listen") {
      LATTICE_RETURN_IF_ERROR(ParseHostPort(value, &cluster->host, &cluster->port));
    } else if (k == "host" || k == "net") {
      LATTICE_ASSIGN_OR_RETURN(cluster->host, value.AsString());
    } else if (k == "port") {
      LATTICE_ASSIGN_OR_RETURN(cluster->port, GetPort(value));
    } else if (k == "routes") {
      cluster->routes.clear();
      if (value.is_string()) {
        cluster->routes.push_back(value.string_value());
      } else if (value.is_array()) {
        for (const ConfigValue& route : value.array()) {
          LATTICE_ASSIGN_OR_RETURN(std::string url, route.AsString());
          if (!absl::StrContains(url, "://"))
            return route.Error(absl::StrCat("error parsing route url \"", url, "\""));
          cluster->routes.push_back(std::move(url));
        }
      } else {
        return value.Error("expected routes to be an array of URLs");
      }
    } else if (k == "no_advertise") {
      LATTICE_ASSIGN_OR_RETURN(cluster->no_advertise, value.AsBool());
    } else if (k == "authorization" || k == "tls" || k == "advertise" || k == "cluster_advertise" ||
               k == "connect_retries" || k == "permissions" || k == "pool_size" ||
               k == "compression") {
      return value.Error(absl::StrCat("cluster \"", key,
                                      "\" is not supported by Lattice yet (supported: name, "
                                      "listen, host, port, routes, no_advertise)"));
    } else if (!value.used_as_variable()) {
      return UnknownIn(value, key, "cluster");
    }
  }
  return absl::OkStatus();
}

}  // namespace lattice::options
