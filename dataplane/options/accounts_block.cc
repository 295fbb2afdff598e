// The `accounts` block (users, exports, imports, mappings, limits per account), top-level
// `mappings`, and the operator-mode keys, with nats-server's start-up checks on imports.
#include <chrono>
#include <optional>
#include <set>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

#include "common/base/status_macros.h"
#include "dataplane/accounts/exports.h"
#include "dataplane/mapping/mapping_table.h"
#include "dataplane/options/options_internal.h"

namespace lattice::options {
namespace {

using accounts::AccountSpec;
using config::ConfigValue;

constexpr std::string_view kGlobalAccountName = "$G";

absl::Status Unknown(const ConfigValue& v, const std::string& key) {
  return v.Error(absl::StrCat("unknown field \"", key, "\""));
}

absl::StatusOr<std::vector<std::string>> StringList(const ConfigValue& v) {
  std::vector<std::string> out;
  if (v.is_string()) {
    out.push_back(v.string_value());
    return out;
  }
  if (!v.is_array())
    return v.Error(absl::StrCat("expected a string or an array of strings, got ",
                                ConfigValue::KindName(v.kind())));
  for (const ConfigValue& e : v.array()) {
    LATTICE_ASSIGN_OR_RETURN(std::string s, e.AsString());
    out.push_back(std::move(s));
  }
  return out;
}

// `{account: A, subject: "x.>"}` inside an import.
absl::Status ParseImportSource(const ConfigValue& v, std::string* account, std::string* subject) {
  if (!v.is_map())
    return v.Error(absl::StrCat("import entry should be an account map, got ",
                                ConfigValue::KindName(v.kind())));
  for (const auto& [key, value] : v.entries()) {
    const std::string k = absl::AsciiStrToLower(key);
    if (k == "account") {
      LATTICE_ASSIGN_OR_RETURN(*account, value.AsString());
    } else if (k == "subject") {
      LATTICE_ASSIGN_OR_RETURN(*subject, value.AsString());
    } else if (!value.used_as_variable()) {
      return Unknown(value, key);
    }
  }
  if (account->empty() || subject->empty())
    return v.Error("Expect an account name and a subject");
  return absl::OkStatus();
}

// An import as parsed, with its location for the cross-account checks.
struct PendingImport {
  size_t account_index;
  bool service;
  size_t import_index;
  const ConfigValue* where;
};

absl::Status ParseImports(const ConfigValue& v, size_t account_index, AccountSpec* spec,
                          std::vector<PendingImport>* pending) {
  if (!v.is_array())
    return v.Error(
        absl::StrCat("Imports should be an array, got ", ConfigValue::KindName(v.kind())));
  std::set<std::string> service_subjects;
  for (const ConfigValue& entry : v.array()) {
    if (!entry.is_map())
      return entry.Error("Import Items should be a map with type entry");
    const ConfigValue* stream = nullptr;
    const ConfigValue* service = nullptr;
    std::string prefix, to;
    bool share = false;
    for (const auto& [key, value] : entry.entries()) {
      const std::string k = absl::AsciiStrToLower(key);
      if (k == "stream") {
        if (service != nullptr)
          return value.Error("Detected stream but already saw a service");
        stream = &value;
      } else if (k == "service") {
        if (stream != nullptr)
          return value.Error("Detected service but already saw a stream");
        service = &value;
      } else if (k == "prefix") {
        LATTICE_ASSIGN_OR_RETURN(prefix, value.AsString());
      } else if (k == "to") {
        LATTICE_ASSIGN_OR_RETURN(to, value.AsString());
      } else if (k == "share") {
        LATTICE_ASSIGN_OR_RETURN(share, value.AsBool());
      } else if (!value.used_as_variable()) {
        return Unknown(value, key);
      }
    }
    if (stream != nullptr) {
      accounts::StreamImport imp;
      LATTICE_RETURN_IF_ERROR(ParseImportSource(*stream, &imp.account, &imp.subject));
      if (!prefix.empty() && !to.empty())
        return entry.Error("Stream import can not have a 'prefix' and a 'to' property");
      if (!prefix.empty() && !accounts::IsValidImportPrefix(prefix))
        return entry.Error(absl::StrCat("Error adding stream import \"", imp.subject,
                                        "\": stream import prefix can not contain wildcard "
                                        "tokens"));
      imp.prefix = prefix;
      imp.to = to;
      spec->stream_imports.push_back(std::move(imp));
      pending->push_back({account_index, false, spec->stream_imports.size() - 1, &entry});
    } else if (service != nullptr) {
      accounts::ServiceImport imp;
      LATTICE_RETURN_IF_ERROR(ParseImportSource(*service, &imp.account, &imp.subject));
      imp.to = to;
      imp.share = share;
      const std::string& local = to.empty() ? imp.subject : to;
      if (!service_subjects.insert(local).second)
        return entry.Error(absl::StrCat("Duplicate service import subject \"", local, "\""));
      spec->service_imports.push_back(std::move(imp));
      pending->push_back({account_index, true, spec->service_imports.size() - 1, &entry});
    } else {
      return entry.Error("Import entry needs a stream or a service");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<accounts::ResponseType> ParseResponseType(const ConfigValue& v) {
  LATTICE_ASSIGN_OR_RETURN(std::string text, v.AsString());
  const std::string t = absl::AsciiStrToLower(text);
  if (t == "single" || t == "singleton")
    return accounts::ResponseType::kSingleton;
  if (t == "stream")
    return accounts::ResponseType::kStream;
  if (t == "chunk" || t == "chunked")
    return accounts::ResponseType::kChunked;
  return v.Error(absl::StrCat("Unknown response type: \"", text, "\""));
}

// Names in `accounts: [...]` of an export, checked once every account is known.
struct PendingExportAccess {
  std::vector<std::string>* names;
  const ConfigValue* where;
  bool service;
};

absl::Status ParseExports(const ConfigValue& v, AccountSpec* spec,
                          std::vector<PendingExportAccess>* pending) {
  if (!v.is_array())
    return v.Error(
        absl::StrCat("Exports should be an array, got ", ConfigValue::KindName(v.kind())));
  for (const ConfigValue& entry : v.array()) {
    if (!entry.is_map())
      return entry.Error("Export Items should be a map with type entry");
    std::string stream, service;
    std::optional<accounts::ResponseType> response;
    int64_t threshold_ms = 0;
    std::vector<std::string> approved;
    for (const auto& [key, value] : entry.entries()) {
      const std::string k = absl::AsciiStrToLower(key);
      if (k == "stream") {
        if (!service.empty())
          return value.Error("Detected stream but already saw a service");
        LATTICE_ASSIGN_OR_RETURN(stream, value.AsString());
      } else if (k == "service") {
        if (!stream.empty())
          return value.Error("Detected service but already saw a stream");
        LATTICE_ASSIGN_OR_RETURN(service, value.AsString());
      } else if (k == "response" || k == "response_type") {
        LATTICE_ASSIGN_OR_RETURN(response, ParseResponseType(value));
      } else if (k == "threshold" || k == "response_threshold" || k == "response_max_time" ||
                 k == "response_time") {
        LATTICE_ASSIGN_OR_RETURN(std::chrono::milliseconds ms, GetMillis(value));
        threshold_ms = ms.count();
      } else if (k == "accounts") {
        LATTICE_ASSIGN_OR_RETURN(approved, StringList(value));
      } else if (k == "latency" || k == "account_token_position") {
        return value.Error(absl::StrCat("export \"", key, "\" is not supported by Lattice yet"));
      } else if (!value.used_as_variable()) {
        return Unknown(value, key);
      }
    }
    if (!stream.empty()) {
      if (response.has_value() || threshold_ms != 0)
        return entry.Error("Detected response directive on non-service");
      accounts::StreamExport e;
      e.subject = stream;
      e.access.approved = std::move(approved);
      spec->stream_exports.push_back(std::move(e));
    } else if (!service.empty()) {
      accounts::ServiceExport e;
      e.subject = service;
      e.response_type = response.value_or(accounts::ResponseType::kSingleton);
      e.response_threshold_ms = threshold_ms;
      e.access.approved = std::move(approved);
      spec->service_exports.push_back(std::move(e));
    } else {
      return entry.Error("Export entry needs a stream or a service");
    }
  }
  // Pointers into the vectors are taken only now that they stop growing.
  for (auto& e : spec->stream_exports)
    if (!e.access.approved.empty())
      pending->push_back({&e.access.approved, &v, false});
  for (auto& e : spec->service_exports)
    if (!e.access.approved.empty())
      pending->push_back({&e.access.approved, &v, true});
  return absl::OkStatus();
}

absl::Status ParseLimits(const ConfigValue& v, accounts::AccountLimits* limits) {
  if (!v.is_map())
    return v.Error("Expected account limits to be a map/struct");
  for (const auto& [key, value] : v.entries()) {
    const std::string k = absl::AsciiStrToLower(key);
    if (k == "max_connections" || k == "max_conn") {
      LATTICE_ASSIGN_OR_RETURN(limits->max_connections, value.AsInt());
    } else if (k == "max_subscriptions" || k == "max_subs") {
      LATTICE_ASSIGN_OR_RETURN(limits->max_subscriptions, value.AsInt());
    } else if (k == "max_payload" || k == "max_pay") {
      LATTICE_ASSIGN_OR_RETURN(limits->max_payload, config::GetSize(value));
    } else if (k == "max_leafnodes" || k == "max_leafs") {
      LATTICE_ASSIGN_OR_RETURN(limits->max_leafnodes, value.AsInt());
    } else if (!value.used_as_variable()) {
      return value.Error(absl::StrCat("Unknown field \"", key, "\" parsing account limits"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<accounts::MappingDestination> ParseMapDestination(const ConfigValue& v) {
  if (!v.is_map())
    return v.Error("Expected an entry for the mapping destination");
  accounts::MappingDestination d;
  for (const auto& [key, value] : v.entries()) {
    const std::string k = absl::AsciiStrToLower(key);
    if (k == "dest" || k == "destination") {
      LATTICE_ASSIGN_OR_RETURN(d.subject, value.AsString());
    } else if (k == "weight") {
      int64_t weight = 0;
      if (value.is_string()) {
        std::string w = value.string_value();
        if (!w.empty() && w.back() == '%')
          w.pop_back();
        if (!absl::SimpleAtoi(w, &weight))
          return value.Error(absl::StrCat("Invalid weight \"", value.string_value(),
                                          "\" for mapping destination"));
      } else {
        LATTICE_ASSIGN_OR_RETURN(weight, value.AsInt());
      }
      if (weight < 0 || weight > 100)
        return value.Error(absl::StrCat("Invalid weight ", weight, " for mapping destination"));
      d.weight_percent = static_cast<int>(weight);
    } else if (k == "cluster") {
      LATTICE_ASSIGN_OR_RETURN(d.cluster, value.AsString());
    } else if (!value.used_as_variable()) {
      return value.Error(absl::StrCat("Unknown field \"", key, "\" for mapping destination"));
    }
  }
  if (d.subject.empty())
    return v.Error("mapping destination needs a destination subject");
  return d;
}

absl::Status ParseOneAccount(const std::string& name, const ConfigValue& v, size_t index,
                             Options* o, AccountSpec* spec, std::vector<PendingImport>* imports,
                             std::vector<PendingExportAccess>* exports,
                             std::set<std::string>* user_ids) {
  if (!v.is_map())
    return v.Error("Expected map entries for accounts");
  spec->name = name;
  std::vector<User> users;
  std::optional<Permissions> defaults;
  const ConfigValue* users_at = nullptr;
  for (const auto& [key, value] : v.entries()) {
    const std::string k = absl::AsciiStrToLower(key);
    if (k == "users") {
      if (!value.is_array())
        return value.Error("expected users to be an array");
      users_at = &value;
      for (const ConfigValue& entry : value.array()) {
        LATTICE_ASSIGN_OR_RETURN(User user, ParseUser(entry));
        user.account = name;
        users.push_back(std::move(user));
      }
    } else if (k == "imports") {
      LATTICE_RETURN_IF_ERROR(ParseImports(value, index, spec, imports));
    } else if (k == "exports") {
      LATTICE_RETURN_IF_ERROR(ParseExports(value, spec, exports));
    } else if (k == "default_permissions") {
      LATTICE_ASSIGN_OR_RETURN(defaults, ParsePermissions(value));
    } else if (k == "mappings" || k == "maps") {
      LATTICE_ASSIGN_OR_RETURN(spec->mappings, ParseMappings(value));
    } else if (k == "limits") {
      LATTICE_RETURN_IF_ERROR(ParseLimits(value, &spec->limits));
    } else if (k == "nkey" || k == "jetstream") {
      return value.Error(absl::StrCat("account \"", key, "\" is not supported by Lattice yet"));
    } else if (!value.used_as_variable()) {
      return Unknown(value, key);
    }
  }
  if (!users.empty()) {
    if (!o->username.empty())
      return users_at->Error("Can not have a single user/pass and accounts");
    if (!o->auth_token.empty())
      return users_at->Error("Can not have a token and accounts");
  }
  for (User& user : users) {
    const std::string& id = user.nkey.empty() ? user.username : user.nkey;
    if (!user_ids->insert(id).second)
      return users_at->Error(absl::StrCat(
          user.nkey.empty() ? "Duplicate user \"" : "Duplicate nkey \"", id, "\" detected"));
    if (!user.permissions.has_value())
      user.permissions = defaults;
    o->users.push_back(std::move(user));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<accounts::SubjectMapping>> ParseMappings(const ConfigValue& v) {
  if (!v.is_map())
    return v.Error("expected a map of subject mappings");
  std::vector<accounts::SubjectMapping> out;
  for (const auto& [source, value] : v.entries()) {
    if (value.used_as_variable())
      continue;
    accounts::SubjectMapping mapping;
    mapping.source = source;
    if (value.is_string()) {
      accounts::MappingDestination d;
      d.subject = value.string_value();
      mapping.destinations.push_back(std::move(d));
    } else if (value.is_array()) {
      for (const ConfigValue& entry : value.array()) {
        LATTICE_ASSIGN_OR_RETURN(accounts::MappingDestination d, ParseMapDestination(entry));
        mapping.destinations.push_back(std::move(d));
      }
    } else if (value.is_map()) {
      LATTICE_ASSIGN_OR_RETURN(accounts::MappingDestination d, ParseMapDestination(value));
      mapping.destinations.push_back(std::move(d));
    } else {
      return value.Error("Unknown type for mapping destination");
    }
    // Compile it as the server will, so a bad destination is a start-up error (nats-server).
    std::vector<mapping::MapDest> dests;
    for (const accounts::MappingDestination& d : mapping.destinations) {
      mapping::MapDest dest;
      dest.subject = d.subject;
      dest.weight = static_cast<uint8_t>(d.weight_percent);
      dest.cluster = d.cluster;
      dests.push_back(std::move(dest));
    }
    mapping::MappingTable table;
    if (absl::Status added = table.Add(source, dests); !added.ok())
      return value.Error(
          absl::StrCat("Error adding mapping for \"", source, "\": ", added.message()));
    out.push_back(std::move(mapping));
  }
  return out;
}

absl::Status ParseAccounts(const ConfigValue& v, Options* o) {
  if (v.is_array()) {  // a plain list of names
    for (const ConfigValue& e : v.array()) {
      LATTICE_ASSIGN_OR_RETURN(std::string name, e.AsString());
      if (name == kGlobalAccountName)
        return e.Error(absl::StrCat("\"", name, "\" is a Reserved Account"));
      for (const AccountSpec& existing : o->accounts)
        if (existing.name == name)
          return e.Error(absl::StrCat("Duplicate Account Entry: ", name));
      AccountSpec spec;
      spec.name = name;
      o->accounts.push_back(std::move(spec));
    }
    return absl::OkStatus();
  }
  if (!v.is_map())
    return v.Error("expected a map of accounts");
  std::set<std::string> user_ids;
  for (const User& u : o->users)
    user_ids.insert(u.nkey.empty() ? u.username : u.nkey);
  std::vector<PendingImport> imports;
  std::vector<PendingExportAccess> exports;
  std::vector<AccountSpec> specs;
  specs.reserve(v.entries().size());
  for (const auto& [name, value] : v.entries()) {
    if (value.used_as_variable())
      continue;
    if (name == kGlobalAccountName)
      return value.Error(absl::StrCat("\"", name, "\" is a Reserved Account"));
    specs.emplace_back();
  }
  size_t index = 0;
  for (const auto& [name, value] : v.entries()) {
    if (value.used_as_variable())
      continue;
    LATTICE_RETURN_IF_ERROR(
        ParseOneAccount(name, value, index, o, &specs[index], &imports, &exports, &user_ids));
    ++index;
  }
  absl::flat_hash_map<std::string, const AccountSpec*> by_name;
  for (const AccountSpec& spec : specs)
    by_name[spec.name] = &spec;
  for (const PendingExportAccess& e : exports) {
    for (const std::string& name : *e.names) {
      if (!by_name.contains(name))
        return e.where->Error(absl::StrCat("\"", name, "\" account not defined for ",
                                           e.service ? "service" : "stream", " export"));
    }
  }
  for (const PendingImport& p : imports) {
    const AccountSpec& importer = specs[p.account_index];
    if (p.service) {
      const accounts::ServiceImport& imp = importer.service_imports[p.import_index];
      auto it = by_name.find(imp.account);
      if (it == by_name.end())
        return p.where->Error(
            absl::StrCat("\"", imp.account, "\" account not defined for service import"));
      if (accounts::FindServiceExport(*it->second, imp.subject, importer.name, false) == nullptr)
        return p.where->Error(absl::StrCat("Error adding service import \"", imp.subject,
                                           "\": service import not authorized"));
    } else {
      const accounts::StreamImport& imp = importer.stream_imports[p.import_index];
      auto it = by_name.find(imp.account);
      if (it == by_name.end())
        return p.where->Error(
            absl::StrCat("\"", imp.account, "\" account not defined for stream import"));
      if (accounts::FindStreamExport(*it->second, imp.subject, importer.name, false) == nullptr)
        return p.where->Error(absl::StrCat("Error adding stream import \"", imp.subject,
                                           "\": stream import not authorized"));
    }
  }
  for (AccountSpec& spec : specs)
    o->accounts.push_back(std::move(spec));
  return absl::OkStatus();
}

absl::Status ParseOperators(const ConfigValue& v, Options* o) {
  LATTICE_ASSIGN_OR_RETURN(o->operators, StringList(v));
  return absl::OkStatus();
}

absl::Status ParseResolverPreload(const ConfigValue& v, Options* o) {
  if (!v.is_map())
    return v.Error("resolver_preload should be a map of account public keys to JWTs");
  for (const auto& [key, value] : v.entries()) {
    LATTICE_ASSIGN_OR_RETURN(std::string jwt, value.AsString());
    o->resolver_preload[key] = std::move(jwt);
  }
  return absl::OkStatus();
}

}  // namespace lattice::options
