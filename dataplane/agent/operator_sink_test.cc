// OperatorAgentSink: bundles applied all-or-nothing through OperatorMode, system account kept.
#include "dataplane/agent/operator_sink.h"

#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"

#include "dataplane/operator/test_keys.h"

namespace lattice::agent {
namespace {

using operator_mode::testing::kNow;
using operator_mode::testing::TestAccount;
using operator_mode::testing::TestOperator;

// Records what OperatorMode asks of the server.
class RecordingAccountSink : public operator_mode::AccountSink {
 public:
  void ApplyAccount(const accounts::AccountSpec& spec) override { applied.push_back(spec.name); }
  void RemoveAccount(const std::string& name) override { removed.push_back(name); }
  void CloseUserConnections(const std::string& account, const std::string&, int64_t) override {
    closed.push_back(account);
  }
  std::vector<std::string> applied;
  std::vector<std::string> removed;
  std::vector<std::string> closed;
};

class OperatorSinkTest : public ::testing::Test {
 protected:
  OperatorSinkTest() { op_.claims.nats.system_account = sys_.public_key(); }

  void SetUp() override {
    operator_mode::OperatorModeConfig config;
    config.operators = {op_.Jwt()};
    config.resolver = "MEMORY";
    config.resolver_preload = {{sys_.public_key(), sys_.Jwt(op_)}};
    config.now = [] { return kNow; };
    auto mode = operator_mode::OperatorMode::Create(std::move(config), &server_);
    ASSERT_TRUE(mode.ok()) << mode.status();
    mode_ = *std::move(mode);
    mode_->Start();
    sink_ = std::make_unique<OperatorAgentSink>(mode_.get());
  }

  // A bundle whose accounts carry only what the sink reads (key and JWT).
  static std::shared_ptr<const AccountsBundle> Bundle(
      const std::string& version, const std::map<std::string, std::string>& accounts,
      const std::set<std::string>& deleted = {}) {
    auto bundle = std::make_shared<AccountsBundle>();
    bundle->version = version;
    for (const auto& [key, token] : accounts) {
      VerifiedAccount account;
      account.public_key = key;
      account.jwt = token;
      bundle->accounts.emplace(key, std::move(account));
    }
    bundle->deleted = deleted;
    return bundle;
  }

  TestOperator op_;
  TestAccount sys_{"SYS"};
  TestAccount a_{"A"};
  TestAccount b_{"B"};
  RecordingAccountSink server_;
  std::unique_ptr<operator_mode::OperatorMode> mode_;
  std::unique_ptr<OperatorAgentSink> sink_;
};

TEST_F(OperatorSinkTest, AppliesAccountsAndForgetsMissingAndTombstonedOnes) {
  const std::string a_jwt = a_.Jwt(op_);
  const std::string b_jwt = b_.Jwt(op_);
  ASSERT_TRUE(
      sink_->ApplyAccounts(Bundle("v1", {{a_.public_key(), a_jwt}, {b_.public_key(), b_jwt}}))
          .ok());
  EXPECT_EQ(mode_->HeldJwt(a_.public_key()), a_jwt);
  EXPECT_EQ(mode_->HeldJwt(b_.public_key()), b_jwt);
  EXPECT_EQ(sink_->status().accounts_version, "v1");

  // B missing from v2: forgotten, its clients dropped. A unchanged: not applied again.
  server_.applied.clear();
  ASSERT_TRUE(sink_->ApplyAccounts(Bundle("v2", {{a_.public_key(), a_jwt}})).ok());
  EXPECT_TRUE(server_.applied.empty());
  EXPECT_EQ(server_.removed, std::vector<std::string>{b_.public_key()});
  EXPECT_EQ(mode_->HeldJwt(b_.public_key()), "");

  // A tombstoned in v3.
  ASSERT_TRUE(sink_->ApplyAccounts(Bundle("v3", {}, {a_.public_key()})).ok());
  EXPECT_EQ(mode_->HeldJwt(a_.public_key()), "");
  EXPECT_EQ(sink_->status().accounts_applied, 3u);
}

TEST_F(OperatorSinkTest, LimitChangeIsReapplied) {
  ASSERT_TRUE(sink_->ApplyAccounts(Bundle("v1", {{a_.public_key(), a_.Jwt(op_)}})).ok());
  a_.claims.nats.limits.account.conn = 1;
  const std::string updated = a_.Jwt(op_, kNow - 5);
  server_.applied.clear();
  ASSERT_TRUE(sink_->ApplyAccounts(Bundle("v2", {{a_.public_key(), updated}})).ok());
  EXPECT_EQ(server_.applied, std::vector<std::string>{a_.public_key()});
  EXPECT_EQ(mode_->HeldJwt(a_.public_key()), updated);
}

TEST_F(OperatorSinkTest, OneUntrustedAccountRefusesTheWholeBundle) {
  const std::string a_jwt = a_.Jwt(op_);
  ASSERT_TRUE(sink_->ApplyAccounts(Bundle("v1", {{a_.public_key(), a_jwt}})).ok());
  server_.applied.clear();
  server_.removed.clear();

  TestOperator stranger;
  absl::Status refused = sink_->ApplyAccounts(
      Bundle("v2", {{a_.public_key(), a_jwt}, {b_.public_key(), b_.Jwt(stranger)}}));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.message().find(b_.public_key()), std::string::npos) << refused;
  EXPECT_TRUE(server_.applied.empty());
  EXPECT_TRUE(server_.removed.empty());
  EXPECT_EQ(mode_->HeldJwt(a_.public_key()), a_jwt);
  EXPECT_EQ(mode_->HeldJwt(b_.public_key()), "");
  OperatorSinkStatus status = sink_->status();
  EXPECT_EQ(status.accounts_version, "v1");
  EXPECT_EQ(status.accounts_refused, 1u);
  EXPECT_NE(status.last_refusal.find("v2: "), std::string::npos);

  // A JWT filed under another account's key is refused too.
  refused = sink_->ApplyAccounts(Bundle("v3", {{b_.public_key(), a_jwt}}));
  EXPECT_FALSE(refused.ok());
  EXPECT_EQ(mode_->HeldJwt(a_.public_key()), a_jwt);
  EXPECT_EQ(sink_->ApplyAccounts(nullptr).code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(OperatorSinkTest, SystemAccountStaysUnlessPushedOrTombstoned) {
  const std::string sys_jwt = mode_->HeldJwt(sys_.public_key());
  ASSERT_FALSE(sys_jwt.empty());
  ASSERT_TRUE(sink_->ApplyAccounts(Bundle("v1", {{a_.public_key(), a_.Jwt(op_)}})).ok());
  EXPECT_EQ(mode_->HeldJwt(sys_.public_key()), sys_jwt);
  EXPECT_TRUE(server_.removed.empty());

  ASSERT_TRUE(sink_->ApplyAccounts(Bundle("v2", {}, {sys_.public_key()})).ok());
  EXPECT_EQ(mode_->HeldJwt(sys_.public_key()), "");
}

TEST(SnapshotFromBundleTest, MapsAccountsAndKeepsOnlyAnAbsentKey) {
  AccountsBundle bundle;
  bundle.accounts["AX"].jwt = "jx";
  bundle.deleted = {"AD"};
  SnapshotInput in = SnapshotFromBundle(bundle, "AS", "js");
  EXPECT_EQ(in.accounts, (std::map<std::string, std::string>{{"AX", "jx"}, {"AS", "js"}}));
  EXPECT_EQ(in.deleted, std::vector<std::string>{"AD"});
  EXPECT_EQ(SnapshotFromBundle(bundle, "AX", "other").accounts.at("AX"), "jx");
  EXPECT_EQ(SnapshotFromBundle(bundle, "AD", "js").accounts.count("AD"), 0u);
  EXPECT_EQ(SnapshotFromBundle(bundle, "", "").accounts.size(), 1u);
}

TEST_F(OperatorSinkTest, TopologyIsStored) {
  EXPECT_EQ(sink_->topology(), nullptr);
  auto topology = std::make_shared<v1::Topology>();
  topology->set_version("t1");
  topology->set_cluster("c1");
  topology->add_peers()->set_id("n2");
  ASSERT_TRUE(sink_->ApplyTopology(topology).ok());
  ASSERT_NE(sink_->topology(), nullptr);
  EXPECT_EQ(sink_->topology()->peers(0).id(), "n2");
  EXPECT_EQ(sink_->status().topology_version, "t1");
}

}  // namespace
}  // namespace lattice::agent
