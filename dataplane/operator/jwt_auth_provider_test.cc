// JwtAuthProvider: accepted users and the auth-bypass matrix, each refusal with its reason.
#include "dataplane/operator/jwt_auth_provider.h"

#include <map>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

#include "common/jwt/chain.h"
#include "dataplane/operator/test_keys.h"

namespace lattice::operator_mode {
namespace {

using testing::kNow;
using testing::NewKey;
using testing::TestAccount;
using testing::TestOperator;

constexpr std::string_view kNonce = "n0nce-from-INFO";

// Validated account claims by key, as OperatorMode would hand them out.
class FakeLookup : public AccountClaimsLookup {
 public:
  std::shared_ptr<const jwt::AccountClaims> FindAccount(const std::string& account,
                                                        std::string* why) const override {
    auto it = accounts_.find(account);
    if (it == accounts_.end()) {
      *why = "not found";
      return nullptr;
    }
    return it->second;
  }
  void Add(const std::string& token) {
    auto claims = jwt::DecodeAccount(token);
    ASSERT_TRUE(claims.ok()) << claims.status();
    accounts_[claims->std.subject] = std::make_shared<const jwt::AccountClaims>(*claims);
  }

 private:
  std::map<std::string, std::shared_ptr<const jwt::AccountClaims>> accounts_;
};

std::string SignNonce(const nkeys::KeyPair& user, std::string_view nonce = kNonce) {
  auto sig = user.Sign(nonce);
  EXPECT_TRUE(sig.ok());
  std::string out;
  absl::WebSafeBase64Escape(*sig, &out);
  return out;
}

class JwtAuthProviderTest : public ::testing::Test {
 protected:
  JwtAuthProviderTest() {
    auto trust = OperatorTrust::FromOptionValues({op_.Jwt()}, "", kNow);
    EXPECT_TRUE(trust.ok()) << trust.status();
    trust_ = std::make_shared<const OperatorTrust>(*std::move(trust));
    account_.AddSigningKey();
    Publish();
  }
  // (Re)publishes the account JWT to the lookup.
  void Publish() { lookup_.Add(account_.Jwt(op_)); }

  jwt::UserClaims NewUser(const nkeys::KeyPair& user) {
    return jwt::NewUserClaims(*nkeys::UserPublicKey::FromKey(user.public_key()));
  }

  JwtAuthResult Auth(const std::string& user_jwt, const std::string& sig, ClientContext ctx = {},
                     std::string_view nonce = kNonce) {
    connect_.jwt = user_jwt;
    connect_.sig = sig;
    JwtAuthProvider provider(trust_, &lookup_, [this] { return now_; });
    return provider.AuthenticateJwt({&connect_, nonce}, ctx, now_);
  }
  // A user JWT (optionally tweaked) signed by the account, and its nonce signature.
  JwtAuthResult AuthUser(jwt::UserClaims* tweak = nullptr, bool by_signing_key = false,
                         ClientContext ctx = {}) {
    return Auth(account_.UserJwt(user_, tweak, by_signing_key), SignNonce(user_), ctx);
  }

  TestOperator op_;
  TestAccount account_{"A"};
  nkeys::KeyPair user_ = NewKey(nkeys::KeyType::kUser);
  std::shared_ptr<const OperatorTrust> trust_;
  FakeLookup lookup_;
  auth::ConnectOptions connect_;
  int64_t now_ = kNow;
};

#define EXPECT_REFUSED(result, reason)                                                            \
  do {                                                                                            \
    JwtAuthResult r_ = (result);                                                                  \
    EXPECT_EQ(r_.failure, (reason)) << "got " << JwtFailureName(r_.failure) << ": " << r_.detail; \
    EXPECT_EQ(ConnectErrorText(r_.failure), "Authorization Violation");                           \
    EXPECT_EQ(r_.identity.permissions, nullptr);                                                  \
  } while (0)

TEST_F(JwtAuthProviderTest, AcceptsAUserSignedByTheAccount) {
  jwt::UserClaims u = NewUser(user_);
  u.std.name = "alice";
  u.std.expires = kNow + 600;
  JwtAuthResult r = AuthUser(&u);
  ASSERT_TRUE(r.ok()) << JwtFailureName(r.failure) << ": " << r.detail;
  EXPECT_EQ(r.identity.user, user_.public_key().str());
  EXPECT_EQ(r.identity.account, account_.public_key());
  EXPECT_EQ(r.account, account_.public_key());
  EXPECT_TRUE(r.issuer_account.empty());
  EXPECT_EQ(r.name, "alice");
  EXPECT_EQ(r.issued_at, kNow - 10);
  EXPECT_EQ(r.expires_unix, kNow + 600);
  EXPECT_EQ(r.identity.permissions, nullptr);  // no permissions: everything allowed
}

TEST_F(JwtAuthProviderTest, AcceptsAUserSignedByAnAccountSigningKey) {
  JwtAuthResult r = AuthUser(nullptr, /*by_signing_key=*/true);
  ASSERT_TRUE(r.ok()) << r.detail;
  EXPECT_EQ(r.issuer_account, account_.public_key());
  EXPECT_EQ(r.signing_key, account_.signing.public_key().str());
}

TEST_F(JwtAuthProviderTest, AcceptsStandardBase64Signatures) {
  std::string sig;
  absl::Base64Escape(*user_.Sign(kNonce), &sig);
  EXPECT_TRUE(Auth(account_.UserJwt(user_), sig).ok());
}

// --- The auth-bypass matrix. ---

TEST_F(JwtAuthProviderTest, RefusesNoCredentials) {
  EXPECT_REFUSED(Auth("", ""), JwtFailure::kNoJwt);
  JwtAuthProvider provider(trust_, &lookup_, [] { return kNow; });
  auth::ConnectOptions empty;
  auth::Identity identity;
  auth::AuthFailure failure = auth::AuthFailure::kNone;
  EXPECT_EQ(provider.Authenticate({&empty, kNonce}, &identity, &failure),
            auth::AuthProvider::Verdict::kRejected);
  EXPECT_EQ(failure, auth::AuthFailure::kNoCredentials);
  EXPECT_TRUE(provider.NeedsNonce());
}

TEST_F(JwtAuthProviderTest, RefusesAWrongSignatureOverTheNonce) {
  std::string jwt = account_.UserJwt(user_);
  EXPECT_REFUSED(Auth(jwt, SignNonce(user_, "another-nonce")), JwtFailure::kBadSignature);
  nkeys::KeyPair other = NewKey(nkeys::KeyType::kUser);
  EXPECT_REFUSED(Auth(jwt, SignNonce(other)), JwtFailure::kBadSignature);
  EXPECT_REFUSED(Auth(jwt, "!!not base64!!"), JwtFailure::kBadSignature);
  // No nonce was sent in INFO: nothing can be verified.
  EXPECT_REFUSED(Auth(jwt, SignNonce(user_), {}, ""), JwtFailure::kMissingSignature);
}

TEST_F(JwtAuthProviderTest, RefusesATamperedJwt) {
  std::string jwt = account_.UserJwt(user_);
  size_t dot = jwt.find('.');
  jwt[dot + 7] = jwt[dot + 7] == 'x' ? 'y' : 'x';
  EXPECT_REFUSED(Auth(jwt, SignNonce(user_)), JwtFailure::kBadJwt);
  EXPECT_REFUSED(Auth("garbage", SignNonce(user_)), JwtFailure::kBadJwt);
  // An account JWT presented as a user JWT.
  EXPECT_REFUSED(Auth(account_.Jwt(op_), SignNonce(user_)), JwtFailure::kBadJwt);
}

TEST_F(JwtAuthProviderTest, RefusesAUserJwtForAnotherAccount) {
  // Account B is trusted, but the user claims A (issuer_account) while B's key signed it.
  TestAccount b("B");
  lookup_.Add(b.Jwt(op_));
  jwt::UserClaims u = NewUser(user_);
  u.nats.issuer_account = account_.public_key();
  auto token = jwt::Encode(u, b.key, kNow - 10);
  ASSERT_TRUE(token.ok());
  EXPECT_REFUSED(Auth(*token, SignNonce(user_)), JwtFailure::kUntrustedIssuer);
}

TEST_F(JwtAuthProviderTest, RefusesAUserOfAnAccountFromAnotherOperator) {
  TestOperator stranger_op;
  TestAccount foreign("FOREIGN");
  lookup_.Add(foreign.Jwt(stranger_op));  // even if a lookup hands it out
  EXPECT_REFUSED(Auth(foreign.UserJwt(user_), SignNonce(user_)), JwtFailure::kUnknownAccount);
  TestAccount unknown("UNKNOWN");
  EXPECT_REFUSED(Auth(unknown.UserJwt(user_), SignNonce(user_)), JwtFailure::kUnknownAccount);
}

TEST_F(JwtAuthProviderTest, RefusesAUserSignedByAnUnrelatedKey) {
  nkeys::KeyPair rogue = NewKey(nkeys::KeyType::kAccount);
  jwt::UserClaims u = NewUser(user_);
  u.nats.issuer_account = account_.public_key();  // pretends to be A's signing key
  auto token = jwt::Encode(u, rogue, kNow - 10);
  ASSERT_TRUE(token.ok());
  EXPECT_REFUSED(Auth(*token, SignNonce(user_)), JwtFailure::kUntrustedIssuer);
}

TEST_F(JwtAuthProviderTest, RefusesExpiredAndNotYetValidUsers) {
  jwt::UserClaims u = NewUser(user_);
  u.std.expires = kNow;
  EXPECT_REFUSED(AuthUser(&u), JwtFailure::kUserExpired);
  u.std.expires = 0;
  u.std.not_before = kNow + 60;
  EXPECT_REFUSED(AuthUser(&u), JwtFailure::kUserNotYetValid);
}

TEST_F(JwtAuthProviderTest, RefusesAnExpiredAccount) {
  account_.claims.std.expires = kNow - 1;
  Publish();
  EXPECT_REFUSED(AuthUser(), JwtFailure::kAccountExpired);
}

TEST_F(JwtAuthProviderTest, RefusesRevokedUsers) {
  account_.claims.nats.revocations[user_.public_key().str()] = kNow - 10;  // = the user's iat
  Publish();
  EXPECT_REFUSED(AuthUser(), JwtFailure::kRevoked);
  account_.claims.nats.revocations.clear();
  account_.claims.nats.revocations["*"] = kNow;
  Publish();
  EXPECT_REFUSED(AuthUser(), JwtFailure::kRevoked);
  // Revoked before the JWT was issued: a re-issued JWT gets in.
  account_.claims.nats.revocations["*"] = kNow - 11;
  Publish();
  EXPECT_TRUE(AuthUser().ok());
}

TEST_F(JwtAuthProviderTest, BearerTokens) {
  jwt::UserClaims u = NewUser(user_);
  // Not a bearer token: a signature is required.
  EXPECT_REFUSED(Auth(account_.UserJwt(user_, &u), ""), JwtFailure::kMissingSignature);
  u.nats.permissions.bearer_token = true;
  JwtAuthResult r = Auth(account_.UserJwt(user_, &u), "");
  ASSERT_TRUE(r.ok()) << r.detail;
  EXPECT_TRUE(r.bearer);
  account_.claims.nats.limits.account.disallow_bearer = true;
  Publish();
  EXPECT_REFUSED(Auth(account_.UserJwt(user_, &u), ""), JwtFailure::kBearerNotAllowed);
}

TEST_F(JwtAuthProviderTest, ConnectionTypesSourcesAndTimes) {
  jwt::UserClaims u = NewUser(user_);
  u.nats.permissions.allowed_connection_types = {"WEBSOCKET"};
  EXPECT_REFUSED(AuthUser(&u), JwtFailure::kConnectionTypeDenied);
  EXPECT_TRUE(AuthUser(&u, false, {"", "WEBSOCKET"}).ok());

  u = NewUser(user_);
  u.nats.permissions.src = {"192.168.0.0/16"};
  EXPECT_REFUSED(AuthUser(&u, false, {"10.0.0.1"}), JwtFailure::kSourceDenied);
  EXPECT_REFUSED(AuthUser(&u), JwtFailure::kSourceDenied);  // address unknown
  EXPECT_TRUE(AuthUser(&u, false, {"192.168.4.2"}).ok());

  u = NewUser(user_);
  now_ = kNow + 1800;  // 00:30 UTC
  u.nats.permissions.times = {{"10:00:00", "11:00:00"}};
  EXPECT_REFUSED(AuthUser(&u), JwtFailure::kOutsideTimeWindow);
  u.nats.permissions.times = {{"00:00:00", "01:00:00"}};
  JwtAuthResult r = AuthUser(&u);
  ASSERT_TRUE(r.ok()) << r.detail;
  EXPECT_EQ(r.expires_unix, kNow + 3600);  // disconnect when the window closes
}

TEST_F(JwtAuthProviderTest, UserPermissionsAndAccountDefaults) {
  jwt::UserClaims u = NewUser(user_);
  u.nats.permissions.permissions.pub.allow = {"orders.>"};
  u.nats.permissions.permissions.sub.deny = {"secret.>"};
  JwtAuthResult r = AuthUser(&u);
  ASSERT_TRUE(r.ok());
  ASSERT_NE(r.identity.permissions, nullptr);
  EXPECT_TRUE(r.identity.permissions->PublishAllowedStatic("orders.new"));
  EXPECT_FALSE(r.identity.permissions->PublishAllowedStatic("billing.new"));
  EXPECT_FALSE(r.identity.permissions->SubscribeAllowedStatic("secret.x", ""));

  account_.claims.nats.default_permissions.pub.deny = {"admin.>"};
  Publish();
  r = AuthUser();
  ASSERT_TRUE(r.ok());
  ASSERT_NE(r.identity.permissions, nullptr);
  EXPECT_FALSE(r.identity.permissions->PublishAllowedStatic("admin.x"));
  EXPECT_TRUE(r.identity.permissions->PublishAllowedStatic("orders.x"));
}

TEST_F(JwtAuthProviderTest, ScopedSigningKeysApplyTheirTemplate) {
  jwt::UserScope scope;
  scope.role = "team";
  scope.templ.permissions.pub.allow = {"{{name()}}.>"};
  account_.claims.nats.signing_keys[0].scope = scope;
  Publish();
  jwt::UserClaims u = NewUser(user_);
  u.nats.permissions = {};  // as nsc issues scoped users: no limits of their own at all
  u.std.name = "bob";
  JwtAuthResult r = AuthUser(&u, /*by_signing_key=*/true);
  ASSERT_TRUE(r.ok()) << r.detail;
  ASSERT_NE(r.identity.permissions, nullptr);
  EXPECT_TRUE(r.identity.permissions->PublishAllowedStatic("bob.x"));
  EXPECT_FALSE(r.identity.permissions->PublishAllowedStatic("alice.x"));
  // A scoped user may not carry its own permissions (it could widen the scope).
  u.nats.permissions.permissions.pub.allow = {">"};
  EXPECT_REFUSED(AuthUser(&u, true), JwtFailure::kBadPermissions);
}

// The plain AuthProvider path carries the client address, connection type and the JWT fields
// the server needs (revocation and expiry) through auth::AuthRequest / auth::Identity.
TEST_F(JwtAuthProviderTest, AuthProviderInterfaceLosesNothing) {
  jwt::UserClaims u = NewUser(user_);
  u.std.name = "carol";
  u.std.expires = kNow + 600;
  u.nats.permissions.src = {"192.168.0.0/16"};
  u.nats.permissions.allowed_connection_types = {"STANDARD"};
  connect_.jwt = account_.UserJwt(user_, &u, /*by_signing_key=*/true);
  connect_.sig = SignNonce(user_);
  JwtAuthProvider provider(trust_, &lookup_, [this] { return now_; });
  auth::AuthRequest request{&connect_, kNonce};
  auth::Identity identity;
  auth::AuthFailure failure = auth::AuthFailure::kNone;
  request.client_ip = "10.1.1.1";
  EXPECT_EQ(provider.Authenticate(request, &identity, &failure),
            auth::AuthProvider::Verdict::kRejected);
  EXPECT_EQ(failure, auth::AuthFailure::kNotAllowedHere);
  request.client_ip = "192.168.7.7";
  request.connection_type = "WEBSOCKET";
  EXPECT_EQ(provider.Authenticate(request, &identity, &failure),
            auth::AuthProvider::Verdict::kRejected);
  request.connection_type = "STANDARD";
  ASSERT_EQ(provider.Authenticate(request, &identity, &failure),
            auth::AuthProvider::Verdict::kAccepted);
  EXPECT_EQ(identity.user_public_key, user_.public_key().str());
  EXPECT_EQ(identity.account, account_.public_key());
  EXPECT_EQ(identity.issuer_account, account_.public_key());
  EXPECT_EQ(identity.name, "carol");
  EXPECT_EQ(identity.expires_unix, kNow + 600);
  EXPECT_GT(identity.issued_at_unix, 0);
}

TEST(JwtFailureTest, NamesAndMappings) {
  for (int f = 0; f <= static_cast<int>(JwtFailure::kBadPermissions); ++f)
    EXPECT_NE(JwtFailureName(static_cast<JwtFailure>(f)), "unknown");
  EXPECT_EQ(ToAuthFailure(JwtFailure::kNone), auth::AuthFailure::kNone);
  EXPECT_EQ(ToAuthFailure(JwtFailure::kBadSignature), auth::AuthFailure::kBadSignature);
  EXPECT_EQ(ToAuthFailure(JwtFailure::kRevoked), auth::AuthFailure::kRevoked);
  EXPECT_EQ(ToAuthFailure(JwtFailure::kUserExpired), auth::AuthFailure::kExpired);
  EXPECT_EQ(ToAuthFailure(JwtFailure::kAccountExpired), auth::AuthFailure::kUnknownAccount);
  EXPECT_EQ(ToAuthFailure(JwtFailure::kSourceDenied), auth::AuthFailure::kNotAllowedHere);
  for (auto f : {auth::AuthFailure::kExpired, auth::AuthFailure::kRevoked,
                 auth::AuthFailure::kUnknownAccount, auth::AuthFailure::kNotAllowedHere})
    EXPECT_NE(auth::AuthFailureName(f), "unknown");
  EXPECT_EQ(kUserExpiredText, "User Authentication Expired");
}

}  // namespace
}  // namespace lattice::operator_mode
