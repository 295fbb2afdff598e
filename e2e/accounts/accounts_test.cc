// Differential accounts e2e: the same config file loaded by nats-server and lattice-node, the
// same scenarios over raw sockets and libnats: isolation, stream imports (prefix, to), service
// imports with reply rewriting, private exports, account limits, mappings, no_auth_user,
// start-up errors and /accountz.
#include <signal.h>
#include <stdio.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "nlohmann/json.hpp"

#include "e2e/core/server_test.h"
#include "e2e/harness/nats_client.h"
#include "e2e/harness/net.h"

namespace lattice::e2e {
namespace {

using AccountsTest = ServerTest;

constexpr char kConfig[] = R"(
accounts {
  A {
    users: [{user: a, password: pa}]
    exports: [
      {stream: "feed.>"}
      {stream: "private.>", accounts: [B]}
      {service: "svc.*"}
      {service: "multi", response_type: stream}
    ]
  }
  B {
    users: [{user: b, password: pb}]
    imports: [
      {stream: {account: A, subject: "feed.>"}, prefix: from_a}
      {stream: {account: A, subject: "private.x"}, to: "priv.x"}
      {service: {account: A, subject: "svc.*"}, to: "ask.*"}
      {service: {account: A, subject: "multi"}}
    ]
    mappings: {"m.in": "m.out"}
  }
  C {
    users: [{user: c, password: pc}, {user: c2, password: pc}]
    limits: {max_connections: 1, max_subscriptions: 2}
  }
}
no_auth_user: b
)";

std::string Connect(const std::string& user, const std::string& pass) {
  return R"({"verbose":false,"pedantic":false,"user":")" + user + R"(","pass":")" + pass + R"("})";
}

// The MSG control lines among `ops`.
std::vector<std::string> MsgLines(const std::vector<RawOp>& ops) {
  std::vector<std::string> lines;
  for (const RawOp& op : ops) {
    if (op.verb == "MSG" || op.verb == "HMSG" || op.verb == "-ERR") {
      lines.push_back(op.line + (op.verb == "MSG" ? " " + op.payload : ""));
    }
  }
  return lines;
}

class Clients {
 public:
  explicit Clients(const ServerProcess& server) : server_(server) {}
  absl::StatusOr<std::unique_ptr<RawClient>> As(const std::string& user, const std::string& pass) {
    return RawClient::ConnectAndHandshake(server_.port(), Connect(user, pass));
  }

 private:
  const ServerProcess& server_;
};

TEST_P(AccountsTest, SameSubjectNeverCrossesAccounts) {
  START_SERVER_OR_FAIL(server, {.config_text = kConfig});
  Clients clients(*server);
  ASSERT_OK_AND_ASSIGN(auto a, clients.As("a", "pa"));
  ASSERT_OK_AND_ASSIGN(auto b, clients.As("b", "pb"));
  ASSERT_OK(a->Send("SUB foo 1\r\n"));
  ASSERT_OK(b->Send("SUB foo 1\r\n"));
  ASSERT_OK(b->Sync().status());
  ASSERT_OK(a->Send("PUB foo 2\r\nhi\r\n"));
  ASSERT_OK_AND_ASSIGN(auto got_a, a->Sync());
  EXPECT_EQ(MsgLines(got_a), std::vector<std::string>{"MSG foo 1 2 hi"});
  ASSERT_OK_AND_ASSIGN(auto got_b, b->Sync());
  EXPECT_TRUE(MsgLines(got_b).empty()) << DescribeOps(got_b);
}

TEST_P(AccountsTest, StreamImportsWithPrefixAndTo) {
  START_SERVER_OR_FAIL(server, {.config_text = kConfig});
  Clients clients(*server);
  ASSERT_OK_AND_ASSIGN(auto a, clients.As("a", "pa"));
  ASSERT_OK_AND_ASSIGN(auto b, clients.As("b", "pb"));
  ASSERT_OK(b->Send("SUB from_a.> 1\r\nSUB priv.x 2\r\nSUB private.> 3\r\n"));
  ASSERT_OK(b->Sync().status());
  ASSERT_OK(a->Send("PUB feed.x 1\r\n1\r\nPUB private.x 1\r\n2\r\nPUB private.y 1\r\n3\r\n"));
  ASSERT_OK(a->Sync().status());
  ASSERT_OK_AND_ASSIGN(auto first, b->ReadUntil("MSG"));
  ASSERT_OK_AND_ASSIGN(auto second, b->ReadUntil("MSG"));
  EXPECT_EQ(first.back().line, "MSG from_a.feed.x 1 1");
  EXPECT_EQ(second.back().line, "MSG priv.x 2 1");
  ASSERT_OK_AND_ASSIGN(auto rest, b->Sync());
  EXPECT_TRUE(MsgLines(rest).empty()) << DescribeOps(rest);
}

TEST_P(AccountsTest, ServiceImportRewritesTheReplyAndAnswersOnce) {
  START_SERVER_OR_FAIL(server, {.config_text = kConfig});
  Clients clients(*server);
  ASSERT_OK_AND_ASSIGN(auto a, clients.As("a", "pa"));
  ASSERT_OK_AND_ASSIGN(auto b, clients.As("b", "pb"));
  ASSERT_OK(a->Send("SUB svc.* 1\r\nSUB _INBOX.> 2\r\n"));
  ASSERT_OK(a->Sync().status());
  ASSERT_OK(b->Send("SUB _INBOX.b 9\r\nPUB ask.one _INBOX.b 3\r\nreq\r\n"));
  ASSERT_OK_AND_ASSIGN(auto got, a->ReadUntil("MSG"));
  const std::string& line = got.back().line;
  ASSERT_TRUE(absl::StartsWith(line, "MSG svc.one 1 _R_.")) << line;
  std::string reply = line.substr(std::string("MSG svc.one 1 ").size());
  reply = reply.substr(0, reply.find(' '));
  // The exporter never sees the requester's inbox.
  ASSERT_OK(a->Send("PUB " + reply + " 3\r\nres\r\nPUB " + reply + " 4\r\nres2\r\n"));
  ASSERT_OK_AND_ASSIGN(auto a_rest, a->Sync());
  EXPECT_TRUE(MsgLines(a_rest).empty()) << DescribeOps(a_rest);
  ASSERT_OK_AND_ASSIGN(auto answer, b->ReadUntil("MSG"));
  EXPECT_EQ(answer.back().line, "MSG _INBOX.b 9 3");
  EXPECT_EQ(answer.back().payload, "res");
  ASSERT_OK_AND_ASSIGN(auto b_rest, b->Sync());
  EXPECT_TRUE(MsgLines(b_rest).empty()) << DescribeOps(b_rest);
}

TEST_P(AccountsTest, StreamedServiceResponsesAllArrive) {
  START_SERVER_OR_FAIL(server, {.config_text = kConfig});
  Clients clients(*server);
  ASSERT_OK_AND_ASSIGN(auto a, clients.As("a", "pa"));
  ASSERT_OK_AND_ASSIGN(auto b, clients.As("b", "pb"));
  ASSERT_OK(a->Send("SUB multi 1\r\n"));
  ASSERT_OK(a->Sync().status());
  ASSERT_OK(b->Send("SUB _INBOX.b 9\r\nPUB multi _INBOX.b 1\r\nq\r\n"));
  ASSERT_OK_AND_ASSIGN(auto got, a->ReadUntil("MSG"));
  std::string reply = got.back().line.substr(std::string("MSG multi 1 ").size());
  reply = reply.substr(0, reply.find(' '));
  ASSERT_OK(a->Send("PUB " + reply + " 2\r\nr1\r\nPUB " + reply + " 2\r\nr2\r\n"));
  ASSERT_OK_AND_ASSIGN(auto one, b->ReadUntil("MSG"));
  ASSERT_OK_AND_ASSIGN(auto two, b->ReadUntil("MSG"));
  EXPECT_EQ(one.back().payload, "r1");
  EXPECT_EQ(two.back().payload, "r2");
}

TEST_P(AccountsTest, LibnatsRequestAcrossAccounts) {
  START_SERVER_OR_FAIL(server, {.config_text = kConfig});
  ASSERT_OK_AND_ASSIGN(auto responder, ConnectNats(server->url(), [](natsOptions* o) {
                         natsOptions_SetUserInfo(o, "a", "pa");
                       }));
  natsSubscription* raw_sub = nullptr;
  ASSERT_EQ(natsConnection_Subscribe(
                &raw_sub, responder.get(), "svc.*",
                [](natsConnection* nc, natsSubscription*, natsMsg* msg, void*) {
                  std::string answer = std::string("echo:") + natsMsg_GetSubject(msg);
                  natsConnection_PublishString(nc, natsMsg_GetReply(msg), answer.c_str());
                  natsMsg_Destroy(msg);
                },
                nullptr),
            NATS_OK);
  NatsSubscription sub(raw_sub);
  ASSERT_EQ(natsConnection_Flush(responder.get()), NATS_OK);
  ASSERT_OK_AND_ASSIGN(auto requester, ConnectNats(server->url(), [](natsOptions* o) {
                         natsOptions_SetUserInfo(o, "b", "pb");
                       }));
  natsMsg* raw_reply = nullptr;
  ASSERT_EQ(natsConnection_RequestString(&raw_reply, requester.get(), "ask.two", "x", 5000),
            NATS_OK);
  NatsMsg reply(raw_reply);
  EXPECT_EQ(std::string(natsMsg_GetData(reply.get()), natsMsg_GetDataLength(reply.get())),
            "echo:svc.two");
  // No responder for a subject outside the export: no responders / timeout, never a reply.
  natsMsg* none = nullptr;
  EXPECT_NE(natsConnection_RequestString(&none, requester.get(), "ask", "x", 500), NATS_OK);
}

TEST_P(AccountsTest, AccountLimits) {
  START_SERVER_OR_FAIL(server, {.config_text = kConfig});
  Clients clients(*server);
  ASSERT_OK_AND_ASSIGN(auto c, clients.As("c", "pc"));
  ASSERT_OK(c->Send("SUB a 1\r\nSUB b 2\r\nSUB c 3\r\n"));
  ASSERT_OK_AND_ASSIGN(auto subs, c->Sync());
  EXPECT_EQ(MsgLines(subs), std::vector<std::string>{"-ERR 'maximum subscriptions exceeded'"});
  ASSERT_OK_AND_ASSIGN(auto second, RawClient::Connect(server->port()));
  ASSERT_OK(second->ReadInfo().status());
  ASSERT_OK(second->Send("CONNECT " + Connect("c2", "pc") + "\r\nPING\r\n"));
  ASSERT_TRUE(second->WaitClosed());
  EXPECT_EQ(MsgLines(second->drained()),
            std::vector<std::string>{"-ERR 'maximum account active connections exceeded'"});
}

TEST_P(AccountsTest, MappingsAndNoAuthUser) {
  START_SERVER_OR_FAIL(server, {.config_text = kConfig});
  // No credentials: the no_auth_user's account (B), with its mappings and imports.
  ASSERT_OK_AND_ASSIGN(auto anon, RawClient::ConnectAndHandshake(server->port()));
  ASSERT_OK(anon->Send("SUB m.out 1\r\nSUB from_a.> 2\r\nPUB m.in 1\r\nx\r\n"));
  ASSERT_OK_AND_ASSIGN(auto mapped, anon->ReadUntil("MSG"));
  EXPECT_EQ(mapped.back().line, "MSG m.out 1 1");
  Clients clients(*server);
  ASSERT_OK_AND_ASSIGN(auto a, clients.As("a", "pa"));
  ASSERT_OK(a->Send("PUB feed.z 1\r\nz\r\n"));
  ASSERT_OK_AND_ASSIGN(auto streamed, anon->ReadUntil("MSG"));
  EXPECT_EQ(streamed.back().line, "MSG from_a.feed.z 2 1");
}

// Runs `<binary> -c <config> -t` and returns its exit status and output.
std::pair<int, std::string> CheckConfig(ServerKind kind, const std::string& text) {
  absl::StatusOr<std::string> binary = ServerBinary(kind);
  absl::StatusOr<std::string> dir = MakeTempDir("acc-check");
  if (!binary.ok() || !dir.ok()) {
    return {-1, "no binary or temp dir"};
  }
  std::string path = *dir + "/check.conf";
  if (!WriteFile(path, text).ok()) {
    return {-1, "cannot write config"};
  }
  std::string command = *binary + " -c " + path + " -t 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return {-1, "popen failed"};
  }
  std::string out;
  char buf[512];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) {
    out.append(buf, n);
  }
  return {pclose(pipe), out};
}

TEST_P(AccountsTest, StartupErrorsForBadImports) {
  const std::pair<const char*, const char*> cases[] = {
      {"accounts { A { exports: [{stream: \"p.>\", accounts: [B]}] }, B {},"
       " C { imports: [{stream: {account: A, subject: \"p.>\"}}] } }\n",
       "stream import not authorized"},
      {"accounts { A {}, B { imports: [{service: {account: A, subject: s}}] } }\n",
       "service import not authorized"},
      {"accounts { B { imports: [{stream: {account: Z, subject: s}}] } }\n",
       "\"Z\" account not defined for stream import"},
  };
  for (const auto& [config, want] : cases) {
    auto [status, output] = CheckConfig(kind(), config);
    EXPECT_NE(status, 0) << config << "\n" << output;
    EXPECT_TRUE(absl::StrContains(output, want)) << config << "\n" << output;
  }
  auto [status, output] = CheckConfig(kind(), kConfig);
  EXPECT_EQ(status, 0) << output;
}

TEST_P(AccountsTest, AccountzListsAccountsAndImports) {
  START_SERVER_OR_FAIL(server, {.config_text = kConfig, .monitoring = true});
  ASSERT_OK_AND_ASSIGN(std::string list,
                       HttpGet(server->http_port(), "/accountz", std::chrono::seconds(5)));
  nlohmann::json j = nlohmann::json::parse(list, nullptr, false);
  ASSERT_TRUE(j.is_object()) << list;
  std::vector<std::string> names = j["accounts"].get<std::vector<std::string>>();
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"$G", "$SYS", "A", "B", "C"}));
  EXPECT_EQ(j["system_account"], "$SYS");

  ASSERT_OK_AND_ASSIGN(std::string detail,
                       HttpGet(server->http_port(), "/accountz?acc=B", std::chrono::seconds(5)));
  j = nlohmann::json::parse(detail, nullptr, false);
  ASSERT_TRUE(j.is_object()) << detail;
  const nlohmann::json& b = j["account_detail"];
  EXPECT_EQ(b["account_name"], "B");
  // nats-server adds its own $SYS service imports; compare the configured ones.
  std::set<std::string> imports;
  for (const nlohmann::json& imp : b["imports"]) {
    std::string subject = imp.value("subject", "");
    if (absl::StartsWith(subject, "$SYS.")) {
      continue;
    }
    imports.insert(imp.value("type", "") + " " + subject + " " + imp.value("account", "") +
                   " to=" + imp.value("to", "") + " local=" + imp.value("local_subject", "") +
                   (imp.value("invalid", true) ? " invalid" : ""));
  }
  EXPECT_EQ(imports, (std::set<std::string>{
                         "stream feed.> A to= local=from_a.feed.>",
                         "stream private.x A to= local=priv.x",
                         "service ask.* A to=svc.* local=",
                         "service multi A to=multi local=",
                     }))
      << detail;
  ASSERT_TRUE(b["mappings"].is_object()) << detail;
  EXPECT_EQ(b["mappings"]["m.in"][0]["subject"], "m.out");
  EXPECT_EQ(b["mappings"]["m.in"][0]["weight"], 100);

  // /connz?acc= filters by account; the account field shows with auth=1.
  Clients clients(*server);
  ASSERT_OK_AND_ASSIGN(auto client_a, clients.As("a", "pa"));
  ASSERT_OK_AND_ASSIGN(auto client_b, clients.As("b", "pb"));
  ASSERT_OK_AND_ASSIGN(std::string connz, HttpGet(server->http_port(), "/connz?acc=A&auth=1",
                                                  std::chrono::seconds(5)));
  j = nlohmann::json::parse(connz, nullptr, false);
  ASSERT_TRUE(j.is_object()) << connz;
  EXPECT_EQ(j["num_connections"], 1) << connz;
  ASSERT_EQ(j["connections"].size(), 1u) << connz;
  EXPECT_EQ(j["connections"][0]["account"], "A") << connz;

  ASSERT_OK_AND_ASSIGN(std::string a_detail,
                       HttpGet(server->http_port(), "/accountz?acc=A", std::chrono::seconds(5)));
  j = nlohmann::json::parse(a_detail, nullptr, false);
  std::set<std::string> exports;
  for (const nlohmann::json& e : j["account_detail"]["exports"]) {
    exports.insert(e.value("type", "") + " " + e.value("subject", "") + " " +
                   e.value("response_type", "") + " " +
                   e.value("approved_accounts", nlohmann::json::array()).dump());
  }
  EXPECT_EQ(exports, (std::set<std::string>{
                         "stream feed.>  []",
                         "stream private.>  [\"B\"]",
                         "service svc.* Singleton []",
                         "service multi Streamed []",
                     }))
      << a_detail;
}

// A responder that may publish nothing but responses answers through a service import: the
// rewritten _R_ reply counts as a response (allow_responses), a second answer does not.
TEST_P(AccountsTest, AllowResponsesAcrossAServiceImport) {
  constexpr char kResponses[] = R"(
accounts {
  A {
    users: [{user: r, password: pr, permissions: {publish: {deny: ">"}, allow_responses: true}}]
    exports: [{service: "svc"}]
  }
  B {
    users: [{user: b, password: pb}]
    imports: [{service: {account: A, subject: "svc"}}]
  }
}
)";
  START_SERVER_OR_FAIL(server, {.config_text = kResponses});
  Clients clients(*server);
  ASSERT_OK_AND_ASSIGN(auto r, clients.As("r", "pr"));
  ASSERT_OK_AND_ASSIGN(auto b, clients.As("b", "pb"));
  ASSERT_OK(r->Send("SUB svc 1\r\n"));
  ASSERT_OK(r->Sync().status());
  ASSERT_OK(b->Send("SUB _INBOX.b 9\r\nPUB svc _INBOX.b 1\r\nq\r\n"));
  ASSERT_OK_AND_ASSIGN(auto got, r->ReadUntil("MSG"));
  std::string reply = got.back().line.substr(std::string("MSG svc 1 ").size());
  reply = reply.substr(0, reply.find(' '));
  ASSERT_OK(r->Send("PUB " + reply + " 1\r\nx\r\n"));
  ASSERT_OK_AND_ASSIGN(auto answered, b->ReadUntil("MSG"));
  EXPECT_EQ(answered.back().line, "MSG _INBOX.b 9 1");
  // Responses used up (max 1), and other subjects stay denied.
  ASSERT_OK(r->Send("PUB " + reply + " 1\r\ny\r\nPUB other 1\r\nz\r\n"));
  ASSERT_OK_AND_ASSIGN(auto errors, r->Sync());
  EXPECT_EQ(MsgLines(errors), (std::vector<std::string>{
                                  "-ERR 'Permissions Violation for Publish to \"" + reply + "\"'",
                                  "-ERR 'Permissions Violation for Publish to \"other\"'"}));
  ASSERT_OK_AND_ASSIGN(auto rest, b->Sync());
  EXPECT_TRUE(MsgLines(rest).empty()) << DescribeOps(rest);
}

// Reload (SIGHUP) adds a stream import: the importer's existing connection starts receiving
// without reconnecting.
TEST_P(AccountsTest, ReloadAddsAnImportToLiveConnections) {
  constexpr char kBefore[] = R"(
accounts {
  A { users: [{user: a, password: pa}], exports: [{stream: "news.>"}] }
  B { users: [{user: b, password: pb}] }
}
)";
  constexpr char kAfter[] = R"(
accounts {
  A { users: [{user: a, password: pa}], exports: [{stream: "news.>"}] }
  B { users: [{user: b, password: pb}], imports: [{stream: {account: A, subject: "news.>"}}] }
}
)";
  START_SERVER_OR_FAIL(server, {.config_text = kBefore});
  Clients clients(*server);
  ASSERT_OK_AND_ASSIGN(auto a, clients.As("a", "pa"));
  ASSERT_OK_AND_ASSIGN(auto b, clients.As("b", "pb"));
  ASSERT_OK(b->Send("SUB news.> 1\r\n"));
  ASSERT_OK(b->Sync().status());
  ASSERT_OK(a->Send("PUB news.1 1\r\n1\r\n"));
  ASSERT_OK(a->Sync().status());
  ASSERT_OK_AND_ASSIGN(auto none, b->Sync());
  EXPECT_TRUE(MsgLines(none).empty()) << DescribeOps(none);

  ASSERT_OK(server->RewriteConfig(kAfter));
  ASSERT_OK(server->Signal(SIGHUP));
  // The reload is asynchronous: publish until the import delivers (bounded wait).
  bool delivered = Eventually([&] {
    if (!a->Send("PUB news.2 1\r\n2\r\n").ok() || !a->Sync().ok()) {
      return false;
    }
    absl::StatusOr<std::vector<RawOp>> got = b->Sync();
    return got.ok() && !MsgLines(*got).empty();
  });
  EXPECT_TRUE(delivered);
  EXPECT_FALSE(b->closed());
}

LATTICE_E2E_INSTANTIATE(AccountsTest);

}  // namespace
}  // namespace lattice::e2e
