#include "dataplane/monitor/render.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <ctime>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

#include "dataplane/sublist/sublist.h"

namespace lattice::monitor {
namespace {

using Json = nlohmann::ordered_json;  // keep nats-server's key order
constexpr int kDefaultListSize = 1024;

std::string Dump(const Json& json) {
  return json.dump(2);
}

const std::string* Find(const QueryParams& query, const std::string& key) {
  auto it = query.find(key);
  return it == query.end() || it->second.empty() ? nullptr : &it->second;
}

absl::StatusOr<int64_t> IntParam(const QueryParams& query, const std::string& key,
                                 int64_t fallback) {
  const std::string* text = Find(query, key);
  if (text == nullptr)
    return fallback;
  int64_t value = 0;
  if (!absl::SimpleAtoi(*text, &value)) {
    return absl::InvalidArgumentError(
        absl::StrCat("Error decoding ", key, ": invalid syntax for \"", *text, "\""));
  }
  return value;
}

absl::StatusOr<bool> BoolParam(const QueryParams& query, const std::string& key) {
  const std::string* text = Find(query, key);
  if (text == nullptr)
    return false;
  if (*text == "1" || *text == "true" || *text == "t" || *text == "TRUE")
    return true;
  if (*text == "0" || *text == "false" || *text == "f" || *text == "FALSE")
    return false;
  return absl::InvalidArgumentError(
      absl::StrCat("Error decoding boolean for '", key, "': invalid syntax for \"", *text, "\""));
}

// subs=1|true -> list, subs=detail -> detailed list.
absl::StatusOr<std::pair<bool, bool>> SubsParam(const QueryParams& query) {
  const std::string* text = Find(query, "subs");
  if (text != nullptr && *text == "detail")
    return std::make_pair(true, true);
  auto flag = BoolParam(query, "subs");
  if (!flag.ok())
    return flag.status();
  return std::make_pair(*flag, false);
}

Json SubDetailJson(const SubscriptionDetail& sub, bool with_account) {
  Json json;
  if (with_account)
    json["account"] = sub.account;
  json["subject"] = sub.subject;
  if (!sub.queue.empty())
    json["qgroup"] = sub.queue;
  json["sid"] = sub.sid;
  json["msgs"] = sub.msgs;
  if (sub.max > 0)
    json["max"] = sub.max;
  json["cid"] = sub.cid;
  return json;
}

Json SublistStatsJson(const SublistStats& stats) {
  return Json{{"num_subscriptions", stats.num_subscriptions},
              {"num_cache", stats.num_cache},
              {"num_inserts", stats.num_inserts},
              {"num_removes", stats.num_removes},
              {"num_matches", stats.num_matches},
              {"cache_hit_rate", stats.cache_hit_rate},
              {"max_fanout", stats.max_fanout},
              {"avg_fanout", stats.avg_fanout}};
}

// Orders connections per the sort option; only cid and start are ascending, as in nats-server.
absl::Status SortConnections(const std::string& sort, Clock::time_point now, bool closed_only,
                             std::vector<ConnectionSnapshot>& conns) {
  auto by = [&conns](auto key, bool ascending) {
    std::stable_sort(conns.begin(), conns.end(), [&](const auto& a, const auto& b) {
      return ascending ? key(a) < key(b) : key(b) < key(a);
    });
  };
  using C = ConnectionSnapshot;
  if (sort == "stop" && closed_only) {
    by([](const C& c) { return c.stop.value_or(Clock::time_point()); }, false);
  } else if (sort == "reason" && closed_only) {
    by([](const C& c) { return c.reason; }, true);
  } else if (sort.empty() || sort == "cid" || sort == "start") {
    by([](const C& c) { return c.cid; }, true);
  } else if (sort == "subs") {
    by([](const C& c) { return c.num_subs; }, false);
  } else if (sort == "pending") {
    by([](const C& c) { return c.pending_bytes; }, false);
  } else if (sort == "msgs_to") {
    by([](const C& c) { return c.out_msgs; }, false);
  } else if (sort == "msgs_from") {
    by([](const C& c) { return c.in_msgs; }, false);
  } else if (sort == "bytes_to") {
    by([](const C& c) { return c.out_bytes; }, false);
  } else if (sort == "bytes_from") {
    by([](const C& c) { return c.in_bytes; }, false);
  } else if (sort == "last") {
    by([](const C& c) { return c.last_activity; }, false);
  } else if (sort == "idle") {
    by([now](const C& c) { return now - c.last_activity; }, false);
  } else if (sort == "uptime") {
    by([now](const C& c) { return now - c.start; }, false);
  } else if (sort == "stop" || sort == "reason") {
    return absl::InvalidArgumentError(
        absl::StrCat("sort by ", sort, " only valid on closed connections"));
  } else {
    return absl::InvalidArgumentError(absl::StrCat("invalid sorting option: ", sort));
  }
  return absl::OkStatus();
}

std::string PromName(std::string_view name) {
  return absl::StrCat("lattice_", std::string(name));
}

void PromMetric(std::string& out, std::string_view name, std::string_view type,
                std::string_view help) {
  absl::StrAppend(&out, "# HELP ", PromName(name), " ", std::string(help), "\n# TYPE ",
                  PromName(name), " ", std::string(type), "\n");
}

std::string PromLabel(std::string_view value) {
  std::string escaped;
  for (char c : value) {
    if (c == '\\' || c == '"')
      escaped.push_back('\\');
    if (c == '\n') {
      escaped += "\\n";
      continue;
    }
    escaped.push_back(c);
  }
  return escaped;
}

}  // namespace

std::string GoDuration(std::chrono::nanoseconds d) {
  int64_t ns = d.count();
  if (ns == 0)
    return "0s";
  std::string sign = ns < 0 ? "-" : "";
  uint64_t u = ns < 0 ? static_cast<uint64_t>(-(ns + 1)) + 1 : static_cast<uint64_t>(ns);
  // Prints `whole` then `frac` (with `digits` places) trimmed of trailing zeros.
  auto fixed = [](uint64_t whole, uint64_t frac, int digits) {
    std::string text = std::to_string(whole);
    if (frac == 0)
      return text;
    std::string decimals(digits, '0');
    for (int i = digits - 1; i >= 0; --i, frac /= 10)
      decimals[i] = static_cast<char>('0' + frac % 10);
    while (!decimals.empty() && decimals.back() == '0')
      decimals.pop_back();
    return text + "." + decimals;
  };
  if (u < 1000)
    return sign + std::to_string(u) + "ns";
  if (u < 1000000)
    return sign + fixed(u / 1000, u % 1000, 3) + "µs";
  if (u < 1000000000)
    return sign + fixed(u / 1000000, u % 1000000, 6) + "ms";
  const uint64_t total_seconds = u / 1000000000;
  const std::string seconds = fixed(total_seconds % 60, u % 1000000000, 9) + "s";
  const uint64_t minutes = total_seconds / 60;
  if (minutes == 0)
    return sign + seconds;
  if (minutes < 60)
    return sign + std::to_string(minutes) + "m" + seconds;
  return sign + std::to_string(minutes / 60) + "h" + std::to_string(minutes % 60) + "m" + seconds;
}

std::string UptimeString(std::chrono::nanoseconds d) {
  const int64_t secs =
      std::max<int64_t>(0, std::chrono::duration_cast<std::chrono::seconds>(d).count());
  const int64_t mins = secs / 60, hours = mins / 60, days = hours / 24, years = days / 365;
  if (years > 0) {
    return absl::StrCat(years, "y", days % 365, "d", hours % 24, "h", mins % 60, "m", secs % 60,
                        "s");
  }
  if (days > 0)
    return absl::StrCat(days, "d", hours % 24, "h", mins % 60, "m", secs % 60, "s");
  if (hours > 0)
    return absl::StrCat(hours, "h", mins % 60, "m", secs % 60, "s");
  if (mins > 0)
    return absl::StrCat(mins, "m", secs % 60, "s");
  return absl::StrCat(secs, "s");
}

std::string Rfc3339Nano(Clock::time_point t) {
  const auto ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  const time_t secs = static_cast<time_t>(ns / 1000000000);
  int64_t frac = ns % 1000000000;
  tm parts;
  gmtime_r(&secs, &parts);
  char stamp[40];
  std::strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &parts);
  std::string out = stamp;
  if (frac != 0) {  // Go trims trailing zeros of the fraction
    char digits[16];
    std::snprintf(digits, sizeof(digits), ".%09" PRId64, frac);
    std::string fraction = digits;
    while (fraction.back() == '0')
      fraction.pop_back();
    out += fraction;
  }
  return out + "Z";
}

SublistStats MergeSublistStats(const std::vector<AccountSnapshot>& accounts) {
  SublistStats total;
  double fanout_sum = 0;
  double hits = 0;
  for (const AccountSnapshot& account : accounts) {
    const SublistStats& s = account.sublist;
    total.num_subscriptions += s.num_subscriptions;
    total.num_cache += s.num_cache;
    total.num_inserts += s.num_inserts;
    total.num_removes += s.num_removes;
    total.num_matches += s.num_matches;
    total.max_fanout = std::max(total.max_fanout, s.max_fanout);
    fanout_sum += s.avg_fanout * static_cast<double>(s.num_cache);
    hits += s.cache_hit_rate * static_cast<double>(s.num_matches);
  }
  if (total.num_cache > 0)
    total.avg_fanout = fanout_sum / static_cast<double>(total.num_cache);
  if (total.num_matches > 0)
    total.cache_hit_rate = hits / static_cast<double>(total.num_matches);
  return total;
}

std::string RenderVarz(const ServerSnapshot& s, const HttpRequestStats& http_stats,
                       Clock::time_point now) {
  Json json;
  json["server_id"] = s.server_id;
  json["server_name"] = s.server_name;
  json["version"] = s.version;
  json["proto"] = s.proto;
  json["go"] = "lattice";  // clients and tools read the key; there is no Go runtime here
  json["host"] = s.host;
  json["port"] = s.port;
  if (s.auth_required)
    json["auth_required"] = true;
  if (s.tls_required)
    json["tls_required"] = true;
  if (s.tls_verify)
    json["tls_verify"] = true;
  if (!s.connect_urls.empty())
    json["connect_urls"] = s.connect_urls;
  json["max_connections"] = s.max_connections;
  if (s.max_subscriptions > 0)
    json["max_subscriptions"] = s.max_subscriptions;
  json["ping_interval"] = s.ping_interval.count();
  json["ping_max"] = s.ping_max;
  json["http_host"] = s.http_host;
  json["http_port"] = s.http_port;
  json["http_base_path"] = "";
  json["https_port"] = 0;
  json["auth_timeout"] = s.auth_timeout_seconds;
  json["max_control_line"] = s.max_control_line;
  json["max_payload"] = s.max_payload;
  json["max_pending"] = s.max_pending;
  for (const char* empty : {"cluster", "gateway", "leaf", "mqtt", "websocket", "jetstream"}) {
    json[empty] = Json::object();
  }
  json["tls_timeout"] = s.tls_timeout_seconds;
  json["write_deadline"] = s.write_deadline.count();
  json["start"] = Rfc3339Nano(s.start);
  json["now"] = Rfc3339Nano(now);
  json["uptime"] = UptimeString(now - s.start);
  json["mem"] = s.mem_bytes;
  json["cores"] = s.cores;
  json["gomaxprocs"] = s.worker_threads;  // the closest thing: worker event loops
  json["cpu"] = s.cpu_percent;
  json["connections"] = s.connections;
  json["total_connections"] = s.total_connections;
  json["routes"] = s.routes;
  json["remotes"] = s.remotes;
  json["leafnodes"] = s.leafnodes;
  json["in_msgs"] = s.in_msgs;
  json["out_msgs"] = s.out_msgs;
  json["in_bytes"] = s.in_bytes;
  json["out_bytes"] = s.out_bytes;
  json["slow_consumers"] = s.slow_consumers;
  json["subscriptions"] = s.subscriptions;
  Json requests = Json::object();
  for (const auto& [path, count] : http_stats)
    requests[path] = count;
  json["http_req_stats"] = requests;
  json["config_load_time"] = Rfc3339Nano(s.config_load_time);
  if (!s.system_account.empty())
    json["system_account"] = s.system_account;
  if (s.lame_duck)
    json["lame_duck_mode"] = true;
  return Dump(json);
}

absl::StatusOr<std::string> RenderConnz(const std::string& server_id,
                                        std::vector<ConnectionSnapshot> conns,
                                        const QueryParams& query, Clock::time_point now) {
  auto auth = BoolParam(query, "auth");
  if (!auth.ok())
    return auth.status();
  auto subs = SubsParam(query);
  if (!subs.ok())
    return subs.status();
  auto offset = IntParam(query, "offset", 0);
  if (!offset.ok())
    return offset.status();
  auto limit = IntParam(query, "limit", kDefaultListSize);
  if (!limit.ok())
    return limit.status();
  auto cid = IntParam(query, "cid", 0);
  if (!cid.ok())
    return cid.status();
  const std::string* state = Find(query, "state");
  if (state != nullptr && *state != "open" && *state != "all" && *state != "closed") {
    return absl::InvalidArgumentError(absl::StrCat("Error decoding state: ", *state));
  }
  const std::string* account = Find(query, "acc");
  const std::string* user = Find(query, "user");
  // nats-server 2.9.10 means to refuse acc/user filters without auth=1 but tests the
  // filters before reading them, so they always apply; so do we.
  // `conns` may hold open and closed (stop set) connections; state picks (default open).
  const bool closed_only = state != nullptr && *state == "closed";
  const bool all = state != nullptr && *state == "all";
  const std::string* sort = Find(query, "sort");
  if (auto status = SortConnections(sort != nullptr ? *sort : "", now, closed_only, conns);
      !status.ok()) {
    return status;
  }
  std::vector<const ConnectionSnapshot*> selected;
  for (const ConnectionSnapshot& c : conns) {
    if (!all && c.stop.has_value() != closed_only)
      continue;
    if (*cid > 0 && c.cid != static_cast<uint64_t>(*cid))
      continue;
    if (account != nullptr && c.account != *account)
      continue;
    if (user != nullptr && c.authorized_user != *user)
      continue;
    selected.push_back(&c);
  }
  const int64_t first = std::max<int64_t>(0, *offset);
  const int64_t page = *limit <= 0 ? kDefaultListSize : *limit;

  Json list = Json::array();
  for (int64_t i = first; i < static_cast<int64_t>(selected.size()) && i < first + page; ++i) {
    const ConnectionSnapshot& c = *selected[i];
    Json j;
    j["cid"] = c.cid;
    j["kind"] = c.kind;
    j["type"] = c.type;
    j["ip"] = c.ip;
    j["port"] = c.port;
    j["start"] = Rfc3339Nano(c.start);
    j["last_activity"] = Rfc3339Nano(c.last_activity);
    // A closed connection's uptime and idle time end at its stop, as nats-server saves them.
    const Clock::time_point end = c.stop.value_or(now);
    if (c.stop.has_value()) {
      j["stop"] = Rfc3339Nano(*c.stop);
      j["reason"] = c.reason;
    }
    j["rtt"] = GoDuration(c.rtt);  // "0s" before a measurement, as nats-server
    j["uptime"] = UptimeString(end - c.start);
    j["idle"] = UptimeString(end - c.last_activity);
    j["pending_bytes"] = c.pending_bytes;
    j["in_msgs"] = c.in_msgs;
    j["out_msgs"] = c.out_msgs;
    j["in_bytes"] = c.in_bytes;
    j["out_bytes"] = c.out_bytes;
    j["subscriptions"] = c.num_subs;
    if (!c.name.empty())
      j["name"] = c.name;
    if (!c.lang.empty())
      j["lang"] = c.lang;
    if (!c.version.empty())
      j["version"] = c.version;
    if (!c.tls_version.empty())
      j["tls_version"] = c.tls_version;
    if (!c.tls_cipher_suite.empty())
      j["tls_cipher_suite"] = c.tls_cipher_suite;
    if (*auth && !c.authorized_user.empty())
      j["authorized_user"] = c.authorized_user;
    if (*auth && !c.account.empty())
      j["account"] = c.account;
    // Not in nats-server 2.9: per-connection slow-consumer counts (DESIGN.md §9).
    if (c.slow_consumers > 0)
      j["slow_consumers"] = c.slow_consumers;
    if (subs->second && !c.subs.empty()) {
      Json details = Json::array();
      for (const auto& sub : c.subs)
        details.push_back(SubDetailJson(sub, false));
      j["subscriptions_list_detail"] = details;
    } else if (subs->first && !c.subs.empty()) {
      Json names = Json::array();
      for (const auto& sub : c.subs)
        names.push_back(sub.subject);
      j["subscriptions_list"] = names;
    }
    list.push_back(std::move(j));
  }
  Json json;
  json["server_id"] = server_id;
  json["now"] = Rfc3339Nano(now);
  json["num_connections"] = list.size();
  json["total"] = selected.size();
  json["offset"] = first;
  json["limit"] = page;
  json["connections"] = std::move(list);
  return Dump(json);
}

absl::StatusOr<std::string> RenderSubsz(const std::string& server_id, const SublistStats& stats,
                                        std::vector<SubscriptionDetail> subscriptions,
                                        const QueryParams& query, Clock::time_point now) {
  auto subs = SubsParam(query);
  if (!subs.ok())
    return subs.status();
  auto offset = IntParam(query, "offset", 0);
  if (!offset.ok())
    return offset.status();
  auto limit = IntParam(query, "limit", kDefaultListSize);
  if (!limit.ok())
    return limit.status();
  Json json;
  if (subs->first) {
    json["server_id"] = server_id;
    json["now"] = Rfc3339Nano(now);
  }
  const Json stats_json = SublistStatsJson(stats);  // items() must not outlive its object
  for (const auto& [key, value] : stats_json.items()) {
    json[key] = value;
  }
  if (!subs->first)
    return Dump(json);

  const std::string* test = Find(query, "test");
  if (test != nullptr) {  // only subscriptions that would receive a publish to `test`
    std::vector<SubscriptionDetail> matching;
    for (auto& sub : subscriptions) {
      if (sublist::SubjectMatches(sub.subject, *test))
        matching.push_back(std::move(sub));
    }
    subscriptions = std::move(matching);
  }
  std::sort(subscriptions.begin(), subscriptions.end(), [](const auto& a, const auto& b) {
    return a.cid != b.cid ? a.cid < b.cid : a.sid < b.sid;
  });
  const int64_t first = std::max<int64_t>(0, *offset);
  const int64_t page = *limit <= 0 ? kDefaultListSize : *limit;
  Json list = Json::array();
  for (int64_t i = first; i < static_cast<int64_t>(subscriptions.size()) && i < first + page; ++i) {
    list.push_back(SubDetailJson(subscriptions[i], true));
  }
  json["total"] = subscriptions.size();
  json["offset"] = first;
  json["limit"] = page;
  json["subscriptions_list"] = std::move(list);
  return Dump(json);
}

std::string RenderRoutez(const std::string& server_id, Clock::time_point now) {
  Json json;
  json["server_id"] = server_id;
  json["now"] = Rfc3339Nano(now);
  json["num_routes"] = 0;
  json["routes"] = Json::array();
  return Dump(json);
}

absl::StatusOr<std::string> RenderAccountz(const ServerSnapshot& server,
                                           const std::vector<AccountSnapshot>& accounts,
                                           const QueryParams& query, Clock::time_point now) {
  Json json;
  json["server_id"] = server.server_id;
  json["now"] = Rfc3339Nano(now);
  json["system_account"] = server.system_account;
  const std::string* name = Find(query, "acc");
  if (name == nullptr) {
    Json names = Json::array();
    for (const AccountSnapshot& account : accounts)
      names.push_back(account.name);
    json["accounts"] = names;
    return Dump(json);
  }
  for (const AccountSnapshot& account : accounts) {
    if (account.name != *name)
      continue;
    Json detail;
    detail["account_name"] = account.name;
    detail["update_time"] = Rfc3339Nano(account.update_time);
    if (account.is_system)
      detail["is_system"] = true;
    detail["expired"] = account.expired;
    detail["complete"] = true;
    detail["jetstream_enabled"] = false;
    detail["leafnode_connections"] = account.leafnode_connections;
    detail["client_connections"] = account.client_connections;
    detail["subscriptions"] = account.subscriptions;
    if (!account.mappings.empty()) {
      Json mappings = Json::object();
      for (const auto& [source, dests] : account.mappings) {
        Json list = Json::array();
        for (const MappingDestinationSnapshot& d : dests) {
          Json dest{{"subject", d.subject}, {"weight", d.weight}};
          if (!d.cluster.empty())
            dest["cluster"] = d.cluster;
          list.push_back(dest);
        }
        mappings[source] = list;
      }
      detail["mappings"] = mappings;
    }
    if (!account.exports.empty()) {
      Json exports = Json::array();
      for (const ExportSnapshot& e : account.exports) {
        Json j{{"subject", e.subject}, {"type", e.service ? "service" : "stream"}};
        if (e.token_required)
          j["token_req"] = true;
        if (!e.response_type.empty())
          j["response_type"] = e.response_type;
        if (!e.approved_accounts.empty())
          j["approved_accounts"] = e.approved_accounts;
        exports.push_back(j);
      }
      detail["exports"] = exports;
    }
    if (!account.imports.empty()) {
      Json imports = Json::array();
      for (const ImportSnapshot& i : account.imports) {
        Json j{{"subject", i.subject}, {"account", i.account}};
        if (!i.to.empty())
          j["to"] = i.to;
        if (!i.local_subject.empty())
          j["local_subject"] = i.local_subject;
        j["type"] = i.service ? "service" : "stream";
        j["invalid"] = i.invalid;
        j["share"] = i.share;
        j["tracking"] = false;
        imports.push_back(j);
      }
      detail["imports"] = imports;
    }
    if (!account.jwt.empty()) {
      detail["jwt"] = account.jwt;
      detail["issuer_key"] = account.issuer_key;
      if (!account.name_tag.empty())
        detail["name_tag"] = account.name_tag;
      detail["decoded_jwt"] = Json::parse(account.decoded_jwt, nullptr, /*allow_exceptions=*/false);
      if (!account.revoked_users.empty()) {
        Json revoked = Json::object();
        for (const auto& [user, at] : account.revoked_users)
          revoked[user] = Rfc3339Nano(at);
        detail["revoked_user"] = revoked;
      }
    }
    detail["slow_consumers"] = account.slow_consumers;
    detail["sublist_stats"] = SublistStatsJson(account.sublist);
    json["account_detail"] = detail;
    return Dump(json);
  }
  return absl::NotFoundError(absl::StrCat("Account ", *name, " does not exist"));
}

std::string RenderHealthz(const std::string& problem) {
  if (problem.empty())
    return R"({"status":"ok"})";
  return Json{{"status", "unavailable"}, {"error", problem}}.dump();
}

std::string RenderMetrics(const ServerSnapshot& s, const std::vector<AccountSnapshot>& accounts,
                          const std::vector<ConnectionSnapshot>& connections) {
  std::string out;
  auto gauge = [&out](std::string_view name, std::string_view help, auto value) {
    PromMetric(out, name, "gauge", help);
    absl::StrAppend(&out, PromName(name), " ", value, "\n");
  };
  auto counter = [&out](std::string_view name, std::string_view help, auto value) {
    PromMetric(out, name, "counter", help);
    absl::StrAppend(&out, PromName(name), " ", value, "\n");
  };
  gauge("connections", "Client connections currently open.", s.connections);
  counter("connections_total", "Client connections accepted since start.", s.total_connections);
  gauge("subscriptions", "Subscriptions across all accounts.", s.subscriptions);
  counter("in_msgs_total", "Messages received from clients.", s.in_msgs);
  counter("out_msgs_total", "Messages delivered to clients.", s.out_msgs);
  counter("in_bytes_total", "Payload bytes received from clients.", s.in_bytes);
  counter("out_bytes_total", "Payload bytes delivered to clients.", s.out_bytes);
  counter("slow_consumers_total", "Connections closed as slow consumers.", s.slow_consumers);
  gauge("memory_bytes", "Resident set size of the process.", s.mem_bytes);
  gauge("lame_duck", "1 while the server is in lame-duck mode.", s.lame_duck ? 1 : 0);

  PromMetric(out, "account_connections", "gauge", "Client connections per account.");
  for (const AccountSnapshot& a : accounts) {
    absl::StrAppend(&out, PromName("account_connections"), "{account=\"", PromLabel(a.name), "\"} ",
                    a.client_connections, "\n");
  }
  PromMetric(out, "account_subscriptions", "gauge", "Subscriptions per account.");
  for (const AccountSnapshot& a : accounts) {
    absl::StrAppend(&out, PromName("account_subscriptions"), "{account=\"", PromLabel(a.name),
                    "\"} ", a.subscriptions, "\n");
  }
  PromMetric(out, "account_slow_consumers_total", "counter", "Slow consumers per account.");
  for (const AccountSnapshot& a : accounts) {
    absl::StrAppend(&out, PromName("account_slow_consumers_total"), "{account=\"",
                    PromLabel(a.name), "\"} ", a.slow_consumers, "\n");
  }
  // Per connection only where it helps find a culprit: pending bytes and slow-consumer marks.
  PromMetric(out, "connection_pending_bytes", "gauge", "Outbound bytes queued per connection.");
  for (const ConnectionSnapshot& c : connections) {
    absl::StrAppend(&out, PromName("connection_pending_bytes"), "{cid=\"", c.cid, "\",name=\"",
                    PromLabel(c.name), "\",account=\"", PromLabel(c.account), "\"} ",
                    c.pending_bytes, "\n");
  }
  return out;
}

}  // namespace lattice::monitor
