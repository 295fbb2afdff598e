// Test helper: an operator with accounts, and AccountsBundle protos built from them.
#pragma once

#include <string>

#include "gtest/gtest.h"

#include "common/jwt/claims.h"
#include "common/nkeys/nkeys.h"
#include "lattice/control/v1/node_sync.pb.h"

namespace lattice::agent::testing {

namespace v1 = ::lattice::control::v1;

inline nkeys::KeyPair NewKey(nkeys::KeyType type) {
  auto kp = nkeys::KeyPair::Generate(type);
  EXPECT_TRUE(kp.ok());
  return *std::move(kp);
}

// An operator identity key and its self-signed JWT, optionally listing signing keys.
// Thread: test thread.
struct TestOperator {
  nkeys::KeyPair key = NewKey(nkeys::KeyType::kOperator);
  std::string Jwt(const std::vector<std::string>& signing_keys = {}) const {
    auto claims = jwt::NewOperatorClaims(*nkeys::OperatorPublicKey::FromKey(key.public_key()));
    claims.std.name = "op";
    claims.nats.signing_keys = signing_keys;
    return *jwt::Encode(claims, key);
  }
  const std::string& public_key() const { return key.public_key().str(); }
};

// An account JWT for `account`, signed by `signer` (the operator or one of its signing keys).
inline std::string AccountJwt(const nkeys::KeyPair& account, const std::string& name,
                              const nkeys::KeyPair& signer, int64_t expires = 0) {
  auto claims = jwt::NewAccountClaims(*nkeys::AccountPublicKey::FromKey(account.public_key()));
  claims.std.name = name;
  claims.std.expires = expires;
  return *jwt::Encode(claims, signer);
}

inline v1::Account* AddAccount(v1::AccountsBundle* bundle, const nkeys::KeyPair& account,
                               const std::string& name, const std::string& token) {
  v1::Account* out = bundle->add_accounts();
  out->set_public_key(account.public_key().str());
  out->set_name(name);
  out->set_jwt(token);
  return out;
}

inline v1::AccountsBundle NewBundle(const TestOperator& op, const std::string& version) {
  v1::AccountsBundle bundle;
  bundle.set_version(version);
  bundle.mutable_operator_()->set_public_key(op.public_key());
  bundle.mutable_operator_()->set_jwt(op.Jwt());
  return bundle;
}

}  // namespace lattice::agent::testing
