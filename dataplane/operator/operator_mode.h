// OperatorMode: the operator-mode account source of a node. It owns the trusted operators, the
// account resolver and the JWT auth provider, turns account JWTs into AccountSpecs for the
// server, and keeps them current from claims updates and agent pushes.
//
//   OperatorModeConfig cfg;  cfg.operators = opts.operators;  cfg.resolver = opts.resolver; ...
//   LATTICE_ASSIGN_OR_RETURN(auto mode, OperatorMode::Create(cfg, &server_sink));
//   mode->Start();                                        // loads the system account
//   Authenticator::Create(opts, {mode->NewAuthProvider()}, /*extra_requires_auth=*/true);
//   on $SYS.ACCOUNT.<id>.CLAIMS.UPDATE: mode->HandleClaimsUpdate(subject, payload);
//   agent: mode->ApplySnapshot(bundle accounts key -> JWT, bundle.deleted)  // error = NACK
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include "common/base/mutex.h"
#include "common/jwt/claims.h"
#include "dataplane/accounts/account_spec.h"
#include "dataplane/operator/jwt_auth_provider.h"
#include "dataplane/operator/operator_trust.h"
#include "dataplane/operator/resolver.h"

namespace lattice::operator_mode {

// Implemented by the server: installs account state and closes connections. Called with
// OperatorMode's update lock held, so implementations must not call back into OperatorMode's
// mutating methods (post work to the loops and return, DESIGN.md §4). Owned by the server;
// outlives OperatorMode. Thread: any thread that calls into OperatorMode.
class AccountSink {
 public:
  virtual ~AccountSink() = default;
  // Installs or replaces the account `spec.name` (an account public key); live connections
  // keep running under the new limits, exports and imports.
  virtual void ApplyAccount(const accounts::AccountSpec& spec) = 0;
  // The account is gone (agent tombstone): drop it and disconnect its clients.
  virtual void RemoveAccount(const std::string& name) = 0;
  // Close live connections of `account` whose user is `user_public_key` ("*" = every user)
  // and whose user JWT was issued at or before `issued_before_unix`, with -ERR
  // kUserRevokedText.
  virtual void CloseUserConnections(const std::string& account, const std::string& user_public_key,
                                    int64_t issued_before_unix) = 0;
};

struct OperatorModeConfig {
  std::vector<std::string> operators;  // `operator` values: JWT file paths or inline JWTs
  std::string system_account;          // `system_account`; empty = from the operator JWT
  // Raw `resolver` value ("MEMORY", "URL(...)"). Empty: with one operator whose JWT has an
  // account_server_url, URL(<that>/accounts) as nats-server does; otherwise an error.
  std::string resolver;
  std::map<std::string, std::string> resolver_preload;  // account key -> account JWT
  std::function<int64_t()> now;                         // unix seconds; null = system clock
  // Tests may inject a resolver instead of `resolver`.
  std::unique_ptr<AccountResolver> resolver_for_test;
};

// Owned by the server for the lifetime of an operator-mode configuration. Thread: any; lookups
// of known accounts take a short lock, updates are serialised by a second lock.
class OperatorMode final : public AccountClaimsLookup {
 public:
  // Reads and validates operators, parses the resolver, verifies every preloaded JWT
  // (decodes, subject equals its key, trusted, not expired). Errors name what is wrong.
  static absl::StatusOr<std::unique_ptr<OperatorMode>> Create(OperatorModeConfig config,
                                                              AccountSink* sink);

  // Loads the system account (a warning is logged when it cannot be resolved).
  void Start();

  enum class ClaimsUpdateOutcome : uint8_t {
    kUpdated,  // a held account took the JWT (or already had it)
    kSkipped,  // the account is not held here: nothing stored, as nats-server ("jwt update
               // skipped"); a later lookup asks the resolver
  };
  // A `$SYS.ACCOUNT.<id>.CLAIMS.UPDATE` message. The payload must be an account JWT for <id>,
  // trusted and not expired, and not older (iat) than the one held. A held account is
  // re-applied (and its importers re-converted, users it newly revokes closed). Errors say why
  // it was ignored; untrusted input never crashes.
  absl::StatusOr<ClaimsUpdateOutcome> HandleClaimsUpdate(std::string_view subject,
                                                         std::string_view payload);

  // An account JWT from a trusted push (the node agent): verified as a claims update, then
  // applied whether or not it was held.
  absl::Status ApplyAccountJwt(std::string_view account_jwt);
  // The account was deleted upstream: forget it and RemoveAccount.
  void ForgetAccount(const std::string& account);
  // A whole pushed set (AgentSink::ApplyAccounts: key -> JWT, plus tombstones). Every JWT is
  // verified first (subject = its key, trusted, not expired); any failure refuses the whole
  // set with a reason naming the account (a NACK) and changes nothing. Then changed JWTs are
  // installed, and held accounts that are tombstoned or missing from the set are forgotten.
  absl::Status ApplySnapshot(const std::map<std::string, std::string>& accounts,
                             const std::vector<std::string>& deleted);

  // AccountClaimsLookup: held claims, or fetched through the resolver (blocking up to its
  // timeout), validated, applied to the sink and held.
  std::shared_ptr<const jwt::AccountClaims> FindAccount(const std::string& account,
                                                        std::string* why) const override;

  // A provider for the Authenticator; it refers to this object, which must outlive it.
  std::unique_ptr<JwtAuthProvider> NewAuthProvider() const;

  const OperatorTrust& trust() const { return *trust_; }
  const std::string& system_account() const { return trust_->system_account(); }
  AccountResolver& resolver() const { return *resolver_; }
  // The JWT currently held for `account` (empty when none); for monitoring and tests.
  std::string HeldJwt(const std::string& account) const;
  // The held JWT with its decoded claims, read together (null claims when none held).
  struct Held {
    std::string jwt;
    std::shared_ptr<const jwt::AccountClaims> claims;
  };
  Held HeldAccount(const std::string& account) const;
  // The public keys of every held account.
  std::vector<std::string> HeldAccounts() const;

 private:
  OperatorMode(std::shared_ptr<const OperatorTrust> trust,
               std::unique_ptr<AccountResolver> resolver, AccountSink* sink,
               std::function<int64_t()> now);

  // Decodes and validates an account JWT; `expected` (if not empty) must be its subject.
  // `import_tokens`: also refuse it when an import token fails ValidateImportTokens.
  absl::StatusOr<jwt::AccountClaims> Verify(std::string_view token, std::string_view expected,
                                            bool import_tokens = true) const;
  std::shared_ptr<const jwt::AccountClaims> HeldClaims(const std::string& account) const;
  // All below run with update_mu_ held.
  std::shared_ptr<const jwt::AccountClaims> LoadLocked(const std::string& account,
                                                       std::string* why) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(update_mu_);
  void InstallLocked(std::string jwt, jwt::AccountClaims claims) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(update_mu_);
  void ConvertAndApplyLocked(const jwt::AccountClaims& claims) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(update_mu_);
  void ReconvertImportersLocked(const std::string& exporter) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(update_mu_);

  std::shared_ptr<const OperatorTrust> trust_;
  std::unique_ptr<AccountResolver> resolver_;
  AccountSink* sink_;
  std::function<int64_t()> now_;
  // FindAccount is const (AccountClaimsLookup) but loads on a miss: the held set is a cache.
  mutable Mutex update_mu_;
  mutable Mutex state_mu_ ABSL_ACQUIRED_AFTER(update_mu_);
  mutable absl::flat_hash_map<std::string, Held> held_ ABSL_GUARDED_BY(state_mu_);
};

// Parses "$SYS.ACCOUNT.<id>.CLAIMS.UPDATE"; returns <id> or an empty string.
std::string ClaimsUpdateAccount(std::string_view subject);

}  // namespace lattice::operator_mode
