// Account JWT claims -> accounts::AccountSpec, with every import's activation token verified.
//
//   auto exporters = [&](const std::string& key) { return held_claims(key); };
//   std::vector<std::string> notes;
//   accounts::AccountSpec spec = AccountClaimsToSpec(claims, exporters, now, &notes);
//   for (auto& n : notes) LATTICE_LOG(kWarn) << n;   // dropped imports, unsupported fields
//
// The spec is what the server's account registry installs; it trusts that an import with an
// activation_token was verified here, so this is the one place where the CVE-2021-3127 class of
// bypass (an activation issued to another account) must be stopped.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"

#include "common/jwt/claims.h"
#include "dataplane/accounts/account_spec.h"

namespace lattice::operator_mode {

// Returns the validated claims of an exporting account, or null when it is not known (yet).
using ExporterLookup =
    absl::FunctionRef<std::shared_ptr<const jwt::AccountClaims>(const std::string& account)>;

// Checks an import's activation token (nats-server's checkActivation plus the jwt library's
// Import.Validate): it decodes with a valid signature; its subject is `importer` (never another
// account, nor a wildcard); it is issued by the exporter or one of the exporter's signing keys
// (then issuer_account names the exporter); its kind equals the import's; the imported subject
// lies within the granted subject; it is within its time bounds at `now`; the grant matches an
// export of the exporter; and that export has not revoked it. PermissionDenied (or
// FailedPrecondition for time bounds) whose message says which check failed.
absl::Status VerifyActivation(const std::string& importer, const jwt::Import& import,
                              const jwt::AccountClaims& exporter, int64_t now);

// The token checks that need no exporter (the jwt library's Import.Validate, which makes
// nats-server refuse the whole account JWT): every import token decodes, is issued by the
// import's account (or names it as issuer_account), is issued to `claims` itself, has the
// import's kind and covers the imported subject (time bounds are left to VerifyActivation:
// an expired token drops its import only). PermissionDenied naming the import otherwise.
absl::Status ValidateImportTokens(const jwt::AccountClaims& claims);

// The jwt library's account limit checks (blocking validation errors, so nats-server refuses
// the whole account JWT): more imports than `limits.imports`, more exports than
// `limits.exports`, or, when exports are limited, a wildcard export without
// `limits.wildcards`. Values are as decoded (an absent limit is 0, Go's zero value);
// -1 is unlimited. PermissionDenied with the jwt library's text otherwise.
absl::Status ValidateAccountLimits(const jwt::AccountClaims& claims);

// Converts `claims` (already decoded and validated against the operator). Imports are dropped,
// with a line in `*notes`, when: the exporter is unknown and the import carries a token (it
// cannot be verified); the token fails VerifyActivation; the exporter is known and no export
// covers the subject, or the covering export requires a token and none was given; the import
// is malformed. Exports with account_token_position are made token_required (not modelled by
// AccountSpec). `notes` may be null.
accounts::AccountSpec AccountClaimsToSpec(const jwt::AccountClaims& claims,
                                          ExporterLookup exporters, int64_t now,
                                          std::vector<std::string>* notes);

// The exporter public keys `claims` imports from (to re-convert importers when they change).
std::vector<std::string> ImportedAccounts(const jwt::AccountClaims& claims);

}  // namespace lattice::operator_mode
