// The resolver's account store: validated account JWTs by public key, persisted to a directory.
//
//   LATTICE_ASSIGN_OR_RETURN(auto cache, AccountCache::Create(operator_jwt, "/var/lib/accountd"));
//   cache->AddListener([](const AccountChange& change) { ... publish ... });
//   LATTICE_ASSIGN_OR_RETURN(PutResult r, cache->Put(jwt));
//   std::shared_ptr<const AccountEntry> entry = cache->Get("ADZ...");
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include "common/base/mutex.h"
#include "common/jwt/claims.h"

namespace lattice::accountd {

// Seconds since the epoch; injected so tests control expiry.
using NowFn = std::function<int64_t()>;

// One validated account JWT. Immutable once published; shared by readers.
struct AccountEntry {
  std::string public_key;  // A...
  std::string jwt;
  std::string jti;
  std::string name;
  int64_t issued_at = 0;
  int64_t expires = 0;  // 0 = never
};

// What Put did. kStale: an entry with a newer iat is already stored (nothing changed).
enum class PutResult : uint8_t { kAdded, kUpdated, kUnchanged, kStale };
std::string_view PutResultName(PutResult result);

// A change listeners see: `entry` is null for a removal.
struct AccountChange {
  std::string public_key;
  std::shared_ptr<const AccountEntry> entry;
};

// Decodes `jwt` as an account token and checks it against the operator: signature, trusted issuer
// (operator key unless strict, or an operator signing key), time bounds, and when
// `expected_key` is non-empty that the subject matches it. InvalidArgument for a malformed token,
// PermissionDenied for an untrusted issuer, FailedPrecondition for expired / not yet valid.
absl::StatusOr<AccountEntry> ValidateAccountJwt(const jwt::OperatorClaims& op, std::string_view jwt,
                                                std::string_view expected_key, int64_t now);

// Owned by main (one per process) and shared by the HTTP and NATS resolvers and the source feed.
// Writes persist to `dir` (`<pubkey>.jwt`, written to a temp file and renamed) before they
// become visible, so a restart serves the last-known accounts without any source.
// Thread: every method is safe from any thread. Listeners run on the writing thread after the
// map lock is released but while writers are serialized, so they see changes in apply order;
// a listener may read the cache but must not write to it.
class AccountCache {
 public:
  // `operator_jwt` is the trust anchor. With a non-empty `dir` the directory is created if
  // needed and every valid `<pubkey>.jwt` in it is loaded (invalid files are logged and skipped).
  static absl::StatusOr<std::unique_ptr<AccountCache>> Create(std::string_view operator_jwt,
                                                              const std::string& dir,
                                                              NowFn now = nullptr);

  const jwt::OperatorClaims& operator_claims() const { return operator_; }
  const std::string& operator_jwt() const { return operator_jwt_; }
  int64_t Now() const { return now_(); }

  // Validates against the operator (and the cache's clock).
  absl::StatusOr<AccountEntry> Validate(std::string_view jwt, std::string_view expected_key) const;

  // Validates and stores. A token with an older iat than the stored one is kStale; the same jti
  // is kUnchanged; both leave the cache untouched and notify no one.
  absl::StatusOr<PutResult> Put(std::string_view jwt);
  // Removes an account; true when it was present.
  bool Remove(const std::string& public_key);
  // Makes the cache hold exactly the valid tokens of `jwts` (a source's full snapshot): adds and
  // updates as Put (but a snapshot is authoritative, so older iats replace too) and removes
  // every account the snapshot lacks. Returns the number of invalid tokens skipped.
  size_t ReplaceAll(const std::vector<std::string>& jwts);

  std::shared_ptr<const AccountEntry> Get(const std::string& public_key) const;
  // Public keys in order.
  std::vector<std::string> Keys() const;
  size_t size() const;

  using Listener = std::function<void(const AccountChange&)>;
  // Listeners are added during setup, before the cache is shared with other threads.
  void AddListener(Listener listener);

 private:
  AccountCache(jwt::OperatorClaims op, std::string operator_jwt, std::string dir, NowFn now);
  absl::Status LoadDir();
  // Applies one validated entry under the lock; appends the change when something changed.
  PutResult ApplyLocked(AccountEntry entry, bool authoritative, std::vector<AccountChange>* changes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RemoveLocked(const std::string& public_key, std::vector<AccountChange>* changes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Notify(const std::vector<AccountChange>& changes);

  const jwt::OperatorClaims operator_;
  const std::string operator_jwt_;
  const std::string dir_;
  const NowFn now_;
  std::vector<Listener> listeners_;

  mutable Mutex mu_;
  std::map<std::string, std::shared_ptr<const AccountEntry>> entries_ ABSL_GUARDED_BY(mu_);
  // Held by writers from apply through notify, so listeners observe changes in apply order.
  Mutex notify_mu_ ABSL_ACQUIRED_BEFORE(mu_);
};

}  // namespace lattice::accountd
