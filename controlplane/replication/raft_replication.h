// RaftReplication: api::Replication over a Replica (membership, progress, read fences).
#pragma once

#include <atomic>
#include <cstdint>

#include "controlplane/api/replication.h"
#include "controlplane/raft/replica.h"
#include "controlplane/raft/store_state_machine.h"
#include "controlplane/replication/peers.h"

namespace lattice::replication {

// Owned by the control-plane process next to its Replica. Thread: any.
class RaftReplication final : public api::Replication {
 public:
  RaftReplication(uint64_t self_id, raft::Replica* replica, raft::StoreStateMachine* machine,
                  AdminDirectory* directory)
      : self_id_(self_id), replica_(replica), machine_(machine), directory_(directory) {}

  absl::Status ReadFence() override;
  absl::Status WriteFence() override;
  absl::StatusOr<api::v1::ListReplicasResponse> ListReplicas() override;
  // Leader only. Adds the voter, then records (id, raft address, admin address) in the
  // replicated replica set.
  absl::Status AddReplica(const api::v1::AddReplicaRequest& req) override;
  absl::Status RemoveReplica(const api::v1::RemoveReplicaRequest& req) override;

 private:
  // Unavailable with the leader's address unless this replica leads.
  absl::Status RequireLeader();
  // Leader: brings the replicated replica records in line with the Raft configuration (a record
  // per member, with the Admin address this process knows when the record lacks one; no record
  // for a removed id), proposing one unconditional batch when anything differs. `extra` is
  // recorded as well (a replica just added).
  absl::Status PublishReplicaSet(const std::optional<PeerSpec>& extra = std::nullopt);

  const uint64_t self_id_;
  raft::Replica* const replica_;
  raft::StoreStateMachine* const machine_;
  AdminDirectory* const directory_;
  std::atomic<uint64_t> fenced_term_{0};  // the last term whose first write passed a barrier
};

}  // namespace lattice::replication
