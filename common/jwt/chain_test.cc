// Unit tests for trust-chain validation: issuers, signing keys, strict mode, times, revocations,
// scoped signing keys with templates, activations.
#include "common/jwt/chain.h"

#include <string>

#include "gtest/gtest.h"

namespace lattice::jwt {
namespace {

using nkeys::KeyPair;
using nkeys::KeyType;

constexpr int64_t kNow = 1800000000;

KeyPair Gen(KeyType type) {
  return *KeyPair::Generate(type);
}

// Decodes what Encode produced, so tests exercise the same path as real tokens.
template <typename C, typename D>
C RoundTrip(C claims, const KeyPair& signer, D decode, int64_t iat = kNow - 100) {
  absl::StatusOr<std::string> token = Encode(claims, signer, iat);
  EXPECT_TRUE(token.ok()) << token.status();
  absl::StatusOr<C> back = decode(*token);
  EXPECT_TRUE(back.ok()) << back.status();
  return *back;
}

class ChainTest : public ::testing::Test {
 protected:
  ChainTest() {
    OperatorClaims o = NewOperatorClaims(*nkeys::OperatorPublicKey::FromKey(op_.public_key()));
    o.nats.signing_keys = {op_sk_.public_key().str()};
    op_claims_ = RoundTrip(o, op_, DecodeOperator);
    AccountClaims a = NewAccountClaims(*nkeys::AccountPublicKey::FromKey(acc_.public_key()));
    a.std.name = "ACME";
    a.generic.tags = {"region:eu"};
    a.nats.signing_keys = {SigningKey{acc_sk_.public_key().str(), std::nullopt}};
    UserScope scope;
    scope.role = "dev";
    scope.templ.permissions.pub.allow = {"svc.{{name()}}.>", "r.{{account-tag(region)}}",
                                         "t.{{tag(team)}}.{{subject()}}"};
    scope.templ.permissions.sub.allow = {"in.{{tag(missing)}}"};
    scope.templ.permissions.sub.deny = {"deny.{{account-name()}}"};
    a.nats.signing_keys.push_back(SigningKey{acc_scoped_.public_key().str(), scope});
    account_ = a;
  }
  AccountClaims Account(const KeyPair& signer) {
    return RoundTrip(account_, signer, DecodeAccount);
  }
  UserClaims User(const KeyPair& signer, int64_t iat = kNow - 100) {
    UserClaims u = NewUserClaims(*nkeys::UserPublicKey::FromKey(usr_.public_key()));
    u.std.name = "alice";
    if (signer.public_key() != acc_.public_key())
      u.nats.issuer_account = acc_.public_key().str();
    return RoundTrip(u, signer, DecodeUser, iat);
  }

  KeyPair op_ = Gen(KeyType::kOperator);
  KeyPair op_sk_ = Gen(KeyType::kOperator);
  KeyPair acc_ = Gen(KeyType::kAccount);
  KeyPair acc_sk_ = Gen(KeyType::kAccount);
  KeyPair acc_scoped_ = Gen(KeyType::kAccount);
  KeyPair usr_ = Gen(KeyType::kUser);
  OperatorClaims op_claims_;
  AccountClaims account_;
};

TEST_F(ChainTest, AccountByOperatorOrItsSigningKey) {
  EXPECT_TRUE(ValidateOperator(op_claims_, kNow).ok());
  EXPECT_TRUE(ValidateAccount(op_claims_, Account(op_), kNow).ok());
  EXPECT_TRUE(ValidateAccount(op_claims_, Account(op_sk_), kNow).ok());
  KeyPair stranger = Gen(KeyType::kOperator);
  absl::Status s = ValidateAccount(op_claims_, Account(stranger), kNow);
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(s.message().find("not signed by a trusted operator key"), std::string::npos);
}

TEST_F(ChainTest, StrictOperatorRequiresSigningKeys) {
  op_claims_.nats.strict_signing_key_usage = true;
  EXPECT_FALSE(ValidateAccount(op_claims_, Account(op_), kNow).ok());
  AccountClaims acc = Account(op_sk_);
  EXPECT_TRUE(ValidateAccount(op_claims_, acc, kNow).ok());
  EXPECT_FALSE(ValidateUser(op_claims_, acc, User(acc_), kNow).ok());
  EXPECT_TRUE(ValidateUser(op_claims_, acc, User(acc_sk_), kNow).ok());
}

TEST_F(ChainTest, OperatorMustBeSelfSigned) {
  OperatorClaims o = NewOperatorClaims(*nkeys::OperatorPublicKey::FromKey(op_.public_key()));
  OperatorClaims other = RoundTrip(o, Gen(KeyType::kOperator), DecodeOperator);
  EXPECT_EQ(ValidateOperator(other, kNow).code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(ChainTest, UserByAccountOrSigningKey) {
  AccountClaims acc = Account(op_);
  absl::StatusOr<UserPermissionLimits> p = ValidateUser(op_claims_, acc, User(acc_), kNow);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(ValidateUser(op_claims_, acc, User(acc_sk_), kNow).ok());
  KeyPair stranger = Gen(KeyType::kAccount);
  absl::StatusOr<UserPermissionLimits> bad = ValidateUser(op_claims_, acc, User(stranger), kNow);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("is not signed by account"), std::string::npos);
}

TEST_F(ChainTest, SigningKeyUserNeedsIssuerAccount) {
  AccountClaims acc = Account(op_);
  UserClaims u = NewUserClaims(*nkeys::UserPublicKey::FromKey(usr_.public_key()));
  UserClaims decoded = RoundTrip(u, acc_sk_, DecodeUser);
  absl::StatusOr<UserPermissionLimits> p = ValidateUser(op_claims_, acc, decoded, kNow);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("issuer_account"), std::string::npos);
}

TEST_F(ChainTest, ExpiredAndNotYetValid) {
  AccountClaims acc = Account(op_);
  UserClaims u = User(acc_);
  u.std.expires = kNow;
  absl::StatusOr<UserPermissionLimits> p = ValidateUser(op_claims_, acc, u, kNow);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(p.status().message(), "jwt: user has expired");
  u.std.expires = kNow + 1;
  EXPECT_TRUE(ValidateUser(op_claims_, acc, u, kNow).ok());
  u.std.not_before = kNow + 10;
  EXPECT_EQ(ValidateUser(op_claims_, acc, u, kNow).status().message(),
            "jwt: user is not yet valid");
  acc.std.expires = kNow - 1;
  EXPECT_EQ(ValidateAccount(op_claims_, acc, kNow).message(), "jwt: account has expired");
}

TEST_F(ChainTest, RevokedUsers) {
  AccountClaims acc = Account(op_);
  UserClaims u = User(acc_, kNow - 100);
  acc.nats.revocations[usr_.public_key().str()] = kNow - 100;  // revokes tokens issued at or before
  absl::StatusOr<UserPermissionLimits> p = ValidateUser(op_claims_, acc, u, kNow);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("has been revoked"), std::string::npos);
  UserClaims newer = User(acc_, kNow - 99);
  EXPECT_TRUE(ValidateUser(op_claims_, acc, newer, kNow).ok());
  acc.nats.revocations.clear();
  acc.nats.revocations["*"] = kNow - 50;
  EXPECT_FALSE(ValidateUser(op_claims_, acc, newer, kNow).ok());
  EXPECT_TRUE(IsRevoked({{"*", 10}}, "U", 10));
  EXPECT_FALSE(IsRevoked({{"*", 10}}, "U", 11));
}

TEST_F(ChainTest, BearerDisallowedByAccount) {
  AccountClaims acc = Account(op_);
  acc.nats.limits.account.disallow_bearer = true;
  UserClaims u = User(acc_);
  u.nats.permissions.bearer_token = true;
  EXPECT_FALSE(ValidateUser(op_claims_, acc, u, kNow).ok());
}

TEST_F(ChainTest, ScopedSigningKeyAppliesExpandedTemplate) {
  AccountClaims acc = Account(op_);
  UserClaims u = NewUserClaims(*nkeys::UserPublicKey::FromKey(usr_.public_key()));
  u.std.name = "alice";
  u.generic.tags = {"team:blue", "team:red"};
  u.nats.issuer_account = acc_.public_key().str();
  u.nats.permissions.limits = {};  // scoped users carry no limits at all
  UserClaims decoded = RoundTrip(u, acc_scoped_, DecodeUser);
  absl::StatusOr<UserPermissionLimits> p = ValidateUser(op_claims_, acc, decoded, kNow);
  ASSERT_TRUE(p.ok()) << p.status();
  std::string sub = usr_.public_key().str();
  EXPECT_EQ(p->permissions.pub.allow,
            (std::vector<std::string>{"svc.alice.>", "r.eu", "t.blue." + sub, "t.red." + sub}));
  // The sub allow list expanded to nothing: everything is denied instead of allowed.
  EXPECT_TRUE(p->permissions.sub.allow.empty());
  EXPECT_EQ(p->permissions.sub.deny, (std::vector<std::string>{"deny.ACME", ">"}));
}

TEST_F(ChainTest, ScopedUserWithOwnPermissionsIsRejected) {
  AccountClaims acc = Account(op_);
  UserClaims u = NewUserClaims(*nkeys::UserPublicKey::FromKey(usr_.public_key()));
  u.nats.issuer_account = acc_.public_key().str();
  u.nats.permissions.permissions.pub.allow = {">"};
  UserClaims decoded = RoundTrip(u, acc_scoped_, DecodeUser);
  absl::StatusOr<UserPermissionLimits> p = ValidateUser(op_claims_, acc, decoded, kNow);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("scoped users require no permissions"), std::string::npos);
}

TEST_F(ChainTest, ActivationsAndTheirRevocation) {
  KeyPair importer = Gen(KeyType::kAccount);
  Export e;
  e.subject = "svc.>";
  e.type = ExportType::kService;
  e.token_req = true;
  account_.nats.exports = {e};
  AccountClaims acc = Account(op_);
  ActivationClaims a =
      NewActivationClaims(*nkeys::AccountPublicKey::FromKey(importer.public_key()));
  a.nats.subject = "svc.help";
  a.nats.kind = ExportType::kService;
  ActivationClaims act = RoundTrip(a, acc_, DecodeActivation);
  EXPECT_TRUE(ValidateActivation(acc, act, kNow).ok());
  // Wrong kind or subject matches no export.
  ActivationClaims wrong = act;
  wrong.nats.kind = ExportType::kStream;
  EXPECT_FALSE(ValidateActivation(acc, wrong, kNow).ok());
  wrong = act;
  wrong.nats.subject = "other";
  EXPECT_FALSE(ValidateActivation(acc, wrong, kNow).ok());
  // Signed by a stranger.
  ActivationClaims forged = RoundTrip(a, Gen(KeyType::kAccount), DecodeActivation);
  EXPECT_FALSE(ValidateActivation(acc, forged, kNow).ok());
  // Revoked through the export.
  acc.nats.exports[0].revocations[importer.public_key().str()] = kNow;
  absl::Status s = ValidateActivation(acc, act, kNow);
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(s.message().find("revoked"), std::string::npos);
  // Expired.
  acc.nats.exports[0].revocations.clear();
  act.std.expires = kNow - 1;
  EXPECT_EQ(ValidateActivation(acc, act, kNow).message(), "jwt: activation has expired");
}

TEST_F(ChainTest, ValidateChainFromTokens) {
  OperatorClaims o = op_claims_;
  std::string op_jwt = *Encode(o, op_, kNow - 10);
  AccountClaims a = account_;
  std::string acc_jwt = *Encode(a, op_, kNow - 10);
  UserClaims u = NewUserClaims(*nkeys::UserPublicKey::FromKey(usr_.public_key()));
  u.nats.permissions.permissions.pub.allow = {"x"};
  std::string user_jwt = *Encode(u, acc_, kNow - 10);
  absl::StatusOr<UserPermissionLimits> p = ValidateChain(op_jwt, acc_jwt, user_jwt, kNow);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->permissions.pub.allow, std::vector<std::string>{"x"});
  EXPECT_FALSE(ValidateChain(op_jwt, acc_jwt, acc_jwt, kNow).ok());
  EXPECT_FALSE(ValidateChain(op_jwt, acc_jwt, user_jwt + "x", kNow).ok());
}

}  // namespace
}  // namespace lattice::jwt
