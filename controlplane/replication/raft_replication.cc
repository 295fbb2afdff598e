// RaftReplication: the Admin API's view of the Raft group.
#include "controlplane/replication/raft_replication.h"

#include <chrono>
#include <set>

#include "absl/strings/str_cat.h"

#include "common/base/log.h"
#include "common/base/status_macros.h"
#include "controlplane/raft/batch_codec.h"
#include "controlplane/replication/replicated_store.h"

namespace lattice::replication {

absl::Status RaftReplication::RequireLeader() {
  raft::Peer leader = replica_->Leader();
  if (leader.id == self_id_)
    return absl::OkStatus();
  raft::ProposeResult not_leader;
  not_leader.code = raft::ProposeCode::kNotLeader;
  not_leader.leader = leader;
  return ProposeFailure(not_leader, *directory_);
}

absl::Status RaftReplication::ReadFence() {
  if (absl::Status leader = RequireLeader(); !leader.ok())
    return leader;
  absl::Status barrier = replica_->Barrier().get();
  if (!barrier.ok())
    return absl::UnavailableError(absl::StrCat("read fence: ", barrier.message()));
  return absl::OkStatus();
}

absl::Status RaftReplication::WriteFence() {
  raft::ReplicaStats stats = replica_->Stats();
  if (stats.role != raft::Role::kLeader) {
    raft::ProposeResult not_leader;
    not_leader.code = raft::ProposeCode::kNotLeader;
    not_leader.leader = stats.leader;
    return ProposeFailure(not_leader, *directory_);
  }
  if (fenced_term_.load() == stats.term)
    return absl::OkStatus();
  absl::Status barrier = replica_->Barrier().get();
  if (!barrier.ok())
    return absl::UnavailableError(absl::StrCat("write fence: ", barrier.message()));
  fenced_term_.store(stats.term);
  // Once per term: a best-effort refresh of the replicated replica set (a failure here must not
  // fail the admin write that triggered it; the next term or membership change tries again).
  if (absl::Status published = PublishReplicaSet(); !published.ok()) {
    LATTICE_LOG(kWarn) << "replica set records: " << published.message();
  }
  return absl::OkStatus();
}

absl::Status RaftReplication::PublishReplicaSet(const std::optional<PeerSpec>& extra) {
  raft::ReplicaStats stats = replica_->Stats();
  std::shared_ptr<const store::Store> store = machine_->store();
  store::Batch batch;
  batch.actor = "raft";
  batch.reason = "replica set";
  batch.unix_nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  std::set<std::string> member_keys;
  for (const raft::MemberProgress& member : stats.members) {
    member_keys.insert(ReplicaKey(member.id));
    PeerSpec want{member.id, member.address, directory_->GetLocal(member.id)};
    if (extra.has_value() && extra->id == member.id && !extra->admin_address.empty())
      want.admin_address = extra->admin_address;
    std::optional<PeerSpec> have = ReadReplicaRecord(*store, member.id);
    if (have.has_value()) {
      if (want.admin_address.empty())
        want.admin_address = have->admin_address;
      if (have->raft_address == want.raft_address && have->admin_address == want.admin_address)
        continue;
    }
    batch.mutations.push_back(PutReplicaRecord(want));
  }
  LATTICE_ASSIGN_OR_RETURN(std::vector<store::Entry> records,
                           store->List(store::Kind::kReplica, "", 1000));
  for (const store::Entry& record : records) {
    if (member_keys.count(record.key) == 0)
      batch.mutations.push_back(store::Mutation::Delete(store::Kind::kReplica, record.key));
  }
  if (batch.mutations.empty())
    return absl::OkStatus();
  raft::ProposeResult result = replica_->Propose(raft::EncodeBatch(batch)).get();
  if (result.code != raft::ProposeCode::kCommitted)
    return ProposeFailure(result, *directory_);
  return result.verdict;
}

absl::StatusOr<api::v1::ListReplicasResponse> RaftReplication::ListReplicas() {
  raft::ReplicaStats stats = replica_->Stats();
  api::v1::ListReplicasResponse out;
  out.set_replicated(true);
  out.set_answered_by(self_id_);
  out.set_leader_id(stats.leader.id);
  out.set_leader_admin_address(directory_->Get(stats.leader.id));
  out.set_term(stats.term);
  out.set_commit_index(stats.commit_index);
  out.set_applied_index(stats.applied_index);
  out.set_last_index(stats.last_index);
  out.set_snapshot_index(stats.snapshot_index);
  out.set_revision(machine_->revision());
  const bool leader = stats.role == raft::Role::kLeader;
  for (const raft::MemberProgress& member : stats.members) {
    api::v1::ReplicaInfo* info = out.add_replicas();
    info->set_id(member.id);
    info->set_raft_address(member.address);
    info->set_admin_address(directory_->Get(member.id));
    info->set_voter(member.voter);
    info->set_leader(member.id == stats.leader.id);
    if (leader) {
      uint64_t match = member.id == self_id_ ? stats.last_index : member.match_index;
      info->set_match_index(match);
      info->set_lag(stats.last_index > match ? stats.last_index - match : 0);
    }
  }
  return out;
}

absl::Status RaftReplication::AddReplica(const api::v1::AddReplicaRequest& req) {
  if (req.id() == 0 || req.raft_address().empty())
    return absl::InvalidArgumentError("add replica: id and raft_address are required");
  LATTICE_RETURN_IF_ERROR(RequireLeader());
  if (!req.admin_address().empty())
    directory_->Set(req.id(), req.admin_address());
  LATTICE_RETURN_IF_ERROR(replica_->AddVoter(raft::Peer{req.id(), req.raft_address()}).get());
  // The voter is in: a failure to record it is logged, not returned (the next term's first
  // write publishes the set again).
  absl::Status published =
      PublishReplicaSet(PeerSpec{req.id(), req.raft_address(), req.admin_address()});
  if (!published.ok()) {
    LATTICE_LOG(kWarn) << "replica set records after add: " << published.message();
  }
  return absl::OkStatus();
}

absl::Status RaftReplication::RemoveReplica(const api::v1::RemoveReplicaRequest& req) {
  if (req.id() == 0)
    return absl::InvalidArgumentError("remove replica: id is required");
  LATTICE_RETURN_IF_ERROR(RequireLeader());
  LATTICE_RETURN_IF_ERROR(replica_->Remove(req.id()).get());
  if (absl::Status published = PublishReplicaSet(); !published.ok()) {
    LATTICE_LOG(kWarn) << "replica set records after remove: " << published.message();
  }
  return absl::OkStatus();
}

}  // namespace lattice::replication
