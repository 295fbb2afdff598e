// Server operator-mode wiring: start-up checks, INFO nonce, JWT CONNECT on the auth pool,
// live revocation through OperatorMode, claims updates from a system-account user, and the
// reload rules.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

#include "dataplane/operator/test_keys.h"
#include "dataplane/server/test_client.h"

namespace lattice::server {
namespace {

using operator_mode::testing::NewKey;
using operator_mode::testing::TestAccount;
using operator_mode::testing::TestOperator;
using testing::RawClient;
using testing::TestOptions;

std::string SignNonce(const nkeys::KeyPair& key, std::string_view nonce) {
  auto sig = key.Sign(nonce);
  EXPECT_TRUE(sig.ok());
  std::string out;
  absl::WebSafeBase64Escape(sig.ok() ? *sig : "", &out);
  return out;
}

// Sends a JWT CONNECT signed over the INFO nonce; returns what came back before PONG/close.
std::string JwtConnect(RawClient& c, const std::string& user_jwt, const nkeys::KeyPair& key) {
  std::string info = c.ReadInfo();
  size_t start = info.find('{');
  nlohmann::json parsed = nlohmann::json::parse(info.substr(start), nullptr, false);
  std::string nonce = parsed.is_object() ? parsed.value("nonce", "") : "";
  EXPECT_FALSE(nonce.empty()) << info;
  nlohmann::json connect = {{"verbose", false}, {"jwt", user_jwt}, {"sig", SignNonce(key, nonce)}};
  c.Send(absl::StrCat("CONNECT ", connect.dump(), "\r\n"));
  return c.Sync();
}

class ServerOperatorTest : public ::testing::Test {
 protected:
  ServerOperatorTest() { op_.claims.nats.system_account = sys_.public_key(); }
  options::Options Options() {
    options::Options o = TestOptions();
    o.operators = {op_.Jwt()};
    o.resolver = "MEMORY";
    o.resolver_preload[sys_.public_key()] = sys_.Jwt(op_, jwt::NowSeconds() - 50);
    o.resolver_preload[a_.public_key()] = a_.Jwt(op_, jwt::NowSeconds() - 50);
    return o;
  }
  std::string UserJwt(TestAccount& account, const nkeys::KeyPair& user) {
    return account.UserJwt(user, nullptr, false, jwt::NowSeconds() - 10);
  }

  TestOperator op_;
  TestAccount sys_{"SYS"};
  TestAccount a_{"A"};
};

TEST_F(ServerOperatorTest, ConfigErrorsRefuseStart) {
  options::Options no_operator = TestOptions();
  no_operator.resolver = "MEMORY";
  EXPECT_FALSE(Server::CheckOperatorConfig(no_operator).ok());
  Server s1(no_operator);
  EXPECT_FALSE(s1.Start().ok());

  options::Options bad = Options();
  bad.operators = {"eyJnot-a-jwt"};
  absl::Status check = Server::CheckOperatorConfig(bad);
  EXPECT_TRUE(absl::StrContains(check.message(), "operator mode configuration")) << check;
  Server s2(bad);
  EXPECT_FALSE(s2.Start().ok());

  options::Options bad_preload = Options();
  bad_preload.resolver_preload[a_.public_key()] = "garbage";
  EXPECT_FALSE(Server::CheckOperatorConfig(bad_preload).ok());

  EXPECT_TRUE(Server::CheckOperatorConfig(TestOptions()).ok());
  EXPECT_TRUE(Server::CheckOperatorConfig(Options()).ok());
}

TEST_F(ServerOperatorTest, JwtUserConnectsAndIsRevokedLive) {
  std::unique_ptr<Server> server = testing::StartServer(Options());
  ASSERT_NE(server->operator_mode(), nullptr);
  nkeys::KeyPair user = NewKey(nkeys::KeyType::kUser);
  RawClient c(server->port());
  std::string reply = JwtConnect(c, UserJwt(a_, user), user);
  EXPECT_EQ(reply.find("-ERR"), std::string::npos) << reply;

  // Wrong key signs the nonce: refused.
  nkeys::KeyPair other = NewKey(nkeys::KeyType::kUser);
  RawClient bad(server->port());
  EXPECT_NE(JwtConnect(bad, UserJwt(a_, user), other).find("Authorization Violation"),
            std::string::npos);

  // A pushed account JWT revoking the user closes it.
  a_.claims.nats.revocations[user.public_key().str()] = jwt::NowSeconds() + 5;
  ASSERT_TRUE(server->operator_mode()->ApplyAccountJwt(a_.Jwt(op_, jwt::NowSeconds())).ok());
  std::string rest;
  ASSERT_TRUE(c.WaitForClose(&rest));
  EXPECT_NE(rest.find("User Authentication Revoked"), std::string::npos) << rest;
}

TEST_F(ServerOperatorTest, SystemUserClaimsUpdateIsAnswered) {
  std::unique_ptr<Server> server = testing::StartServer(Options());
  nkeys::KeyPair sys_user = NewKey(nkeys::KeyType::kUser);
  RawClient c(server->port());
  ASSERT_EQ(JwtConnect(c, UserJwt(sys_, sys_user), sys_user).find("-ERR"), std::string::npos);
  a_.claims.std.name = "A2";
  std::string update = a_.Jwt(op_, jwt::NowSeconds());
  c.Send(absl::StrCat("SUB reply.1 1\r\nPUB $SYS.ACCOUNT.", a_.public_key(),
                      ".CLAIMS.UPDATE reply.1 ", update.size(), "\r\n", update, "\r\n"));
  // A is not loaded yet (no client needed it): skipped and not stored, as nats-server.
  std::string got = c.ReadUntil("jwt update skipped");
  EXPECT_NE(got.find("jwt update skipped"), std::string::npos) << got;
  // A lookup loads A from the resolver (its preload, not the skipped update)...
  c.Send(absl::StrCat("SUB lookup.1 2\r\nPUB $SYS.REQ.ACCOUNT.", a_.public_key(),
                      ".CLAIMS.LOOKUP lookup.1 0\r\n\r\n"));
  got = c.ReadUntil("MSG lookup.1 2");
  ASSERT_NE(got.find("MSG lookup.1 2"), std::string::npos) << got;
  const std::string preloaded = server->operator_mode()->HeldJwt(a_.public_key());
  EXPECT_FALSE(preloaded.empty());
  EXPECT_NE(preloaded, update);
  // ...after which the same update is applied, and the lookup answers with it.
  c.Send(absl::StrCat("PUB $SYS.ACCOUNT.", a_.public_key(), ".CLAIMS.UPDATE reply.1 ",
                      update.size(), "\r\n", update, "\r\n"));
  got = c.ReadUntil("jwt updated");
  EXPECT_NE(got.find("jwt updated"), std::string::npos) << got;
  c.Send(
      absl::StrCat("PUB $SYS.REQ.ACCOUNT.", a_.public_key(), ".CLAIMS.LOOKUP lookup.1 0\r\n\r\n"));
  got = c.ReadUntil(update);
  EXPECT_NE(got.find(update), std::string::npos) << got;
  EXPECT_EQ(server->operator_mode()->HeldJwt(a_.public_key()), update);
}

TEST_F(ServerOperatorTest, ReloadKeepsOperatorAndResolver) {
  std::unique_ptr<Server> server = testing::StartServer(Options());
  options::Options changed = Options();
  changed.resolver = "URL(http://127.0.0.1:1/)";
  changed.resolver_preload.clear();
  EXPECT_FALSE(server->Reload(changed).ok());
  options::Options plain = TestOptions();
  EXPECT_FALSE(server->Reload(plain).ok());
  EXPECT_TRUE(server->Reload(Options()).ok());
}

// Connects a fresh user of `account`; the client and its key stay alive with the test.
struct Connected {
  nkeys::KeyPair key = NewKey(nkeys::KeyType::kUser);
  std::unique_ptr<RawClient> client;
};

class ServerOperatorLimitsTest : public ServerOperatorTest {
 protected:
  // The -ERR line precedes the close, but a close with the PUB's payload still unread can
  // reset the socket before the client reads it; the reason recorded for /connz is certain.
  // `count`: how many payload violations the server should have recorded by now.
  void ExpectPayloadViolation(RawClient& client, int count = 1) {
    std::string rest;
    ASSERT_TRUE(client.WaitForClose(&rest));
    EXPECT_TRUE(rest.empty() || rest.find("-ERR 'Maximum Payload Violation'") != std::string::npos)
        << rest;
    // Recorded at the end of the closing loop's iteration, just after the socket closed.
    EXPECT_TRUE(testing::Eventually([&] {
      int seen = 0;
      for (const ClosedConnection& c : server_->RecentlyClosed()) {
        seen += c.reason == CloseReason::kMaxPayloadExceeded ? 1 : 0;
      }
      return seen >= count;
    }));
  }
  // A user of A connected with `user_jwt_tweak` (null: a plain user). Fails the test when the
  // CONNECT is refused.
  Connected Connect(Server& server, jwt::UserClaims* tweak = nullptr) {
    Connected c;
    c.client = std::make_unique<RawClient>(server.port());
    if (tweak != nullptr) {
      tweak->std.subject = c.key.public_key().str();
    }
    std::string reply =
        JwtConnect(*c.client, a_.UserJwt(c.key, tweak, false, jwt::NowSeconds() - 10), c.key);
    EXPECT_EQ(reply.find("-ERR"), std::string::npos) << reply;
    return c;
  }
  // Pushes A's current claims as a newer JWT.
  void PushA(int64_t iat_offset = 0) {
    ASSERT_TRUE(server_->operator_mode()
                    ->ApplyAccountJwt(a_.Jwt(op_, jwt::NowSeconds() + iat_offset))
                    .ok());
  }
  std::unique_ptr<Server> server_;
};

// nats-server (updateAccountClaimsWithRefresh) sorts the account's clients newest first and
// closes every one from index max_connections on: the newest stay.
TEST_F(ServerOperatorLimitsTest, LoweringMaxConnectionsClosesTheOldest) {
  server_ = testing::StartServer(Options());
  Connected c1 = Connect(*server_);
  Connected c2 = Connect(*server_);
  Connected c3 = Connect(*server_);
  ASSERT_EQ(server_->context().registry().Find(a_.public_key())->connections().load(), 3);
  a_.claims.nats.limits.account.conn = 1;
  PushA();
  for (Connected* old : {&c1, &c2}) {
    std::string rest;
    ASSERT_TRUE(old->client->WaitForClose(&rest));
    EXPECT_NE(rest.find("-ERR 'maximum account active connections exceeded'"), std::string::npos)
        << rest;
  }
  EXPECT_EQ(c3.client->Sync().find("-ERR"), std::string::npos);
  EXPECT_EQ(server_->context().registry().Find(a_.public_key())->connections().load(), 1);
  // Full now: a new CONNECT is refused at once.
  Connected refused;
  RawClient extra(server_->port());
  EXPECT_NE(JwtConnect(extra, a_.UserJwt(refused.key, nullptr, false, jwt::NowSeconds() - 10),
                       refused.key)
                .find("maximum account active connections exceeded"),
            std::string::npos);
  std::vector<ClosedConnection> closed = server_->RecentlyClosed();
  int over = 0;
  for (const ClosedConnection& c : closed) {
    over += c.reason == CloseReason::kMaxAccountConnectionsExceeded ? 1 : 0;
  }
  EXPECT_GE(over, 2);
}

// Subscription and payload limits follow an update on live connections: a connection at or
// over the new subscription limit is closed (even exactly at it, as nats-server's
// subsAtLimit), the others get -ERR on the SUB past it; a publish above the new max_payload
// is a Maximum Payload Violation.
TEST_F(ServerOperatorLimitsTest, LiveSubscriptionAndPayloadLimits) {
  server_ = testing::StartServer(Options());
  Connected busy = Connect(*server_);
  Connected calm = Connect(*server_);
  busy.client->Send("SUB a 1\r\nSUB b 2\r\n");
  EXPECT_EQ(busy.client->Sync().find("-ERR"), std::string::npos);
  calm.client->Send("SUB a 1\r\n");
  EXPECT_EQ(calm.client->Sync().find("-ERR"), std::string::npos);
  a_.claims.nats.limits.nats.subs = 2;
  a_.claims.nats.limits.nats.payload = 8;
  PushA();
  std::string rest;
  ASSERT_TRUE(busy.client->WaitForClose(&rest));
  EXPECT_NE(rest.find("-ERR 'maximum subscriptions exceeded'"), std::string::npos) << rest;
  calm.client->Send("SUB b 2\r\nSUB c 3\r\n");
  std::string got = calm.client->Sync();
  EXPECT_NE(got.find("-ERR 'maximum subscriptions exceeded'"), std::string::npos) << got;
  calm.client->Send("PUB a 8\r\n12345678\r\n");
  EXPECT_EQ(calm.client->Sync().find("-ERR"), std::string::npos);
  calm.client->Send("PUB a 9\r\n123456789\r\n");
  ExpectPayloadViolation(*calm.client);
  bool saw_subs_reason = false;
  for (const ClosedConnection& c : server_->RecentlyClosed()) {
    if (c.reason == CloseReason::kMaxSubscriptionsExceeded) {
      saw_subs_reason = true;
      // Recorded with the subscriptions it had when it closed.
      EXPECT_EQ(c.snapshot.subscription_count, 2u);
    }
  }
  EXPECT_TRUE(saw_subs_reason);
}

// applyAccountLimits: the user JWT's own limits, lowered by the account's and the server's.
TEST_F(ServerOperatorLimitsTest, UserJwtLimitsCombineWithTheAccount) {
  a_.claims.nats.limits.nats.payload = 16;
  server_ = testing::StartServer(Options());
  jwt::UserClaims u = jwt::NewUserClaims(
      *nkeys::UserPublicKey::Parse(NewKey(nkeys::KeyType::kUser).public_key().str()));
  u.nats.permissions.limits.subs = 1;
  u.nats.permissions.limits.payload = 100;
  Connected c = Connect(*server_, &u);
  c.client->Send("SUB a 1\r\nSUB b 2\r\n");
  std::string got = c.client->Sync();
  EXPECT_NE(got.find("-ERR 'maximum subscriptions exceeded'"), std::string::npos) << got;
  c.client->Send("PUB a 17\r\n12345678901234567\r\n");
  ExpectPayloadViolation(*c.client);

  // Raising the account's payload limit leaves the user's own (100) in force.
  a_.claims.nats.limits.nats.payload = -1;
  PushA();
  Connected d = Connect(*server_, &u);
  std::string big(100, 'x');
  d.client->Send(absl::StrCat("PUB a 100\r\n", big, "\r\n"));
  EXPECT_EQ(d.client->Sync().find("-ERR"), std::string::npos);
  d.client->Send(absl::StrCat("PUB a 101\r\n", big, "x\r\n"));
  ExpectPayloadViolation(*d.client, 2);
}

// An account JWT's expiry closes its live connections (nats-server's expiredTimeout) and
// refuses new ones.
TEST_F(ServerOperatorLimitsTest, AccountJwtExpiryClosesItsConnections) {
  server_ = testing::StartServer(Options());
  Connected c = Connect(*server_);
  a_.claims.std.expires = jwt::NowSeconds() + 2;
  PushA();
  std::string rest;
  ASSERT_TRUE(c.client->WaitForClose(&rest, std::chrono::seconds(6)));
  EXPECT_NE(rest.find("-ERR 'Account Authentication Expired'"), std::string::npos) << rest;
  Connected late;
  RawClient again(server_->port());
  EXPECT_NE(
      JwtConnect(again, a_.UserJwt(late.key, nullptr, false, jwt::NowSeconds() - 10), late.key)
          .find("Authorization Violation"),
      std::string::npos);
}

// jwt Account.Validate: more imports/exports than the limits allow, or a wildcard export
// without `wildcards`, make the JWT invalid; an update of a held account is refused with
// nats-server's "account validation failed".
TEST_F(ServerOperatorLimitsTest, ImportExportLimitViolationsRefuseTheUpdate) {
  server_ = testing::StartServer(Options());
  nkeys::KeyPair sys_user = NewKey(nkeys::KeyType::kUser);
  RawClient sys(server_->port());
  ASSERT_EQ(JwtConnect(sys, UserJwt(sys_, sys_user), sys_user).find("-ERR"), std::string::npos);
  Connected c = Connect(*server_);  // A is held now
  a_.claims.nats.exports = {operator_mode::testing::StreamExport("feed.>")};
  a_.claims.nats.limits.account.exports = 5;
  a_.claims.nats.limits.account.wildcard_exports = false;
  std::string update = a_.Jwt(op_, jwt::NowSeconds());
  sys.Send(absl::StrCat("SUB reply.1 1\r\nPUB $SYS.ACCOUNT.", a_.public_key(),
                        ".CLAIMS.UPDATE reply.1 ", update.size(), "\r\n", update, "\r\n"));
  std::string got = sys.ReadUntil("}}");
  EXPECT_NE(got.find("jwt update resulted in error - account validation failed"), std::string::npos)
      << got;
  EXPECT_FALSE(server_->operator_mode()->ApplyAccountJwt(update).ok());
  a_.claims.nats.limits.account.wildcard_exports = true;
  a_.claims.nats.limits.account.exports = 0;
  EXPECT_FALSE(server_->operator_mode()->ApplyAccountJwt(a_.Jwt(op_, jwt::NowSeconds())).ok());
  a_.claims.nats.limits.account.exports = 1;
  EXPECT_TRUE(server_->operator_mode()->ApplyAccountJwt(a_.Jwt(op_, jwt::NowSeconds())).ok());
  EXPECT_EQ(c.client->Sync().find("-ERR"), std::string::npos);
}

// SIGHUP with a MEMORY resolver: accounts no longer preloaded are deleted and their clients
// fail re-authorization, as nats-server; new preloads become available.
TEST_F(ServerOperatorLimitsTest, ReloadDropsAccountsRemovedFromThePreload) {
  server_ = testing::StartServer(Options());
  Connected c = Connect(*server_);
  TestAccount b("B");
  options::Options next = Options();
  next.resolver_preload.erase(a_.public_key());
  next.resolver_preload[b.public_key()] = b.Jwt(op_, jwt::NowSeconds() - 50);
  ASSERT_TRUE(server_->Reload(next).ok());
  std::string rest;
  ASSERT_TRUE(c.client->WaitForClose(&rest));
  EXPECT_NE(rest.find("-ERR 'Authorization Violation'"), std::string::npos) << rest;
  EXPECT_EQ(server_->operator_mode()->HeldJwt(a_.public_key()), "");
  Connected again;
  RawClient refused(server_->port());
  EXPECT_NE(
      JwtConnect(refused, a_.UserJwt(again.key, nullptr, false, jwt::NowSeconds() - 10), again.key)
          .find("Authorization Violation"),
      std::string::npos);
  nkeys::KeyPair ub = NewKey(nkeys::KeyType::kUser);
  RawClient cb(server_->port());
  EXPECT_EQ(JwtConnect(cb, b.UserJwt(ub, nullptr, false, jwt::NowSeconds() - 10), ub).find("-ERR"),
            std::string::npos);
}

}  // namespace
}  // namespace lattice::server
