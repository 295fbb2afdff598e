// Test helper: an operator, accounts and users with real keys and signed JWTs.
#pragma once

#include <string>
#include <vector>

#include "gtest/gtest.h"

#include "common/jwt/claims.h"
#include "common/nkeys/nkeys.h"

namespace lattice::operator_mode::testing {

inline nkeys::KeyPair NewKey(nkeys::KeyType type) {
  auto kp = nkeys::KeyPair::Generate(type);
  EXPECT_TRUE(kp.ok());
  return *std::move(kp);
}

// A fixed "now" for deterministic tests (2026-11-27).
inline constexpr int64_t kNow = 1795737600;

// An operator identity key, a signing key and its claims. Thread: test thread.
struct TestOperator {
  nkeys::KeyPair key = NewKey(nkeys::KeyType::kOperator);
  nkeys::KeyPair signing = NewKey(nkeys::KeyType::kOperator);
  jwt::OperatorClaims claims =
      jwt::NewOperatorClaims(*nkeys::OperatorPublicKey::FromKey(key.public_key()));

  TestOperator() {
    claims.std.name = "op";
    claims.nats.signing_keys = {signing.public_key().str()};
  }
  std::string Jwt() {
    auto token = jwt::Encode(claims, key, kNow - 100);
    EXPECT_TRUE(token.ok()) << token.status();
    return *token;
  }
  const std::string& public_key() const { return key.public_key().str(); }
};

// An account with its key, a signing key and claims (signed by the operator's signing key).
struct TestAccount {
  explicit TestAccount(std::string name) { claims.std.name = std::move(name); }
  nkeys::KeyPair key = NewKey(nkeys::KeyType::kAccount);
  nkeys::KeyPair signing = NewKey(nkeys::KeyType::kAccount);
  jwt::AccountClaims claims =
      jwt::NewAccountClaims(*nkeys::AccountPublicKey::FromKey(key.public_key()));

  const std::string& public_key() const { return key.public_key().str(); }
  std::string Jwt(TestOperator& op, int64_t iat = kNow - 50) {
    auto token = jwt::Encode(claims, op.signing, iat);
    EXPECT_TRUE(token.ok()) << token.status();
    return *token;
  }
  void AddSigningKey() { claims.nats.signing_keys.push_back({signing.public_key().str(), {}, {}}); }

  // A user JWT signed by the account key (or its signing key when `by_signing_key`).
  std::string UserJwt(const nkeys::KeyPair& user, jwt::UserClaims* tweak = nullptr,
                      bool by_signing_key = false, int64_t iat = kNow - 10) {
    jwt::UserClaims u = tweak != nullptr
                            ? *tweak
                            : jwt::NewUserClaims(*nkeys::UserPublicKey::FromKey(user.public_key()));
    if (by_signing_key)
      u.nats.issuer_account = public_key();
    auto token = jwt::Encode(u, by_signing_key ? signing : key, iat);
    EXPECT_TRUE(token.ok()) << token.status();
    return *token;
  }
  // An activation for `importer` to import `subject` of `kind`, signed by `signer`.
  std::string Activation(const std::string& importer, const std::string& subject,
                         jwt::ExportType kind, const nkeys::KeyPair* signer = nullptr,
                         int64_t expires = 0, int64_t iat = kNow - 20) {
    auto act = jwt::NewActivationClaims(*nkeys::AccountPublicKey::Parse(importer));
    act.nats.subject = subject;
    act.nats.kind = kind;
    act.std.expires = expires;
    if (signer != nullptr && signer != &key)
      act.nats.issuer_account = public_key();
    auto token = jwt::Encode(act, signer != nullptr ? *signer : key, iat);
    EXPECT_TRUE(token.ok()) << token.status();
    return *token;
  }
};

inline jwt::Export ServiceExport(const std::string& subject, bool token_req = false) {
  jwt::Export e;
  e.subject = subject;
  e.type = jwt::ExportType::kService;
  e.token_req = token_req;
  return e;
}
inline jwt::Export StreamExport(const std::string& subject, bool token_req = false) {
  jwt::Export e = ServiceExport(subject, token_req);
  e.type = jwt::ExportType::kStream;
  return e;
}
inline jwt::Import MakeImport(const std::string& account, const std::string& subject,
                              jwt::ExportType type, const std::string& token = "") {
  jwt::Import i;
  i.account = account;
  i.subject = subject;
  i.type = type;
  i.token = token;
  return i;
}

}  // namespace lattice::operator_mode::testing
