// Adapts a StateMachine to libraft's C `raft_fsm` callbacks (apply, snapshot, restore).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include "controlplane/raft/internal/libraft.h"
#include "controlplane/raft/state_machine.h"

namespace lattice::raft::internal {

// Log entries as libraft stores and sends them: libraft's uv transport writes an entry's `len`
// bytes but its decoder expects every payload padded to 8 bytes, so unpadded entries arrive
// shifted on followers. Every command therefore travels as its length (little-endian u64), the
// bytes, and zero padding up to a multiple of 8.
std::string EncodeEntry(std::string_view command);
// The command inside an entry; InvalidArgument if the framing does not add up.
absl::StatusOr<std::string_view> DecodeEntry(std::string_view entry);

// Snapshot images carry the Raft index they were taken at, because libraft's restore callback
// does not pass it: an 8-byte magic, the index and the payload length (little-endian u64s), the
// state machine's bytes, zero padding to a multiple of 8 (as for entries).
std::string EncodeSnapshotImage(uint64_t index, std::string_view payload);
// Returns the index and a view of the payload inside `image`; InvalidArgument on a bad header.
absl::StatusOr<std::pair<uint64_t, std::string_view>> DecodeSnapshotImage(std::string_view image);

// One per raft instance; owned by whoever owns the raft instance (Replica, or a test next to a
// raft_fixture) and kept at a stable address, since libraft keeps a pointer to `fsm()`.
// Thread: the raft instance's loop thread only (libraft calls the fsm there).
class FsmBridge {
 public:
  // Called after each Apply with the entry's index and the state machine's verdict, so the owner
  // can hand the verdict to a local proposer of that index.
  using AppliedHook = absl::AnyInvocable<void(uint64_t index, const absl::Status& verdict)>;

  explicit FsmBridge(StateMachine& machine);
  FsmBridge(const FsmBridge&) = delete;
  FsmBridge& operator=(const FsmBridge&) = delete;

  // The raft instance this bridge serves; required before it applies anything, because the
  // entry index is derived from raft_last_applied() (libraft advances it after each apply).
  void Attach(struct ::raft* raft) { raft_ = raft; }
  void SetAppliedHook(AppliedHook hook) { hook_ = std::move(hook); }

  struct ::raft_fsm* fsm() {
    return &fsm_;
  }
  uint64_t applied_commands() const { return applied_commands_; }
  uint64_t restores() const { return restores_; }

 private:
  static int OnApply(struct ::raft_fsm* fsm, const struct ::raft_buffer* buf, void** result);
  static int OnSnapshot(struct ::raft_fsm* fsm, struct ::raft_buffer* bufs[], unsigned* n_bufs);
  static int OnRestore(struct ::raft_fsm* fsm, struct ::raft_buffer* buf);

  StateMachine& machine_;
  struct ::raft* raft_ = nullptr;
  struct ::raft_fsm fsm_ {};
  AppliedHook hook_;
  uint64_t applied_commands_ = 0;
  uint64_t restores_ = 0;
};

}  // namespace lattice::raft::internal
