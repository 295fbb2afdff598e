// Component test: OperatorMode with a URL resolver against the real accountd binary serving a
// folder of account JWTs (the resolver protocol nats-server uses).
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

#include "common/files/files.h"
#include "common/testing/child_process.h"
#include "dataplane/operator/operator_mode.h"
#include "dataplane/operator/test_keys.h"

namespace lattice::operator_mode {
namespace {

using testing::kNow;
using testing::NewKey;
using testing::TestAccount;
using testing::TestOperator;

class NullSink : public AccountSink {
 public:
  void ApplyAccount(const accounts::AccountSpec& spec) override { applied.push_back(spec.name); }
  void RemoveAccount(const std::string&) override {}
  void CloseUserConnections(const std::string&, const std::string&, int64_t) override {}
  std::vector<std::string> applied;
};

void WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream(path) << contents;
}

class AccountdResolverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TEST_TMPDIR");
    char templ[256];
    snprintf(templ, sizeof(templ), "%s/opmode_accountd_XXXXXX", tmp != nullptr ? tmp : "/tmp");
    ASSERT_NE(mkdtemp(templ), nullptr);
    dir_ = templ;
    ASSERT_TRUE(files::MakeDirs(dir_ + "/accounts").ok());
    op_jwt_ = op_.Jwt();
    WriteFile(dir_ + "/op.jwt", op_jwt_);
    WriteFile(dir_ + "/accounts/" + account_.public_key() + ".jwt", account_.Jwt(op_));

    const char* srcdir = std::getenv("TEST_SRCDIR");
    ASSERT_NE(srcdir, nullptr);
    std::string bin = std::string(srcdir) + "/lattice/accountd/accountd";
    auto child =
        testutil::ChildProcess::Spawn({bin, "--operator", dir_ + "/op.jwt", "--http", "127.0.0.1:0",
                                       "--dir", dir_ + "/accounts", "--poll", "0"},
                                      dir_ + "/accountd.log");
    ASSERT_TRUE(child.ok()) << child.status();
    accountd_.emplace(*std::move(child));
    ASSERT_TRUE(testutil::WaitForLog(*accountd_, "resolver listening", std::chrono::seconds(20)))
        << accountd_->Log();
    // accountd logs the port it bound: "listening on http://127.0.0.1:<port>/...".
    std::string log = accountd_->Log();
    const std::string marker = "listening on http://127.0.0.1:";
    size_t at = log.find(marker);
    ASSERT_NE(at, std::string::npos) << log;
    size_t digits = at + marker.size();
    size_t end = log.find_first_not_of("0123456789", digits);
    ASSERT_GT(end, digits) << log;
    base_url_ = "http://127.0.0.1:" + log.substr(digits, end - digits) + "/jwt/v1/accounts/";
  }
  void TearDown() override {
    if (accountd_.has_value())
      accountd_->Terminate(std::chrono::seconds(5));
  }

  TestOperator op_;
  TestAccount account_{"A"};
  std::string op_jwt_;
  std::string dir_;
  std::string base_url_;
  std::optional<testutil::ChildProcess> accountd_;
  NullSink sink_;
};

TEST_F(AccountdResolverTest, ResolvesAccountsAndAuthenticatesTheirUsers) {
  OperatorModeConfig config;
  config.operators = {op_jwt_};
  config.resolver = "URL(" + base_url_ + ")";
  config.now = [] { return kNow; };
  auto mode = OperatorMode::Create(std::move(config), &sink_);
  ASSERT_TRUE(mode.ok()) << mode.status();
  EXPECT_EQ((*mode)->resolver().Name(), "URL");

  std::string why;
  ASSERT_NE((*mode)->FindAccount(account_.public_key(), &why), nullptr) << why << accountd_->Log();
  EXPECT_EQ(sink_.applied, std::vector<std::string>{account_.public_key()});

  TestAccount unknown("UNKNOWN");
  EXPECT_EQ((*mode)->FindAccount(unknown.public_key(), &why), nullptr);
  EXPECT_NE(why.find("404"), std::string::npos) << why;

  // A user of the resolved account connects through the provider.
  auto provider = (*mode)->NewAuthProvider();
  nkeys::KeyPair user = NewKey(nkeys::KeyType::kUser);
  auth::ConnectOptions connect;
  connect.jwt = account_.UserJwt(user);
  absl::WebSafeBase64Escape(*user.Sign("nonce-1"), &connect.sig);
  auth::Identity identity;
  auth::AuthFailure failure = auth::AuthFailure::kNone;
  ASSERT_EQ(provider->Authenticate({&connect, "nonce-1"}, &identity, &failure),
            auth::AuthProvider::Verdict::kAccepted);
  EXPECT_EQ(identity.account, account_.public_key());
  // A user of an account accountd does not know is refused.
  connect.jwt = unknown.UserJwt(user);
  EXPECT_EQ(provider->Authenticate({&connect, "nonce-1"}, &identity, &failure),
            auth::AuthProvider::Verdict::kRejected);
}

}  // namespace
}  // namespace lattice::operator_mode
