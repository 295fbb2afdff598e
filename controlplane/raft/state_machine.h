// The contract between the replication core and the control plane's replicated state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace lattice::raft {

// What Replica replicates into. Implemented by the control plane (StoreStateMachine over the
// RocksDB store) and by tests. Owned by the caller; must outlive the Replica that drives it.
//
// Determinism: every replica applies the same commands in the same order, so Apply must depend
// only on the current state and the command bytes. A command that is *rejected* (bad encoding,
// a validation failure) is still "applied": return the rejection as the Status; it goes back to
// the proposer and the entry is consumed on every replica alike. An environmental failure that
// would make this replica diverge (disk error) must not be returned as a rejection: abort the
// process instead, so that on restart the entry is applied again.
//
// Thread: every method is called on the Replica's loop thread, one call at a time.
class StateMachine {
 public:
  virtual ~StateMachine() = default;

  // Applies the committed command at Raft log index `index`. Indexes only grow, but are not
  // contiguous: configuration and barrier entries take indexes too and never reach Apply. After a
  // restart, libraft replays committed entries from its last snapshot, so Apply sees indexes it
  // has already applied; implementations skip those (they persist their last applied index).
  virtual absl::Status Apply(uint64_t index, std::string_view command) = 0;

  // A self-contained image of the state after the last applied entry (`index`).
  virtual absl::StatusOr<std::string> Snapshot(uint64_t index) = 0;

  // Replaces the whole state with `snapshot`, taken by some replica at `index`.
  virtual absl::Status Restore(uint64_t index, std::string_view snapshot) = 0;
};

}  // namespace lattice::raft
