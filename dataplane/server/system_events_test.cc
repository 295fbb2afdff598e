// Component tests of SystemEvents: a real in-process Server with accounts A, B and the system
// account SYS, raw protocol clients, events and $SYS requests checked by their JSON.
#include "dataplane/server/system_events.h"

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

#include "dataplane/server/monitor_adapter.h"
#include "dataplane/server/test_client.h"

namespace lattice::server {
namespace {

using testing::RawClient;
using testing::StartServer;
using testing::TestOptions;
using Json = nlohmann::json;

options::User UserIn(const std::string& name, const std::string& account) {
  options::User u;
  u.username = name;
  u.password = "pw";
  u.account = account;
  return u;
}

std::string Connect(const std::string& user, const std::string& password = "pw") {
  return R"({"verbose":false,"user":")" + user + R"(","pass":")" + password + R"("})";
}

// One MSG as read by NextMsg.
struct Msg {
  std::string subject;
  std::string reply;
  Json body;
  bool ok = false;
};

// Reads the next MSG (skipping PING/PONG lines); its payload is a one-line JSON document.
Msg NextMsg(RawClient& client) {
  Msg msg;
  std::string got = client.ReadUntil("\r\n", std::chrono::seconds(5));
  while (got.rfind("MSG ", 0) != 0) {
    if (got.find("\r\n") == std::string::npos) {
      return msg;  // deadline
    }
    got = client.ReadUntil("\r\n", std::chrono::seconds(5));
  }
  std::vector<std::string> parts;
  std::string line = got.substr(0, got.size() - 2);
  size_t start = 0;
  while (start <= line.size()) {
    size_t space = line.find(' ', start);
    parts.push_back(line.substr(start, space - start));
    if (space == std::string::npos) {
      break;
    }
    start = space + 1;
  }
  msg.subject = parts[1];
  if (parts.size() == 5) {
    msg.reply = parts[3];
  }
  size_t length = std::stoul(parts.back());
  std::string payload;
  while (payload.size() < length + 2) {
    std::string more = client.ReadUntil("\r\n", std::chrono::seconds(5));
    if (more.empty()) {
      return msg;
    }
    payload += more;
  }
  msg.body = Json::parse(payload.substr(0, length), nullptr, false);
  msg.ok = !msg.body.is_discarded();
  return msg;
}

class SystemEventsTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(/*system=*/true); }

  void Start(bool system) {
    options::Options o = TestOptions();
    accounts::AccountSpec a;
    a.name = "A";
    accounts::AccountSpec b;
    b.name = "B";
    accounts::AccountSpec sys;
    sys.name = "SYS";
    o.accounts = {a, b, sys};
    o.users = {UserIn("a", "A"), UserIn("b", "B"), UserIn("sys", "SYS")};
    if (system) {
      o.system_account = "SYS";
    } else {
      o.no_system_account = true;
    }
    server_ = StartServer(o);
    monitor_ = std::make_unique<MonitorAdapter>(*server_);
    SystemEventsOptions events_options;
    events_options.statsz_first = std::chrono::milliseconds(5);
    events_ = std::make_unique<SystemEvents>(*server_, *monitor_, events_options);
    ASSERT_TRUE(events_->Start().ok());
  }

  void TearDown() override {
    events_->Stop();
    server_->Shutdown();
  }

  std::unique_ptr<RawClient> Client(const std::string& user) {
    auto client = std::make_unique<RawClient>(server_->port());
    client->Handshake(Connect(user));
    return client;
  }

  // Everything the events thread was handed so far has been published.
  void Settle() { events_->SyncForTest(); }

  std::unique_ptr<Server> server_;
  std::unique_ptr<MonitorAdapter> monitor_;
  std::unique_ptr<SystemEvents> events_;
};

TEST_F(SystemEventsTest, ConnectAndDisconnectEventsReachTheSystemAccount) {
  auto sys = Client("sys");
  sys->Send("SUB $SYS.ACCOUNT.*.CONNECT 1\r\nSUB $SYS.ACCOUNT.*.DISCONNECT 2\r\n");
  sys->Sync();
  auto a = Client("a");
  Msg connect = NextMsg(*sys);
  ASSERT_TRUE(connect.ok);
  EXPECT_EQ(connect.subject, "$SYS.ACCOUNT.A.CONNECT");
  EXPECT_EQ(connect.body["type"], "io.nats.server.advisory.v1.client_connect");
  EXPECT_EQ(connect.body["client"]["acc"], "A");
  EXPECT_EQ(connect.body["client"]["user"], "a");
  EXPECT_EQ(connect.body["client"]["kind"], "Client");
  EXPECT_EQ(connect.body["server"]["id"], server_->server_id());
  EXPECT_EQ(connect.body["server"]["ver"], "2.9.10");

  a->Send("PUB x 2\r\nhi\r\n");
  a->Sync();
  a.reset();  // the client hangs up
  Msg disconnect = NextMsg(*sys);
  ASSERT_TRUE(disconnect.ok);
  EXPECT_EQ(disconnect.subject, "$SYS.ACCOUNT.A.DISCONNECT");
  EXPECT_EQ(disconnect.body["type"], "io.nats.server.advisory.v1.client_disconnect");
  EXPECT_EQ(disconnect.body["reason"], "Client Closed");
  EXPECT_EQ(disconnect.body["sent"]["msgs"], 1);  // what the client sent
  EXPECT_EQ(disconnect.body["sent"]["bytes"], 2);
  EXPECT_TRUE(disconnect.body["client"].contains("stop"));
  EXPECT_GT(disconnect.body["server"]["seq"].get<int>(), connect.body["server"]["seq"].get<int>());
}

TEST_F(SystemEventsTest, GlobalAccountClientsMakeNoConnectEvents) {
  auto sys = Client("sys");
  sys->Send("SUB $SYS.ACCOUNT.> 1\r\n");
  sys->Sync();
  // Without credentials the connection fails auth (users are configured): an AUTH.ERR, no
  // account event; then a client of B does make one.
  auto b = Client("b");
  Msg msg = NextMsg(*sys);
  ASSERT_TRUE(msg.ok);
  // The first event in SYS's view is B's connect or B's CONNS count, both about B.
  EXPECT_NE(msg.subject.find(".B."), std::string::npos) << msg.subject;
}

TEST_F(SystemEventsTest, AccountConnectionCountsFollowConnectsAndCloses) {
  auto sys = Client("sys");
  sys->Send("SUB $SYS.ACCOUNT.A.SERVER.CONNS 1\r\n");
  sys->Sync();
  auto a1 = Client("a");
  Msg first = NextMsg(*sys);
  ASSERT_TRUE(first.ok);
  EXPECT_EQ(first.body["type"], "io.nats.server.advisory.v1.account_connections");
  EXPECT_EQ(first.body["acc"], "A");
  EXPECT_EQ(first.body["conns"], 1);
  auto a2 = Client("a");
  Msg second = NextMsg(*sys);
  ASSERT_TRUE(second.ok);
  EXPECT_EQ(second.body["conns"], 2);
  a1.reset();
  Msg third = NextMsg(*sys);
  ASSERT_TRUE(third.ok);
  EXPECT_EQ(third.body["conns"], 1);
}

TEST_F(SystemEventsTest, AuthenticationFailuresArePublished) {
  auto sys = Client("sys");
  sys->Send("SUB $SYS.SERVER.*.CLIENT.AUTH.ERR 1\r\n");
  sys->Sync();
  RawClient bad(server_->port());
  bad.ReadInfo();
  bad.Send("CONNECT " + Connect("a", "wrong") + "\r\nPING\r\n");
  EXPECT_TRUE(bad.WaitForClose());
  Msg msg = NextMsg(*sys);
  ASSERT_TRUE(msg.ok);
  EXPECT_EQ(msg.subject, "$SYS.SERVER." + server_->server_id() + ".CLIENT.AUTH.ERR");
  EXPECT_EQ(msg.body["type"], "io.nats.server.advisory.v1.client_disconnect");
  EXPECT_EQ(msg.body["reason"], "Authentication Failure");
  EXPECT_EQ(msg.body["client"]["acc"], "$G");
}

TEST_F(SystemEventsTest, StatszIsPublishedPeriodically) {
  auto sys = Client("sys");
  sys->Send("SUB $SYS.SERVER.*.STATSZ 1\r\n");
  sys->Sync();
  Msg msg = NextMsg(*sys);
  ASSERT_TRUE(msg.ok);
  EXPECT_EQ(msg.subject, "$SYS.SERVER." + server_->server_id() + ".STATSZ");
  EXPECT_EQ(msg.body["server"]["id"], server_->server_id());
  EXPECT_GE(msg.body["statsz"]["connections"].get<int>(), 1);
  EXPECT_TRUE(msg.body["statsz"].contains("sent"));
}

TEST_F(SystemEventsTest, ServerPingRequestsAreAnswered) {
  auto sys = Client("sys");
  sys->Send("SUB _INBOX.s 1\r\n");
  sys->Send("PUB $SYS.REQ.SERVER.PING _INBOX.s 0\r\n\r\n");
  Msg statsz = NextMsg(*sys);
  ASSERT_TRUE(statsz.ok);
  EXPECT_TRUE(statsz.body.contains("statsz"));

  sys->Send("PUB $SYS.REQ.SERVER.PING.VARZ _INBOX.s 0\r\n\r\n");
  Msg varz = NextMsg(*sys);
  ASSERT_TRUE(varz.ok);
  EXPECT_EQ(varz.body["data"]["server_id"], server_->server_id());
  EXPECT_EQ(varz.body["server"]["id"], server_->server_id());

  auto a = Client("a");
  std::string body = R"({"acc":"A","subscriptions":true,"auth":true})";
  sys->Send("PUB $SYS.REQ.SERVER." + server_->server_id() + ".CONNZ _INBOX.s " +
            std::to_string(body.size()) + "\r\n" + body + "\r\n");
  Msg connz = NextMsg(*sys);
  ASSERT_TRUE(connz.ok);
  ASSERT_EQ(connz.body["data"]["connections"].size(), 1u);
  EXPECT_EQ(connz.body["data"]["connections"][0]["account"], "A");

  sys->Send("PUB $SYS.REQ.SERVER.PING.HEALTHZ _INBOX.s 0\r\n\r\n");
  Msg health = NextMsg(*sys);
  ASSERT_TRUE(health.ok);
  EXPECT_EQ(health.body["data"]["status"], "ok");

  std::string bad = R"({"limit":"ten"})";
  sys->Send("PUB $SYS.REQ.SERVER.PING.CONNZ _INBOX.s " + std::to_string(bad.size()) + "\r\n" + bad +
            "\r\n");
  Msg error = NextMsg(*sys);
  ASSERT_TRUE(error.ok);
  EXPECT_EQ(error.body["error"]["code"], 400);
  EXPECT_FALSE(error.body.contains("data"));
}

TEST_F(SystemEventsTest, FilteredOutAndUnknownRequestsGetNoAnswer) {
  auto sys = Client("sys");
  sys->Send("SUB _INBOX.s 1\r\n");
  std::string other = R"({"server_name":"not-this-one"})";
  sys->Send("PUB $SYS.REQ.SERVER.PING.VARZ _INBOX.s " + std::to_string(other.size()) + "\r\n" +
            other + "\r\nPUB $SYS.REQ.SERVER.PING.JSZ _INBOX.s 0\r\n\r\n");
  sys->Sync();
  Settle();
  EXPECT_EQ(sys->Sync().find("MSG"), std::string::npos);
}

TEST_F(SystemEventsTest, OrdinaryAccountsSeeOnlyTheirOwnConnzAndStatz) {
  auto b = Client("b");
  auto a = Client("a");
  std::string auth = R"({"auth":true})";
  a->Send("SUB _INBOX.a 1\r\nPUB $SYS.REQ.ACCOUNT.PING.CONNZ _INBOX.a " +
          std::to_string(auth.size()) + "\r\n" + auth + "\r\n");
  Msg connz = NextMsg(*a);
  ASSERT_TRUE(connz.ok);
  ASSERT_EQ(connz.body["data"]["connections"].size(), 1u);
  EXPECT_EQ(connz.body["data"]["connections"][0]["account"], "A");

  a->Send("PUB $SYS.REQ.SERVER.PING.CONNZ _INBOX.a 0\r\n\r\n");
  Msg server_connz = NextMsg(*a);
  ASSERT_TRUE(server_connz.ok);
  EXPECT_EQ(server_connz.body["data"]["connections"].size(), 1u);

  a->Send("PUB $SYS.REQ.ACCOUNT.PING.STATZ _INBOX.a 0\r\n\r\n");
  Msg statz = NextMsg(*a);
  ASSERT_TRUE(statz.ok);
  ASSERT_EQ(statz.body["data"]["account_statz"].size(), 1u);
  EXPECT_EQ(statz.body["data"]["account_statz"][0]["acc"], "A");
  EXPECT_EQ(statz.body["data"]["account_statz"][0]["conns"], 1);

  // The system account's own subjects stay in the system account.
  a->Send("PUB $SYS.REQ.SERVER.PING.VARZ _INBOX.a 0\r\n\r\n");
  a->Send("PUB $SYS.REQ.SERVER.PING _INBOX.a 0\r\n\r\n");
  a->Sync();
  Settle();
  EXPECT_EQ(a->Sync().find("MSG"), std::string::npos);
}

TEST_F(SystemEventsTest, OrdinaryUsersCannotListenToSystemEvents) {
  auto a = Client("a");
  a->Send("SUB $SYS.> 1\r\n");
  a->Sync();
  auto b = Client("b");
  b.reset();
  Settle();
  EXPECT_EQ(a->Sync().find("MSG"), std::string::npos);
}

TEST_F(SystemEventsTest, AccountDirectRequestsFromTheSystemAccount) {
  auto a = Client("a");
  auto sys = Client("sys");
  sys->Send("SUB _INBOX.s 1\r\nPUB $SYS.REQ.ACCOUNT.A.STATZ _INBOX.s 0\r\n\r\n");
  Msg statz = NextMsg(*sys);
  ASSERT_TRUE(statz.ok);
  ASSERT_EQ(statz.body["data"]["account_statz"].size(), 1u);
  EXPECT_EQ(statz.body["data"]["account_statz"][0]["acc"], "A");

  sys->Send("PUB $SYS.REQ.ACCOUNT.A.INFO _INBOX.s 0\r\n\r\n");
  Msg info = NextMsg(*sys);
  ASSERT_TRUE(info.ok);
  EXPECT_EQ(info.body["data"]["account_name"], "A");

  sys->Send("PUB $SYS.REQ.ACCOUNT.A.SUBSZ _INBOX.s 0\r\n\r\n");
  Msg subsz = NextMsg(*sys);
  ASSERT_TRUE(subsz.ok);
  EXPECT_TRUE(subsz.body["data"].contains("subscriptions_list"));

  sys->Send("PUB $SYS.REQ.ACCOUNT.PING.STATZ _INBOX.s 0\r\n\r\n");
  Msg all = NextMsg(*sys);
  ASSERT_TRUE(all.ok);
  EXPECT_GE(all.body["data"]["account_statz"].size(), 2u);  // A and SYS have clients
}

TEST_F(SystemEventsTest, ShutdownIsAnnouncedBeforeClientsAreClosed) {
  auto sys = Client("sys");
  sys->Send("SUB $SYS.SERVER.*.SHUTDOWN 1\r\n");
  sys->Sync();
  server_->Shutdown();
  Msg msg = NextMsg(*sys);
  ASSERT_TRUE(msg.ok);
  EXPECT_EQ(msg.subject, "$SYS.SERVER." + server_->server_id() + ".SHUTDOWN");
  EXPECT_EQ(msg.body["id"], server_->server_id());
  EXPECT_EQ(msg.body["ver"], "2.9.10");
}

class NoSystemAccountTest : public SystemEventsTest {
 protected:
  void SetUp() override { Start(/*system=*/false); }
};

TEST_F(NoSystemAccountTest, NothingIsPublishedOrAnswered) {
  EXPECT_FALSE(events_->enabled());
  auto a = Client("a");
  a->Send("SUB _INBOX.a 1\r\nPUB $SYS.REQ.ACCOUNT.PING.CONNZ _INBOX.a 0\r\n\r\n");
  a->Sync();
  EXPECT_EQ(a->Sync().find("MSG"), std::string::npos);
}

}  // namespace
}  // namespace lattice::server
