// Differential operator-mode e2e: the same operator JWT, system account and MEMORY resolver
// preloads (keys made at test time) loaded by nats-server 2.9.10 and lattice-node; raw-socket
// JWT clients and libnats creds: account isolation, stream/service imports with activation
// tokens, live claims updates from a system-account user, revocation and expiry of connected
// users, and the auth-bypass matrix (every case refused by both servers).
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

#include "common/creds/creds.h"
#include "common/testing/child_process.h"
#include "e2e/core/server_test.h"
#include "e2e/harness/eventually.h"
#include "e2e/harness/nats_client.h"
#include "e2e/harness/net.h"
#include "e2e/operator/operator_keys.h"

namespace lattice::e2e {
namespace {

using operator_keys::Account;
using operator_keys::NewKey;
using operator_keys::Operator;
using operator_keys::SignNonce;

using OperatorTest = ServerTest;

// How a test client presents itself: the user JWT and the key that signs the nonce (none:
// no "sig"); `connect_extra` is merged into CONNECT.
struct Credentials {
  std::string jwt;
  const nkeys::KeyPair* signer = nullptr;
  nlohmann::json connect_extra = nlohmann::json::object();
};

// Connects, signs INFO's nonce and sends CONNECT + PING. OK with the client after PONG; an
// error carrying the server's -ERR line (or the close) otherwise.
absl::StatusOr<std::unique_ptr<RawClient>> JwtConnect(int port, const Credentials& creds) {
  auto client = RawClient::Connect(port);
  if (!client.ok()) {
    return client.status();
  }
  auto info = (*client)->ReadInfo();
  if (!info.ok()) {
    return info.status();
  }
  std::string nonce = info->value("nonce", "");
  nlohmann::json connect = {{"verbose", false}, {"pedantic", false}, {"protocol", 1}};
  if (!creds.jwt.empty()) {
    connect["jwt"] = creds.jwt;
  }
  if (creds.signer != nullptr) {
    connect["sig"] = SignNonce(*creds.signer, nonce);
  }
  connect.update(creds.connect_extra);
  if (absl::Status s = (*client)->Send(absl::StrCat("CONNECT ", connect.dump(), "\r\nPING\r\n"));
      !s.ok()) {
    return s;
  }
  auto op = (*client)->ReadOp();
  if (!op.ok()) {
    return op.status();
  }
  if (op->verb != "PONG") {
    return absl::PermissionDeniedError(op->line);
  }
  return std::move(*client);
}

// A user of `account` with its own key.
struct User {
  explicit User(const Account& account, int64_t expires = 0)
      : key(NewKey(nkeys::KeyType::kUser)), jwt(account.UserJwt(key, expires)) {}
  Credentials creds() const { return Credentials{jwt, &key}; }
  nkeys::KeyPair key;
  std::string jwt;
};

// Subscribes `sub` to `subject`, publishes from `pub`, and returns the payloads `sub` got
// (a PING round trip on both bounds the wait: everything published before has been routed).
std::vector<std::string> Deliver(RawClient& sub, const std::string& sub_subject, RawClient& pub,
                                 const std::string& pub_subject, const std::string& payload) {
  EXPECT_TRUE(sub.Send(absl::StrCat("SUB ", sub_subject, " 1\r\n")).ok());
  EXPECT_TRUE(sub.Sync().ok());
  EXPECT_TRUE(
      pub.Send(absl::StrCat("PUB ", pub_subject, " ", payload.size(), "\r\n", payload, "\r\n"))
          .ok());
  EXPECT_TRUE(pub.Sync().ok());
  std::vector<std::string> got;
  auto ops = sub.Sync();
  EXPECT_TRUE(ops.ok()) << ops.status();
  if (ops.ok()) {
    for (const RawOp& op : *ops) {
      if (op.verb == "MSG") {
        got.push_back(op.payload);
      }
    }
  }
  EXPECT_TRUE(sub.Send("UNSUB 1\r\n").ok());
  return got;
}

// The first -ERR line the server sends before closing `client` ("" when it closed silently
// or did not close within the wait).
std::string ErrBeforeClose(RawClient& client, std::chrono::milliseconds wait) {
  auto deadline = std::chrono::steady_clock::now() + wait;
  while (std::chrono::steady_clock::now() < deadline) {
    auto op = client.ReadOp(std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now()));
    if (!op.ok()) {
      return "";
    }
    if (op->verb == "-ERR") {
      return op->line;
    }
  }
  return "";
}

TEST_P(OperatorTest, JwtAccountsAreIsolated) {
  Operator op;
  Account a("A"), b("B");
  START_SERVER_OR_FAIL(server, {op.Config({{op.sys.pub(), op.AccountJwt(op.sys)},
                                           {a.pub(), op.AccountJwt(a)},
                                           {b.pub(), op.AccountJwt(b)}})});
  User ua(a), ua2(a), ub(b);
  ASSERT_OK_AND_ASSIGN(auto ca, JwtConnect(server->port(), ua.creds()));
  ASSERT_OK_AND_ASSIGN(auto ca2, JwtConnect(server->port(), ua2.creds()));
  ASSERT_OK_AND_ASSIGN(auto cb, JwtConnect(server->port(), ub.creds()));
  EXPECT_TRUE(Deliver(*ca, "x", *cb, "x", "from-b").empty());
  EXPECT_EQ(Deliver(*ca, "x", *ca2, "x", "from-a"), std::vector<std::string>{"from-a"});
}

TEST_P(OperatorTest, LibnatsCredsFileConnects) {
  Operator op;
  Account a("A");
  START_SERVER_OR_FAIL(
      server, {op.Config({{op.sys.pub(), op.AccountJwt(op.sys)}, {a.pub(), op.AccountJwt(a)}})});
  User ua(a);
  auto text = creds::FormatUserCreds(ua.jwt, ua.key);
  ASSERT_TRUE(text.ok()) << text.status();
  ASSERT_OK_AND_ASSIGN(std::string dir, MakeTempDir("operator-creds"));
  std::string path = dir + "/a.creds";
  ASSERT_OK(WriteFile(path, std::string(text->view())));
  ASSERT_OK_AND_ASSIGN(NatsConnection nc, ConnectNats(server->url(), [&](natsOptions* o) {
                         natsOptions_SetUserCredentialsFromFiles(o, path.c_str(), nullptr);
                       }));
  natsSubscription* raw = nullptr;
  ASSERT_EQ(natsConnection_SubscribeSync(&raw, nc.get(), "hello"), NATS_OK);
  NatsSubscription sub(raw);
  ASSERT_EQ(natsConnection_PublishString(nc.get(), "hello", "world"), NATS_OK);
  natsMsg* msg = nullptr;
  ASSERT_EQ(natsSubscription_NextMsg(&msg, sub.get(), 5000), NATS_OK);
  NatsMsg owned(msg);
  EXPECT_EQ(std::string(natsMsg_GetData(msg), natsMsg_GetDataLength(msg)), "world");
}

// Exporter E: public stream feed.> and service svc.pub; token-required stream priv.> and
// service psvc. B imports all with the right tokens; C imports priv.> without a token (the
// import is dropped); D presents B's token (an activation whose subject is another account:
// CVE-2021-3127 class): both servers refuse D's account JWT, so D's users cannot connect.
TEST_P(OperatorTest, ImportsBetweenJwtAccountsHonourActivationTokens) {
  Operator op;
  Account e("E"), b("B"), c("C"), d("D");
  auto exp = [](const std::string& subject, jwt::ExportType type, bool token) {
    jwt::Export x;
    x.subject = subject;
    x.type = type;
    x.token_req = token;
    return x;
  };
  auto imp = [](const std::string& account, const std::string& subject, jwt::ExportType type,
                const std::string& token, const std::string& local = "") {
    jwt::Import i;
    i.account = account;
    i.subject = subject;
    i.type = type;
    i.token = token;
    i.local_subject = local;
    return i;
  };
  using T = jwt::ExportType;
  e.claims.nats.exports = {exp("feed.>", T::kStream, false), exp("svc.pub", T::kService, false),
                           exp("priv.>", T::kStream, true), exp("psvc", T::kService, true)};
  std::string b_stream = e.Activation(b.pub(), "priv.>", T::kStream);
  std::string b_service = e.Activation(b.pub(), "psvc", T::kService);
  b.claims.nats.imports = {
      imp(e.pub(), "feed.>", T::kStream, ""), imp(e.pub(), "svc.pub", T::kService, ""),
      imp(e.pub(), "priv.>", T::kStream, b_stream), imp(e.pub(), "psvc", T::kService, b_service)};
  c.claims.nats.imports = {imp(e.pub(), "priv.>", T::kStream, ""),
                           imp(e.pub(), "psvc", T::kService, "")};
  d.claims.nats.imports = {imp(e.pub(), "priv.>", T::kStream, b_stream),
                           imp(e.pub(), "psvc", T::kService, b_service)};
  START_SERVER_OR_FAIL(server, {op.Config({{op.sys.pub(), op.AccountJwt(op.sys)},
                                           {e.pub(), op.AccountJwt(e)},
                                           {b.pub(), op.AccountJwt(b)},
                                           {c.pub(), op.AccountJwt(c)},
                                           {d.pub(), op.AccountJwt(d)}})});
  User ue(e), ub(b), uc(c), ud(d);
  ASSERT_OK_AND_ASSIGN(auto ce, JwtConnect(server->port(), ue.creds()));
  ASSERT_OK_AND_ASSIGN(auto cb, JwtConnect(server->port(), ub.creds()));
  ASSERT_OK_AND_ASSIGN(auto cc, JwtConnect(server->port(), uc.creds()));
  auto refused_d = JwtConnect(server->port(), ud.creds());
  ASSERT_FALSE(refused_d.ok()) << "account with a stolen activation token was accepted";
  EXPECT_NE(refused_d.status().message().find("Authorization Violation"), std::string::npos);
  EXPECT_EQ(Deliver(*cb, "feed.1", *ce, "feed.1", "pub"), std::vector<std::string>{"pub"});
  EXPECT_EQ(Deliver(*cb, "priv.1", *ce, "priv.1", "tok"), std::vector<std::string>{"tok"});
  EXPECT_TRUE(Deliver(*cc, "priv.1", *ce, "priv.1", "no-token").empty());
  // Services: the exporter answers; B's requests arrive, C's do not.
  EXPECT_EQ(Deliver(*ce, "svc.pub", *cb, "svc.pub", "req"), std::vector<std::string>{"req"});
  EXPECT_EQ(Deliver(*ce, "psvc", *cb, "psvc", "b"), std::vector<std::string>{"b"});
  EXPECT_TRUE(Deliver(*ce, "psvc", *cc, "psvc", "c").empty());
}

// A system-account user pushes an account JWT over $SYS.ACCOUNT.<id>.CLAIMS.UPDATE; both the
// new import and a new limit take effect without a restart.
TEST_P(OperatorTest, ClaimsUpdateFromSystemUserAppliesLive) {
  Operator op;
  Account e("E"), b("B");
  jwt::Export feed;
  feed.subject = "feed.>";
  feed.type = jwt::ExportType::kStream;
  e.claims.nats.exports = {feed};
  START_SERVER_OR_FAIL(server, {op.Config({{op.sys.pub(), op.AccountJwt(op.sys)},
                                           {e.pub(), op.AccountJwt(e)},
                                           {b.pub(), op.AccountJwt(b)}})});
  User us(op.sys), ue(e), ub(b);
  ASSERT_OK_AND_ASSIGN(auto cs, JwtConnect(server->port(), us.creds()));
  ASSERT_OK_AND_ASSIGN(auto ce, JwtConnect(server->port(), ue.creds()));
  ASSERT_OK_AND_ASSIGN(auto cb, JwtConnect(server->port(), ub.creds()));
  EXPECT_TRUE(Deliver(*cb, "feed.1", *ce, "feed.1", "before").empty());

  jwt::Import i;
  i.account = e.pub();
  i.subject = "feed.>";
  i.type = jwt::ExportType::kStream;
  b.claims.nats.imports = {i};
  b.claims.nats.limits.nats.payload = 64;
  std::string update = op.AccountJwt(b, 1);
  ASSERT_OK(cs->Send("SUB _INBOX.upd 9\r\n"));
  ASSERT_OK(cs->Send(absl::StrCat("PUB $SYS.ACCOUNT.", b.pub(), ".CLAIMS.UPDATE _INBOX.upd ",
                                  update.size(), "\r\n", update, "\r\n")));
  ASSERT_OK_AND_ASSIGN(std::vector<RawOp> answer, cs->ReadUntil("MSG"));
  ASSERT_FALSE(answer.empty());
  nlohmann::json response = nlohmann::json::parse(answer.back().payload, nullptr, false);
  EXPECT_EQ(response["data"]["code"], 200) << answer.back().payload;
  EXPECT_EQ(response["data"]["account"], b.pub());

  EXPECT_EQ(Deliver(*cb, "feed.1", *ce, "feed.1", "after"), std::vector<std::string>{"after"});
  // New connections of B see the new max_payload in INFO.
  ASSERT_OK_AND_ASSIGN(auto raw, RawClient::Connect(server->port()));
  ASSERT_OK_AND_ASSIGN(nlohmann::json info, raw->ReadInfo());
  User ub2(b);
  ASSERT_OK_AND_ASSIGN(auto cb2, JwtConnect(server->port(), ub2.creds()));
  std::string big(100, 'x');
  ASSERT_OK(cb2->Send(absl::StrCat("PUB big ", big.size(), "\r\n", big, "\r\n")));
  EXPECT_EQ(ErrBeforeClose(*cb2, std::chrono::seconds(5)), "-ERR 'Maximum Payload Violation'");
}

// The answers for an account nobody has used yet (skipped, nothing stored: its next user still
// gets the preloaded JWT) and for an empty body, in nats-server's words.
TEST_P(OperatorTest, ClaimsUpdateForAnAccountNotLoadedIsSkipped) {
  Operator op;
  Account b("B");
  START_SERVER_OR_FAIL(
      server, {op.Config({{op.sys.pub(), op.AccountJwt(op.sys)}, {b.pub(), op.AccountJwt(b)}})});
  User us(op.sys);
  ASSERT_OK_AND_ASSIGN(auto cs, JwtConnect(server->port(), us.creds()));
  ASSERT_OK(cs->Send("SUB _INBOX.upd 9\r\n"));
  auto update_answer = [&](const std::string& payload) {
    EXPECT_TRUE(cs->Send(absl::StrCat("PUB $SYS.ACCOUNT.", b.pub(), ".CLAIMS.UPDATE _INBOX.upd ",
                                      payload.size(), "\r\n", payload, "\r\n"))
                    .ok());
    auto answer = cs->ReadUntil("MSG");
    EXPECT_TRUE(answer.ok() && !answer->empty()) << answer.status();
    return answer.ok() && !answer->empty()
               ? nlohmann::json::parse(answer->back().payload, nullptr, false)
               : nlohmann::json();
  };
  b.claims.nats.limits.nats.payload = 64;
  nlohmann::json skipped = update_answer(op.AccountJwt(b, 1));
  EXPECT_EQ(skipped["data"]["code"], 200) << skipped.dump();
  EXPECT_EQ(skipped["data"]["message"], "jwt update skipped") << skipped.dump();
  EXPECT_EQ(skipped["data"]["account"], b.pub());
  // Not stored: B's first user still has the preload's unlimited payload.
  User ub(b), ub2(b);
  ASSERT_OK_AND_ASSIGN(auto cb, JwtConnect(server->port(), ub.creds()));
  ASSERT_OK_AND_ASSIGN(auto cb2, JwtConnect(server->port(), ub2.creds()));
  std::string big(100, 'x');
  EXPECT_EQ(Deliver(*cb2, "big", *cb, "big", big), std::vector<std::string>{big});

  nlohmann::json empty = update_answer("");
  EXPECT_EQ(empty["error"]["code"], 500) << empty.dump();
  EXPECT_EQ(empty["error"]["description"], "jwt update error - request body is empty")
      << empty.dump();
}

// /accountz?acc= shows the account JWT the server runs on: the token, its issuer, name, the
// decoded claims and the revoked users.
TEST_P(OperatorTest, AccountzShowsTheAccountJwt) {
  Operator op;
  Account b("B");
  nkeys::KeyPair revoked = NewKey(nkeys::KeyType::kUser);
  b.claims.nats.revocations[revoked.public_key().str()] = jwt::NowSeconds() - 10;
  const std::string token = op.AccountJwt(b);
  START_SERVER_OR_FAIL(
      server, {.config_text = op.Config({{op.sys.pub(), op.AccountJwt(op.sys)}, {b.pub(), token}}),
               .monitoring = true});
  User ub(b);
  ASSERT_OK_AND_ASSIGN(auto cb, JwtConnect(server->port(), ub.creds()));  // loads B
  ASSERT_OK_AND_ASSIGN(std::string text, HttpGet(server->http_port(), "/accountz?acc=" + b.pub(),
                                                 std::chrono::seconds(5)));
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  ASSERT_TRUE(j.is_object()) << text;
  const nlohmann::json& detail = j["account_detail"];
  EXPECT_EQ(detail["jwt"], token) << text;
  EXPECT_EQ(detail["issuer_key"], op.key.public_key().str()) << text;
  EXPECT_EQ(detail["name_tag"], "B") << text;
  EXPECT_EQ(detail["expired"], false) << text;
  EXPECT_EQ(detail["decoded_jwt"]["sub"], b.pub()) << text;
  EXPECT_EQ(detail["decoded_jwt"]["nats"]["type"], "account") << text;
  EXPECT_TRUE(detail["decoded_jwt"]["nats"]["revocations"].contains(revoked.public_key().str()))
      << text;
  EXPECT_TRUE(detail["revoked_user"].contains(revoked.public_key().str())) << text;
}

// A non-system user cannot push claims: its update is an ordinary message in its account.
TEST_P(OperatorTest, ClaimsUpdateFromOrdinaryUserIsIgnored) {
  Operator op;
  Account a("A");
  START_SERVER_OR_FAIL(
      server, {op.Config({{op.sys.pub(), op.AccountJwt(op.sys)}, {a.pub(), op.AccountJwt(a)}})});
  User ua(a), victim(a);
  ASSERT_OK_AND_ASSIGN(auto cv, JwtConnect(server->port(), victim.creds()));
  ASSERT_OK_AND_ASSIGN(auto ca, JwtConnect(server->port(), ua.creds()));
  a.claims.nats.revocations[victim.key.public_key().str()] = jwt::NowSeconds() + 10;
  std::string update = op.AccountJwt(a, 1);
  ASSERT_OK(ca->Send(absl::StrCat("PUB $SYS.ACCOUNT.", a.pub(), ".CLAIMS.UPDATE ", update.size(),
                                  "\r\n", update, "\r\n")));
  ASSERT_OK(ca->Sync().status());
  ASSERT_OK(cv->Sync().status());  // still connected
  EXPECT_FALSE(cv->closed());
}

TEST_P(OperatorTest, RevocationClosesAConnectedUser) {
  Operator op;
  Account a("A");
  START_SERVER_OR_FAIL(
      server, {op.Config({{op.sys.pub(), op.AccountJwt(op.sys)}, {a.pub(), op.AccountJwt(a)}})});
  User us(op.sys), victim(a), other(a);
  ASSERT_OK_AND_ASSIGN(auto cs, JwtConnect(server->port(), us.creds()));
  ASSERT_OK_AND_ASSIGN(auto cv, JwtConnect(server->port(), victim.creds()));
  ASSERT_OK_AND_ASSIGN(auto co, JwtConnect(server->port(), other.creds()));
  a.claims.nats.revocations[victim.key.public_key().str()] = jwt::NowSeconds() + 10;
  std::string update = op.AccountJwt(a, 1);
  ASSERT_OK(cs->Send(absl::StrCat("PUB $SYS.ACCOUNT.", a.pub(), ".CLAIMS.UPDATE ", update.size(),
                                  "\r\n", update, "\r\n")));
  EXPECT_EQ(ErrBeforeClose(*cv, std::chrono::seconds(5)), "-ERR 'User Authentication Revoked'");
  EXPECT_TRUE(cv->WaitClosed());
  ASSERT_OK(co->Sync().status());
  // The revoked key cannot come back.
  EXPECT_FALSE(JwtConnect(server->port(), victim.creds()).ok());
}

TEST_P(OperatorTest, UserJwtExpiryDisconnects) {
  Operator op;
  Account a("A");
  START_SERVER_OR_FAIL(
      server, {op.Config({{op.sys.pub(), op.AccountJwt(op.sys)}, {a.pub(), op.AccountJwt(a)}})});
  User soon(a, jwt::NowSeconds() + 2);
  ASSERT_OK_AND_ASSIGN(auto c, JwtConnect(server->port(), soon.creds()));
  EXPECT_EQ(ErrBeforeClose(*c, std::chrono::seconds(8)), "-ERR 'User Authentication Expired'");
  EXPECT_TRUE(c->WaitClosed());
}

// Every way in without valid credentials, against both servers: all refused with
// 'Authorization Violation' (or a close).
TEST_P(OperatorTest, AuthBypassMatrix) {
  Operator op;
  Account a("A"), b("B"), unknown("U");
  jwt::Export priv;
  priv.subject = "priv.>";
  priv.type = jwt::ExportType::kStream;
  priv.token_req = true;
  a.claims.nats.exports = {priv};
  User revoked(a);
  a.claims.nats.revocations[revoked.key.public_key().str()] = jwt::NowSeconds() + 60;
  // B presents an activation A issued to another account (U).
  jwt::Import stolen;
  stolen.account = a.pub();
  stolen.subject = "priv.>";
  stolen.type = jwt::ExportType::kStream;
  stolen.token = a.Activation(unknown.pub(), "priv.>", jwt::ExportType::kStream);
  b.claims.nats.imports = {stolen};
  START_SERVER_OR_FAIL(server, {op.Config({{op.sys.pub(), op.AccountJwt(op.sys)},
                                           {a.pub(), op.AccountJwt(a)},
                                           {b.pub(), op.AccountJwt(b)}})});
  User good(a), expired(a, jwt::NowSeconds() - 30), stolen_user(b);
  nkeys::KeyPair other = NewKey(nkeys::KeyType::kUser);
  nkeys::KeyPair rogue_account = NewKey(nkeys::KeyType::kAccount);
  std::string tampered = good.jwt;
  {
    // Flip one payload character: the signature no longer matches.
    size_t dot = tampered.find('.');
    char& ch = tampered[dot + 5];
    ch = ch == 'A' ? 'B' : 'A';
  }
  // A user JWT claiming A as issuer_account but signed by B's key (not an A signing key).
  std::string wrong_account;
  {
    jwt::UserClaims u = jwt::NewUserClaims(*nkeys::UserPublicKey::FromKey(other.public_key()));
    u.nats.issuer_account = a.pub();
    wrong_account = *jwt::Encode(u, b.key);
  }
  std::string unrelated = unknown.UserJwt(other);
  std::string rogue;
  {
    jwt::UserClaims u = jwt::NewUserClaims(*nkeys::UserPublicKey::FromKey(other.public_key()));
    rogue = *jwt::Encode(u, rogue_account);
  }
  struct Case {
    std::string name;
    Credentials creds;
  };
  std::vector<Case> cases = {
      {"no auth at all", {}},
      {"no jwt, user/pass", {"", nullptr, {{"user", "a"}, {"pass", "b"}}}},
      {"jwt without sig", {good.jwt, nullptr}},
      {"wrong signature", {good.jwt, &other}},
      {"tampered jwt", {tampered, &good.key}},
      {"wrong account (issuer_account not the signer)", {wrong_account, &other}},
      {"expired user", expired.creds()},
      {"revoked user", revoked.creds()},
      {"account unknown to the operator", {unrelated, &other}},
      {"user signed by an unrelated key", {rogue, &other}},
      {"garbage jwt", {"eyJnot.a.jwt", &other}},
      {"jwt with a CONNECT account", {good.jwt, &good.key, {{"account", b.pub()}}}},
      {"activation token for another account", stolen_user.creds()},
  };
  int refused = 0;
  for (const Case& c : cases) {
    auto client = JwtConnect(server->port(), c.creds);
    EXPECT_FALSE(client.ok()) << c.name << " was accepted";
    if (!client.ok()) {
      ++refused;
      EXPECT_TRUE(absl::StrContains(client.status().message(), "Authorization Violation") ||
                  !absl::IsPermissionDenied(client.status()))
          << c.name << ": " << client.status();
    }
  }
  std::printf("auth-bypass matrix on %s: %d of %zu cases refused\n", ServerKindName(kind()),
              refused, cases.size());
  EXPECT_EQ(refused, static_cast<int>(cases.size()));
}

// Users issued by an account signing key connect; a scoped signing key's template replaces
// the user's permissions (publish outside it is a Permissions Violation); a user signed by a
// key the account does not list is refused.
TEST_P(OperatorTest, SigningKeysAndScopedSigningKeys) {
  Operator op;
  Account a("A");
  nkeys::KeyPair plain = NewKey(nkeys::KeyType::kAccount);
  nkeys::KeyPair scoped = NewKey(nkeys::KeyType::kAccount);
  nkeys::KeyPair unlisted = NewKey(nkeys::KeyType::kAccount);
  jwt::SigningKey scoped_key;
  scoped_key.key = scoped.public_key().str();
  jwt::UserScope scope;
  scope.role = "limited";
  scope.templ.permissions.pub.allow = {"scoped.>"};
  scoped_key.scope = scope;
  a.claims.nats.signing_keys = {{plain.public_key().str(), std::nullopt, {}}, scoped_key};
  START_SERVER_OR_FAIL(
      server, {op.Config({{op.sys.pub(), op.AccountJwt(op.sys)}, {a.pub(), op.AccountJwt(a)}})});
  nkeys::KeyPair u1 = NewKey(nkeys::KeyType::kUser), u2 = NewKey(nkeys::KeyType::kUser),
                 u3 = NewKey(nkeys::KeyType::kUser);
  ASSERT_OK_AND_ASSIGN(auto c1, JwtConnect(server->port(), {a.UserJwt(u1, 0, &plain), &u1}));
  ASSERT_OK_AND_ASSIGN(
      auto c2, JwtConnect(server->port(), {a.UserJwt(u2, 0, &scoped, /*scoped=*/true), &u2}));
  EXPECT_EQ(Deliver(*c1, "scoped.1", *c2, "scoped.1", "ok"), std::vector<std::string>{"ok"});
  ASSERT_OK(c2->Send("PUB other 1\r\nx\r\n"));
  ASSERT_OK_AND_ASSIGN(std::vector<RawOp> ops, c2->Sync());
  ASSERT_FALSE(ops.empty());
  EXPECT_EQ(ops.front().line, "-ERR 'Permissions Violation for Publish to \"other\"'");
  EXPECT_FALSE(JwtConnect(server->port(), {a.UserJwt(u3, 0, &unlisted), &u3}).ok());
}

// Publishes `account_jwt` as a claims update from the system user `sys` and returns the
// response ({"data":...} or {"error":...}); null when none came.
nlohmann::json PushClaims(RawClient& sys, const std::string& account,
                          const std::string& account_jwt) {
  static int n = 0;
  std::string inbox = absl::StrCat("_INBOX.claims", ++n);
  EXPECT_TRUE(sys.Send(absl::StrCat("SUB ", inbox, " c", n, "\r\nPUB $SYS.ACCOUNT.", account,
                                    ".CLAIMS.UPDATE ", inbox, " ", account_jwt.size(), "\r\n",
                                    account_jwt, "\r\n"))
                  .ok());
  auto answer = sys.ReadUntil("MSG");
  if (!answer.ok() || answer->empty()) {
    return nlohmann::json();
  }
  return nlohmann::json::parse(answer->back().payload, nullptr, false);
}

// Lowering an account's max_connections on live connections: nats-server sorts the clients
// newest first and closes every one past the limit, so the oldest go with -ERR 'maximum
// account active connections exceeded' and the newest stays.
TEST_P(OperatorTest, LoweringMaxConnectionsClosesTheOldest) {
  Operator op;
  Account a("A");
  START_SERVER_OR_FAIL(
      server, {op.Config({{op.sys.pub(), op.AccountJwt(op.sys)}, {a.pub(), op.AccountJwt(a)}})});
  User us(op.sys), u1(a), u2(a), u3(a);
  ASSERT_OK_AND_ASSIGN(auto cs, JwtConnect(server->port(), us.creds()));
  ASSERT_OK_AND_ASSIGN(auto c1, JwtConnect(server->port(), u1.creds()));
  ASSERT_OK_AND_ASSIGN(auto c2, JwtConnect(server->port(), u2.creds()));
  ASSERT_OK_AND_ASSIGN(auto c3, JwtConnect(server->port(), u3.creds()));
  a.claims.nats.limits.account.conn = 1;
  nlohmann::json r = PushClaims(*cs, a.pub(), op.AccountJwt(a, 1));
  EXPECT_EQ(r["data"]["code"], 200) << r.dump();
  EXPECT_EQ(ErrBeforeClose(*c1, std::chrono::seconds(5)),
            "-ERR 'maximum account active connections exceeded'");
  EXPECT_EQ(ErrBeforeClose(*c2, std::chrono::seconds(5)),
            "-ERR 'maximum account active connections exceeded'");
  ASSERT_OK_AND_ASSIGN(std::vector<RawOp> ops, c3->Sync());
  EXPECT_TRUE(ops.empty());
  EXPECT_FALSE(c3->closed());
  User u4(a);
  auto refused = JwtConnect(server->port(), u4.creds());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().message(), "-ERR 'maximum account active connections exceeded'");
}

// Subscription and payload limits of a claims update apply to live connections: a connection
// at or over the new subscription limit is closed (exactly at it too: nats-server's
// subsAtLimit), another gets -ERR on the SUB past it and stays; a PUB above the new payload
// limit is a Maximum Payload Violation. A user JWT's own subs limit is lower still.
TEST_P(OperatorTest, LiveSubscriptionAndPayloadLimits) {
  Operator op;
  Account a("A");
  START_SERVER_OR_FAIL(
      server, {op.Config({{op.sys.pub(), op.AccountJwt(op.sys)}, {a.pub(), op.AccountJwt(a)}})});
  User us(op.sys), busy(a), calm(a);
  ASSERT_OK_AND_ASSIGN(auto cs, JwtConnect(server->port(), us.creds()));
  ASSERT_OK_AND_ASSIGN(auto cb, JwtConnect(server->port(), busy.creds()));
  ASSERT_OK_AND_ASSIGN(auto cc, JwtConnect(server->port(), calm.creds()));
  ASSERT_OK(cb->Send("SUB a 1\r\nSUB b 2\r\n"));
  ASSERT_OK(cb->Sync().status());
  ASSERT_OK(cc->Send("SUB a 1\r\n"));
  ASSERT_OK(cc->Sync().status());
  a.claims.nats.limits.nats.subs = 2;
  a.claims.nats.limits.nats.payload = 8;
  nlohmann::json r = PushClaims(*cs, a.pub(), op.AccountJwt(a, 1));
  EXPECT_EQ(r["data"]["code"], 200) << r.dump();
  EXPECT_EQ(ErrBeforeClose(*cb, std::chrono::seconds(5)), "-ERR 'maximum subscriptions exceeded'");
  ASSERT_OK(cc->Send("SUB b 2\r\nSUB c 3\r\n"));
  ASSERT_OK_AND_ASSIGN(std::vector<RawOp> ops, cc->Sync());
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0].line, "-ERR 'maximum subscriptions exceeded'");
  ASSERT_OK(cc->Send("PUB a 8\r\n12345678\r\n"));
  ASSERT_OK_AND_ASSIGN(ops, cc->Sync());
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0].verb, "MSG");
  ASSERT_OK(cc->Send("PUB a 9\r\n123456789\r\n"));
  EXPECT_EQ(ErrBeforeClose(*cc, std::chrono::seconds(5)), "-ERR 'Maximum Payload Violation'");

  // A user whose own JWT allows one subscription: the smaller limit wins.
  nkeys::KeyPair key = NewKey(nkeys::KeyType::kUser);
  jwt::UserClaims u = jwt::NewUserClaims(*nkeys::UserPublicKey::FromKey(key.public_key()));
  u.nats.permissions.limits.subs = 1;
  auto token = jwt::Encode(u, a.key);
  ASSERT_OK(token.status());
  ASSERT_OK_AND_ASSIGN(auto cu, JwtConnect(server->port(), Credentials{*token, &key}));
  // After the first PONG an INFO tells the client its own max_payload (the account's 8).
  ASSERT_OK_AND_ASSIGN(RawOp info, cu->ReadOp());
  ASSERT_EQ(info.verb, "INFO");
  nlohmann::json fields =
      nlohmann::json::parse(info.line.substr(info.line.find('{')), nullptr, false);
  EXPECT_EQ(fields.value("max_payload", 0), 8) << info.line;
  EXPECT_FALSE(fields.contains("nonce")) << info.line;
  ASSERT_OK(cu->Send("SUB x 1\r\nSUB y 2\r\n"));
  ASSERT_OK_AND_ASSIGN(ops, cu->Sync());
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0].line, "-ERR 'maximum subscriptions exceeded'");
}

// An account JWT's expiry closes every connection of the account with -ERR 'Account
// Authentication Expired' (nats-server's account expiration timer); new CONNECTs are refused.
TEST_P(OperatorTest, AccountJwtExpiryClosesItsConnections) {
  Operator op;
  Account a("A");
  a.claims.std.expires = jwt::NowSeconds() + 3;
  START_SERVER_OR_FAIL(
      server, {op.Config({{op.sys.pub(), op.AccountJwt(op.sys)}, {a.pub(), op.AccountJwt(a)}})});
  User u1(a), u2(a);
  ASSERT_OK_AND_ASSIGN(auto c1, JwtConnect(server->port(), u1.creds()));
  ASSERT_OK_AND_ASSIGN(auto c2, JwtConnect(server->port(), u2.creds()));
  EXPECT_EQ(ErrBeforeClose(*c1, std::chrono::seconds(8)), "-ERR 'Account Authentication Expired'");
  EXPECT_EQ(ErrBeforeClose(*c2, std::chrono::seconds(2)), "-ERR 'Account Authentication Expired'");
  User late(a);
  auto refused = JwtConnect(server->port(), late.creds());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().message(), "-ERR 'Authorization Violation'");
}

// jwt Account.Validate makes an account JWT with more imports/exports than its limits (or
// a wildcard export without `wildcards`) invalid: its users are refused, and a claims update
// of a held account is answered with "account validation failed".
TEST_P(OperatorTest, ImportAndExportLimitViolationsMakeTheAccountUnusable) {
  Operator op;
  Account e("E"), b("B"), a("A");
  jwt::Export feed;
  feed.subject = "feed.>";
  feed.type = jwt::ExportType::kStream;
  e.claims.nats.exports = {feed};
  jwt::Import i;
  i.account = e.pub();
  i.subject = "feed.>";
  i.type = jwt::ExportType::kStream;
  b.claims.nats.imports = {i};
  b.claims.nats.limits.account.imports = 0;
  START_SERVER_OR_FAIL(server, {op.Config({{op.sys.pub(), op.AccountJwt(op.sys)},
                                           {e.pub(), op.AccountJwt(e)},
                                           {b.pub(), op.AccountJwt(b)},
                                           {a.pub(), op.AccountJwt(a)}})});
  User us(op.sys), ub(b), ua(a);
  auto refused = JwtConnect(server->port(), ub.creds());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().message(), "-ERR 'Authorization Violation'");

  ASSERT_OK_AND_ASSIGN(auto cs, JwtConnect(server->port(), us.creds()));
  ASSERT_OK_AND_ASSIGN(auto ca, JwtConnect(server->port(), ua.creds()));  // A is held now
  a.claims.nats.exports = {feed};
  a.claims.nats.limits.account.exports = 5;
  a.claims.nats.limits.account.wildcard_exports = false;
  nlohmann::json r = PushClaims(*cs, a.pub(), op.AccountJwt(a, 1));
  EXPECT_EQ(r["error"]["code"], 500) << r.dump();
  EXPECT_EQ(r["error"]["description"], "jwt update resulted in error - account validation failed")
      << r.dump();
  a.claims.nats.limits.account.wildcard_exports = true;
  a.claims.nats.limits.account.exports = 0;
  r = PushClaims(*cs, a.pub(), op.AccountJwt(a, 2));
  EXPECT_EQ(r["error"]["description"], "jwt update resulted in error - account validation failed")
      << r.dump();
  a.claims.nats.limits.account.exports = 1;
  r = PushClaims(*cs, a.pub(), op.AccountJwt(a, 3));
  EXPECT_EQ(r["data"]["code"], 200) << r.dump();
  ASSERT_OK(ca->Sync().status());
  EXPECT_FALSE(ca->closed());
}

// nats-server 2.9.10 never reads an account's `limits.data` for core NATS: a message larger
// than it is delivered. lattice-node keeps the value (/accountz) and does not enforce it.
TEST_P(OperatorTest, AccountDataLimitIsNotEnforcedForCoreNats) {
  Operator op;
  Account a("A");
  a.claims.nats.limits.nats.data = 10;
  START_SERVER_OR_FAIL(
      server, {op.Config({{op.sys.pub(), op.AccountJwt(op.sys)}, {a.pub(), op.AccountJwt(a)}})});
  User u1(a), u2(a);
  ASSERT_OK_AND_ASSIGN(auto c1, JwtConnect(server->port(), u1.creds()));
  ASSERT_OK_AND_ASSIGN(auto c2, JwtConnect(server->port(), u2.creds()));
  std::string big(100, 'd');
  EXPECT_EQ(Deliver(*c1, "data.x", *c2, "data.x", big), std::vector<std::string>{big});
  EXPECT_EQ(Deliver(*c1, "data.y", *c2, "data.y", big + big), std::vector<std::string>{big + big});
  EXPECT_FALSE(c2->closed());
}

// SIGHUP with a MEMORY resolver whose preloads lost an account: nats-server builds a new
// resolver, deletes the account and re-authorizes every client, so the account's users get
// -ERR 'Authorization Violation' and close; other accounts' users stay; the removed account
// cannot be used any more.
TEST_P(OperatorTest, ReloadDropsAccountsRemovedFromThePreload) {
  Operator op;
  Account a("A"), b("B");
  const std::string sys_jwt = op.AccountJwt(op.sys), a_jwt = op.AccountJwt(a),
                    b_jwt = op.AccountJwt(b);
  // The same operator JWT in both files (a changed operator is refused on reload).
  const std::string op_jwt = op.Jwt();
  auto config = [&](const std::map<std::string, std::string>& preload) {
    std::string text = op.Config(preload);
    return absl::StrCat("operator: ", op_jwt, text.substr(text.find('\n')));
  };
  START_SERVER_OR_FAIL(server,
                       {config({{op.sys.pub(), sys_jwt}, {a.pub(), a_jwt}, {b.pub(), b_jwt}})});
  User ua(a), ub(b);
  ASSERT_OK_AND_ASSIGN(auto ca, JwtConnect(server->port(), ua.creds()));
  ASSERT_OK_AND_ASSIGN(auto cb, JwtConnect(server->port(), ub.creds()));
  ASSERT_OK(server->RewriteConfig(config({{op.sys.pub(), sys_jwt}, {b.pub(), b_jwt}})));
  ASSERT_OK(server->Signal(SIGHUP));
  EXPECT_EQ(ErrBeforeClose(*ca, std::chrono::seconds(5)), "-ERR 'Authorization Violation'");
  ASSERT_OK_AND_ASSIGN(std::vector<RawOp> ops, cb->Sync());
  EXPECT_TRUE(ops.empty());
  EXPECT_FALSE(cb->closed());
  User ua2(a);
  auto refused = JwtConnect(server->port(), ua2.creds());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().message(), "-ERR 'Authorization Violation'");
  EXPECT_TRUE(server->Running());
}

// The accountd binary (//accountd:accountd) in the test's runfiles.
std::string AccountdPath() {
  for (const char* var : {"TEST_SRCDIR", "RUNFILES_DIR"}) {
    if (const char* root = std::getenv(var); root != nullptr) {
      std::string path = std::string(root) + "/lattice/accountd/accountd";
      if (access(path.c_str(), X_OK) == 0) {
        return path;
      }
    }
  }
  return "accountd/accountd";
}

// resolver: URL(...) against a real `accountd --dir`: accounts are fetched on first CONNECT;
// an account the directory lacks is refused.
TEST_P(OperatorTest, UrlResolverAgainstAccountd) {
  Operator op;
  Account a("A"), missing("M");
  ASSERT_OK_AND_ASSIGN(std::string dir, MakeTempDir("operator-accountd"));
  ASSERT_OK(WriteFile(dir + "/op.jwt", op.Jwt()));
  ASSERT_EQ(mkdir((dir + "/jwts").c_str(), 0700), 0);
  ASSERT_OK(WriteFile(dir + "/jwts/" + op.sys.pub() + ".jwt", op.AccountJwt(op.sys)));
  ASSERT_OK(WriteFile(dir + "/jwts/" + a.pub() + ".jwt", op.AccountJwt(a)));
  ASSERT_OK_AND_ASSIGN(int http_port, FreePort());
  auto accountd =
      testutil::ChildProcess::Spawn({AccountdPath(), "--operator", dir + "/op.jwt", "--http",
                                     absl::StrCat("127.0.0.1:", http_port), "--dir", dir + "/jwts"},
                                    OutputDir() + "/accountd-" + ServerKindName(kind()) + ".log");
  ASSERT_TRUE(accountd.ok()) << accountd.status();
  ASSERT_TRUE(WaitForTcp(http_port, std::chrono::seconds(10))) << accountd->Log();
  START_SERVER_OR_FAIL(
      server,
      {op.Config({}, absl::StrCat("URL(\"http://127.0.0.1:", http_port, "/jwt/v1/accounts/\")"))});
  User ua(a), ua2(a), um(missing);
  ASSERT_OK_AND_ASSIGN(auto c1, JwtConnect(server->port(), ua.creds()));
  ASSERT_OK_AND_ASSIGN(auto c2, JwtConnect(server->port(), ua2.creds()));
  EXPECT_EQ(Deliver(*c1, "r", *c2, "r", "via-url"), std::vector<std::string>{"via-url"});
  auto refused = JwtConnect(server->port(), um.creds());
  EXPECT_FALSE(refused.ok());
}

LATTICE_E2E_INSTANTIATE(OperatorTest);

}  // namespace
}  // namespace lattice::e2e
