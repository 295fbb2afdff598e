// StoreStateMachine: the control plane's RocksDB store as the replicated state machine.
//
// Index/revision mapping: the store's revision IS the Raft index of the last applied entry that
// the store has seen, so revision() + 1 == index holds for every batch the store receives.
// Raft indexes include configuration and barrier entries that never reach the state machine;
// before applying a command at index i, the gap (revision, i) is filled with empty batches
// (actor "raft", no mutations, one audit record each) so the store's "revision + 1" rule still
// holds. Filler batches are identical on every replica, so stores stay byte-for-byte comparable.
// The revision commits atomically with each batch (RocksStore keeps it in the same WriteBatch), so
// after a crash, entries with index <= revision() are recognised as replays and skipped.
//
// A command is an EncodeBatch() buffer. The Batch's revision field is ignored: it is assigned from
// the index at apply time. A command that does not decode is consumed (its index becomes a gap)
// and the proposer gets InvalidArgument. A conditional command (EncodeBatch's `validated_at`)
// whose validation revision predates the last batch that changed the store is refused with
// Aborted (its index becomes a gap too): the proposer re-reads, re-validates and proposes again.
//
// Snapshots are RocksDB checkpoints packed with PackDirectory; Restore unpacks one into a new
// generation directory, opens it, and atomically switches `dir/CURRENT` to it, unless the live
// store's revision already reaches the snapshot's index (the usual case when libraft restores its
// own latest snapshot at startup), in which case the live store is kept.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

#include "common/base/mutex.h"
#include "controlplane/raft/state_machine.h"
#include "controlplane/store/store.h"

namespace lattice::raft {

// Owned by the control-plane process next to its Replica; outlives the Replica.
// Thread: StateMachine methods on the Replica's loop thread; store() and revision() from any
// thread (a reader keeps its shared_ptr for the duration of a read; a Restore swaps in a new
// store and the old one closes, and its directory is removed, when the last reader lets go).
class StoreStateMachine final : public StateMachine {
 public:
  // Opens or creates the store generations under `dir` and removes stale ones.
  static absl::StatusOr<std::unique_ptr<StoreStateMachine>> Open(const std::string& dir);

  // The live store, read-only: every write goes through Raft.
  std::shared_ptr<const store::Store> store() const;
  uint64_t revision() const { return store()->revision(); }

  // Called on the loop thread with the store's revision after every applied command, refused
  // command (its fillers may have moved the revision) and restore: lets Watch and NodeSync streams
  // on every replica wake up on replicated changes. Must be quick and must not block on Raft.
  using ApplyListener = std::function<void(uint64_t revision)>;
  void SetApplyListener(ApplyListener listener);

  absl::Status Apply(uint64_t index, std::string_view command) override;
  absl::StatusOr<std::string> Snapshot(uint64_t index) override;
  absl::Status Restore(uint64_t index, std::string_view snapshot) override;

 private:
  StoreStateMachine(std::string dir, uint64_t generation, std::shared_ptr<store::Store> store,
                    std::shared_ptr<std::atomic<bool>> retired);
  std::shared_ptr<store::Store> live() const;
  void Notify(uint64_t revision);

  const std::string dir_;
  uint64_t generation_;  // loop thread (and Open)
  uint64_t scratch_ = 0;
  // Revision of the last applied batch that was not a filler (loop thread). Conservatively the
  // store's revision after Open or Restore: a condition older than that is refused.
  uint64_t last_write_ = 0;
  std::shared_ptr<std::atomic<bool>> retired_;  // the live generation's; set when replaced
  mutable Mutex mu_;
  std::shared_ptr<store::Store> store_ ABSL_GUARDED_BY(mu_);
  Mutex listener_mu_;
  ApplyListener listener_ ABSL_GUARDED_BY(listener_mu_);
};

}  // namespace lattice::raft
