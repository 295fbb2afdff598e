// Frontend: every control-plane read and write as plain C++. A write validates against the
// current state, builds a store::Batch stamped revision()+1 and hands it to the store (the
// point where a Raft log slots in later), then wakes watchers. Dry runs stop before the batch
// and return the same plan.
//
//   Frontend frontend(store.get(), &vault);
//   LATTICE_ASSIGN_OR_RETURN(WriteResult r, frontend.PutOperator("admin", jwt, /*dry_run=*/false));
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

#include "common/base/mutex.h"
#include "controlplane/accounts/account_graph.h"
#include "controlplane/accounts/key_vault.h"
#include "controlplane/frontend/change_notifier.h"
#include "controlplane/store/store.h"
#include "controlplane/topology/topology_rules.h"
#include "lattice/control/v1/admin.pb.h"
#include "lattice/control/v1/node_sync.pb.h"

namespace lattice::frontend {

namespace v1 = ::lattice::control::v1;

// True when a write failed only because a replicated store moved under it (see RetryIfMoved).
inline bool Moved(const absl::Status& status) {
  return status.GetPayload(store::kRetryPayload).has_value();
}
template <typename T>
bool Moved(const absl::StatusOr<T>& result) {
  return Moved(result.status());
}

// What a write did (or would do, for a dry run).
struct WriteResult {
  uint64_t revision = 0;  // 0 when nothing was written
  bool applied = false;
  v1::Plan plan;
  std::string key;
};

// Nanoseconds since the epoch; injectable for tests.
using NowFn = std::function<int64_t()>;
int64_t SystemNowNanos();

// Runs a Frontend write again while it fails only because a replicated store moved under it
// (store::kRetryPayload: nothing was written; validation must see the newer state). After a Raft
// configuration or barrier entry the first write usually needs a second attempt.
template <typename Fn>
auto RetryIfMoved(Fn&& write) -> decltype(write()) {
  constexpr int kAttempts = 8;
  for (int attempt = 1;; ++attempt) {
    auto result = write();
    if (result.ok() || attempt == kAttempts || !Moved(result)) {
      return result;
    }
  }
}

// Owned by the control-plane process; the API adapters and NodeSync streams borrow it.
// Thread: any. Writes are serialised by one mutex so validation and the revision check see the
// same state; reads go to the store directly.
//
// Errors: InvalidArgument (malformed input), NotFound, Aborted (compare-and-set mismatch),
// FailedPrecondition (validation errors: the message lists them), PermissionDenied (untrusted
// JWT issuer), Internal/DataLoss (storage).
class Frontend {
 public:
  Frontend(store::Store* store, const accounts::KeyVault* vault, NowFn now = SystemNowNanos);

  // ---- operators and signing keys ----
  absl::StatusOr<WriteResult> PutOperator(const std::string& actor, const std::string& jwt,
                                          bool dry_run);
  absl::StatusOr<v1::Operator> GetOperator() const;
  // Stores an operator (signing) key seed sealed by the vault; with generate, creates a key
  // and re-signs the operator JWT to list it (needs the operator identity seed).
  absl::StatusOr<v1::AddSigningKeyResponse> AddSigningKey(const std::string& actor,
                                                          const v1::AddSigningKeyRequest& req);
  absl::StatusOr<std::vector<v1::SigningKey>> ListSigningKeys() const;

  // ---- accounts ----
  absl::StatusOr<WriteResult> PutAccount(const std::string& actor,
                                         const v1::PutAccountRequest& req);
  absl::StatusOr<WriteResult> SignAccount(const std::string& actor,
                                          const v1::SignAccountRequest& req);
  absl::StatusOr<v1::Account> GetAccount(const std::string& key_or_name) const;
  absl::StatusOr<v1::ListAccountsResponse> ListAccounts(const v1::ListAccountsRequest& req) const;
  absl::StatusOr<WriteResult> DeleteAccount(const std::string& actor,
                                            const v1::DeleteAccountRequest& req);
  absl::StatusOr<v1::CreateUserResponse> CreateUser(const std::string& actor,
                                                    const v1::CreateUserRequest& req);

  // ---- topology ----
  absl::StatusOr<WriteResult> PutTopology(const std::string& actor,
                                          const v1::PutTopologyRequest& req);
  absl::StatusOr<WriteResult> DeleteTopology(const std::string& actor,
                                             const v1::DeleteTopologyRequest& req);
  absl::StatusOr<v1::TopologyObject> GetTopology(v1::TopologyKind kind,
                                                 const std::string& key) const;
  absl::StatusOr<v1::ListTopologyResponse> ListTopology(const v1::ListTopologyRequest& req) const;
  absl::StatusOr<topology::TopologySet> LoadTopology() const;

  // ---- NodeSync ----
  // Records the node (state UP, URLs, version), creating its cluster if needed.
  absl::StatusOr<uint64_t> RegisterNode(const v1::Register& reg);
  // Records an ACK (error empty) or NACK for the node's resource type.
  absl::Status RecordAck(const std::string& node_id, const v1::Ack& ack);
  absl::Status MarkNodeDown(const std::string& node_id);
  // Operator and every account (tombstones included); version "a-<max revision>".
  absl::StatusOr<v1::AccountsBundle> BuildAccountsBundle() const;

  // ---- audit and watch ----
  absl::StatusOr<v1::ListAuditResponse> ListAudit(const v1::ListAuditRequest& req) const;
  // Up to `limit` audit records after `after`, as events carrying each changed object's latest
  // state (an object is reported at the revision that last changed it, so a reader that applies
  // events in order converges). Sets *scanned to the last revision examined.
  absl::StatusOr<std::vector<v1::WatchEvent>> ReadChanges(uint64_t after,
                                                          const std::vector<std::string>& kinds,
                                                          size_t limit, uint64_t* scanned) const;

  uint64_t revision() const { return store_->revision(); }
  ChangeNotifier& notifier() { return notifier_; }

 private:
  // Stamps and applies `batch` at revision()+1; the caller holds write_mu_.
  absl::StatusOr<uint64_t> Commit(store::Batch batch) ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  v1::Meta NextMeta(const std::string& actor) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Plan or refuse: dry runs return the plan; real writes with errors fail.
  absl::Status RefuseOnErrors(const v1::Plan& plan) const;

  absl::StatusOr<std::optional<v1::Account>> LoadAccount(const std::string& key) const;
  // Every live account's decoded claims (signatures re-verified).
  absl::StatusOr<accounts::AccountSet> LoadAccountSet() const;
  absl::StatusOr<nkeys::KeyPair> LoadSeed(const std::string& public_key) const;
  absl::StatusOr<nkeys::KeyPair> PickOperatorSigner(const jwt::OperatorClaims& op) const;
  absl::StatusOr<WriteResult> WriteAccountLocked(const std::string& actor,
                                                 const jwt::AccountClaims& claims,
                                                 const std::string& token,
                                                 uint64_t expected_revision, bool dry_run,
                                                 bool managed, std::vector<store::Mutation> extra)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  absl::StatusOr<WriteResult> WriteTopologyLocked(const std::string& actor, v1::TopologyKind kind,
                                                  const std::string& key,
                                                  const v1::TopologyObject* object,
                                                  uint64_t expected_revision, bool create_only,
                                                  bool dry_run)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  absl::Status UpdateNodeLocked(const std::string& node_id, const std::string& reason,
                                const std::function<void(v1::Node*)>& mutate)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);

  store::Store* const store_;
  const accounts::KeyVault* const vault_;
  // Decoded claims of stored accounts keyed by public key, valid for the stored revision: spares
  // every write the signature check and JSON decode of every account.
  mutable Mutex claims_mu_;
  mutable std::map<std::string, std::pair<uint64_t, jwt::AccountClaims>> claims_cache_
      ABSL_GUARDED_BY(claims_mu_);
  NowFn now_;
  Mutex write_mu_;
  // The revision the last NextMeta stamped into a value: a replicated store may have moved (Raft
  // configuration or barrier entries) before Commit, and the stamp must match where it lands.
  mutable uint64_t meta_revision_ ABSL_GUARDED_BY(write_mu_) = 0;
  ChangeNotifier notifier_;
};

}  // namespace lattice::frontend
