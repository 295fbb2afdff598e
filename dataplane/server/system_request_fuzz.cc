// libFuzzer target for the $SYS request bodies: the server filter and account-statz request
// parsed from untrusted JSON (any system user; PING.STATZ/CONNZ also any account through its
// system imports), and every endpoint's options turned into query parameters and rendered
// over a few fixed connections, subscriptions and accounts, as the $SYS services do.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/monitor/endpoints.h"
#include "dataplane/monitor/render.h"
#include "dataplane/server/system_events_json.h"

namespace lattice::server {
namespace {

std::vector<monitor::ConnectionSnapshot> Connections() {
  std::vector<monitor::ConnectionSnapshot> out(3);
  for (size_t i = 0; i < out.size(); ++i) {
    out[i].cid = i + 1;
    out[i].account = i == 0 ? "A" : "B";
    out[i].in_msgs = static_cast<int64_t>(10 * i);
  }
  return out;
}

std::vector<monitor::SubscriptionDetail> Subscriptions() {
  return {{"A", "foo.bar", "", "1", 3, 0, 1}, {"B", "foo.*", "q", "2", 0, 5, 2}};
}

std::vector<monitor::AccountSnapshot> Accounts() {
  std::vector<monitor::AccountSnapshot> out(2);
  out[0].name = "A";
  out[1].name = "B";
  out[1].is_system = true;
  return out;
}

void Run(std::string_view body) {
  (void)ParseEventFilter(body);
  (void)ParseAccountStatzRequest(body);
  const monitor::Clock::time_point now{};
  monitor::ServerSnapshot server;
  server.server_id = "NFUZZ";
  for (monitor::Endpoint endpoint :
       {monitor::Endpoint::kVarz, monitor::Endpoint::kConnz, monitor::Endpoint::kSubsz,
        monitor::Endpoint::kRoutez, monitor::Endpoint::kAccountz, monitor::Endpoint::kHealthz}) {
    absl::StatusOr<monitor::QueryParams> query = monitor::QueryFromRequestBody(endpoint, body);
    if (!query.ok()) {
      continue;
    }
    switch (endpoint) {
      case monitor::Endpoint::kConnz:
        (void)monitor::RenderConnz(server.server_id, Connections(), *query, now);
        break;
      case monitor::Endpoint::kSubsz:
        (void)monitor::RenderSubsz(server.server_id, {}, Subscriptions(), *query, now);
        break;
      case monitor::Endpoint::kAccountz:
        (void)monitor::RenderAccountz(server, Accounts(), *query, now);
        break;
      default:
        break;
    }
  }
}

}  // namespace
}  // namespace lattice::server

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  lattice::server::Run(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
