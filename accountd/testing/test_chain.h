// Test-only operator/account/user chains built with common/jwt and common/nkeys.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/jwt/claims.h"
#include "common/nkeys/nkeys.h"

namespace lattice::accountd::testing {

// An operator with one signing key and a system account; helpers sign accounts and users.
// Aborts (LATTICE_CHECK) on a crypto failure: test setup, not input. Thread: test thread.
class TestOperator {
 public:
  TestOperator();

  const std::string& jwt() const { return operator_jwt_; }
  const std::string& public_key() const { return operator_key_.public_key().str(); }
  const std::string& system_account() const { return system_key_.public_key().str(); }
  const std::string& system_account_jwt() const { return system_jwt_; }

  // A fresh account key pair.
  static nkeys::KeyPair NewAccountKey();
  // Signs `claims` with the operator signing key (or the operator key itself when
  // `with_identity_key`) at `iat`.
  std::string SignAccount(jwt::AccountClaims& claims, int64_t iat = 0,
                          bool with_identity_key = false) const;
  // A minimal account JWT for `key` named `name`.
  std::string AccountJwt(const nkeys::KeyPair& key, const std::string& name, int64_t iat = 0) const;

  // A creds file text for a new user of `account` (signed by the account key); `user_key`
  // receives the user's public key when non-null.
  static std::string UserCreds(const nkeys::KeyPair& account, const std::string& name,
                               std::string* user_key = nullptr, int64_t iat = 0);
  // Creds for a user of the system account.
  std::string SystemUserCreds() const { return UserCreds(system_key_, "sys"); }

 private:
  nkeys::KeyPair operator_key_;
  nkeys::KeyPair signing_key_;
  nkeys::KeyPair system_key_;
  std::string operator_jwt_;
  std::string system_jwt_;
};

}  // namespace lattice::accountd::testing
