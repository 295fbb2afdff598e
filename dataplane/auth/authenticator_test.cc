// Tests for the auth policy: which options require auth, and CONNECT credentials -> Identity.
#include "dataplane/auth/authenticator.h"

#include <string>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

#include "common/nkeys/nkeys.h"

namespace lattice::auth {
namespace {

constexpr char kNatsPass[] = "IW@$6v(y1(t@fhPDvf!5^%";
constexpr char kNatsPassHash[] = "$2a$04$Q.CgCP2Sl9pkcTXEZHazaeMwPaAkSHk7AI51HkyMt5iJQQyUA4qxq";
constexpr char kNatsTokenHash[] = "$2a$05$3sSWEVA1eMCbV0hWavDjXOx.ClBjI6u1CuUdLqf22cbJjXsnzz8/.";

std::shared_ptr<const Authenticator> Make(const options::Options& o) {
  auto a = Authenticator::Create(o);
  EXPECT_TRUE(a.ok()) << a.status();
  return a.ok() ? *a : nullptr;
}

AuthOutcome Auth(const Authenticator& a, ConnectOptions c, std::string_view nonce = {}) {
  return a.Authenticate(AuthRequest{&c, nonce});
}

ConnectOptions UserPass(std::string user, std::string pass) {
  ConnectOptions c;
  c.user = std::move(user);
  c.pass = std::move(pass);
  return c;
}

ConnectOptions Token(std::string token) {
  ConnectOptions c;
  c.auth_token = std::move(token);
  return c;
}

options::User U(std::string name, std::string pass) {
  options::User u;
  u.username = std::move(name);
  u.password = std::move(pass);
  return u;
}

TEST(AuthenticatorTest, NoAuthConfiguredAcceptsEveryone) {
  auto a = Make({});
  EXPECT_FALSE(a->auth_required());
  EXPECT_FALSE(a->advertise_auth_required());
  EXPECT_FALSE(a->NeedsNonce());
  AuthOutcome out = Auth(*a, UserPass("whoever", "x"));  // credentials ignored
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out.identity.user, "");
  EXPECT_EQ(out.identity.account, "$G");
  EXPECT_EQ(out.identity.permissions, nullptr);
}

TEST(AuthenticatorTest, AccountInConnectRefused) {
  auto a = Make({});
  ConnectOptions c;
  c.account = "ACC";
  EXPECT_EQ(Auth(*a, c).failure, AuthFailure::kAccountNotAllowed);
  ConnectOptions n;
  n.new_account = true;
  EXPECT_EQ(Auth(*a, n).failure, AuthFailure::kAccountNotAllowed);
  options::Options o;
  o.auth_token = "t";
  ConnectOptions t = Token("t");
  t.account = "ACC";
  EXPECT_EQ(Auth(*Make(o), t).failure, AuthFailure::kAccountNotAllowed);
}

TEST(AuthenticatorTest, SingleUser) {
  options::Options o;
  o.username = "derek";
  o.password = "s3cr3t";
  auto a = Make(o);
  EXPECT_TRUE(a->auth_required());
  EXPECT_TRUE(a->advertise_auth_required());
  AuthOutcome ok = Auth(*a, UserPass("derek", "s3cr3t"));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok.identity.user, "derek");
  EXPECT_EQ(ok.identity.account, "$G");
  EXPECT_EQ(Auth(*a, UserPass("derek", "wrong")).failure, AuthFailure::kBadPassword);
  EXPECT_EQ(Auth(*a, UserPass("other", "s3cr3t")).failure, AuthFailure::kUnknownUser);
  EXPECT_EQ(Auth(*a, {}).failure, AuthFailure::kNoCredentials);
  EXPECT_FALSE(Auth(*a, Token("s3cr3t")).ok());
  EXPECT_FALSE(a->warnings().empty());  // plaintext password
}

TEST(AuthenticatorTest, SingleUserBcrypt) {
  options::Options o;
  o.username = "derek";
  o.password = kNatsPassHash;
  auto a = Make(o);
  EXPECT_TRUE(Auth(*a, UserPass("derek", kNatsPass)).ok());
  EXPECT_FALSE(Auth(*a, UserPass("derek", kNatsPassHash)).ok());
  EXPECT_TRUE(a->warnings().empty());
}

TEST(AuthenticatorTest, TokenPlainAndBcrypt) {
  options::Options o;
  o.auth_token = "s3cr3t";
  auto a = Make(o);
  EXPECT_TRUE(a->auth_required());
  EXPECT_TRUE(Auth(*a, Token("s3cr3t")).ok());
  EXPECT_EQ(Auth(*a, Token("nope")).failure, AuthFailure::kBadPassword);
  EXPECT_EQ(Auth(*a, {}).failure, AuthFailure::kNoCredentials);
  EXPECT_FALSE(Auth(*a, UserPass("s3cr3t", "s3cr3t")).ok());
  o.auth_token = kNatsTokenHash;  // resolves to "test"
  auto b = Make(o);
  EXPECT_TRUE(Auth(*b, Token("test")).ok());
  EXPECT_FALSE(Auth(*b, Token(kNatsTokenHash)).ok());
}

TEST(AuthenticatorTest, TokenWinsOverSingleUser) {
  options::Options o;
  o.auth_token = "tok";
  o.username = "u";
  o.password = "p";
  auto a = Make(o);
  EXPECT_TRUE(Auth(*a, Token("tok")).ok());
  EXPECT_FALSE(Auth(*a, UserPass("u", "p")).ok());  // nats-server checks only the token
}

TEST(AuthenticatorTest, UsersListWithPermissions) {
  options::Options o;
  options::User alice = U("alice", "pa");
  alice.permissions = options::Permissions{};
  alice.permissions->publish.allow = {"alice.>"};
  o.users = {alice, U("bob", kNatsPassHash)};
  options::Permissions def;
  def.subscribe.deny = {"secret.>"};
  o.default_permissions = def;
  auto a = Make(o);
  EXPECT_TRUE(a->auth_required());

  AuthOutcome al = Auth(*a, UserPass("alice", "pa"));
  ASSERT_TRUE(al.ok());
  EXPECT_EQ(al.identity.user, "alice");
  ASSERT_NE(al.identity.permissions, nullptr);
  ConnectionPermissions ap(al.identity.permissions);
  EXPECT_TRUE(ap.CanPublish("alice.x", PermTime()));
  EXPECT_FALSE(ap.CanPublish("bob.x", PermTime()));
  EXPECT_TRUE(ap.CanSubscribe("secret.x"));  // own permissions replace the defaults

  AuthOutcome bo = Auth(*a, UserPass("bob", kNatsPass));
  ASSERT_TRUE(bo.ok());
  ConnectionPermissions bp(bo.identity.permissions);
  EXPECT_FALSE(bp.CanSubscribe("secret.x"));  // default_permissions
  EXPECT_TRUE(bp.CanPublish("anything", PermTime()));

  // The compiled permissions are shared by every connection of the user.
  EXPECT_EQ(Auth(*a, UserPass("alice", "pa")).identity.permissions, al.identity.permissions);

  EXPECT_EQ(Auth(*a, UserPass("alice", "pb")).failure, AuthFailure::kBadPassword);
  EXPECT_EQ(Auth(*a, UserPass("carol", "pa")).failure, AuthFailure::kUnknownUser);
  EXPECT_EQ(Auth(*a, {}).failure, AuthFailure::kNoCredentials);
  EXPECT_EQ(Auth(*a, Token("pa")).failure, AuthFailure::kNoCredentials);
}

TEST(AuthenticatorTest, UserAccountPassedThrough) {
  options::Options o;
  options::User u = U("a", "p");
  u.account = "TEAM";
  o.users = {u};
  AuthOutcome out = Auth(*Make(o), UserPass("a", "p"));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out.identity.account, "TEAM");
}

TEST(AuthenticatorTest, NoAuthUser) {
  options::Options o;
  o.users = {U("anon", kNatsPassHash), U("admin", "adm")};
  o.no_auth_user = "anon";
  auto a = Make(o);
  EXPECT_TRUE(a->auth_required());
  EXPECT_FALSE(a->advertise_auth_required());  // nats-server leaves INFO auth_required off
  AuthOutcome out = Auth(*a, {});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out.identity.user, "anon");
  EXPECT_TRUE(Auth(*a, UserPass("admin", "adm")).ok());
  // Any credential sent means no fallback.
  EXPECT_FALSE(Auth(*a, UserPass("admin", "bad")).ok());
  ConnectOptions pass_only;
  pass_only.pass = "x";
  EXPECT_FALSE(Auth(*a, pass_only).ok());
  EXPECT_FALSE(Auth(*a, Token("x")).ok());
}

TEST(AuthenticatorTest, ConfigErrors) {
  options::Options o;
  o.users = {U("a", "p")};
  o.no_auth_user = "ghost";
  EXPECT_FALSE(Authenticator::Create(o).ok());
  o.no_auth_user.clear();
  o.users.push_back(U("a", "q"));
  EXPECT_FALSE(Authenticator::Create(o).ok());  // duplicate user
  o.users = {U("a", "p")};
  o.auth_token = "t";
  EXPECT_FALSE(Authenticator::Create(o).ok());
  o.auth_token.clear();
  o.username = "x";
  EXPECT_FALSE(Authenticator::Create(o).ok());
  o.username.clear();
  o.users = {U("", "p")};
  EXPECT_FALSE(Authenticator::Create(o).ok());
  options::User bad_nkey;
  bad_nkey.nkey = "UNOTAKEY";
  o.users = {bad_nkey};
  EXPECT_FALSE(Authenticator::Create(o).ok());
}

TEST(AuthenticatorTest, InvalidPermissionEntriesBecomeWarnings) {
  options::Options o;
  options::User u = U("a", "$2a$04$Q.CgCP2Sl9pkcTXEZHazaeMwPaAkSHk7AI51HkyMt5iJQQyUA4qxq");
  u.permissions = options::Permissions{};
  u.permissions->publish.allow = {"ok", "bad..subject"};
  o.users = {u};
  auto a = Make(o);
  ASSERT_EQ(a->warnings().size(), 1u);
  EXPECT_NE(a->warnings()[0].find("bad..subject"), std::string::npos);
}

TEST(AuthenticatorTest, NkeyUsers) {
  auto kp = nkeys::KeyPair::Generate(nkeys::KeyType::kUser);
  ASSERT_TRUE(kp.ok());
  auto other = nkeys::KeyPair::Generate(nkeys::KeyType::kUser);
  ASSERT_TRUE(other.ok());
  options::Options o;
  options::User nu;
  nu.nkey = kp->public_key().str();
  nu.permissions = options::Permissions{};
  nu.permissions->publish.deny = {">"};
  o.users = {nu, U("pw", "pw")};
  auto a = Make(o);
  EXPECT_TRUE(a->auth_required());
  EXPECT_TRUE(a->NeedsNonce());

  std::string nonce = GenerateNonce();
  EXPECT_EQ(nonce.size(), 15u);
  EXPECT_NE(nonce, GenerateNonce());
  auto sig = kp->Sign(nonce);
  ASSERT_TRUE(sig.ok());

  ConnectOptions c;
  c.nkey = kp->public_key().str();
  absl::WebSafeBase64Escape(*sig, &c.sig);
  AuthOutcome out = Auth(*a, c, nonce);
  ASSERT_TRUE(out.ok()) << AuthFailureName(out.failure);
  EXPECT_EQ(out.identity.user, kp->public_key().str());
  ConnectionPermissions p(out.identity.permissions);
  EXPECT_FALSE(p.CanPublish("x", PermTime()));

  // Standard base64 (with padding) is accepted too.
  ConnectOptions std_b64 = c;
  absl::Base64Escape(*sig, &std_b64.sig);
  EXPECT_TRUE(Auth(*a, std_b64, nonce).ok());

  // Wrong nonce, missing nonce, garbage signature, someone else's key.
  EXPECT_EQ(Auth(*a, c, "othernonce12345").failure, AuthFailure::kBadSignature);
  EXPECT_EQ(Auth(*a, c, "").failure, AuthFailure::kBadSignature);
  ConnectOptions garbage = c;
  garbage.sig = "!!!";
  EXPECT_EQ(Auth(*a, garbage, nonce).failure, AuthFailure::kBadSignature);
  ConnectOptions stranger = c;
  stranger.nkey = other->public_key().str();
  EXPECT_EQ(Auth(*a, stranger, nonce).failure, AuthFailure::kUnknownUser);

  // Password users still work beside nkey users.
  EXPECT_TRUE(Auth(*a, UserPass("pw", "pw")).ok());
}

class FakeProvider final : public AuthProvider {
 public:
  Verdict Authenticate(const AuthRequest& req, Identity* identity,
                       AuthFailure* failure) const override {
    if (req.connect->jwt.empty()) {
      return Verdict::kNotMine;
    }
    if (req.connect->jwt == "good") {
      identity->user = "jwt-user";
      identity->account = "AJWT";
      return Verdict::kAccepted;
    }
    *failure = AuthFailure::kBadSignature;
    return Verdict::kRejected;
  }
  bool NeedsNonce() const override { return true; }
};

TEST(AuthenticatorTest, ExtraProvidersSlotInFirst) {
  std::vector<std::unique_ptr<AuthProvider>> extra;
  extra.push_back(std::make_unique<FakeProvider>());
  options::Options o;
  o.users = {U("a", "p")};
  auto a = Authenticator::Create(o, std::move(extra), /*extra_requires_auth=*/true);
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE((*a)->NeedsNonce());
  ConnectOptions good;
  good.jwt = "good";
  AuthOutcome out = Auth(**a, good);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out.identity.account, "AJWT");
  ConnectOptions bad;
  bad.jwt = "bad";
  bad.user = "a";
  bad.pass = "p";
  EXPECT_EQ(Auth(**a, bad).failure, AuthFailure::kBadSignature);  // first claimant decides
  EXPECT_TRUE(Auth(**a, UserPass("a", "p")).ok());
}

TEST(AuthenticatorTest, ExtraProviderAloneRequiresAuth) {
  std::vector<std::unique_ptr<AuthProvider>> extra;
  extra.push_back(std::make_unique<FakeProvider>());
  auto a = Authenticator::Create({}, std::move(extra), true);
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE((*a)->auth_required());
  EXPECT_EQ(Auth(**a, {}).failure, AuthFailure::kNoCredentials);
}

TEST(AuthenticatorTest, NullConnectFails) {
  auto a = Make({});
  EXPECT_FALSE(a->Authenticate(AuthRequest{}).ok());
}

}  // namespace
}  // namespace lattice::auth

namespace lattice::auth {
namespace {

AuthOutcome AuthCert(const Authenticator& a, ConnectOptions c,
                     const std::vector<tls::PeerIdentity>& names) {
  AuthRequest request{&c, {}};
  request.certificate_identities = &names;
  return a.Authenticate(request);
}

TEST(AuthenticatorTest, VerifyAndMapUsesCertificateNamesInOrder) {
  options::Options o;
  o.users = {U("alice@acme.test", ""), U("CN=bob,O=Acme", ""), U("carol", "secret")};
  auto a = Make(o);
  using tls::IdentityKind;
  // The first name that is a configured user wins; CONNECT's user and password are ignored.
  AuthOutcome out = AuthCert(
      *a, UserPass("carol", "secret"),
      {{IdentityKind::kEmail, "alice@acme.test"}, {IdentityKind::kSubjectDn, "CN=alice,O=Acme"}});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out.identity.user, "alice@acme.test");
  // The subject DN matches a user written with its RDNs in another order.
  out = AuthCert(
      *a, {}, {{IdentityKind::kDns, "bob.acme.test"}, {IdentityKind::kSubjectDn, "O=Acme,CN=bob"}});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out.identity.user, "CN=bob,O=Acme");
  // A DNS name that spells a DN is not compared as one.
  out = AuthCert(*a, {}, {{IdentityKind::kDns, "O=Acme,CN=bob"}});
  EXPECT_EQ(out.failure, AuthFailure::kUnknownUser);
  // No configured name: refused even with valid CONNECT credentials.
  out = AuthCert(*a, UserPass("carol", "secret"), {{IdentityKind::kSubjectDn, "CN=dave"}});
  EXPECT_EQ(out.failure, AuthFailure::kUnknownUser);
  out = AuthCert(*a, UserPass("carol", "secret"), {});
  EXPECT_EQ(out.failure, AuthFailure::kUnknownUser);
  // Without certificate names (mapping off) the password path is unchanged.
  EXPECT_TRUE(Auth(*a, UserPass("carol", "secret")).ok());
}

}  // namespace
}  // namespace lattice::auth
