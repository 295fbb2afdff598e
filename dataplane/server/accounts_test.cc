// Accounts in a real in-process server over raw sockets: isolation, stream and service
// imports with reply rewriting, private exports, account limits and live registry changes.
#include <memory>
#include <string>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "common/nkeys/nkeys.h"
#include "dataplane/server/test_client.h"

namespace lattice::server {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::RawClient;
using testing::StartServer;
using testing::TestOptions;

options::User UserIn(const std::string& name, const std::string& account) {
  return testing::PasswordUser(name, account);
}

std::string Connect(const std::string& user) {
  return "{\"verbose\":false,\"user\":\"" + user + "\",\"pass\":\"pw\"}";
}

// A exports a stream and a service; B imports both; C imports nothing.
options::Options ThreeAccounts(accounts::ResponseType response_type) {
  options::Options o = TestOptions();
  accounts::AccountSpec a;
  a.name = "A";
  a.stream_exports.push_back({"feed.>", {}});
  accounts::StreamExport priv;
  priv.subject = "private.>";
  priv.access.approved = {"B"};
  a.stream_exports.push_back(priv);
  accounts::ServiceExport svc;
  svc.subject = "svc.*";
  svc.response_type = response_type;
  a.service_exports.push_back(svc);
  accounts::AccountSpec b;
  b.name = "B";
  accounts::StreamImport feed;
  feed.account = "A";
  feed.subject = "feed.>";
  feed.prefix = "from_a";
  b.stream_imports.push_back(feed);
  accounts::StreamImport renamed;
  renamed.account = "A";
  renamed.subject = "private.*";
  renamed.to = "mine.*";
  b.stream_imports.push_back(renamed);
  accounts::ServiceImport ask;
  ask.account = "A";
  ask.subject = "svc.*";
  ask.to = "ask.*";
  b.service_imports.push_back(ask);
  accounts::AccountSpec c;
  c.name = "C";
  // Not approved for private.>: the registry must skip this import.
  accounts::StreamImport sneaky;
  sneaky.account = "A";
  sneaky.subject = "private.>";
  c.stream_imports.push_back(sneaky);
  o.accounts = {a, b, c};
  o.users = {UserIn("a", "A"), UserIn("b", "B"), UserIn("c", "C"), UserIn("g", "")};
  return o;
}

class AccountsTest : public ::testing::Test {
 protected:
  void Start(accounts::ResponseType type = accounts::ResponseType::kSingleton) {
    server_ = StartServer(ThreeAccounts(type));
  }
  std::unique_ptr<RawClient> Client(const std::string& user) {
    auto c = std::make_unique<RawClient>(server_->port());
    c->Handshake(Connect(user));
    return c;
  }
  std::unique_ptr<Server> server_;
};

TEST_F(AccountsTest, SameSubjectNeverCrossesAccounts) {
  Start();
  auto a = Client("a");
  auto b = Client("b");
  auto g = Client("g");
  a->Send("SUB foo 1\r\n");
  b->Send("SUB foo 1\r\n");
  g->Send("SUB foo 1\r\n");
  a->Sync();
  b->Sync();
  g->Sync();
  a->Send("PUB foo 2\r\nhi\r\n");
  EXPECT_EQ(a->ReadUntil("hi\r\n"), "MSG foo 1 2\r\nhi\r\n");
  EXPECT_EQ(b->Sync(), "");
  EXPECT_EQ(g->Sync(), "");
}

TEST_F(AccountsTest, StreamImportWithPrefixAndWithTo) {
  Start();
  auto a = Client("a");
  auto b = Client("b");
  b->Send("SUB from_a.> 1\r\nSUB mine.* 2\r\nSUB feed.> 3\r\n");
  b->Sync();
  a->Send("PUB feed.x 2\r\nhi\r\nPUB private.y 3\r\nsec\r\n");
  a->Sync();
  EXPECT_EQ(b->ReadUntil("hi\r\n"), "MSG from_a.feed.x 1 2\r\nhi\r\n");
  EXPECT_EQ(b->ReadUntil("sec\r\n"), "MSG mine.y 2 3\r\nsec\r\n");
  EXPECT_EQ(b->Sync(), "");  // nothing on B's own feed.>
}

TEST_F(AccountsTest, PrivateExportNotApprovedIsNotDelivered) {
  Start();
  auto a = Client("a");
  auto c = Client("c");
  c->Send("SUB > 1\r\n");
  c->Sync();
  a->Send("PUB private.y 3\r\nsec\r\n");
  a->Sync();
  EXPECT_EQ(c->Sync(), "");
}

TEST_F(AccountsTest, ServiceImportRewritesReplyAndRoutesTheSingleResponse) {
  Start();
  auto a = Client("a");
  auto b = Client("b");
  a->Send("SUB svc.* 1\r\n");
  a->Sync();
  b->Send("SUB _INBOX.me 9\r\nPUB ask.one _INBOX.me 3\r\nreq\r\n");
  std::string request = a->ReadUntil("req\r\n");
  ASSERT_THAT(request, ::testing::StartsWith("MSG svc.one 1 _R_."));
  std::string reply = request.substr(std::string("MSG svc.one 1 ").size());
  reply = reply.substr(0, reply.find(' '));
  EXPECT_EQ(server_->context().registry().ResponseRouteCount(), 1u);
  // Another A client cannot see the requester's inbox; the response goes back once.
  a->Send("PUB " + reply + " 3\r\nres\r\nPUB " + reply + " 4\r\nres2\r\n");
  a->Sync();
  EXPECT_EQ(b->ReadUntil("res\r\n"), "MSG _INBOX.me 9 3\r\nres\r\n");
  EXPECT_EQ(b->Sync(), "");
  EXPECT_EQ(server_->context().registry().ResponseRouteCount(), 0u);
}

// Requests register their response route in a table behind one wildcard subscription per
// exporter: the exporter's index (and so every publisher's match cache there) is untouched,
// and a guessed or foreign "_R_." subject reaches nobody.
TEST_F(AccountsTest, ServiceRequestsLeaveTheExporterIndexUnchanged) {
  Start();
  auto a = Client("a");
  auto b = Client("b");
  a->Send("SUB svc.* 1\r\n");
  a->Sync();
  b->Send("SUB _INBOX.me 9\r\n");
  b->Sync();
  std::shared_ptr<Account> exporter = server_->context().registry().Find("A");
  ASSERT_NE(exporter, nullptr);
  const uint64_t generation = exporter->sublist().generation();
  for (int i = 0; i < 3; ++i) {
    b->Send("PUB ask.one _INBOX.me 3\r\nreq\r\n");
    std::string request = a->ReadUntil("req\r\n");
    std::string reply = request.substr(std::string("MSG svc.one 1 ").size());
    reply = reply.substr(0, reply.find(' '));
    std::string forged = reply.substr(0, reply.rfind('.') + 1) + "notatoken";
    a->Send("PUB " + forged + " 1\r\nx\r\nPUB " + reply + " 3\r\nres\r\n");
    a->Sync();
    EXPECT_EQ(b->ReadUntil("res\r\n"), "MSG _INBOX.me 9 3\r\nres\r\n");
  }
  EXPECT_EQ(b->Sync(), "");
  EXPECT_EQ(exporter->sublist().generation(), generation);
  EXPECT_EQ(server_->context().registry().ResponseRouteCount(), 0u);
}

TEST_F(AccountsTest, StreamResponsesKeepTheRouteOpen) {
  Start(accounts::ResponseType::kStream);
  auto a = Client("a");
  auto b = Client("b");
  a->Send("SUB svc.* 1\r\n");
  a->Sync();
  b->Send("SUB _INBOX.me 9\r\nPUB ask.one _INBOX.me 3\r\nreq\r\n");
  std::string request = a->ReadUntil("req\r\n");
  std::string reply = request.substr(std::string("MSG svc.one 1 ").size());
  reply = reply.substr(0, reply.find(' '));
  a->Send("PUB " + reply + " 2\r\nr1\r\nPUB " + reply + " 2\r\nr2\r\n");
  a->Sync();
  EXPECT_EQ(b->ReadUntil("r2\r\n"), "MSG _INBOX.me 9 2\r\nr1\r\nMSG _INBOX.me 9 2\r\nr2\r\n");
}

TEST_F(AccountsTest, RequestWithoutResponderGetsNoResponders) {
  Start();
  auto b = std::make_unique<RawClient>(server_->port());
  b->Handshake(R"({"verbose":false,"user":"b","pass":"pw","headers":true,"no_responders":true})");
  b->Send("SUB _INBOX.me 9\r\nPUB ask.one _INBOX.me 3\r\nreq\r\n");
  EXPECT_THAT(b->ReadUntil("\r\n\r\n\r\n"), HasSubstr("HMSG _INBOX.me 9 16 16\r\nNATS/1.0 503"));
  EXPECT_EQ(server_->context().registry().ResponseRouteCount(), 0u);
}

TEST_F(AccountsTest, LiveApplyAddsAnImportWithoutReconnecting) {
  Start();
  auto a = Client("a");
  auto c = Client("c");
  c->Send("SUB feed.x 1\r\n");
  c->Sync();
  a->Send("PUB feed.x 1\r\n1\r\n");
  a->Sync();
  EXPECT_EQ(c->Sync(), "");
  accounts::AccountSpec spec;
  spec.name = "C";
  accounts::StreamImport feed;
  feed.account = "A";
  feed.subject = "feed.>";
  spec.stream_imports.push_back(feed);
  server_->context().registry().Apply(spec);
  a->Send("PUB feed.x 1\r\n2\r\n");
  EXPECT_EQ(c->ReadUntil("2\r\n"), "MSG feed.x 1 1\r\n2\r\n");
}

TEST(AccountLimitsTest, ConnectionsSubscriptionsAndPayload) {
  options::Options o = TestOptions();
  accounts::AccountSpec a;
  a.name = "A";
  a.limits.max_connections = 1;
  a.limits.max_subscriptions = 1;
  a.limits.max_payload = 4;
  o.accounts = {a};
  o.users = {UserIn("a", "A"), UserIn("a2", "A")};
  auto server = StartServer(o);
  RawClient first(server->port());
  first.Handshake(Connect("a"));
  first.Send("SUB x 1\r\nSUB y 2\r\n");
  EXPECT_EQ(first.Sync(), "-ERR 'maximum subscriptions exceeded'\r\n");
  first.Send("PUB x 5\r\nhello\r\n");
  std::string rest;
  EXPECT_TRUE(first.WaitForClose(&rest));
  EXPECT_THAT(rest, HasSubstr("-ERR 'Maximum Payload Violation'"));

  RawClient second(server->port());
  second.Handshake(Connect("a"));
  RawClient third(server->port());
  third.ReadInfo();
  third.Send("CONNECT " + Connect("a2") + "\r\nPING\r\n");
  EXPECT_TRUE(third.WaitForClose(&rest));
  EXPECT_THAT(rest, HasSubstr("-ERR 'maximum account active connections exceeded'"));
}

TEST(AccountLimitsTest, MaxSubscriptionsBoundsEachConnection) {
  options::Options o = TestOptions();
  accounts::AccountSpec a;
  a.name = "A";
  a.limits.max_subscriptions = 1;
  o.accounts = {a};
  o.users = {UserIn("a", "A")};
  auto server = StartServer(o);
  RawClient first(server->port());
  first.Handshake(Connect("a"));
  RawClient second(server->port());
  second.Handshake(Connect("a"));
  first.Send("SUB x 1\r\n");
  EXPECT_EQ(first.Sync(), "");
  second.Send("SUB x 1\r\n");
  EXPECT_EQ(second.Sync(), "");
  second.Send("SUB y 2\r\n");
  EXPECT_EQ(second.Sync(), "-ERR 'maximum subscriptions exceeded'\r\n");
}

TEST(AccountNoAuthUserTest, AnonymousClientsLandInTheNoAuthUsersAccount) {
  options::Options o = ThreeAccounts(accounts::ResponseType::kSingleton);
  o.no_auth_user = "b";
  auto server = StartServer(o);
  RawClient anon(server->port());
  anon.Handshake();
  anon.Send("SUB from_a.> 1\r\n");
  anon.Sync();
  RawClient a(server->port());
  a.Handshake(Connect("a"));
  a.Send("PUB feed.z 1\r\nz\r\n");
  EXPECT_EQ(anon.ReadUntil("z\r\n"), "MSG from_a.feed.z 1 1\r\nz\r\n");
}

TEST(AccountMappingsTest, AccountAndGlobalMappingsRewritePublishedSubjects) {
  options::Options o = TestOptions();
  accounts::AccountSpec a;
  a.name = "A";
  a.mappings.push_back({"orders.*", {{"orders.new.$1", 100, ""}}});
  o.accounts = {a};
  o.mappings.push_back({"top", {{"moved", 100, ""}}});
  o.users = {UserIn("a", "A"), UserIn("g", "")};
  auto server = StartServer(o);
  RawClient ca(server->port());
  ca.Handshake(Connect("a"));
  RawClient cg(server->port());
  cg.Handshake(Connect("g"));
  ca.Send("SUB orders.> 1\r\n");
  cg.Send("SUB > 1\r\n");
  ca.Sync();
  cg.Sync();
  ca.Send("PUB orders.7 1\r\nx\r\n");
  EXPECT_EQ(ca.ReadUntil("x\r\n"), "MSG orders.new.7 1 1\r\nx\r\n");
  cg.Send("PUB top 1\r\ny\r\n");
  EXPECT_EQ(cg.ReadUntil("y\r\n"), "MSG moved 1 1\r\ny\r\n");
  // Live change: the publisher's cached table follows the account's generation.
  a.mappings = {{"orders.*", {{"o.$1", 100, ""}}}};
  server->context().registry().Apply(a);
  ca.Send("PUB orders.8 1\r\nz\r\n");
  EXPECT_EQ(ca.Sync(), "");  // "o.8" is outside orders.>
}

// Connects as an nkey user: signs the INFO nonce with `key`.
void ConnectNkey(RawClient& client, const nkeys::KeyPair& key) {
  std::string info = client.ReadInfo();
  size_t at = info.find("\"nonce\":\"");
  ASSERT_NE(at, std::string::npos) << info;
  at += 9;
  std::string nonce = info.substr(at, info.find('"', at) - at);
  absl::StatusOr<std::string> sig = key.Sign(nonce);
  ASSERT_TRUE(sig.ok());
  std::string encoded;
  absl::WebSafeBase64Escape(absl::string_view(sig->data(), sig->size()), &encoded);
  client.Send("CONNECT {\"verbose\":false,\"nkey\":\"" + key.public_key().str() + "\",\"sig\":\"" +
              encoded + "\"}\r\n");
  ASSERT_EQ(client.Sync(), "");
}

TEST(AccountHooksTest, RevokeUserClosesOnlyThatKeysSessions) {
  absl::StatusOr<nkeys::KeyPair> k1 = nkeys::KeyPair::Generate(nkeys::KeyType::kUser);
  absl::StatusOr<nkeys::KeyPair> k2 = nkeys::KeyPair::Generate(nkeys::KeyType::kUser);
  ASSERT_TRUE(k1.ok() && k2.ok());
  options::Options o = TestOptions();
  accounts::AccountSpec a;
  a.name = "A";
  o.accounts = {a};
  options::User u1;
  u1.nkey = k1->public_key().str();
  u1.account = "A";
  options::User u2 = u1;
  u2.nkey = k2->public_key().str();
  o.users = {u1, u2};
  auto server = StartServer(o);
  RawClient c1(server->port());
  ConnectNkey(c1, *k1);
  RawClient c2(server->port());
  ConnectNkey(c2, *k2);

  server->RevokeUser("B", k1->public_key().str(), 0);  // another account: nothing happens
  EXPECT_EQ(c1.Sync(), "");
  server->RevokeUser("A", k1->public_key().str(), 0);
  std::string rest;
  EXPECT_TRUE(c1.WaitForClose(&rest));
  EXPECT_THAT(rest, HasSubstr("-ERR 'User Authentication Revoked'"));
  EXPECT_EQ(c2.Sync(), "");

  // Applying a spec with "*" revoked closes every user of the account.
  a.revoked_users["*"] = 0;
  server->ApplyAccount(a);
  EXPECT_TRUE(c2.WaitForClose(&rest));
  EXPECT_THAT(rest, HasSubstr("-ERR 'User Authentication Revoked'"));
}

TEST(AccountHooksTest, RemovedAccountClosesItsConnections) {
  options::Options o = ThreeAccounts(accounts::ResponseType::kSingleton);
  auto server = StartServer(o);
  RawClient c(server->port());
  c.Handshake(Connect("c"));
  RawClient b(server->port());
  b.Handshake(Connect("b"));
  server->RemoveAccount("C");
  std::string rest;
  EXPECT_TRUE(c.WaitForClose(&rest));
  EXPECT_THAT(rest, HasSubstr("-ERR 'Account Authentication Expired'"));
  EXPECT_EQ(b.Sync(), "");
  EXPECT_EQ(server->context().registry().Find("C"), nullptr);
  // A new login for the removed account is refused.
  RawClient again(server->port());
  again.ReadInfo();
  again.Send("CONNECT " + Connect("c") + "\r\nPING\r\n");
  EXPECT_TRUE(again.WaitForClose(&rest));
  EXPECT_THAT(rest, HasSubstr("Authorization Violation"));
}

}  // namespace
}  // namespace lattice::server
