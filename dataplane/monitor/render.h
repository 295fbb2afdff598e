// Renders monitoring snapshots as nats-server-compatible JSON (/varz, /connz, /subsz, /routez,
// /accountz, /healthz) and Prometheus text (/metrics). Pure functions: no I/O, no server access.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

#include "dataplane/monitor/monitor_source.h"

namespace lattice::monitor {

using QueryParams = std::map<std::string, std::string>;

// Per-endpoint request counts, as /varz's "http_req_stats".
using HttpRequestStats = std::map<std::string, uint64_t>;

std::string RenderVarz(const ServerSnapshot& server, const HttpRequestStats& http_stats,
                       Clock::time_point now);

// Query: sort (cid start subs pending msgs_to msgs_from bytes_to bytes_from last idle uptime),
// offset, limit (default 1024), subs (1/true or "detail"), cid, auth, acc, user.
// InvalidArgument with nats-server's message for bad parameters (HTTP 400).
absl::StatusOr<std::string> RenderConnz(const std::string& server_id,
                                        std::vector<ConnectionSnapshot> connections,
                                        const QueryParams& query, Clock::time_point now);

// Without subs=1 only the merged sublist stats; with it, the paged subscription list.
absl::StatusOr<std::string> RenderSubsz(const std::string& server_id, const SublistStats& stats,
                                        std::vector<SubscriptionDetail> subscriptions,
                                        const QueryParams& query, Clock::time_point now);

std::string RenderRoutez(const std::string& server_id, Clock::time_point now);

absl::StatusOr<std::string> RenderAccountz(const ServerSnapshot& server,
                                           const std::vector<AccountSnapshot>& accounts,
                                           const QueryParams& query, Clock::time_point now);

// {"status":"ok"} or {"status":"unavailable","error":"..."}.
std::string RenderHealthz(const std::string& problem);

std::string RenderMetrics(const ServerSnapshot& server,
                          const std::vector<AccountSnapshot>& accounts,
                          const std::vector<ConnectionSnapshot>& connections);

// Sums per-account sublist stats the way /subsz reports the whole server.
SublistStats MergeSublistStats(const std::vector<AccountSnapshot>& accounts);

// Go's time.Duration string form ("1h2m3.5s", "624µs", "0s"), used for rtt.
std::string GoDuration(std::chrono::nanoseconds d);
// Whole-second uptime form nats-server uses for uptime and idle ("0s", "1m5s", "2d3h4m5s").
std::string UptimeString(std::chrono::nanoseconds d);
// RFC 3339 with nanoseconds in UTC, as Go marshals time.Time.
std::string Rfc3339Nano(Clock::time_point t);

}  // namespace lattice::monitor
