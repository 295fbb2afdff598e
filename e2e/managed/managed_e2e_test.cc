// Managed deployment end to end: accounts and users made with latticectl over gRPC reach a
// lattice-node (NodeSync push) and Debian's nats-server (accountd URL resolver); limits and
// revocations apply live on both; both keep serving with the control plane dead; the node
// restarts from its on-disk bundle and resyncs when the control plane returns.
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

#include "common/jwt/claims.h"
#include "common/nkeys/nkeys.h"
#include "common/testing/child_process.h"
#include "common/testing/eventually.h"
#include "common/testing/ports.h"
#include "e2e/managed/managed_harness.h"

namespace lattice::managed_e2e {
namespace {

using testutil::ChildProcess;

constexpr char kToken[] = "managed-e2e-token-0123456789";
constexpr char kNodeBinary[] = "dataplane/lattice-node";

template <typename F>
bool Eventually(F condition) {
  return testutil::Eventually(condition, kWait);
}

class ManagedE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::string(std::getenv("TEST_TMPDIR")) + "/managed";
    mkdir(dir_.c_str(), 0700);
    mkdir((dir_ + "/nats").c_str(), 0700);
    Write("tokens", absl::StrCat("admin ", kToken, "\n"));
    Write("token", kToken);

    // Operator with a signing key the control plane manages, and a system account.
    op_claims_.std.name = "managed-op";
    WriteOperatorFiles(dir_, op_claims_, op_key_, op_signer_, sys_key_);

    for (int* port : {&control_port_, &http_port_, &nats_port_, &node_port_, &dead_port_})
      *port = testutil::FreePortOrDie();
    StartControl();
    ASSERT_EQ(Ctl({"operator", "push", dir_ + "/op.jwt"}).exit_code, 0);
    ASSERT_EQ(Ctl({"signing-key", "add", "--seed-file", dir_ + "/sk.seed"}).exit_code, 0);
    ASSERT_EQ(Ctl({"account", "push", dir_ + "/sys.jwt"}).exit_code, 0);

    auto accountd = ChildProcess::Spawn(
        {Runfile("accountd/accountd"), "--operator", dir_ + "/op.jwt", "--http",
         absl::StrCat("127.0.0.1:", http_port_), "--control", ControlAddress(), "--token", kToken,
         "--cache", dir_ + "/cache", "--nats", absl::StrCat("nats://127.0.0.1:", nats_port_),
         "--creds", dir_ + "/sys.creds"},
        dir_ + "/accountd.log");
    ASSERT_TRUE(accountd.ok()) << accountd.status();
    accountd_.emplace(*std::move(accountd));
    ASSERT_TRUE(testutil::WaitForLog(*accountd_, "resolver listening", kWait)) << accountd_->Log();

    Write("nats/nats.conf",
          absl::StrCat("port: ", nats_port_, "\nhost: 127.0.0.1\noperator: \"", dir_,
                       "/op.jwt\"\nsystem_account: ", sys_key_.public_key().str(),
                       "\nresolver: URL(http://127.0.0.1:", http_port_, "/jwt/v1/accounts/)\n"));
    // nats-server fetches the system account at start: wait until accountd has it.
    ASSERT_TRUE(Eventually([&] {
      return Ctl({"account", "get", sys_key_.public_key().str()}).exit_code == 0;
    }));
    const char* nats_bin = std::getenv("NATS_SERVER_BIN");
    auto nats = ChildProcess::Spawn(
        {nats_bin != nullptr ? nats_bin : "/usr/sbin/nats-server", "-c", dir_ + "/nats/nats.conf"},
        dir_ + "/nats-server.log");
    ASSERT_TRUE(nats.ok()) << nats.status();
    nats_.emplace(*std::move(nats));
    ASSERT_TRUE(testutil::WaitForLog(*nats_, "Server is ready", kWait)) << nats_->Log();

    StartNode();
  }

  void Write(const std::string& name, const std::string& text) {
    WriteText(dir_ + "/" + name, text);
  }
  std::string ControlAddress() const { return absl::StrCat("127.0.0.1:", control_port_); }

  void StartControl() {
    auto control = ChildProcess::Spawn(
        {Runfile("controlplane/lattice-control"), "--data-dir", dir_ + "/control", "--listen",
         ControlAddress(), "--tokens-file", dir_ + "/tokens", "--key-file", dir_ + "/master.key"},
        absl::StrCat(dir_, "/control.", ++control_starts_, ".log"));
    ASSERT_TRUE(control.ok()) << control.status();
    control_.emplace(*std::move(control));
    ASSERT_TRUE(testutil::WaitForLog(*control_, "lattice-control listening", kWait))
        << control_->Log();
  }

  std::vector<std::string> NodeArgs() const {
    return {Runfile(kNodeBinary),
            "-a",
            "127.0.0.1",
            "-p",
            std::to_string(node_port_),
            "--control",
            absl::StrCat("127.0.0.1:", dead_port_, ",", ControlAddress()),
            "--cluster",
            "east",
            "--operator",
            dir_ + "/op.jwt",
            "--state_dir",
            dir_ + "/node",
            "--node_id",
            "n1",
            "--control_token_file",
            dir_ + "/token"};
  }
  // Starts lattice-node; waits for "Server is ready" unless `wait_ready` is false.
  void StartNode(bool wait_ready = true) {
    auto node =
        ChildProcess::Spawn(NodeArgs(), absl::StrCat(dir_, "/node.", ++node_starts_, ".log"));
    ASSERT_TRUE(node.ok()) << node.status();
    node_.emplace(*std::move(node));
    if (wait_ready) {
      ASSERT_TRUE(testutil::WaitForLog(*node_, "Server is ready", kWait)) << node_->Log();
    }
  }

  // Runs latticectl (admin commands over gRPC) to completion.
  CtlResult Ctl(std::vector<std::string> args, const std::string& token = kToken) {
    return RunLatticectl(ControlAddress(), token, args,
                         absl::StrCat(dir_, "/ctl.", ++ctl_runs_, ".out"));
  }

  std::unique_ptr<Client> ConnectEventually(int port, const std::string& creds) {
    return managed_e2e::ConnectEventually(port, creds, [this] { return Logs(); });
  }
  void ExpectExchange(int port, const std::string& creds, const std::string& subject) {
    managed_e2e::ExpectExchange(port, creds, subject, [this] { return Logs(); });
  }

  std::string Logs() {
    std::string out;
    for (auto* child : {&control_, &accountd_, &nats_, &node_}) {
      if (child->has_value())
        absl::StrAppend(&out, "\n== ", (*child)->log_path(), ":\n", (*child)->Log());
    }
    return out;
  }

  nkeys::KeyPair op_key_ = NewKey(nkeys::KeyType::kOperator);
  nkeys::KeyPair op_signer_ = NewKey(nkeys::KeyType::kOperator);
  nkeys::KeyPair sys_key_ = NewKey(nkeys::KeyType::kAccount);
  jwt::OperatorClaims op_claims_ =
      jwt::NewOperatorClaims(*nkeys::OperatorPublicKey::FromKey(op_key_.public_key()));
  std::string dir_;
  int control_port_ = 0;
  int http_port_ = 0;
  int nats_port_ = 0;
  int node_port_ = 0;
  int dead_port_ = 0;  // a --control replica that never answers (connection refused)
  int control_starts_ = 0;
  int node_starts_ = 0;
  int ctl_runs_ = 0;
  std::optional<ChildProcess> control_;
  std::optional<ChildProcess> accountd_;
  std::optional<ChildProcess> nats_;
  std::optional<ChildProcess> node_;
};

TEST_F(ManagedE2eTest, AccountsUsersLimitsRevocationAndStaticStability) {
  // An account and a user made through latticectl reach both servers.
  CtlResult r = Ctl({"account", "create", "team", "--max-conns", "10"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = Ctl({"user", "create", "--account", "team", "alice"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ASSERT_NE(r.output.find("BEGIN USER NKEY SEED"), std::string::npos) << r.output;
  Write("alice.creds", r.output);
  const std::string alice = dir_ + "/alice.creds";
  for (int port : {nats_port_, node_port_})
    ExpectExchange(port, alice, "greet");
  // The admin API shows the node registered with its ACKed accounts version.
  EXPECT_TRUE(Eventually([&] {
    CtlResult nodes = Ctl({"node", "list", "--cluster", "east"});
    return nodes.exit_code == 0 && nodes.output.find("n1") != std::string::npos &&
           nodes.output.find("accounts=") != std::string::npos;
  })) << Ctl({"node", "list", "--cluster", "east"}).output;

  // A limit change applies live on both: with the connection limit at 1, a live connection
  // stays and a second one is refused.
  std::unique_ptr<Client> held_nats = ConnectEventually(nats_port_, alice);
  std::unique_ptr<Client> held_node = ConnectEventually(node_port_, alice);
  ASSERT_TRUE(held_nats != nullptr && held_node != nullptr);
  r = Ctl({"account", "update", "team", "--max-conns", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (int port : {nats_port_, node_port_}) {
    std::string error;
    EXPECT_TRUE(Eventually([&] { return Client::Connect(port, alice, &error) == nullptr; }))
        << "port " << port << Logs();
    EXPECT_NE(error.find("maximum account active connections exceeded"), std::string::npos)
        << "port " << port << ": " << error;
  }
  EXPECT_FALSE(held_node->Closed());
  r = Ctl({"account", "update", "team", "--max-conns", "10"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (int port : {nats_port_, node_port_}) {
    EXPECT_TRUE(Eventually([&] { return Client::Connect(port, alice, nullptr) != nullptr; }))
        << "port " << port << Logs();
  }

  // A revocation (a pre-signed account pushed again with the user revoked) closes the user's
  // connections on both servers.
  nkeys::KeyPair pre = NewKey(nkeys::KeyType::kAccount);
  auto pre_claims = jwt::NewAccountClaims(*nkeys::AccountPublicKey::FromKey(pre.public_key()));
  pre_claims.std.name = "pre";
  const int64_t now = static_cast<int64_t>(time(nullptr));
  Write("pre.jwt", *jwt::Encode(pre_claims, op_signer_, now - 10));
  ASSERT_EQ(Ctl({"account", "push", dir_ + "/pre.jwt"}).exit_code, 0);
  std::string bob_key;
  Write("bob.creds", UserCreds(pre, "bob", now - 5, &bob_key));
  std::unique_ptr<Client> bob_nats = ConnectEventually(nats_port_, dir_ + "/bob.creds");
  std::unique_ptr<Client> bob_node = ConnectEventually(node_port_, dir_ + "/bob.creds");
  ASSERT_TRUE(bob_nats != nullptr && bob_node != nullptr);
  pre_claims.nats.revocations[bob_key] = now;
  Write("pre2.jwt", *jwt::Encode(pre_claims, op_signer_, now));
  r = Ctl({"account", "push", dir_ + "/pre2.jwt"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(Eventually([&] { return bob_nats->Closed(); })) << "nats-server" << Logs();
  EXPECT_TRUE(Eventually([&] { return bob_node->Closed(); })) << "lattice-node" << Logs();
  for (int port : {nats_port_, node_port_}) {
    std::string error;
    EXPECT_EQ(Client::Connect(port, dir_ + "/bob.creds", &error), nullptr);
    EXPECT_NE(error.find("Authorization Violation"), std::string::npos) << port << ": " << error;
  }

  // Bad requests get clear errors.
  r = Ctl({"account", "list"}, "wrong-token-wrong-token");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("UNAUTHENTICATED"), std::string::npos) << r.output;
  r = Ctl({"user", "create", "--account", "no-such-account", "carol"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("no-such-account"), std::string::npos) << r.output;
  nkeys::KeyPair stranger_op = NewKey(nkeys::KeyType::kOperator);
  nkeys::KeyPair stray = NewKey(nkeys::KeyType::kAccount);
  auto stray_claims = jwt::NewAccountClaims(*nkeys::AccountPublicKey::FromKey(stray.public_key()));
  Write("stray.jwt", *jwt::Encode(stray_claims, stranger_op));
  r = Ctl({"account", "push", dir_ + "/stray.jwt"});
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_FALSE(r.output.empty());

  // An account the node cannot verify is NACKed and the node keeps what it had: the control
  // plane's operator JWT gains a signing key the node's op.jwt does not list.
  nkeys::KeyPair new_signer = NewKey(nkeys::KeyType::kOperator);
  op_claims_.nats.signing_keys.push_back(new_signer.public_key().str());
  Write("op2.jwt", *jwt::Encode(op_claims_, op_key_, now));
  r = Ctl({"operator", "push", dir_ + "/op2.jwt"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  nkeys::KeyPair rogue = NewKey(nkeys::KeyType::kAccount);
  auto rogue_claims = jwt::NewAccountClaims(*nkeys::AccountPublicKey::FromKey(rogue.public_key()));
  rogue_claims.std.name = "rogue";
  Write("rogue.jwt", *jwt::Encode(rogue_claims, new_signer));
  r = Ctl({"account", "push", dir_ + "/rogue.jwt"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(Eventually([&] {
    CtlResult nodes = Ctl({"node", "list", "--cluster", "east"});
    return nodes.output.find(rogue.public_key().str()) != std::string::npos;
  })) << Ctl({"node", "list", "--cluster", "east"}).output
      << Logs();
  ExpectExchange(node_port_, alice, "during.nack");
  r = Ctl({"account", "delete", rogue.public_key().str()});
  ASSERT_EQ(r.exit_code, 0) << r.output;

  // The control plane dies: both servers keep serving, old and new connections alike.
  std::unique_ptr<Client> survivor = ConnectEventually(node_port_, alice);
  ASSERT_TRUE(survivor != nullptr && survivor->Subscribe("survive"));
  control_->Kill(SIGKILL);
  for (int port : {nats_port_, node_port_})
    ExpectExchange(port, alice, "after.death");

  // A node restarted while the control plane is down serves from its on-disk bundle, from the
  // first connection on: the client connects the moment the port accepts TCP, without retrying
  // (the saved accounts are preloaded before the listener opens).
  EXPECT_EQ(testutil::ExitCode(node_->Terminate(kWait)), 0) << node_->Log();
  survivor.reset();
  StartNode(/*wait_ready=*/false);
  ASSERT_TRUE(testutil::WaitForTcp(node_port_, kWait)) << node_->Log();
  std::string first_error;
  EXPECT_NE(Client::Connect(node_port_, alice, &first_error), nullptr)
      << "first CONNECT after the restart: " << first_error << "\n"
      << node_->Log();
  ASSERT_TRUE(testutil::WaitForLog(*node_, "Server is ready", kWait)) << node_->Log();
  EXPECT_NE(node_->Log().find("Preloaded"), std::string::npos) << node_->Log();
  EXPECT_NE(node_->Log().find("from the state dir"), std::string::npos) << node_->Log();
  ExpectExchange(node_port_, alice, "restarted");
  EXPECT_EQ(Client::Connect(node_port_, dir_ + "/bob.creds", nullptr), nullptr);

  // The control plane returns: the node registers again without dropping its clients.
  survivor = ConnectEventually(node_port_, alice);
  ASSERT_TRUE(survivor != nullptr && survivor->Subscribe("resync"));
  StartControl();
  EXPECT_TRUE(Eventually([&] {
    CtlResult nodes = Ctl({"node", "list", "--cluster", "east"});
    return nodes.exit_code == 0 && nodes.output.find("n1") != std::string::npos &&
           nodes.output.find(" up ") != std::string::npos;
  })) << Ctl({"node", "list", "--cluster", "east"}).output
      << Logs();
  // A change made after the resync still reaches the node, and the old client lives on.
  r = Ctl({"user", "create", "--account", "team", "dave"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  Write("dave.creds", r.output);
  ExpectExchange(node_port_, dir_ + "/dave.creds", "after.resync");
  EXPECT_FALSE(survivor->Closed());
  std::unique_ptr<Client> pub = ConnectEventually(node_port_, alice);
  ASSERT_TRUE(pub != nullptr && pub->Publish("resync", "still here"));
  EXPECT_EQ(survivor->Next(), "still here");
}

// lattice-node refuses inconsistent --control flags with a clear message and exit code 1.
TEST(ManagedNodeFlagsTest, BadFlagsAreRefused) {
  const std::string dir = std::string(std::getenv("TEST_TMPDIR"));
  struct Case {
    std::vector<std::string> args;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {{"--control", "127.0.0.1:1", "--operator", "/nonexistent.jwt"}, "--control needs --cluster"},
      {{"--control", "127.0.0.1", "--cluster", "east", "--operator", "/x.jwt"}, "is not host:port"},
      {{"--control", "127.0.0.1:1", "--cluster", "east"}, "--control needs --operator"},
      {{"--control", "127.0.0.1:1", "--cluster", "east", "--node_id", "n1", "--control_token",
        "t0123456789", "--operator", dir + "/missing.jwt"},
       "missing.jwt"},
  };
  int n = 0;
  for (const Case& c : cases) {
    std::vector<std::string> argv = {Runfile(kNodeBinary), "-p", "-1"};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    auto child = ChildProcess::Spawn(argv, absl::StrCat(dir, "/flags.", ++n, ".log"));
    ASSERT_TRUE(child.ok());
    absl::StatusOr<int> status = child->WaitExit(kWait);
    ASSERT_TRUE(status.ok()) << child->Log();
    EXPECT_EQ(testutil::ExitCode(*status), 1) << child->Log();
    EXPECT_NE(child->Log().find(c.expected), std::string::npos) << child->Log();
  }
}

}  // namespace
}  // namespace lattice::managed_e2e
