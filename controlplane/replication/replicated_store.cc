// ReplicatedStore: Frontend writes through Raft, reads from the applied store.
#include "controlplane/replication/replicated_store.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"

#include "controlplane/raft/batch_codec.h"

namespace lattice::replication {

absl::Status ProposeFailure(const raft::ProposeResult& result, const AdminDirectory& directory) {
  switch (result.code) {
    case raft::ProposeCode::kCommitted:
      return result.verdict;
    case raft::ProposeCode::kNotLeader: {
      if (result.leader.id == 0)
        return absl::UnavailableError("not the control-plane leader, and no leader is elected");
      std::string admin = directory.Get(result.leader.id);
      absl::Status status = absl::UnavailableError(
          absl::StrCat("not the control-plane leader; the leader is replica ", result.leader.id,
                       admin.empty() ? "" : " at ", admin));
      if (!admin.empty())
        status.SetPayload(store::kLeaderPayload, absl::Cord(admin));
      return status;
    }
    case raft::ProposeCode::kLeadershipLost:
      return absl::UnknownError(
          "leadership was lost before the write committed: it may or may not be applied; read "
          "before retrying");
    case raft::ProposeCode::kShutdown:
      return absl::UnavailableError("the control-plane replica is shutting down");
    case raft::ProposeCode::kFailed:
      break;
  }
  return absl::InternalError(absl::StrCat("raft refused the write: ", result.error));
}

absl::Status ReplicatedStore::Apply(const store::Batch& batch) {
  if (batch.revision == 0)
    return absl::InvalidArgumentError("batch revision 0");
  raft::ProposeResult result =
      replica_->Propose(raft::EncodeBatch(batch, batch.revision - 1, /*exact=*/true)).get();
  if (result.code != raft::ProposeCode::kCommitted)
    return ProposeFailure(result, *directory_);
  if (absl::IsAborted(result.verdict)) {
    // Something else landed first (another leader's write, a configuration or barrier entry):
    // nothing was written; the Frontend validates again on the newer state.
    absl::Status retry = absl::UnavailableError(
        absl::StrCat("the write lost its slot: ", result.verdict.message(), ""));
    retry.SetPayload(store::kRetryPayload, absl::Cord("1"));
    return retry;
  }
  if (!result.verdict.ok())
    return result.verdict;
  if (result.index != batch.revision) {
    return absl::InternalError(
        absl::StrCat("raft applied revision ", batch.revision, " at index ", result.index));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> ReplicatedStore::Get(store::Kind kind,
                                                                std::string_view key) const {
  return machine_->store()->Get(kind, key);
}

absl::StatusOr<std::vector<store::Entry>> ReplicatedStore::List(store::Kind kind,
                                                                std::string_view after,
                                                                size_t limit) const {
  return machine_->store()->List(kind, after, limit);
}

absl::StatusOr<std::vector<store::AuditRecord>> ReplicatedStore::Audit(uint64_t after,
                                                                       size_t limit) const {
  return machine_->store()->Audit(after, limit);
}

absl::Status ReplicatedStore::Checkpoint(const std::string& dir) const {
  return machine_->store()->Checkpoint(dir);
}

}  // namespace lattice::replication
