// `latticectl interest`: the leader's interest graph as tables (entries, node states, warnings).
#pragma once

#include <cstdint>
#include <map>
#include <ostream>
#include <string>

#include "lattice/control/v1/admin.pb.h"

namespace lattice::latticectl_admin {

// "-" for 0 (never), else the time since `since_unix_ms` at `now_unix_ms`: "850ms", "42s",
// "5m3s", "2h4m", "3d2h"; "0ms" when the clocks disagree (since is in the future).
std::string FormatAge(int64_t since_unix_ms, int64_t now_unix_ms);

// The entries table (NODE CLUSTER ACCOUNT SUBJECT QUEUE WEIGHT) with a truncation note, the
// per-node status table (NODE CLUSTER ENTRIES SEQUENCE SNAPSHOT-AGE UPDATED-AGE), the graph
// version and who answered, and a warning line naming the missing nodes while the graph is
// incomplete. ACCOUNT shows `account_names[key]` where known (operator-mode nodes report public
// keys), else the reported account.
void PrintInterestTables(const control::v1::QueryInterestResponse& r, int64_t now_unix_ms,
                         std::ostream& out,
                         const std::map<std::string, std::string>& account_names = {});

}  // namespace lattice::latticectl_admin
