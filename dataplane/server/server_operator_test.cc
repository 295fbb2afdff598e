// Server operator-mode wiring: start-up checks, INFO nonce, JWT CONNECT on the auth pool,
// live revocation through OperatorMode, claims updates from a system-account user, and the
// reload rules.
#include <memory>
#include <string>

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
  std::string got = c.ReadUntil("jwt updated");
  EXPECT_NE(got.find("jwt updated"), std::string::npos) << got;
  // A was not held yet (no client needed it): the update is stored in the resolver, and the
  // lookup loads it from there and answers with it.
  c.Send(absl::StrCat("SUB lookup.1 2\r\nPUB $SYS.REQ.ACCOUNT.", a_.public_key(),
                      ".CLAIMS.LOOKUP lookup.1 0\r\n\r\n"));
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

}  // namespace
}  // namespace lattice::server
