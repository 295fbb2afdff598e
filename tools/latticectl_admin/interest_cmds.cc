// `latticectl interest [--account A] [--subject S] [--node N] [--limit N]`: QueryInterest on any
// replica (a follower forwards it to the leader), printed as tables or --json.
#include <chrono>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"

#include "tools/latticectl_admin/interest_table.h"
#include "tools/latticectl_admin/session.h"
#include "tools/latticectl_admin/table.h"

namespace lattice::latticectl_admin {

std::string FormatAge(int64_t since_unix_ms, int64_t now_unix_ms) {
  if (since_unix_ms == 0)
    return "-";
  const int64_t ms = now_unix_ms > since_unix_ms ? now_unix_ms - since_unix_ms : 0;
  if (ms < 1000)
    return std::to_string(ms) + "ms";
  const int64_t s = ms / 1000;
  if (s < 60)
    return std::to_string(s) + "s";
  if (s < 3600)
    return std::to_string(s / 60) + "m" + std::to_string(s % 60) + "s";
  if (s < 86400)
    return std::to_string(s / 3600) + "h" + std::to_string(s % 3600 / 60) + "m";
  return std::to_string(s / 86400) + "d" + std::to_string(s % 86400 / 3600) + "h";
}

void PrintInterestTables(const v1::QueryInterestResponse& r, int64_t now_unix_ms,
                         std::ostream& out) {
  Table entries({"NODE", "CLUSTER", "ACCOUNT", "SUBJECT", "QUEUE", "WEIGHT"});
  for (const v1::InterestEntry& e : r.entries()) {
    entries.Add({e.node_id(), e.cluster(), e.account(), e.subject(),
                 e.queue().empty() ? "-" : e.queue(), std::to_string(e.weight())});
  }
  entries.Print(out);
  if (r.truncated())
    out << "(more entries match: narrow the query or raise --limit)\n";
  out << "\n";
  Table nodes({"NODE", "CLUSTER", "ENTRIES", "SEQUENCE", "SNAPSHOT-AGE", "UPDATED-AGE"});
  for (const v1::NodeInterestState& n : r.nodes()) {
    nodes.Add({n.node_id(), n.cluster(), std::to_string(n.entries()), std::to_string(n.sequence()),
               FormatAge(n.snapshot_unix_ms(), now_unix_ms),
               FormatAge(n.updated_unix_ms(), now_unix_ms)});
  }
  nodes.Print(out);
  out << "graph version " << r.graph_version() << ", answered by "
      << (r.answered_by() == 0 ? std::string("the control plane (not replicated)")
                               : "replica " + std::to_string(r.answered_by()))
      << "\n";
  if (r.missing_nodes_size() > 0) {
    out << "warning: the interest graph is incomplete: no snapshot yet from "
        << r.missing_nodes_size()
        << " node(s) listed as up: " << absl::StrJoin(r.missing_nodes(), ", ") << "\n";
  }
}

int RunInterestCommand(Session& s) {
  if (s.args.positional().size() > 1)
    return s.Error("usage: interest [--account A] [--subject S] [--node N] [--limit N]", 2);
  v1::QueryInterestRequest req;
  req.set_account(s.args.GetOr("--account", ""));
  req.set_subject(s.args.GetOr("--subject", ""));
  req.set_node_id(s.args.GetOr("--node", ""));
  if (auto limit = s.args.Get("--limit"); limit.has_value()) {
    uint32_t n = 0;
    if (!absl::SimpleAtoi(*limit, &n) || n == 0)
      return s.Error("--limit takes a positive number of entries", 2);
    req.set_limit(n);
  }
  v1::QueryInterestResponse resp;
  grpc::Status status = s.stub->QueryInterest(s.Context().get(), req, &resp);
  if (!status.ok())
    return s.Fail(status);
  if (s.json) {
    s.PrintJson(resp);
    return 0;
  }
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  PrintInterestTables(resp, now_ms, *s.out);
  return 0;
}

}  // namespace lattice::latticectl_admin
