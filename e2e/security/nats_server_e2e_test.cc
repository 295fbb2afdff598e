// End to end: an operator, accounts and users made by the latticectl binary; the SAME generated
// config (operator mode, MEMORY resolver with preload) is loaded unchanged into a stock
// nats-server and into lattice-node; libnats clients connect with the generated creds files,
// exchange messages within their permissions, and revoked, expired or foreign users are refused.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

#include "common/jwt/claims.h"
#include "e2e/harness/nats_client.h"
#include "e2e/harness/net.h"
#include "e2e/harness/server_process.h"
#include "e2e/harness/status_matchers.h"

namespace lattice::e2e {
namespace {

std::string LatticectlPath() {
  for (const char* var : {"TEST_SRCDIR", "RUNFILES_DIR"}) {
    const char* root = std::getenv(var);
    if (root != nullptr) {
      std::string path = std::string(root) + "/lattice/tools/latticectl/latticectl";
      if (access(path.c_str(), X_OK) == 0)
        return path;
    }
  }
  return "tools/latticectl/latticectl";
}

// Runs latticectl with `args`; returns its exit code and leaves its output in `*output`.
int Latticectl(const std::string& store, std::vector<std::string> args, std::string* output) {
  static int run = 0;
  std::string log = absl::StrCat(store, "/../latticectl.", run++, ".log");
  args.insert(args.begin(), LatticectlPath());
  args.push_back("--store");
  args.push_back(store);
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 1);
    dup2(fd, 2);
    std::vector<char*> argv;
    for (std::string& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  *output = ReadFileOrEmpty(log);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Keys, config and creds are made once by latticectl; each server kind is started once from
// the same generated file.
class SecurityE2eTest : public ::testing::TestWithParam<ServerKind> {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::string> dir = MakeTempDir("security-e2e");
    ASSERT_TRUE(dir.ok());
    dir_ = new std::string(*dir);
    std::string store = *dir_ + "/store";
    std::string past = std::to_string(jwt::NowSeconds() - 60);
    std::vector<std::vector<std::string>> steps = {
        {"add", "operator", "acme", "--sys"},
        {"add", "account", "shop", "--conn", "10"},
        {"add", "user", "alice", "--account", "shop", "--pub-allow", "demo.>", "--sub-allow",
         "demo.>"},
        {"add", "user", "bob", "--account", "shop"},
        {"add", "user", "eve", "--account", "shop", "--expires-at", past},
        {"add", "user", "mallory", "--account", "shop"},
        {"revoke", "user", "--account", "shop", "--name", "mallory"},
        {"generate", "config", "--mem-resolver", "--output", *dir_ + "/server.conf"},
    };
    for (const char* user : {"alice", "bob", "eve", "mallory"}) {
      steps.push_back({"generate", "creds", "--account", "shop", "--name", user, "--output",
                       *dir_ + "/" + user + ".creds"});
    }
    // A user of an operator the server does not trust.
    std::string other = *dir_ + "/other";
    for (const auto& step : steps) {
      std::string out;
      ASSERT_EQ(Latticectl(store, step, &out), 0) << step[0] << " " << step[1] << ": " << out;
    }
    std::string out;
    ASSERT_EQ(Latticectl(other, {"add", "operator", "evil"}, &out), 0) << out;
    ASSERT_EQ(Latticectl(other, {"add", "account", "shop"}, &out), 0) << out;
    ASSERT_EQ(Latticectl(other, {"add", "user", "trudy", "--account", "shop"}, &out), 0) << out;
    ASSERT_EQ(Latticectl(other,
                         {"generate", "creds", "--account", "shop", "--name", "trudy", "--output",
                          *dir_ + "/trudy.creds"},
                         &out),
              0)
        << out;
    servers_ = new std::map<ServerKind, std::unique_ptr<ServerProcess>>();
  }
  static void TearDownTestSuite() {
    delete servers_;
    servers_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(servers_, nullptr) << "suite set-up failed";
    auto it = servers_->find(GetParam());
    if (it == servers_->end()) {
      ServerConfig config;
      config.config_text = ReadFileOrEmpty(*dir_ + "/server.conf");
      absl::StatusOr<std::unique_ptr<ServerProcess>> server =
          ServerProcess::Start(GetParam(), std::move(config));
      ASSERT_TRUE(server.ok()) << server.status();
      it = servers_->emplace(GetParam(), *std::move(server)).first;
    }
    server_ = it->second.get();
  }

  absl::StatusOr<NatsConnection> ConnectAs(const std::string& user) {
    std::string creds = *dir_ + "/" + user + ".creds";
    return ConnectNats(server_->url(), [creds](natsOptions* opts) {
      natsOptions_SetUserCredentialsFromFiles(opts, creds.c_str(), nullptr);
    });
  }

  static std::string* dir_;
  static std::map<ServerKind, std::unique_ptr<ServerProcess>>* servers_;
  ServerProcess* server_ = nullptr;
};

std::string* SecurityE2eTest::dir_ = nullptr;
std::map<ServerKind, std::unique_ptr<ServerProcess>>* SecurityE2eTest::servers_ = nullptr;

TEST_P(SecurityE2eTest, ServerTrustsTheGeneratedOperator) {
  std::string log = server_->ReadLog();
  if (GetParam() == ServerKind::kNatsServer) {
    EXPECT_NE(log.find("Operator: \"acme\""), std::string::npos) << log;
  } else {
    EXPECT_NE(log.find("Trusted Operators: 1"), std::string::npos) << log;
  }
}

TEST_P(SecurityE2eTest, UsersWithCredsExchangeMessages) {
  ASSERT_OK_AND_ASSIGN(NatsConnection alice, ConnectAs("alice"));
  ASSERT_OK_AND_ASSIGN(NatsConnection bob, ConnectAs("bob"));
  natsSubscription* raw_sub = nullptr;
  ASSERT_EQ(natsConnection_SubscribeSync(&raw_sub, alice.get(), "demo.greetings"), NATS_OK);
  NatsSubscription sub(raw_sub);
  ASSERT_EQ(natsConnection_Flush(alice.get()), NATS_OK);
  ASSERT_EQ(natsConnection_PublishString(bob.get(), "demo.greetings", "hello alice"), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(bob.get()), NATS_OK);
  natsMsg* raw_msg = nullptr;
  ASSERT_EQ(natsSubscription_NextMsg(&raw_msg, sub.get(), 5000), NATS_OK);
  NatsMsg msg(raw_msg);
  EXPECT_EQ(std::string(natsMsg_GetData(msg.get()), natsMsg_GetDataLength(msg.get())),
            "hello alice");
}

TEST_P(SecurityE2eTest, PublishPermissionsFromTheJwtAreEnforced) {
  ASSERT_OK_AND_ASSIGN(NatsConnection alice, ConnectAs("alice"));
  ASSERT_OK_AND_ASSIGN(NatsConnection bob, ConnectAs("bob"));
  natsSubscription* raw_sub = nullptr;
  ASSERT_EQ(natsConnection_SubscribeSync(&raw_sub, bob.get(), ">"), NATS_OK);
  NatsSubscription sub(raw_sub);
  ASSERT_EQ(natsConnection_Flush(bob.get()), NATS_OK);
  // Alice may publish only under demo.>: the first message is dropped by the server, so the
  // first one bob sees is the allowed one (same publisher, ordered delivery).
  natsConnection_PublishString(alice.get(), "secret.plans", "must not arrive");
  ASSERT_EQ(natsConnection_PublishString(alice.get(), "demo.ok", "allowed"), NATS_OK);
  natsConnection_Flush(alice.get());
  natsMsg* raw_msg = nullptr;
  ASSERT_EQ(natsSubscription_NextMsg(&raw_msg, sub.get(), 5000), NATS_OK);
  NatsMsg msg(raw_msg);
  EXPECT_STREQ(natsMsg_GetSubject(msg.get()), "demo.ok");
}

TEST_P(SecurityE2eTest, RevokedUserIsRefused) {
  absl::StatusOr<NatsConnection> nc = ConnectAs("mallory");
  ASSERT_FALSE(nc.ok());
  EXPECT_NE(nc.status().message().find("Authorization"), std::string::npos) << nc.status();
}

TEST_P(SecurityE2eTest, ExpiredUserIsRefused) {
  absl::StatusOr<NatsConnection> nc = ConnectAs("eve");
  ASSERT_FALSE(nc.ok());
  EXPECT_NE(nc.status().message().find("Authorization"), std::string::npos) << nc.status();
}

TEST_P(SecurityE2eTest, UserOfAnUntrustedOperatorIsRefused) {
  absl::StatusOr<NatsConnection> nc = ConnectAs("trudy");
  ASSERT_FALSE(nc.ok());
}

INSTANTIATE_TEST_SUITE_P(BothServers, SecurityE2eTest,
                         ::testing::Values(ServerKind::kNatsServer, ServerKind::kLatticeNode),
                         [](const auto& info) { return ServerKindName(info.param); });

}  // namespace
}  // namespace lattice::e2e
