// `latticectl interest [--account A] [--subject S] [--node N] [--limit N]`: QueryInterest on any
// replica (a follower forwards it to the leader), printed as tables or --json.
#include <chrono>
#include <map>
#include <set>
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

void PrintInterestTables(const v1::QueryInterestResponse& r, int64_t now_unix_ms, std::ostream& out,
                         const std::map<std::string, std::string>& account_names) {
  Table entries({"NODE", "CLUSTER", "ACCOUNT", "SUBJECT", "QUEUE", "WEIGHT"});
  for (const v1::InterestEntry& e : r.entries()) {
    auto name = account_names.find(e.account());
    entries.Add({e.node_id(), e.cluster(), name != account_names.end() ? name->second : e.account(),
                 e.subject(), e.queue().empty() ? "-" : e.queue(), std::to_string(e.weight())});
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

namespace {

// At most this many distinct accounts get their names looked up (one GetAccount each).
constexpr size_t kMaxNamedAccounts = 50;

// The control plane's names of the accounts in `r` (nodes report public keys); accounts it does
// not know keep their key.
std::map<std::string, std::string> AccountNames(Session& s, const v1::QueryInterestResponse& r) {
  std::set<std::string> keys;
  for (const v1::InterestEntry& e : r.entries())
    keys.insert(e.account());
  std::map<std::string, std::string> names;
  if (keys.size() > kMaxNamedAccounts)
    return names;
  for (const std::string& key : keys) {
    v1::GetAccountRequest req;
    req.set_public_key(key);
    v1::Account account;
    if (s.stub->GetAccount(s.Context().get(), req, &account).ok() && !account.name().empty())
      names[key] = account.name();
  }
  return names;
}

}  // namespace

int RunInterestCommand(Session& s) {
  if (s.args.positional().size() > 1)
    return s.Error("usage: interest [--account A] [--subject S] [--node N] [--limit N]", 2);
  v1::QueryInterestRequest req;
  // An account name is resolved to its public key, which is what nodes report.
  const std::string account = s.args.GetOr("--account", "");
  req.set_account(account);
  if (!account.empty()) {
    v1::GetAccountRequest get;
    get.set_public_key(account);
    v1::Account known;
    if (s.stub->GetAccount(s.Context().get(), get, &known).ok() && !known.public_key().empty())
      req.set_account(known.public_key());
  }
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
  PrintInterestTables(resp, now_ms, *s.out, AccountNames(s, resp));
  return 0;
}

}  // namespace lattice::latticectl_admin
