// OperatorTrust: reading, decoding and validating the configured operator JWTs.
#include "dataplane/operator/operator_trust.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

#include "common/base/status_macros.h"
#include "common/creds/creds.h"
#include "common/files/files.h"
#include "common/jwt/chain.h"
#include "common/nkeys/nkeys.h"

namespace lattice::operator_mode {
namespace {

// An operator JWT file is small; anything much larger is a mistake, not a JWT.
constexpr size_t kMaxOperatorFileBytes = 1 << 20;
constexpr absl::string_view kJwtPrefix = "eyJ";

}  // namespace

absl::StatusOr<std::string> ReadOperatorValue(const std::string& value) {
  absl::StatusOr<std::string> contents = files::ReadFile(value, kMaxOperatorFileBytes);
  if (!contents.ok()) {
    if (!absl::StartsWith(value, kJwtPrefix))
      return contents.status();
    contents = value;  // inline JWT
  }
  return creds::ParseDecoratedJwt(*contents);
}

absl::StatusOr<OperatorTrust> OperatorTrust::FromOptionValues(
    const std::vector<std::string>& values, std::string_view system_account, int64_t now) {
  if (values.empty())
    return absl::InvalidArgumentError("operator: no operator JWT configured");
  OperatorTrust trust;
  for (size_t i = 0; i < values.size(); ++i) {
    std::string what = absl::StrCat(
        "operator[", i, "] ", absl::StartsWith(values[i], kJwtPrefix) ? "(inline)" : values[i]);
    absl::StatusOr<std::string> token = ReadOperatorValue(values[i]);
    if (!token.ok())
      return absl::InvalidArgumentError(absl::StrCat(what, ": ", token.status().message()));
    absl::StatusOr<jwt::OperatorClaims> claims = jwt::DecodeOperator(*token);
    if (!claims.ok())
      return absl::InvalidArgumentError(absl::StrCat(what, ": ", claims.status().message()));
    absl::Status valid = jwt::ValidateOperator(*claims, now);
    if (!valid.ok())
      return absl::InvalidArgumentError(absl::StrCat(what, ": ", valid.message()));
    trust.operators_.push_back({*std::move(token), *std::move(claims)});
  }
  if (!system_account.empty()) {
    trust.system_account_ = std::string(system_account);
  } else if (trust.operators_.size() == 1) {
    trust.system_account_ = trust.operators_[0].claims.nats.system_account;
  }
  if (!trust.system_account_.empty() &&
      !nkeys::IsValidPublicKey(trust.system_account_, nkeys::KeyType::kAccount)) {
    return absl::InvalidArgumentError(
        absl::StrCat("system_account '", trust.system_account_,
                     "' is not an account public key (operator mode names accounts by key)"));
  }
  return trust;
}

absl::StatusOr<size_t> OperatorTrust::ValidateAccount(const jwt::AccountClaims& account,
                                                      int64_t now) const {
  absl::Status last = absl::PermissionDeniedError("no trusted operator");
  for (size_t i = 0; i < operators_.size(); ++i) {
    absl::Status s = jwt::ValidateAccount(operators_[i].claims, account, now);
    if (s.ok())
      return i;
    // An issuer match with a time-bound failure is the more useful reason.
    if (s.code() != absl::StatusCode::kPermissionDenied ||
        last.code() == absl::StatusCode::kPermissionDenied)
      last = s;
  }
  return last;
}

}  // namespace lattice::operator_mode
