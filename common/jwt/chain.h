// Trust-chain validation: operator -> account -> user (and activations), as nats-server applies it.
//
//   LATTICE_RETURN_IF_ERROR(jwt::ValidateAccount(op, account, now));
//   LATTICE_ASSIGN_OR_RETURN(jwt::UserPermissionLimits perms,
//                            jwt::ValidateUser(op, account, user, now));
//
// The claims passed in must come from Decode* (their signatures are already verified); these
// functions check who signed what, time bounds, revocations and scoped signing keys.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include "common/jwt/claims.h"

namespace lattice::jwt {

// Expired (exp <= now when set) or not yet valid (nbf > now when set): FailedPrecondition.
absl::Status CheckTimeBounds(const StandardClaims& claims, int64_t now, std::string_view what);

// An operator JWT must be self-signed or signed by one of its own signing keys; time bounds.
absl::Status ValidateOperator(const OperatorClaims& op, int64_t now);

// The account must be issued by the operator key (unless strict_signing_key_usage) or one of its
// signing keys; time bounds. PermissionDenied when the issuer is not trusted.
absl::Status ValidateAccount(const OperatorClaims& op, const AccountClaims& account, int64_t now);

// The user must be issued by the account key (unless the operator is strict) or one of the
// account's signing keys (then issuer_account must name the account); not expired, not revoked.
// Returns the permissions the server applies: the user's own, or for a scoped signing key the
// scope's template with {{name()}}, {{subject()}}, {{account-name()}}, {{account-subject()}},
// {{tag(x)}} and {{account-tag(x)}} expanded (and the user's own section must be empty).
absl::StatusOr<UserPermissionLimits> ValidateUser(const OperatorClaims& op,
                                                  const AccountClaims& account,
                                                  const UserClaims& user, int64_t now);

// An activation for `exporter`'s export must be issued by the exporter or one of its signing
// keys, within its time bounds, match an export of the same kind, and not be revoked by
// that export's revocations.
absl::Status ValidateActivation(const AccountClaims& exporter, const ActivationClaims& activation,
                                int64_t now);

// True when `revocations` revokes `key` for tokens issued at `issued_at` (exact key or "*").
bool IsRevoked(const std::map<std::string, int64_t>& revocations, const std::string& key,
               int64_t issued_at);

// Decodes the three tokens and validates the whole chain.
absl::StatusOr<UserPermissionLimits> ValidateChain(std::string_view operator_jwt,
                                                   std::string_view account_jwt,
                                                   std::string_view user_jwt, int64_t now);

}  // namespace lattice::jwt
