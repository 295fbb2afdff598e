// The operators a node trusts in operator mode, built from the `operator` option values.
//
//   LATTICE_ASSIGN_OR_RETURN(OperatorTrust trust,
//                            OperatorTrust::FromOptionValues({"/etc/nats/op.jwt"}, "", now));
//   LATTICE_RETURN_IF_ERROR(trust.ValidateAccount(account_claims, now));
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include "common/jwt/claims.h"

namespace lattice::operator_mode {

// One trusted operator: its JWT as configured and the decoded, self-validated claims.
struct TrustedOperatorJwt {
  std::string jwt;
  jwt::OperatorClaims claims;
};

// The set of trusted operators (nats-server accepts a list) and the system account.
// Value type, immutable after construction. Thread: any.
class OperatorTrust {
 public:
  // Each value is a path to an operator JWT file (bare or "-----BEGIN NATS OPERATOR JWT-----"
  // decorated) or, when no such file can be read and the value starts with "eyJ", the JWT
  // itself, as nats-server reads it. Every operator must be self-signed (or signed by one of
  // its own signing keys) and within its time bounds at `now`. `system_account` from the
  // config wins; otherwise, with exactly one operator, its JWT's system_account is used.
  // Errors are InvalidArgument naming the value ("operator[0] /x/op.jwt: ...").
  static absl::StatusOr<OperatorTrust> FromOptionValues(const std::vector<std::string>& values,
                                                        std::string_view system_account,
                                                        int64_t now);

  // The account must be issued by one of the trusted operators' identity keys (unless that
  // operator is strict) or signing keys, and be within its time bounds. Returns the
  // operator's index, or PermissionDenied / FailedPrecondition (expired) with the reason.
  absl::StatusOr<size_t> ValidateAccount(const jwt::AccountClaims& account, int64_t now) const;

  const std::vector<TrustedOperatorJwt>& operators() const { return operators_; }
  const std::string& system_account() const { return system_account_; }

 private:
  std::vector<TrustedOperatorJwt> operators_;
  std::string system_account_;
};

// Reads one `operator` option value (file or inline JWT) into its raw JWT string.
absl::StatusOr<std::string> ReadOperatorValue(const std::string& value);

}  // namespace lattice::operator_mode
