// End-to-end: the real lattice-control binary driven by the real latticectl-admin binary.
// Writes an operator, signing key, managed and pre-signed accounts, topology and a user;
// restarts the server on the same data directory and checks everything survived; checks that
// calls without valid credentials are refused and that the server will not start without any.
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <optional>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

#include "common/jwt/claims.h"
#include "common/nkeys/nkeys.h"
#include "common/testing/child_process.h"
#include "common/testing/eventually.h"
#include "controlplane/e2e/process.h"

namespace lattice::control_e2e {
namespace {

constexpr char kToken[] = "e2e-admin-token-0123456789";

using testutil::ChildProcess;
using testutil::ExitCode;

// Polls until `condition` holds or 30 s pass (no timing assertions: a deadline only).
template <typename F>
bool Eventually(F condition) {
  return testutil::Eventually(condition, std::chrono::seconds(30));
}

class ControlE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::string(std::getenv("TEST_TMPDIR")) + "/e2e";
    mkdir(dir_.c_str(), 0700);
    std::ofstream(dir_ + "/tokens") << "# e2e\nadmin " << kToken << "\n";
  }

  std::string Write(const std::string& name, const std::string& contents) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << contents;
    return path;
  }

  // Starts lattice-control on port 0 and waits for its port file.
  void StartServer() {
    std::string port_file = dir_ + "/port";
    std::remove(port_file.c_str());
    absl::StatusOr<ChildProcess> child =
        ChildProcess::Spawn({Runfile("controlplane/lattice-control"), "--data-dir", dir_ + "/db",
                             "--listen", "127.0.0.1:0", "--tokens-file", dir_ + "/tokens",
                             "--key-file", dir_ + "/master.key", "--port-file", port_file},
                            dir_ + "/control.log");
    ASSERT_TRUE(child.ok()) << child.status();
    server_.emplace(*std::move(child));
    std::string port;
    ASSERT_TRUE(Eventually([&] {
      if (!server_->Running())
        return true;  // reported below
      std::ifstream in(port_file);
      return static_cast<bool>(in >> port);
    }));
    ASSERT_FALSE(port.empty()) << "lattice-control did not start; see control.log";
    address_ = "127.0.0.1:" + port;
  }

  Output Ctl(std::vector<std::string> args, const std::string& token = kToken) {
    std::vector<std::string> argv = {Runfile("tools/latticectl_admin/latticectl-admin"), "--server",
                                     address_};
    if (!token.empty()) {
      argv.push_back("--token");
      argv.push_back(token);
    }
    argv.insert(argv.end(), args.begin(), args.end());
    return RunToCompletion(argv);
  }

  std::string dir_;
  std::string address_;
  std::optional<ChildProcess> server_;
};

TEST_F(ControlE2eTest, WritesSurviveRestartAndUnauthenticatedCallsAreRefused) {
  StartServer();
  auto op_kp = *nkeys::KeyPair::Generate(nkeys::KeyType::kOperator);
  auto sk_kp = *nkeys::KeyPair::Generate(nkeys::KeyType::kOperator);
  auto op = jwt::NewOperatorClaims(*nkeys::OperatorPublicKey::FromKey(op_kp.public_key()));
  op.std.name = "e2e-op";
  op.nats.signing_keys = {sk_kp.public_key().str()};
  std::string op_file = Write("op.jwt", *jwt::Encode(op, op_kp));
  std::string seed_file = Write("sk.seed", std::string(sk_kp.EncodedSeed().view()));

  // Refused without credentials or with a wrong token; nothing written.
  Output refused = Ctl({"operator", "push", op_file}, "");
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("UNAUTHENTICATED"), std::string::npos) << refused.err;
  refused = Ctl({"account", "list"}, "wrong-token-wrong-token");
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("UNAUTHENTICATED"), std::string::npos) << refused.err;

  Output r = Ctl({"operator", "push", op_file});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("applied at revision 1"), std::string::npos) << r.out;
  ASSERT_EQ(Ctl({"signing-key", "add", "--seed-file", seed_file}).exit_code, 0);
  r = Ctl({"account", "create", "team", "--max-conns", "10", "--export", "svc.>:service"});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  auto acc_kp = *nkeys::KeyPair::Generate(nkeys::KeyType::kAccount);
  auto acc = jwt::NewAccountClaims(*nkeys::AccountPublicKey::FromKey(acc_kp.public_key()));
  acc.std.name = "presigned";
  std::string acc_file = Write("acc.jwt", *jwt::Encode(acc, sk_kp));
  r = Ctl({"plan", "account", "push", acc_file});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("+ account/" + acc_kp.public_key().str()), std::string::npos) << r.out;
  ASSERT_EQ(Ctl({"account", "push", acc_file}).exit_code, 0);
  ASSERT_EQ(Ctl({"cluster", "put", "east"}).exit_code, 0);
  ASSERT_EQ(Ctl({"node", "put", "n1", "--cluster", "east", "--client-url", "nats://127.0.0.1:4222"})
                .exit_code,
            0);
  r = Ctl({"user", "create", "--account", "team", "alice"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("BEGIN USER NKEY SEED"), std::string::npos);

  Output before = Ctl({"account", "list", "--json"});
  ASSERT_EQ(before.exit_code, 0);
  Output audit_before = Ctl({"audit", "--json"});
  ASSERT_EQ(audit_before.exit_code, 0);

  // Restart on the same data directory.
  EXPECT_EQ(ExitCode(server_->Kill(SIGTERM)), 0);
  StartServer();
  Output after = Ctl({"account", "list", "--json"});
  ASSERT_EQ(after.exit_code, 0) << after.err;
  EXPECT_EQ(nlohmann::json::parse(after.out), nlohmann::json::parse(before.out));
  EXPECT_EQ(nlohmann::json::parse(after.out)["accounts"].size(), 2u);
  r = Ctl({"operator", "get", "--json"});
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(r.out)["public_key"], op_kp.public_key().str());
  r = Ctl({"node", "get", "n1", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["node"]["cluster"], "east");
  Output audit_after = Ctl({"audit", "--json"});
  EXPECT_EQ(audit_after.out, audit_before.out);
  // The sealed keys survived too: the managed account can still issue users.
  r = Ctl({"user", "create", "--account", "team", "bob"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Ctl({"account", "list"}, "").exit_code, 1);
  EXPECT_EQ(ExitCode(server_->Kill(SIGTERM)), 0);
}

TEST_F(ControlE2eTest, RefusesToStartWithoutCredentials) {
  Output r = RunToCompletion({Runfile("controlplane/lattice-control"), "--data-dir", dir_ + "/db2",
                              "--listen", "127.0.0.1:0"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no credentials configured"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace lattice::control_e2e
