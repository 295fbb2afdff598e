// Differential e2e of the system account: the same accounts + system_account config loaded by
// nats-server 2.9.10 and lattice-node, libnats clients. Events ($SYS.ACCOUNT.<acc>.CONNECT /
// DISCONNECT, CLIENT.AUTH.ERR), requests ($SYS.REQ.SERVER.PING[.X]) and the per-account
// imports ($SYS.REQ.ACCOUNT.PING.CONNZ / STATZ), compared by JSON keys and meaningful values.
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

#include "e2e/core/server_test.h"
#include "e2e/harness/nats_client.h"

namespace lattice::e2e {
namespace {

using Json = nlohmann::json;

constexpr char kConfig[] = R"(
accounts {
  A { users: [{user: a, password: pa}] }
  B { users: [{user: b, password: pb}] }
  SYS { users: [{user: sys, password: ps}] }
}
system_account: SYS
)";

std::string UrlFor(const ServerProcess& server, const std::string& user, const std::string& pass) {
  return absl::StrCat("nats://", user, ":", pass, "@127.0.0.1:", server.port());
}

absl::StatusOr<NatsConnection> As(const ServerProcess& server, const std::string& user,
                                  const std::string& pass, const std::string& name = "") {
  return ConnectNats(UrlFor(server, user, pass), [&](natsOptions* opts) {
    if (!name.empty()) {
      natsOptions_SetName(opts, name.c_str());
    }
  });
}

absl::StatusOr<NatsSubscription> SubscribeSync(natsConnection* nc, const std::string& subject) {
  natsSubscription* sub = nullptr;
  natsStatus s = natsConnection_SubscribeSync(&sub, nc, subject.c_str());
  if (s != NATS_OK) {
    return absl::InternalError(NatsError(s));
  }
  if (natsConnection_Flush(nc) != NATS_OK) {
    natsSubscription_Destroy(sub);
    return absl::InternalError("flush failed");
  }
  return NatsSubscription(sub);
}

struct Received {
  std::string subject;
  Json body;
};

absl::StatusOr<Received> Next(natsSubscription* sub, int64_t timeout_ms = 5000) {
  natsMsg* raw = nullptr;
  natsStatus s = natsSubscription_NextMsg(&raw, sub, timeout_ms);
  if (s != NATS_OK) {
    return absl::DeadlineExceededError(NatsError(s));
  }
  NatsMsg msg(raw);
  Received out;
  out.subject = natsMsg_GetSubject(msg.get());
  out.body = Json::parse(std::string(natsMsg_GetData(msg.get()), natsMsg_GetDataLength(msg.get())),
                         nullptr, false);
  if (out.body.is_discarded()) {
    return absl::InvalidArgumentError("payload is not JSON");
  }
  return out;
}

absl::StatusOr<Json> Request(natsConnection* nc, const std::string& subject,
                             const std::string& body = "") {
  natsMsg* raw = nullptr;
  natsStatus s = natsConnection_Request(&raw, nc, subject.c_str(), body.data(),
                                        static_cast<int>(body.size()), 5000);
  if (s == NATS_NO_RESPONDERS) {
    return absl::NotFoundError("no responders");
  }
  if (s != NATS_OK) {
    return absl::DeadlineExceededError(NatsError(s));
  }
  NatsMsg msg(raw);
  Json json = Json::parse(std::string(natsMsg_GetData(msg.get()), natsMsg_GetDataLength(msg.get())),
                          nullptr, false);
  if (json.is_discarded()) {
    return absl::InvalidArgumentError("reply is not JSON");
  }
  return json;
}

// Every key path of `json` ("client.acc", "server.id", ...), objects only (arrays opaque).
void KeyPaths(const Json& json, const std::string& prefix, std::set<std::string>* out) {
  if (!json.is_object()) {
    return;
  }
  for (auto it = json.begin(); it != json.end(); ++it) {
    std::string path = prefix.empty() ? it.key() : prefix + "." + it.key();
    out->insert(path);
    KeyPaths(it.value(), path, out);
  }
}

std::set<std::string> KeyPaths(const Json& json) {
  std::set<std::string> out;
  KeyPaths(json, "", &out);
  return out;
}

using SystemAccountTest = ServerTest;

TEST_P(SystemAccountTest, SystemUserSeesConnectEventsOfAccountUsers) {
  START_SERVER_OR_FAIL(server, {.config_text = kConfig});
  ASSERT_OK_AND_ASSIGN(auto sys, As(*server, "sys", "ps"));
  ASSERT_OK_AND_ASSIGN(auto events, SubscribeSync(sys.get(), "$SYS.ACCOUNT.*.CONNECT"));
  ASSERT_OK_AND_ASSIGN(auto a, As(*server, "a", "pa", "alice"));
  ASSERT_OK_AND_ASSIGN(Received event, Next(events.get()));
  if (event.subject == "$SYS.ACCOUNT.SYS.CONNECT") {
    // The system user's own connect, when the server was slower than its SUB.
    ASSERT_OK_AND_ASSIGN(event, Next(events.get()));
  }
  EXPECT_EQ(event.subject, "$SYS.ACCOUNT.A.CONNECT");
  EXPECT_EQ(event.body["type"], "io.nats.server.advisory.v1.client_connect");
  EXPECT_EQ(event.body["client"]["acc"], "A");
  EXPECT_EQ(event.body["client"]["user"], "a");
  EXPECT_EQ(event.body["client"]["name"], "alice");
  EXPECT_EQ(event.body["client"]["lang"], "C");
  EXPECT_EQ(event.body["client"]["kind"], "Client");
  EXPECT_EQ(event.body["client"]["client_type"], "nats");
  EXPECT_EQ(event.body["client"]["host"], "127.0.0.1");
  EXPECT_EQ(event.body["server"]["ver"], "2.9.10");
  EXPECT_FALSE(event.body["server"]["id"].get<std::string>().empty());
  EXPECT_EQ(event.body["id"].get<std::string>().size(), 22u);
}

TEST_P(SystemAccountTest, DisconnectEventCarriesReasonAndTraffic) {
  START_SERVER_OR_FAIL(server, {.config_text = kConfig});
  ASSERT_OK_AND_ASSIGN(auto sys, As(*server, "sys", "ps"));
  ASSERT_OK_AND_ASSIGN(auto events, SubscribeSync(sys.get(), "$SYS.ACCOUNT.A.DISCONNECT"));
  {
    ASSERT_OK_AND_ASSIGN(auto a, As(*server, "a", "pa"));
    ASSERT_EQ(natsConnection_PublishString(a.get(), "work", "12345"), NATS_OK);
    ASSERT_EQ(natsConnection_Flush(a.get()), NATS_OK);
  }  // closed
  ASSERT_OK_AND_ASSIGN(Received event, Next(events.get()));
  EXPECT_EQ(event.body["type"], "io.nats.server.advisory.v1.client_disconnect");
  EXPECT_EQ(event.body["reason"], "Client Closed");
  EXPECT_EQ(event.body["client"]["acc"], "A");
  EXPECT_EQ(event.body["sent"]["msgs"], 1);
  EXPECT_EQ(event.body["sent"]["bytes"], 5);
  EXPECT_EQ(event.body["received"]["msgs"], 0);
  EXPECT_TRUE(event.body["client"].contains("stop"));
}

TEST_P(SystemAccountTest, AuthenticationFailureEvent) {
  START_SERVER_OR_FAIL(server, {.config_text = kConfig});
  ASSERT_OK_AND_ASSIGN(auto sys, As(*server, "sys", "ps"));
  ASSERT_OK_AND_ASSIGN(auto events, SubscribeSync(sys.get(), "$SYS.SERVER.*.CLIENT.AUTH.ERR"));
  EXPECT_FALSE(As(*server, "a", "wrong").ok());
  ASSERT_OK_AND_ASSIGN(Received event, Next(events.get()));
  EXPECT_EQ(event.body["type"], "io.nats.server.advisory.v1.client_disconnect");
  EXPECT_EQ(event.body["reason"], "Authentication Failure");
  EXPECT_EQ(event.body["client"]["acc"], "$G");
}

TEST_P(SystemAccountTest, ServerPingIsAnswered) {
  START_SERVER_OR_FAIL(server, {.config_text = kConfig});
  ASSERT_OK_AND_ASSIGN(auto sys, As(*server, "sys", "ps"));
  ASSERT_OK_AND_ASSIGN(Json statsz, Request(sys.get(), "$SYS.REQ.SERVER.PING"));
  EXPECT_GE(statsz["statsz"]["connections"].get<int>(), 1);
  std::string id = statsz["server"]["id"];
  ASSERT_OK_AND_ASSIGN(Json varz, Request(sys.get(), "$SYS.REQ.SERVER.PING.VARZ"));
  EXPECT_EQ(varz["data"]["server_id"], id);
  EXPECT_EQ(varz["server"]["id"], id);
  ASSERT_OK_AND_ASSIGN(Json health, Request(sys.get(), "$SYS.REQ.SERVER." + id + ".HEALTHZ"));
  EXPECT_EQ(health["data"]["status"], "ok");
  ASSERT_OK_AND_ASSIGN(Json accountz, Request(sys.get(), "$SYS.REQ.SERVER.PING.ACCOUNTZ"));
  EXPECT_EQ(accountz["data"]["system_account"], "SYS");
  // Filtered to another server: no answer, so the request times out (no 503 either).
  auto filtered =
      Request(sys.get(), "$SYS.REQ.SERVER.PING.VARZ", R"({"server_name":"nowhere-else"})");
  EXPECT_FALSE(filtered.ok());
}

TEST_P(SystemAccountTest, AccountUsersSeeOnlyTheirOwnConnzAndStatz) {
  START_SERVER_OR_FAIL(server, {.config_text = kConfig});
  ASSERT_OK_AND_ASSIGN(auto b, As(*server, "b", "pb"));
  ASSERT_OK_AND_ASSIGN(auto a, As(*server, "a", "pa"));
  ASSERT_OK_AND_ASSIGN(Json connz,
                       Request(a.get(), "$SYS.REQ.ACCOUNT.PING.CONNZ", R"({"auth":true})"));
  EXPECT_EQ(connz["data"]["num_connections"], 1);
  ASSERT_EQ(connz["data"]["connections"].size(), 1u);
  EXPECT_EQ(connz["data"]["connections"][0]["account"], "A");
  ASSERT_OK_AND_ASSIGN(Json server_connz, Request(a.get(), "$SYS.REQ.SERVER.PING.CONNZ"));
  EXPECT_EQ(server_connz["data"]["num_connections"], 1);
  ASSERT_OK_AND_ASSIGN(Json statz, Request(a.get(), "$SYS.REQ.ACCOUNT.PING.STATZ"));
  ASSERT_EQ(statz["data"]["account_statz"].size(), 1u);
  EXPECT_EQ(statz["data"]["account_statz"][0]["acc"], "A");
  EXPECT_EQ(statz["data"]["account_statz"][0]["conns"], 1);
}

TEST_P(SystemAccountTest, UserInfoIsNotAService) {
  // $SYS.REQ.USER.INFO arrived in nats-server 2.10; 2.9.10 has no responder for it.
  START_SERVER_OR_FAIL(server, {.config_text = kConfig});
  ASSERT_OK_AND_ASSIGN(auto a, As(*server, "a", "pa"));
  auto info = Request(a.get(), "$SYS.REQ.USER.INFO");
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), absl::StatusCode::kNotFound) << info.status();
}

TEST_P(SystemAccountTest, OrdinaryUsersCannotReachSystemSubjects) {
  START_SERVER_OR_FAIL(server, {.config_text = kConfig});
  ASSERT_OK_AND_ASSIGN(auto sys, As(*server, "sys", "ps"));
  ASSERT_OK_AND_ASSIGN(auto sys_events, SubscribeSync(sys.get(), "$SYS.ACCOUNT.B.DISCONNECT"));
  ASSERT_OK_AND_ASSIGN(auto a, As(*server, "a", "pa"));
  ASSERT_OK_AND_ASSIGN(auto snoop, SubscribeSync(a.get(), "$SYS.>"));
  { ASSERT_OK_AND_ASSIGN(auto b, As(*server, "b", "pb")); }
  // The system user got B's disconnect (published after B's connect): A saw neither.
  ASSERT_OK(Next(sys_events.get()).status());
  ASSERT_EQ(natsConnection_Flush(a.get()), NATS_OK);
  EXPECT_FALSE(Next(snoop.get(), 200).ok());
  // The server's request subjects are not served in A: without A's own $SYS.> subscriber, a
  // VARZ ping finds no responder.
  ASSERT_EQ(natsSubscription_Unsubscribe(snoop.get()), NATS_OK);
  auto varz = Request(a.get(), "$SYS.REQ.SERVER.PING.VARZ");
  ASSERT_FALSE(varz.ok());
  EXPECT_EQ(varz.status().code(), absl::StatusCode::kNotFound);
}

TEST_P(SystemAccountTest, ShutdownIsAnnounced) {
  START_SERVER_OR_FAIL(server, {.config_text = kConfig});
  // A raw client: it keeps what arrived before the close (libnats drops it with the connection);
  // WaitClosed keeps control lines only, so the payload (the server info) is not checked here.
  ASSERT_OK_AND_ASSIGN(
      auto sys, RawClient::ConnectAndHandshake(server->port(),
                                               R"({"verbose":false,"user":"sys","pass":"ps"})"));
  ASSERT_OK(sys->Send("SUB $SYS.SERVER.*.SHUTDOWN 1\r\n"));
  ASSERT_OK(sys->Sync().status());
  ASSERT_OK(server->Stop().status());
  EXPECT_TRUE(sys->WaitClosed());
  std::vector<std::string> subjects;
  for (const RawOp& op : sys->drained()) {
    if (op.verb == "MSG") {
      subjects.push_back(op.line.substr(4, op.line.find(' ', 4) - 4));
    }
  }
  ASSERT_EQ(subjects.size(), 1u);
  EXPECT_EQ(subjects[0].rfind("$SYS.SERVER.", 0), 0u);
  EXPECT_NE(subjects[0].find(".SHUTDOWN"), std::string::npos);
}

LATTICE_E2E_INSTANTIATE(SystemAccountTest);

// Both servers at once: the documents have the same keys (values differ: ids, times).
TEST(SystemAccountDifferentialTest, SameKeysOnBothServers) {
  std::vector<std::vector<std::set<std::string>>> keys;
  for (ServerKind kind : {ServerKind::kNatsServer, ServerKind::kLatticeNode}) {
    ASSERT_OK_AND_ASSIGN(auto server, ServerProcess::Start(kind, {.config_text = kConfig}));
    ASSERT_OK_AND_ASSIGN(auto sys, As(*server, "sys", "ps"));
    ASSERT_OK_AND_ASSIGN(auto connects, SubscribeSync(sys.get(), "$SYS.ACCOUNT.A.CONNECT"));
    ASSERT_OK_AND_ASSIGN(auto disconnects, SubscribeSync(sys.get(), "$SYS.ACCOUNT.A.DISCONNECT"));
    ASSERT_OK_AND_ASSIGN(auto counts, SubscribeSync(sys.get(), "$SYS.ACCOUNT.A.SERVER.CONNS"));
    std::vector<std::set<std::string>> documents;
    {
      ASSERT_OK_AND_ASSIGN(auto a, As(*server, "a", "pa", "alice"));
      ASSERT_OK_AND_ASSIGN(Received connect, Next(connects.get()));
      documents.push_back(KeyPaths(connect.body));
      ASSERT_OK_AND_ASSIGN(Received conns, Next(counts.get()));
      EXPECT_EQ(conns.body["conns"], 1);
      documents.push_back(KeyPaths(conns.body));
      ASSERT_OK_AND_ASSIGN(Json statsz, Request(sys.get(), "$SYS.REQ.SERVER.PING"));
      documents.push_back(KeyPaths(statsz));
      ASSERT_OK_AND_ASSIGN(Json connz, Request(a.get(), "$SYS.REQ.ACCOUNT.PING.CONNZ"));
      std::set<std::string> envelope = KeyPaths(connz);
      // Only the envelope and the connz top level: per-connection fields are /connz's business.
      std::set<std::string> top;
      for (const std::string& k : envelope) {
        if (k.rfind("data.connections.", 0) != 0) {
          top.insert(k);
        }
      }
      documents.push_back(top);
      ASSERT_OK_AND_ASSIGN(Json statz, Request(a.get(), "$SYS.REQ.ACCOUNT.PING.STATZ"));
      documents.push_back(KeyPaths(statz));
    }
    ASSERT_OK_AND_ASSIGN(Received disconnect, Next(disconnects.get()));
    std::set<std::string> disconnect_keys = KeyPaths(disconnect.body);
    disconnect_keys.erase("client.rtt");  // omitted while the RTT is not measured yet
    documents.push_back(disconnect_keys);
    keys.push_back(std::move(documents));
  }
  ASSERT_EQ(keys.size(), 2u);
  const char* names[] = {"connect event", "account conns event", "server statsz",
                         "account connz", "account statz",       "disconnect event"};
  for (size_t i = 0; i < keys[0].size(); ++i) {
    EXPECT_EQ(keys[0][i], keys[1][i]) << names[i] << " (left: nats-server, right: lattice-node)";
  }
}

}  // namespace
}  // namespace lattice::e2e
