// ReplicatedStore: the store::Store the Frontend writes to when the control plane runs as a Raft
// group. Writes become exact conditional Raft commands; reads go to the local applied store.
//
//   ReplicatedStore store(&replica, machine.get(), &directory);
//   frontend::Frontend frontend(&store, &vault);  // Frontend::Commit -> Apply -> Propose, wait
#pragma once

#include <memory>

#include "controlplane/raft/replica.h"
#include "controlplane/raft/store_state_machine.h"
#include "controlplane/replication/peers.h"
#include "controlplane/store/store.h"

namespace lattice::replication {

// Turns a Propose outcome that is not a success into the status an API caller sees:
// kNotLeader -> Unavailable with store::kLeaderPayload (when the leader's admin address is known),
// kLeadershipLost -> Unknown (the write may or may not commit), kShutdown -> Unavailable.
absl::Status ProposeFailure(const raft::ProposeResult& result, const AdminDirectory& directory);

// Owned by the control-plane process; borrows the Replica, the machine and the directory.
// Thread: any. Apply blocks its caller until the entry is committed and applied locally (the
// Frontend serialises writes, so this is one write in flight per replica).
class ReplicatedStore final : public store::Store {
 public:
  ReplicatedStore(raft::Replica* replica, raft::StoreStateMachine* machine,
                  const AdminDirectory* directory)
      : replica_(replica), machine_(machine), directory_(directory) {}

  // Proposes `batch` to land exactly at batch.revision (validated at batch.revision - 1). If
  // anything else landed first, nothing is written and the error carries store::kRetryPayload.
  absl::Status Apply(const store::Batch& batch) override;
  uint64_t revision() const override { return machine_->revision(); }
  absl::StatusOr<std::optional<std::string>> Get(store::Kind kind,
                                                 std::string_view key) const override;
  absl::StatusOr<std::vector<store::Entry>> List(store::Kind kind, std::string_view after,
                                                 size_t limit) const override;
  absl::StatusOr<std::vector<store::AuditRecord>> Audit(uint64_t after,
                                                        size_t limit) const override;
  absl::Status Checkpoint(const std::string& dir) const override;

 private:
  raft::Replica* const replica_;
  raft::StoreStateMachine* const machine_;
  const AdminDirectory* const directory_;
};

}  // namespace lattice::replication
