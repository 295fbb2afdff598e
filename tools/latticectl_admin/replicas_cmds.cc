// `latticectl replicas`: the control plane's Raft group (leader, term, applied index, follower lag)
// and membership changes.
#include <string>

#include "absl/strings/numbers.h"

#include "tools/latticectl_admin/session.h"
#include "tools/latticectl_admin/table.h"

namespace lattice::latticectl_admin {
namespace {

void PrintReplicas(Session& s, const v1::ListReplicasResponse& r) {
  if (s.json) {
    s.PrintJson(r);
    return;
  }
  if (!r.replicated()) {
    *s.out << "not replicated: a single lattice-control at revision " << r.revision() << "\n";
    return;
  }
  *s.out << "answered by " << r.answered_by() << ", leader "
         << (r.leader_id() == 0 ? std::string("none") : std::to_string(r.leader_id()))
         << (r.leader_admin_address().empty() ? "" : " (" + r.leader_admin_address() + ")")
         << ", term " << r.term() << ", commit " << r.commit_index() << ", applied "
         << r.applied_index() << ", revision " << r.revision() << "\n";
  const bool from_leader = r.leader_id() == r.answered_by();
  Table t({"ID", "RAFT", "ADMIN", "VOTER", "LEADER", "MATCH", "LAG"});
  for (const v1::ReplicaInfo& info : r.replicas()) {
    t.Add({std::to_string(info.id()), info.raft_address(),
           info.admin_address().empty() ? "-" : info.admin_address(), info.voter() ? "yes" : "no",
           info.leader() ? "*" : "", from_leader ? std::to_string(info.match_index()) : "-",
           from_leader ? std::to_string(info.lag()) : "-"});
  }
  t.Print(*s.out);
}

}  // namespace

int RunReplicasCommand(Session& s) {
  const auto& pos = s.args.positional();
  const std::string verb = pos.size() > 1 ? pos[1] : "list";
  v1::ListReplicasResponse resp;
  grpc::Status status;
  if (verb == "list") {
    status = s.stub->ListReplicas(s.Context().get(), v1::ListReplicasRequest(), &resp);
  } else if (verb == "add") {
    v1::AddReplicaRequest req;
    uint64_t id = 0;
    if (pos.size() < 4 || !absl::SimpleAtoi(pos[2], &id) || id == 0)
      return s.Error("usage: replicas add ID RAFT_HOST:PORT [--admin HOST:PORT]", 2);
    req.set_id(id);
    req.set_raft_address(pos[3]);
    req.set_admin_address(s.args.GetOr("--admin", ""));
    status = s.stub->AddReplica(s.Context().get(), req, &resp);
  } else if (verb == "remove") {
    v1::RemoveReplicaRequest req;
    uint64_t id = 0;
    if (pos.size() < 3 || !absl::SimpleAtoi(pos[2], &id) || id == 0)
      return s.Error("usage: replicas remove ID", 2);
    req.set_id(id);
    status = s.stub->RemoveReplica(s.Context().get(), req, &resp);
  } else {
    return s.Error("usage: replicas [list] | replicas add ID RAFT [--admin A] | replicas remove ID",
                   2);
  }
  if (!status.ok())
    return s.Fail(status);
  PrintReplicas(s, resp);
  return 0;
}

}  // namespace lattice::latticectl_admin
