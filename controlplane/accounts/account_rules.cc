// Operator/account JWT acceptance rules and managed-account claim building.
#include "controlplane/accounts/account_rules.h"

#include "absl/strings/str_cat.h"

#include "common/base/status_macros.h"
#include "common/jwt/chain.h"
#include "common/nkeys/nkeys.h"
#include "controlplane/accounts/subject.h"

namespace lattice::accounts {
namespace {

absl::StatusOr<jwt::ExportType> ParseType(const std::string& type, std::string_view what) {
  if (type == "stream")
    return jwt::ExportType::kStream;
  if (type == "service")
    return jwt::ExportType::kService;
  return absl::InvalidArgumentError(absl::StrCat(
      std::string(what), ": type must be \"stream\" or \"service\", got \"", type, "\""));
}

int64_t LimitOr(bool has, int64_t value) {
  return has ? value : jwt::kNoLimit;
}

}  // namespace

absl::StatusOr<jwt::OperatorClaims> CheckOperatorJwt(std::string_view token, int64_t now) {
  LATTICE_ASSIGN_OR_RETURN(jwt::OperatorClaims op, jwt::DecodeOperator(token));
  LATTICE_RETURN_IF_ERROR(jwt::ValidateOperator(op, now));
  if (!op.nats.system_account.empty() &&
      !nkeys::IsValidPublicKey(op.nats.system_account, nkeys::KeyType::kAccount)) {
    return absl::InvalidArgumentError("operator: system_account is not an account public key");
  }
  return op;
}

absl::StatusOr<jwt::AccountClaims> CheckAccountJwt(const jwt::OperatorClaims& op,
                                                   std::string_view token, int64_t stored_issued_at,
                                                   int64_t now) {
  LATTICE_ASSIGN_OR_RETURN(jwt::AccountClaims account, jwt::DecodeAccount(token));
  LATTICE_RETURN_IF_ERROR(jwt::ValidateAccount(op, account, now));
  if (stored_issued_at != 0 && account.std.issued_at < stored_issued_at) {
    return absl::FailedPreconditionError(
        absl::StrCat("account ", account.std.subject, ": issued at ", account.std.issued_at,
                     ", older than the stored JWT (", stored_issued_at, ")"));
  }
  for (const jwt::Export& exp : account.nats.exports) {
    if (!IsValidSubject(exp.subject))
      return absl::InvalidArgumentError(absl::StrCat("export \"", exp.subject, "\": bad subject"));
  }
  return account;
}

absl::StatusOr<jwt::AccountClaims> ApplyAccountSpec(const control::v1::AccountSpec& spec,
                                                    jwt::AccountClaims base) {
  if (spec.name().empty())
    return absl::InvalidArgumentError("account name is required");
  base.std.name = spec.name();
  base.nats.description = spec.description();
  const auto& l = spec.limits();
  jwt::OperatorLimits& limits = base.nats.limits;
  limits.nats.subs = LimitOr(l.has_max_subscriptions(), l.max_subscriptions());
  limits.nats.data = LimitOr(l.has_max_data(), l.max_data());
  limits.nats.payload = LimitOr(l.has_max_payload(), l.max_payload());
  limits.account.conn = LimitOr(l.has_max_connections(), l.max_connections());
  limits.account.leaf = LimitOr(l.has_max_leaf_nodes(), l.max_leaf_nodes());
  limits.account.imports = LimitOr(l.has_max_imports(), l.max_imports());
  limits.account.exports = LimitOr(l.has_max_exports(), l.max_exports());

  base.nats.exports.clear();
  for (const auto& e : spec.exports()) {
    std::string what = absl::StrCat("export \"", e.subject(), "\"");
    if (!IsValidSubject(e.subject()))
      return absl::InvalidArgumentError(absl::StrCat(what, ": bad subject"));
    jwt::Export exp;
    LATTICE_ASSIGN_OR_RETURN(exp.type, ParseType(e.type(), what));
    exp.name = e.name().empty() ? e.subject() : e.name();
    exp.subject = e.subject();
    exp.token_req = e.token_required();
    base.nats.exports.push_back(std::move(exp));
  }
  base.nats.imports.clear();
  for (const auto& i : spec.imports()) {
    std::string what = absl::StrCat("import \"", i.subject(), "\"");
    if (!IsValidSubject(i.subject()))
      return absl::InvalidArgumentError(absl::StrCat(what, ": bad subject"));
    if (!i.local_subject().empty() && !IsValidSubject(i.local_subject()))
      return absl::InvalidArgumentError(absl::StrCat(what, ": bad local subject"));
    if (!nkeys::IsValidPublicKey(i.account(), nkeys::KeyType::kAccount))
      return absl::InvalidArgumentError(absl::StrCat(what, ": account is not an account key"));
    jwt::Import imp;
    LATTICE_ASSIGN_OR_RETURN(imp.type, ParseType(i.type(), what));
    imp.name = i.name().empty() ? i.subject() : i.name();
    imp.subject = i.subject();
    imp.account = i.account();
    imp.local_subject = i.local_subject();
    base.nats.imports.push_back(std::move(imp));
  }
  return base;
}

jwt::Json AccountPlanView(const jwt::AccountClaims& claims) {
  jwt::Json view = jwt::ToJson(claims);
  view.erase("iat");
  view.erase("jti");
  return view;
}

}  // namespace lattice::accounts
