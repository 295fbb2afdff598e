// TestOperator: key generation and signing for accountd tests.
#include "accountd/testing/test_chain.h"

#include "common/base/check.h"
#include "common/creds/creds.h"

namespace lattice::accountd::testing {
namespace {

template <typename T>
T Must(absl::StatusOr<T> value) {
  LATTICE_CHECK(value.ok());
  return *std::move(value);
}

int64_t IatOrNow(int64_t iat) {
  return iat != 0 ? iat : jwt::NowSeconds();
}

}  // namespace

TestOperator::TestOperator()
    : operator_key_(Must(nkeys::KeyPair::Generate(nkeys::KeyType::kOperator))),
      signing_key_(Must(nkeys::KeyPair::Generate(nkeys::KeyType::kOperator))),
      system_key_(NewAccountKey()) {
  jwt::OperatorClaims op =
      jwt::NewOperatorClaims(*nkeys::OperatorPublicKey::FromKey(operator_key_.public_key()));
  op.std.name = "TEST";
  op.nats.signing_keys = {signing_key_.public_key().str()};
  op.nats.system_account = system_key_.public_key().str();
  operator_jwt_ = Must(jwt::Encode(op, operator_key_));
  system_jwt_ = AccountJwt(system_key_, "SYS");
}

nkeys::KeyPair TestOperator::NewAccountKey() {
  return Must(nkeys::KeyPair::Generate(nkeys::KeyType::kAccount));
}

std::string TestOperator::SignAccount(jwt::AccountClaims& claims, int64_t iat,
                                      bool with_identity_key) const {
  return Must(jwt::Encode(claims, with_identity_key ? operator_key_ : signing_key_, IatOrNow(iat)));
}

std::string TestOperator::AccountJwt(const nkeys::KeyPair& key, const std::string& name,
                                     int64_t iat) const {
  jwt::AccountClaims claims =
      jwt::NewAccountClaims(*nkeys::AccountPublicKey::FromKey(key.public_key()));
  claims.std.name = name;
  return SignAccount(claims, iat);
}

std::string TestOperator::UserCreds(const nkeys::KeyPair& account, const std::string& name,
                                    std::string* user_key, int64_t iat) {
  nkeys::KeyPair user = Must(nkeys::KeyPair::Generate(nkeys::KeyType::kUser));
  jwt::UserClaims claims = jwt::NewUserClaims(*nkeys::UserPublicKey::FromKey(user.public_key()));
  claims.std.name = name;
  const std::string token = Must(jwt::Encode(claims, account, IatOrNow(iat)));
  if (user_key != nullptr)
    *user_key = user.public_key().str();
  return std::string(Must(creds::FormatUserCreds(token, user)).view());
}

}  // namespace lattice::accountd::testing
