// Replication: what the Admin API needs from a replicated control plane (membership, progress,
// linearizable read fences), without depending on Raft.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include "lattice/control/v1/admin.pb.h"

namespace lattice::api {

namespace v1 = ::lattice::control::v1;

// Implemented by controlplane/replication; absent (nullptr) in single-process mode.
// Thread: any (gRPC handler threads).
class Replication {
 public:
  virtual ~Replication() = default;

  // Returns once the local store holds every write acknowledged before the call (a Raft barrier
  // on the leader). Unavailable carrying store::kLeaderPayload on a follower.
  virtual absl::Status ReadFence() = 0;
  // Before validating a write: the first write of each leadership term passes a barrier, so a new
  // leader validates compare-and-set conditions against everything its predecessors committed
  // (not against a store that has not applied them yet). Unavailable with the leader elsewhere.
  virtual absl::Status WriteFence() = 0;
  virtual absl::StatusOr<v1::ListReplicasResponse> ListReplicas() = 0;
  virtual absl::Status AddReplica(const v1::AddReplicaRequest& req) = 0;
  virtual absl::Status RemoveReplica(const v1::RemoveReplicaRequest& req) = 0;
};

}  // namespace lattice::api
