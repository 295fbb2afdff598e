// End to end with the real control plane: lattice-control holds the accounts, accountd follows
// its Watch stream and writes POSTs through PutAccount, and Debian's nats-server resolves from
// accountd with `resolver: URL(...)`. Killing lattice-control leaves accountd serving.
#include <signal.h>

#include <fstream>
#include <memory>
#include <optional>

#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "nlohmann/json.hpp"

#include "accountd/e2e/nats_test_client.h"
#include "accountd/testing/process.h"
#include "accountd/testing/temp_dir.h"
#include "accountd/testing/test_chain.h"
#include "lattice/control/v1/admin.grpc.pb.h"

namespace lattice::accountd {
namespace {

namespace v1 = ::lattice::control::v1;
using testing::ChildProcess;
using testing::Eventually;
using testing::NatsTestClient;
using testing::TestOperator;

constexpr char kToken[] = "accountd-e2e-token-0123456789";

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::trunc) << text;
}

class ControlPlaneTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("cp");
    WriteText(dir_ + "/op.jwt", op_.jwt());
    WriteText(dir_ + "/sys.creds", op_.SystemUserCreds());
    WriteText(dir_ + "/tokens", std::string("accountd ") + kToken + "\n");
    WriteText(dir_ + "/alice.creds", TestOperator::UserCreds(a_, "alice"));
    ASSERT_EQ(system(("mkdir -p " + dir_ + "/nats").c_str()), 0);
    for (int* port : {&control_port_, &nats_port_, &http_port_}) {
      absl::StatusOr<int> free = testing::FreePort();
      ASSERT_TRUE(free.ok());
      *port = *free;
    }
    StartControl();
    admin_ = v1::Admin::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(control_port_),
                                                    grpc::InsecureChannelCredentials()));
    {
      grpc::ClientContext ctx;
      Auth(&ctx);
      v1::PutOperatorRequest req;
      req.set_jwt(op_.jwt());
      v1::WriteResponse resp;
      grpc::Status status = admin_->PutOperator(&ctx, req, &resp);
      ASSERT_TRUE(status.ok()) << status.error_message() << control_->Log();
    }
    ASSERT_TRUE(PutAccount(op_.system_account_jwt()));
    ASSERT_TRUE(PutAccount(op_.AccountJwt(a_, "A")));

    absl::StatusOr<std::string> bin = testing::AccountdBinary();
    ASSERT_TRUE(bin.ok()) << bin.status();
    absl::StatusOr<ChildProcess> accountd = ChildProcess::Spawn(
        {*bin, "--operator", dir_ + "/op.jwt", "--http", "127.0.0.1:" + std::to_string(http_port_),
         "--control", "127.0.0.1:" + std::to_string(control_port_), "--token", kToken, "--cache",
         dir_ + "/cache", "--nats", Url(), "--creds", dir_ + "/sys.creds"},
        dir_ + "/accountd.log");
    ASSERT_TRUE(accountd.ok());
    accountd_.emplace(*std::move(accountd));
    ASSERT_TRUE(testing::WaitForLog(*accountd_, "resolver listening", std::chrono::seconds(10)))
        << accountd_->Log();
    // The system account must be resolvable before nats-server starts.
    ASSERT_TRUE(Eventually([this] { return Status(op_.system_account()) == 200; }))
        << accountd_->Log();

    absl::StatusOr<testing::NatsServer> server = testing::StartNatsServer(
        dir_ + "/nats",
        "operator: \"" + dir_ + "/op.jwt\"\nsystem_account: " + op_.system_account() +
            "\nresolver: URL(http://127.0.0.1:" + std::to_string(http_port_) +
            "/jwt/v1/accounts/)\n",
        nats_port_);
    ASSERT_TRUE(server.ok()) << server.status() << accountd_->Log();
    server_.emplace(*std::move(server));
  }

  void StartControl() {
    absl::StatusOr<std::string> bin = testing::RunfileBinary("controlplane/lattice-control");
    ASSERT_TRUE(bin.ok()) << bin.status();
    absl::StatusOr<ChildProcess> control = ChildProcess::Spawn(
        {*bin, "--data-dir", dir_ + "/control", "--listen",
         "127.0.0.1:" + std::to_string(control_port_), "--tokens-file", dir_ + "/tokens"},
        dir_ + "/control." + std::to_string(++control_starts_) + ".log");
    ASSERT_TRUE(control.ok());
    control_.emplace(*std::move(control));
    ASSERT_TRUE(
        testing::WaitForLog(*control_, "lattice-control listening", std::chrono::seconds(15)))
        << control_->Log();
  }

  void Auth(grpc::ClientContext* ctx) {
    ctx->AddMetadata("authorization", std::string("Bearer ") + kToken);
  }
  bool PutAccount(const std::string& token) {
    grpc::ClientContext ctx;
    Auth(&ctx);
    v1::PutAccountRequest req;
    req.set_jwt(token);
    v1::WriteResponse resp;
    grpc::Status status = admin_->PutAccount(&ctx, req, &resp);
    EXPECT_TRUE(status.ok()) << status.error_message();
    EXPECT_TRUE(resp.plan().errors().empty()) << resp.plan().errors(0);
    return status.ok() && resp.applied();
  }
  std::optional<v1::Account> GetAccount(const std::string& key) {
    grpc::ClientContext ctx;
    Auth(&ctx);
    v1::GetAccountRequest req;
    req.set_public_key(key);
    v1::Account account;
    if (!admin_->GetAccount(&ctx, req, &account).ok())
      return std::nullopt;
    return account;
  }
  int Status(const std::string& key) {
    httplib::Client http("127.0.0.1", http_port_);
    auto res = http.Get(("/jwt/v1/accounts/" + key).c_str());
    return res ? res->status : -1;
  }
  int Post(const std::string& key, const std::string& token) {
    httplib::Client http("127.0.0.1", http_port_);
    auto res = http.Post(("/jwt/v1/accounts/" + key).c_str(), token, "application/jwt");
    return res ? res->status : -1;
  }
  std::optional<bool> SourceConnected() {
    httplib::Client http("127.0.0.1", http_port_);
    auto res = http.Get("/healthz");
    if (!res || res->status != 200)
      return std::nullopt;
    return nlohmann::json::parse(res->body)["source_connected"].get<bool>();
  }
  std::string Url() const { return "nats://127.0.0.1:" + std::to_string(nats_port_); }
  std::string Key(const nkeys::KeyPair& kp) const { return kp.public_key().str(); }
  std::string Logs() {
    return "\naccountd:\n" + accountd_->Log() + "\ncontrol:\n" + control_->Log() + "\nnats:\n" +
           server_->process.Log();
  }

  TestOperator op_;
  nkeys::KeyPair a_ = TestOperator::NewAccountKey();
  std::string dir_;
  int control_port_ = 0;
  int control_starts_ = 0;  // one log file per start, so readiness is read from the new one
  int nats_port_ = 0;
  int http_port_ = 0;
  std::optional<ChildProcess> control_;
  std::optional<ChildProcess> accountd_;
  std::optional<testing::NatsServer> server_;
  std::unique_ptr<v1::Admin::Stub> admin_;
};

TEST_F(ControlPlaneTest, FollowsTheControlPlaneAndSurvivesItsDeath) {
  natsStatus status;
  std::unique_ptr<NatsTestClient> alice =
      NatsTestClient::Connect(Url(), dir_ + "/alice.creds", &status);
  ASSERT_NE(alice, nullptr) << natsStatus_GetText(status) << Logs();
  alice->Subscribe("bar");

  // A change written to the control plane reaches nats-server through accountd's watch.
  jwt::AccountClaims claims =
      jwt::NewAccountClaims(*nkeys::AccountPublicKey::FromKey(a_.public_key()));
  claims.std.name = "A";
  claims.nats.mappings["foo"] = {jwt::WeightedMapping{"bar", 100, ""}};
  ASSERT_TRUE(PutAccount(op_.SignAccount(claims)));
  EXPECT_TRUE(Eventually([&] { return alice->PublishAndReceive("foo"); })) << Logs();

  // A POST to accountd is written through the control plane.
  nkeys::KeyPair b = TestOperator::NewAccountKey();
  const std::string b_jwt = op_.AccountJwt(b, "B");
  ASSERT_EQ(Post(Key(b), b_jwt), 200) << Logs();
  std::optional<v1::Account> stored = GetAccount(Key(b));
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->jwt(), b_jwt);
  // An account the control plane refuses is refused to the HTTP client as well.
  TestOperator other;
  nkeys::KeyPair c = TestOperator::NewAccountKey();
  EXPECT_EQ(Post(Key(c), other.AccountJwt(c, "C")), 400);

  // The control plane dies; accountd keeps serving from its cache.
  control_->Kill(SIGKILL);
  EXPECT_TRUE(Eventually([&] { return SourceConnected() == false; })) << Logs();
  EXPECT_EQ(Status(Key(a_)), 200);
  WriteText(dir_ + "/bea.creds", TestOperator::UserCreds(b, "bea"));
  std::unique_ptr<NatsTestClient> bea =
      NatsTestClient::Connect(Url(), dir_ + "/bea.creds", &status);
  EXPECT_NE(bea, nullptr) << natsStatus_GetText(status) << Logs();
  EXPECT_TRUE(alice->PublishAndReceive("foo"));
  // Writes need the control plane: refused, never reported as saved.
  nkeys::KeyPair d = TestOperator::NewAccountKey();
  EXPECT_EQ(Post(Key(d), op_.AccountJwt(d, "D")), 503);
  EXPECT_EQ(Status(Key(d)), 404);

  // Back on the same port: accountd resyncs and follows again.
  StartControl();
  EXPECT_TRUE(Eventually([&] { return SourceConnected() == true; })) << Logs();
  nkeys::KeyPair e = TestOperator::NewAccountKey();
  ASSERT_TRUE(PutAccount(op_.AccountJwt(e, "E")));
  EXPECT_TRUE(Eventually([&] { return Status(Key(e)) == 200; })) << Logs();
}

}  // namespace
}  // namespace lattice::accountd
