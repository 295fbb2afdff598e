// One monitoring endpoint assembled from a MonitorSource: which snapshots it needs and which
// renderer turns them into JSON. Shared by the HTTP listener and the $SYS request services
// ($SYS.REQ.SERVER.PING.CONNZ, ...), so both answer with the same document.
//
//   QueryParams query = {{"acc", "A"}};
//   absl::StatusOr<std::string> json = RenderEndpoint(source, Endpoint::kConnz, query, {});
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

#include "dataplane/monitor/monitor_source.h"
#include "dataplane/monitor/render.h"

namespace lattice::monitor {

enum class Endpoint : uint8_t { kVarz, kConnz, kSubsz, kRoutez, kAccountz, kHealthz };

// "VARZ" -> kVarz, ... (the $SYS request names); nullopt for names we do not serve.
std::optional<Endpoint> EndpointFromRequestName(std::string_view name);

// Renders `endpoint` for `query` (the HTTP query parameters). InvalidArgument with
// nats-server's text for bad parameters. /healthz renders {"status":...} whatever its health.
// Thread: any thread the source allows (not a server worker loop).
absl::StatusOr<std::string> RenderEndpoint(MonitorSource& source, Endpoint endpoint,
                                           const QueryParams& query,
                                           const HttpRequestStats& http_stats);

// Translates a $SYS request body (nats-server's ConnzOptions / SubszOptions / AccountzOptions
// JSON, e.g. {"subscriptions":true,"sort":"msgs_to","acc":"A"}) into the endpoint's query
// parameters. An empty body means defaults. InvalidArgument when the body is not a JSON
// object or a field has the wrong type.
absl::StatusOr<QueryParams> QueryFromRequestBody(Endpoint endpoint, std::string_view body);

}  // namespace lattice::monitor
