// Endpoint assembly (snapshots -> renderer) and $SYS request bodies -> query parameters.
#include "dataplane/monitor/endpoints.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace lattice::monitor {
namespace {

using Json = nlohmann::json;

absl::StatusOr<std::string> RenderConnzFrom(MonitorSource& source, const QueryParams& query) {
  const bool with_subs = query.count("subs") > 0;
  auto state = query.find("state");
  const bool want_closed =
      state != query.end() && (state->second == "closed" || state->second == "all");
  const bool want_open = state == query.end() || state->second != "closed";
  std::vector<ConnectionSnapshot> conns;
  if (want_open) {
    conns = source.Connections(with_subs);
  }
  if (want_closed) {
    for (ConnectionSnapshot& c : source.ClosedConnections(with_subs)) {
      conns.push_back(std::move(c));
    }
  }
  return RenderConnz(source.Server().server_id, std::move(conns), query, Clock::now());
}

absl::StatusOr<std::string> RenderSubszFrom(MonitorSource& source, const QueryParams& query) {
  auto account = query.find("acc");
  std::vector<SubscriptionDetail> subs;
  if (query.count("subs") > 0) {
    subs = source.Subscriptions(account != query.end() ? account->second : "");
  }
  return RenderSubsz(source.Server().server_id, MergeSublistStats(source.Accounts()),
                     std::move(subs), query, Clock::now());
}

// Go's json.Unmarshal error for a field of the wrong type, close to its wording.
absl::Status WrongType(std::string_view options, const std::string& field, const Json& value,
                       std::string_view want) {
  return absl::InvalidArgumentError(absl::StrCat("json: cannot unmarshal ", value.type_name(),
                                                 " into Go struct field ", std::string(options),
                                                 ".", field, " of type ", std::string(want)));
}

// Reads one field of `body` into `query` under `key` (as the HTTP endpoint spells it).
class FieldReader {
 public:
  FieldReader(const Json& body, std::string_view options, QueryParams* query)
      : body_(body), options_(options), query_(query) {}

  absl::Status Int(const std::string& field, const std::string& key) {
    auto it = body_.find(field);
    if (it == body_.end() || it->is_null()) {
      return absl::OkStatus();
    }
    if (!it->is_number_integer()) {
      return WrongType(options_, field, *it, "int");
    }
    if (it->get<int64_t>() != 0) {
      (*query_)[key] = std::to_string(it->get<int64_t>());
    }
    return absl::OkStatus();
  }
  absl::Status String(const std::string& field, const std::string& key) {
    auto it = body_.find(field);
    if (it == body_.end() || it->is_null()) {
      return absl::OkStatus();
    }
    if (!it->is_string()) {
      return WrongType(options_, field, *it, "string");
    }
    if (!it->get<std::string>().empty()) {
      (*query_)[key] = it->get<std::string>();
    }
    return absl::OkStatus();
  }
  // True/false into *out (false when absent).
  absl::Status Bool(const std::string& field, bool* out) {
    *out = false;
    auto it = body_.find(field);
    if (it == body_.end() || it->is_null()) {
      return absl::OkStatus();
    }
    if (!it->is_boolean()) {
      return WrongType(options_, field, *it, "bool");
    }
    *out = it->get<bool>();
    return absl::OkStatus();
  }

 private:
  const Json& body_;
  std::string_view options_;
  QueryParams* query_;
};

#define LATTICE_MONITOR_TRY(expr)  \
  do {                             \
    absl::Status status_ = (expr); \
    if (!status_.ok()) {           \
      return status_;              \
    }                              \
  } while (false)

absl::StatusOr<QueryParams> ConnzQuery(const Json& body) {
  QueryParams query;
  FieldReader read(body, "ConnzOptions", &query);
  LATTICE_MONITOR_TRY(read.String("sort", "sort"));
  LATTICE_MONITOR_TRY(read.Int("offset", "offset"));
  LATTICE_MONITOR_TRY(read.Int("limit", "limit"));
  LATTICE_MONITOR_TRY(read.Int("cid", "cid"));
  LATTICE_MONITOR_TRY(read.String("user", "user"));
  LATTICE_MONITOR_TRY(read.String("acc", "acc"));
  bool auth = false;
  bool subs = false;
  bool detail = false;
  LATTICE_MONITOR_TRY(read.Bool("auth", &auth));
  LATTICE_MONITOR_TRY(read.Bool("subscriptions", &subs));
  LATTICE_MONITOR_TRY(read.Bool("subscriptions_detail", &detail));
  if (auth) {
    query["auth"] = "1";
  }
  if (detail) {
    query["subs"] = "detail";
  } else if (subs) {
    query["subs"] = "1";
  }
  // ConnState: 0 open, 1 closed, 2 all.
  if (auto it = body.find("state"); it != body.end() && !it->is_null()) {
    if (!it->is_number_integer()) {
      return WrongType("ConnzOptions", "state", *it, "server.ConnState");
    }
    int64_t state = it->get<int64_t>();
    if (state == 1) {
      query["state"] = "closed";
    } else if (state == 2) {
      query["state"] = "all";
    }
  }
  return query;
}

absl::StatusOr<QueryParams> SubszQuery(const Json& body) {
  QueryParams query;
  FieldReader read(body, "SubszOptions", &query);
  LATTICE_MONITOR_TRY(read.Int("offset", "offset"));
  LATTICE_MONITOR_TRY(read.Int("limit", "limit"));
  LATTICE_MONITOR_TRY(read.String("account", "acc"));
  LATTICE_MONITOR_TRY(read.String("test", "test"));
  bool subs = false;
  LATTICE_MONITOR_TRY(read.Bool("subscriptions", &subs));
  if (subs) {
    query["subs"] = "1";
  }
  return query;
}

absl::StatusOr<QueryParams> AccountzQuery(const Json& body) {
  QueryParams query;
  FieldReader read(body, "AccountzOptions", &query);
  LATTICE_MONITOR_TRY(read.String("account", "acc"));
  return query;
}

#undef LATTICE_MONITOR_TRY

}  // namespace

std::optional<Endpoint> EndpointFromRequestName(std::string_view name) {
  if (name == "VARZ") {
    return Endpoint::kVarz;
  }
  if (name == "CONNZ") {
    return Endpoint::kConnz;
  }
  if (name == "SUBSZ") {
    return Endpoint::kSubsz;
  }
  if (name == "ROUTEZ") {
    return Endpoint::kRoutez;
  }
  if (name == "ACCOUNTZ") {
    return Endpoint::kAccountz;
  }
  if (name == "HEALTHZ") {
    return Endpoint::kHealthz;
  }
  return std::nullopt;
}

absl::StatusOr<std::string> RenderEndpoint(MonitorSource& source, Endpoint endpoint,
                                           const QueryParams& query,
                                           const HttpRequestStats& http_stats) {
  switch (endpoint) {
    case Endpoint::kVarz:
      return RenderVarz(source.Server(), http_stats, Clock::now());
    case Endpoint::kConnz:
      return RenderConnzFrom(source, query);
    case Endpoint::kSubsz:
      return RenderSubszFrom(source, query);
    case Endpoint::kRoutez:
      return RenderRoutez(source.Server().server_id, Clock::now());
    case Endpoint::kAccountz:
      return RenderAccountz(source.Server(), source.Accounts(), query, Clock::now());
    case Endpoint::kHealthz:
      return RenderHealthz(source.HealthProblem());
  }
  return absl::InvalidArgumentError("unknown endpoint");
}

absl::StatusOr<QueryParams> QueryFromRequestBody(Endpoint endpoint, std::string_view body) {
  if (body.empty()) {
    return QueryParams();
  }
  Json json = Json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    return absl::InvalidArgumentError("invalid character in request body: not JSON");
  }
  if (!json.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("json: cannot unmarshal ", json.type_name(), " into Go value"));
  }
  switch (endpoint) {
    case Endpoint::kConnz:
      return ConnzQuery(json);
    case Endpoint::kSubsz:
      return SubszQuery(json);
    case Endpoint::kAccountz:
      return AccountzQuery(json);
    case Endpoint::kVarz:
    case Endpoint::kRoutez:
    case Endpoint::kHealthz:
      return QueryParams();
  }
  return QueryParams();
}

}  // namespace lattice::monitor
