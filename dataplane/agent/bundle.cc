// Chain validation of pushed accounts bundles and structural checks of pushed topology.
#include "dataplane/agent/bundle.h"

#include "absl/strings/str_cat.h"

#include "common/base/status_macros.h"
#include "common/jwt/chain.h"

namespace lattice::agent {
namespace {

// Prefixes `status` with the account it concerns, keeping its code.
absl::Status ForAccount(const v1::Account& account, const absl::Status& status) {
  std::string who = absl::StrCat("account ", account.public_key());
  if (!account.name().empty())
    absl::StrAppend(&who, " (", account.name(), ")");
  return absl::Status(status.code(), absl::StrCat(who, ": ", status.message()));
}

absl::StatusOr<VerifiedAccount> VerifyAccount(const v1::Account& account,
                                              const TrustedOperator& trusted, int64_t now) {
  absl::StatusOr<jwt::AccountClaims> claims = jwt::DecodeAccount(account.jwt());
  if (!claims.ok())
    return ForAccount(account, claims.status());
  if (claims->std.subject != account.public_key()) {
    return ForAccount(account, absl::InvalidArgumentError(absl::StrCat(
                                   "jwt subject ", claims->std.subject, " is another account")));
  }
  absl::Status valid = jwt::ValidateAccount(trusted.claims(), *claims, now);
  if (!valid.ok())
    return ForAccount(account, valid);
  VerifiedAccount out;
  out.public_key = account.public_key();
  out.name = claims->std.name;
  out.jwt = account.jwt();
  out.claims = *std::move(claims);
  return out;
}

}  // namespace

absl::StatusOr<TrustedOperator> TrustedOperator::FromJwt(std::string_view token, int64_t now) {
  LATTICE_ASSIGN_OR_RETURN(jwt::OperatorClaims claims, jwt::DecodeOperator(token));
  LATTICE_RETURN_IF_ERROR(jwt::ValidateOperator(claims, now));
  return TrustedOperator(std::move(claims), std::string(token));
}

absl::StatusOr<AccountsBundle> VerifyAccountsBundle(const v1::AccountsBundle& pushed,
                                                    const TrustedOperator& trusted, int64_t now) {
  if (pushed.version().empty())
    return absl::InvalidArgumentError("accounts bundle without a version");
  if (pushed.operator_().public_key() != trusted.public_key()) {
    return absl::PermissionDeniedError(
        absl::StrCat("bundle operator '", pushed.operator_().public_key(),
                     "' is not the operator this node trusts (", trusted.public_key(), ")"));
  }
  AccountsBundle out;
  out.version = pushed.version();
  out.operator_key = trusted.public_key();
  for (const v1::Account& account : pushed.accounts()) {
    if (account.public_key().empty())
      return absl::InvalidArgumentError("bundle lists an account without a public key");
    if (out.accounts.count(account.public_key()) || out.deleted.count(account.public_key()))
      return ForAccount(account, absl::InvalidArgumentError("listed twice"));
    if (account.deleted()) {
      // A tombstone only removes access, so it needs no signature to be honoured.
      out.deleted.insert(account.public_key());
      continue;
    }
    LATTICE_ASSIGN_OR_RETURN(VerifiedAccount verified, VerifyAccount(account, trusted, now));
    out.accounts.emplace(verified.public_key, std::move(verified));
  }
  out.source = pushed;
  return out;
}

absl::Status VerifyTopology(const v1::Topology& pushed, const std::string& cluster) {
  if (pushed.version().empty())
    return absl::InvalidArgumentError("topology without a version");
  if (pushed.cluster() != cluster) {
    return absl::InvalidArgumentError(absl::StrCat("topology is for cluster '", pushed.cluster(),
                                                   "', this node is in '", cluster, "'"));
  }
  for (const v1::Node& peer : pushed.peers()) {
    if (peer.id().empty())
      return absl::InvalidArgumentError("topology lists a peer without an id");
  }
  for (const v1::GatewayTarget& gateway : pushed.gateways()) {
    if (gateway.cluster().empty())
      return absl::InvalidArgumentError("topology lists a gateway without a cluster");
  }
  return absl::OkStatus();
}

}  // namespace lattice::agent
