// Test-time trust chains for the operator-mode e2e suite: an operator, accounts and users with
// fresh keys (common/nkeys) and JWTs (common/jwt) issued against the real clock, and the
// operator-mode config text both servers load.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

#include "common/jwt/claims.h"
#include "common/nkeys/nkeys.h"

namespace lattice::e2e::operator_keys {

inline nkeys::KeyPair NewKey(nkeys::KeyType type) {
  auto kp = nkeys::KeyPair::Generate(type);
  EXPECT_TRUE(kp.ok());
  return *std::move(kp);
}

// base64url of the key's signature of `nonce`, as clients put in CONNECT "sig".
inline std::string SignNonce(const nkeys::KeyPair& key, std::string_view nonce) {
  auto sig = key.Sign(nonce);
  EXPECT_TRUE(sig.ok());
  std::string out;
  absl::WebSafeBase64Escape(sig.ok() ? *sig : std::string(), &out);
  return out;
}

// An account: identity key, claims and its JWT signed by the operator. Thread: test thread.
struct Account {
  explicit Account(std::string name) {
    claims.std.name = std::move(name);
    claims.nats.limits = jwt::OperatorLimits::Unlimited();
  }
  nkeys::KeyPair key = NewKey(nkeys::KeyType::kAccount);
  jwt::AccountClaims claims =
      jwt::NewAccountClaims(*nkeys::AccountPublicKey::FromKey(key.public_key()));
  const std::string& pub() const { return key.public_key().str(); }

  // A user JWT for `user` issued now by this account (or by `signer` when given). `scoped`:
  // no permissions or limits at all, as a scoped signing key requires (nsc does the same).
  std::string UserJwt(const nkeys::KeyPair& user, int64_t expires = 0,
                      const nkeys::KeyPair* signer = nullptr, bool scoped = false) const {
    jwt::UserClaims u = jwt::NewUserClaims(*nkeys::UserPublicKey::FromKey(user.public_key()));
    if (scoped) {
      u.nats.permissions = jwt::UserPermissionLimits{};
    }
    u.std.expires = expires;
    if (signer != nullptr) {
      u.nats.issuer_account = pub();
    }
    auto token = jwt::Encode(u, signer != nullptr ? *signer : key);
    EXPECT_TRUE(token.ok()) << token.status();
    return token.ok() ? *token : "";
  }
  // An activation token granting `importer` the export `subject` of `kind`.
  std::string Activation(const std::string& importer, const std::string& subject,
                         jwt::ExportType kind) const {
    auto act = jwt::NewActivationClaims(*nkeys::AccountPublicKey::Parse(importer));
    act.nats.subject = subject;
    act.nats.kind = kind;
    auto token = jwt::Encode(act, key);
    EXPECT_TRUE(token.ok()) << token.status();
    return token.ok() ? *token : "";
  }
};

// An operator with a system account; accounts are signed by the operator key. Thread: test.
struct Operator {
  Operator() : sys("SYS") {
    claims.std.name = "e2e-op";
    claims.nats.system_account = sys.pub();
  }
  nkeys::KeyPair key = NewKey(nkeys::KeyType::kOperator);
  jwt::OperatorClaims claims =
      jwt::NewOperatorClaims(*nkeys::OperatorPublicKey::FromKey(key.public_key()));
  Account sys;

  std::string Jwt() {
    auto token = jwt::Encode(claims, key);
    EXPECT_TRUE(token.ok()) << token.status();
    return token.ok() ? *token : "";
  }
  // The account's JWT, issued `iat_offset` seconds from now (later updates need a later iat).
  std::string AccountJwt(Account& account, int64_t iat_offset = 0) {
    auto token = jwt::Encode(account.claims, key, jwt::NowSeconds() + iat_offset);
    EXPECT_TRUE(token.ok()) << token.status();
    return token.ok() ? *token : "";
  }
  // operator + system_account + `resolver` (MEMORY preloads every account in `preload`).
  std::string Config(const std::map<std::string, std::string>& preload,
                     const std::string& resolver = "MEMORY") {
    std::string text = absl::StrCat("operator: ", Jwt(), "\nsystem_account: ", sys.pub(),
                                    "\nresolver: ", resolver, "\n");
    if (!preload.empty()) {
      absl::StrAppend(&text, "resolver_preload: {\n");
      for (const auto& [k, v] : preload) {
        absl::StrAppend(&text, "  ", k, ": ", v, "\n");
      }
      absl::StrAppend(&text, "}\n");
    }
    return text;
  }
};

}  // namespace lattice::e2e::operator_keys
