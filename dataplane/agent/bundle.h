// Pushed resources as the dataplane sees them, after the node verified them itself.
//
//   LATTICE_ASSIGN_OR_RETURN(auto trusted, TrustedOperator::FromJwt(operator_jwt));
//   LATTICE_ASSIGN_OR_RETURN(auto accounts, VerifyAccountsBundle(pushed, trusted,
//   jwt::NowSeconds())); sink.ApplyAccounts(std::make_shared<const
//   AccountsBundle>(std::move(accounts)));
//
// A node never trusts a JWT because the control plane sent it: every live account JWT is
// decoded (signature checked) and validated against the operator the node is configured with.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "absl/status/statusor.h"

#include "common/jwt/claims.h"
#include "lattice/control/v1/node_sync.pb.h"

namespace lattice::agent {

namespace v1 = ::lattice::control::v1;

// The operator a node is configured with (its JWT, decoded and self-validated).
// Value type. Thread: immutable after construction, any thread.
class TrustedOperator {
 public:
  // Decodes and validates a self-signed operator JWT (signature, time bounds).
  static absl::StatusOr<TrustedOperator> FromJwt(std::string_view token, int64_t now);

  const std::string& public_key() const { return claims_.std.subject; }
  const jwt::OperatorClaims& claims() const { return claims_; }
  const std::string& jwt() const { return jwt_; }

 private:
  TrustedOperator(jwt::OperatorClaims claims, std::string token)
      : claims_(std::move(claims)), jwt_(std::move(token)) {}
  jwt::OperatorClaims claims_;
  std::string jwt_;
};

// One account JWT that passed chain validation.
struct VerifiedAccount {
  std::string public_key;  // A...
  std::string name;
  std::string jwt;
  jwt::AccountClaims claims;
};

// A verified accounts bundle: what the sink installs. Built on the agent thread, then shared
// read-only (std::shared_ptr<const AccountsBundle>) with every loop. Thread: immutable.
struct AccountsBundle {
  std::string version;
  std::string operator_key;                         // equals the node's trusted operator
  std::map<std::string, VerifiedAccount> accounts;  // live accounts by public key
  std::set<std::string> deleted;                    // tombstoned keys: drop, close their clients
  v1::AccountsBundle source;                        // the push as received (persisted as is)
};

// Verifies `pushed` against `trusted` at time `now` (unix seconds). Errors are
// InvalidArgument/PermissionDenied/FailedPrecondition whose message names the offending account
// ("account ABC... (name): reason"), suitable as a NACK reason.
absl::StatusOr<AccountsBundle> VerifyAccountsBundle(const v1::AccountsBundle& pushed,
                                                    const TrustedOperator& trusted, int64_t now);

// Checks the structure of a pushed topology for node `cluster`: version set, the cluster is
// ours, peer ids and gateway clusters non-empty. Returns the error as a NACK reason.
absl::Status VerifyTopology(const v1::Topology& pushed, const std::string& cluster);

}  // namespace lattice::agent
