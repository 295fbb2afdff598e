// Test helpers: fresh operator/account keys and claims.
#pragma once

#include <string>

#include "gtest/gtest.h"

#include "common/jwt/claims.h"
#include "common/nkeys/nkeys.h"

namespace lattice::accounts::testing {

inline nkeys::KeyPair NewKey(nkeys::KeyType type) {
  auto kp = nkeys::KeyPair::Generate(type);
  EXPECT_TRUE(kp.ok());
  return *std::move(kp);
}

inline jwt::AccountClaims NewAccount(const nkeys::KeyPair& kp, const std::string& name) {
  jwt::AccountClaims claims =
      jwt::NewAccountClaims(*nkeys::AccountPublicKey::FromKey(kp.public_key()));
  claims.std.name = name;
  claims.std.subject = kp.public_key().str();
  return claims;
}

}  // namespace lattice::accounts::testing
