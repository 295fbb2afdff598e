// Rules for operator and account JWTs written through the admin API, and the claims the control
// plane builds when it signs an account itself (managed mode).
#pragma once

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"

#include "common/jwt/claims.h"
#include "lattice/control/v1/admin.pb.h"

namespace lattice::accounts {

// Decodes a self-signed operator JWT and checks its signature, issuer and time bounds.
absl::StatusOr<jwt::OperatorClaims> CheckOperatorJwt(std::string_view token, int64_t now);

// Decodes an account JWT and checks it is trusted by `op` (operator key or one of its signing
// keys, strict usage honoured) and within its time bounds. When `stored_issued_at` is non-zero
// a token issued earlier is refused (FailedPrecondition): uploads never roll an account back.
absl::StatusOr<jwt::AccountClaims> CheckAccountJwt(const jwt::OperatorClaims& op,
                                                   std::string_view token, int64_t stored_issued_at,
                                                   int64_t now);

// Overlays `spec` (name, limits, exports, imports, description) on `base`: unset limits become
// unlimited, exports and imports are replaced as a whole. InvalidArgument on a bad export/import
// type, subject or account key.
absl::StatusOr<jwt::AccountClaims> ApplyAccountSpec(const control::v1::AccountSpec& spec,
                                                    jwt::AccountClaims base);

// The claims payload as plans show it: iat and jti (which change on every signing) removed.
jwt::Json AccountPlanView(const jwt::AccountClaims& claims);

}  // namespace lattice::accounts
