// Helpers shared by latticectl commands: loading and re-signing store entries, picking signers.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include "common/jwt/claims.h"
#include "common/nkeys/nkeys.h"
#include "tools/latticectl/commands.h"

namespace lattice::latticectl {

std::vector<std::string> SplitString(const std::string& s, char sep);

// A NATS subject for permissions/exports: non-empty tokens, no whitespace.
absl::Status CheckSubject(const std::string& subject);

// The single positional argument of a command; `what` names it in the error.
absl::StatusOr<std::string> OnlyPositional(const Flags& flags, const std::string& what);

// --expiry DURATION (relative to now) or --expires-at UNIX set exp.
absl::Status ApplyExpiry(Context& ctx, jwt::StandardClaims& std);

// An account given by store name or public key -> its public key.
absl::StatusOr<std::string> ResolveAccountKey(const Store& store, const std::string& op,
                                              const std::string& name_or_key);

// The operator's claims and identity key.
struct OperatorBundle {
  jwt::OperatorClaims claims;
  nkeys::KeyPair key;
};
absl::StatusOr<OperatorBundle> LoadOperator(const Store& store, const std::string& op);
absl::StatusOr<jwt::AccountClaims> LoadAccount(const Store& store, const std::string& op,
                                               const std::string& account);

// The key that signs accounts: the operator key, or its first signing key when the operator is
// strict or --use-signing-key is given.
absl::StatusOr<nkeys::KeyPair> OperatorSigner(const Store& store, const jwt::OperatorClaims& op,
                                              const nkeys::KeyPair& identity, const Flags& flags);

// The key that signs users of `account`: `signing_key` (which must be one of its signing keys)
// when given, else the account key (or its first signing key when the operator is strict).
absl::StatusOr<nkeys::KeyPair> AccountSigner(const Store& store, const jwt::OperatorClaims& op,
                                             const jwt::AccountClaims& account,
                                             const std::string& signing_key);

// Signs `claims` again with the operator's signer and stores it.
absl::Status ResignAccount(Context& ctx, const std::string& op, const std::string& name,
                           const OperatorBundle& bundle, jwt::AccountClaims& claims);

}  // namespace lattice::latticectl
