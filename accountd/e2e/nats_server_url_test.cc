// End to end: Debian's nats-server with `resolver:
// URL(http://127.0.0.1:<accountd>/jwt/v1/accounts/)` and accountd (dir source, cache, $SYS client).
// Accounts and users connect, a change applies live, a revocation closes the user's connection, and
// a restarted accountd with no source keeps serving from its cache.
#include <signal.h>

#include <fstream>
#include <memory>
#include <optional>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include <nats/nats.h>

#include "accountd/e2e/nats_test_client.h"
#include "accountd/testing/process.h"
#include "accountd/testing/temp_dir.h"
#include "accountd/testing/test_chain.h"

namespace lattice::accountd {
namespace {

using testing::ChildProcess;
using testing::Eventually;
using testing::TestOperator;

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::trunc) << text;
}

using Client = testing::NatsTestClient;

class NatsServerUrlResolverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("e2e");
    WriteText(dir_ + "/op.jwt", op_.jwt());
    WriteText(dir_ + "/sys.creds", op_.SystemUserCreds());
    WriteText(dir_ + "/admin.creds", op_.SystemUserCreds());
    ASSERT_EQ(system(("mkdir -p " + dir_ + "/accounts " + dir_ + "/nats").c_str()), 0);
    WriteText(dir_ + "/accounts/" + op_.system_account() + ".jwt", op_.system_account_jwt());
    WriteText(dir_ + "/accounts/" + Key(a_) + ".jwt", op_.AccountJwt(a_, "A"));
    WriteText(dir_ + "/user.creds", TestOperator::UserCreds(a_, "alice", &user_key_));

    absl::StatusOr<int> nats_port = testing::FreePort();
    absl::StatusOr<int> http_port = testing::FreePort();
    ASSERT_TRUE(nats_port.ok() && http_port.ok());
    nats_port_ = *nats_port;
    http_port_ = *http_port;
    StartAccountd({"--dir", dir_ + "/accounts", "--nats", Url(), "--creds", dir_ + "/sys.creds"});

    // nats-server probes GET <base>/ at startup and fetches the system account from accountd.
    absl::StatusOr<testing::NatsServer> server = testing::StartNatsServer(
        dir_ + "/nats",
        "operator: \"" + dir_ + "/op.jwt\"\nsystem_account: " + op_.system_account() +
            "\nresolver: URL(http://127.0.0.1:" + std::to_string(http_port_) +
            "/jwt/v1/accounts/)\n",
        nats_port_);
    ASSERT_TRUE(server.ok()) << server.status() << "\naccountd:\n" << accountd_->Log();
    server_.emplace(*std::move(server));

    natsStatus status;
    admin_ = Client::Connect(Url(), dir_ + "/admin.creds", &status);
    ASSERT_NE(admin_, nullptr) << natsStatus_GetText(status);
    // accountd joins the system account with retries: wait until it answers a $SYS request.
    ASSERT_TRUE(Eventually([this] {
      natsMsg* reply = nullptr;
      natsConnection_RequestString(&reply, admin_->nc(), "$SYS.REQ.CLAIMS.LIST", "", 200);
      natsMsg_Destroy(reply);
      return reply != nullptr;
    })) << accountd_->Log();
  }

  void StartAccountd(std::vector<std::string> flags) {
    absl::StatusOr<std::string> bin = testing::AccountdBinary();
    ASSERT_TRUE(bin.ok()) << bin.status();
    std::vector<std::string> argv = {*bin,
                                     "--operator",
                                     dir_ + "/op.jwt",
                                     "--http",
                                     "127.0.0.1:" + std::to_string(http_port_),
                                     "--cache",
                                     dir_ + "/cache"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    absl::StatusOr<ChildProcess> child = ChildProcess::Spawn(
        argv, dir_ + "/accountd." + std::to_string(++accountd_starts_) + ".log");
    ASSERT_TRUE(child.ok()) << child.status();
    accountd_.emplace(*std::move(child));
    ASSERT_TRUE(testing::WaitForLog(*accountd_, "resolver listening", std::chrono::seconds(10)))
        << accountd_->Log();
  }

  std::string Url() const { return "nats://127.0.0.1:" + std::to_string(nats_port_); }
  std::string Key(const nkeys::KeyPair& kp) const { return kp.public_key().str(); }
  int Post(const std::string& key, const std::string& token) {
    httplib::Client http("127.0.0.1", http_port_);
    auto res = http.Post(("/jwt/v1/accounts/" + key).c_str(), token, "application/jwt");
    return res ? res->status : -1;
  }
  std::unique_ptr<Client> ConnectUser(const std::string& creds, natsStatus* status) {
    return Client::Connect(Url(), creds, status);
  }

  TestOperator op_;
  nkeys::KeyPair a_ = TestOperator::NewAccountKey();
  std::string user_key_;
  std::string dir_;
  int nats_port_ = 0;
  int http_port_ = 0;
  int accountd_starts_ = 0;  // one log file per start, so readiness is read from the new one
  std::optional<ChildProcess> accountd_;
  std::optional<testing::NatsServer> server_;
  std::unique_ptr<Client> admin_;
};

TEST_F(NatsServerUrlResolverTest, AccountUserConnectsAndChangesApplyLive) {
  natsStatus status;
  std::unique_ptr<Client> alice = ConnectUser(dir_ + "/user.creds", &status);
  ASSERT_NE(alice, nullptr) << natsStatus_GetText(status) << server_->process.Log();
  alice->Subscribe("bar");
  EXPECT_FALSE(alice->PublishAndReceive("foo"));

  // Add a mapping foo -> bar to account A through accountd; nats-server gets the update on
  // $SYS.ACCOUNT.<A>.CLAIMS.UPDATE and applies it to the live account.
  jwt::AccountClaims claims =
      jwt::NewAccountClaims(*nkeys::AccountPublicKey::FromKey(a_.public_key()));
  claims.std.name = "A";
  claims.nats.mappings["foo"] = {jwt::WeightedMapping{"bar", 100, ""}};
  ASSERT_EQ(Post(Key(a_), op_.SignAccount(claims)), 200) << accountd_->Log();
  EXPECT_TRUE(Eventually([&] { return alice->PublishAndReceive("foo"); }))
      << server_->process.Log();
  EXPECT_FALSE(alice->Closed());
}

TEST_F(NatsServerUrlResolverTest, RevocationClosesTheUsersConnection) {
  natsStatus status;
  std::unique_ptr<Client> alice = ConnectUser(dir_ + "/user.creds", &status);
  ASSERT_NE(alice, nullptr) << natsStatus_GetText(status) << server_->process.Log();
  ASSERT_FALSE(alice->Closed());

  jwt::AccountClaims claims =
      jwt::NewAccountClaims(*nkeys::AccountPublicKey::FromKey(a_.public_key()));
  claims.std.name = "A";
  claims.nats.revocations[user_key_] = jwt::NowSeconds();
  ASSERT_EQ(Post(Key(a_), op_.SignAccount(claims)), 200) << accountd_->Log();
  EXPECT_TRUE(Eventually([&] { return alice->Closed(); })) << server_->process.Log();

  std::unique_ptr<Client> again = ConnectUser(dir_ + "/user.creds", &status);
  EXPECT_EQ(again, nullptr);
  // Another user of the same account is unaffected.
  WriteText(dir_ + "/bob.creds", TestOperator::UserCreds(a_, "bob"));
  std::unique_ptr<Client> bob = ConnectUser(dir_ + "/bob.creds", &status);
  EXPECT_NE(bob, nullptr) << natsStatus_GetText(status);
}

TEST_F(NatsServerUrlResolverTest, RestartedWithoutAnySourceServesFromTheCache) {
  // B is written through accountd but never fetched by nats-server yet.
  nkeys::KeyPair b = TestOperator::NewAccountKey();
  ASSERT_EQ(Post(Key(b), op_.AccountJwt(b, "B")), 200);
  WriteText(dir_ + "/b.creds", TestOperator::UserCreds(b, "bea"));

  // The source goes away entirely: accountd restarts with only its cache.
  accountd_->Kill(SIGTERM);
  ASSERT_EQ(system(("rm -rf " + dir_ + "/accounts").c_str()), 0);
  StartAccountd({"--nats", Url(), "--creds", dir_ + "/sys.creds"});

  natsStatus status;
  std::unique_ptr<Client> bea;
  // nats-server fetches B over HTTP on the first connect.
  ASSERT_TRUE(Eventually([&] {
    bea = ConnectUser(dir_ + "/b.creds", &status);
    return bea != nullptr;
  })) << natsStatus_GetText(status)
      << "\n"
      << server_->process.Log() << "\n"
      << accountd_->Log();
  httplib::Client http("127.0.0.1", http_port_);
  auto res = http.Get(("/jwt/v1/accounts/" + Key(a_)).c_str());
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

}  // namespace
}  // namespace lattice::accountd
