// PreloadSavedAccounts: a managed node's saved bundle is held by the server from its first
// accepted connection, before any agent runs; bundles that must not be served are skipped.
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include <nats/nats.h>

#include "common/creds/creds.h"
#include "common/jwt/claims.h"
#include "dataplane/agent/bundle_store.h"
#include "dataplane/agent/managed_node.h"
#include "dataplane/agent/test_chain.h"
#include "dataplane/server/test_client.h"

namespace lattice::agent {
namespace {

using testing::AccountJwt;
using testing::AddAccount;
using testing::NewBundle;
using testing::NewKey;
using testing::TestOperator;

class PreloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int counter = 0;
    dir_ = absl::StrCat(std::getenv("TEST_TMPDIR"), "/preload", ++counter);
    std::ofstream(dir_ + ".op.jwt") << op_.Jwt();
    config_.state_dir = dir_ + "/state";
    flags_.operator_file = dir_ + ".op.jwt";
  }

  // Managed options (operator file + MEMORY resolver) on an ephemeral port.
  options::Options ManagedOptions() {
    options::Options opts = server::testing::TestOptions();
    EXPECT_TRUE(ApplyManagedOptions(flags_, &opts).ok());
    return opts;
  }

  void Save(const v1::AccountsBundle& bundle) {
    auto store = BundleStore::Open(config_.state_dir);
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE(store->SaveAccounts(bundle).ok());
  }

  // A creds file for a new user of `account`.
  std::string UserCredsFile(const nkeys::KeyPair& account) {
    nkeys::KeyPair user = NewKey(nkeys::KeyType::kUser);
    auto claims = jwt::NewUserClaims(*nkeys::UserPublicKey::FromKey(user.public_key()));
    auto creds = creds::FormatUserCreds(*jwt::Encode(claims, account), user);
    EXPECT_TRUE(creds.ok());
    const std::string path = absl::StrCat(dir_, ".user", ++users_, ".creds");
    std::ofstream(path) << std::string(creds->view());
    return path;
  }

  TestOperator op_;
  std::string dir_;
  AgentConfig config_;
  AgentFlags flags_;
  int users_ = 0;
};

bool ConnectsWith(int port, const std::string& creds) {
  natsOptions* opts = nullptr;
  natsOptions_Create(&opts);
  natsOptions_SetURL(opts, absl::StrCat("nats://127.0.0.1:", port).c_str());
  natsOptions_SetUserCredentialsFromFiles(opts, creds.c_str(), nullptr);
  natsOptions_SetAllowReconnect(opts, false);
  natsConnection* nc = nullptr;
  const natsStatus s = natsConnection_Connect(&nc, opts);
  natsOptions_Destroy(opts);
  natsConnection_Destroy(nc);
  return s == NATS_OK;
}

TEST_F(PreloadTest, SavedAccountsServeTheFirstConnectWithoutAnyAgent) {
  nkeys::KeyPair team = NewKey(nkeys::KeyType::kAccount);
  nkeys::KeyPair other = NewKey(nkeys::KeyType::kAccount);
  v1::AccountsBundle bundle = NewBundle(op_, "a-7");
  AddAccount(&bundle, team, "team", AccountJwt(team, "team", op_.key));
  AddAccount(&bundle, other, "other", AccountJwt(other, "other", op_.key));
  Save(bundle);
  const std::string creds = UserCredsFile(team);

  // Control: the same server without the preload refuses the user (nobody applied the bundle).
  {
    std::unique_ptr<server::Server> bare = server::testing::StartServer(ManagedOptions());
    EXPECT_FALSE(ConnectsWith(bare->port(), creds));
    bare->Shutdown();
  }

  options::Options opts = ManagedOptions();
  EXPECT_EQ(PreloadSavedAccounts(config_, &opts), 2u);
  EXPECT_EQ(opts.resolver_preload.count(team.public_key().str()), 1u);
  EXPECT_EQ(opts.resolver_preload.count(other.public_key().str()), 1u);
  std::unique_ptr<server::Server> node = server::testing::StartServer(opts);
  EXPECT_TRUE(ConnectsWith(node->port(), creds));
  node->Shutdown();
}

TEST_F(PreloadTest, KeepsTheConfigurationsOwnPreloads) {
  nkeys::KeyPair team = NewKey(nkeys::KeyType::kAccount);
  v1::AccountsBundle bundle = NewBundle(op_, "a-3");
  AddAccount(&bundle, team, "team", AccountJwt(team, "team", op_.key));
  Save(bundle);
  options::Options opts = ManagedOptions();
  opts.resolver_preload[team.public_key().str()] = "from-the-config";
  EXPECT_EQ(PreloadSavedAccounts(config_, &opts), 0u);
  EXPECT_EQ(opts.resolver_preload[team.public_key().str()], "from-the-config");
}

TEST_F(PreloadTest, BundlesThatMustNotBeServedAreSkipped) {
  options::Options opts = ManagedOptions();
  // Nothing saved yet, and no state dir at all.
  EXPECT_EQ(PreloadSavedAccounts(config_, &opts), 0u);
  AgentConfig no_state = config_;
  no_state.state_dir.clear();
  EXPECT_EQ(PreloadSavedAccounts(no_state, &opts), 0u);

  // An account signed by an operator the node does not trust.
  TestOperator stranger;
  nkeys::KeyPair rogue = NewKey(nkeys::KeyType::kAccount);
  v1::AccountsBundle foreign = NewBundle(op_, "a-4");
  AddAccount(&foreign, rogue, "rogue", AccountJwt(rogue, "rogue", stranger.key));
  Save(foreign);
  EXPECT_EQ(PreloadSavedAccounts(config_, &opts), 0u);

  // An account about to expire: the server would refuse it as a preload at start.
  nkeys::KeyPair brief = NewKey(nkeys::KeyType::kAccount);
  v1::AccountsBundle expiring = NewBundle(op_, "a-5");
  AddAccount(&expiring, brief, "brief", AccountJwt(brief, "brief", op_.key, jwt::NowSeconds() + 5));
  Save(expiring);
  EXPECT_EQ(PreloadSavedAccounts(config_, &opts), 0u);

  // A corrupt file.
  std::ofstream(config_.state_dir + "/accounts.bundle", std::ios::trunc) << "garbage";
  EXPECT_EQ(PreloadSavedAccounts(config_, &opts), 0u);
  EXPECT_TRUE(opts.resolver_preload.empty());
  // The options still start a server (nothing half-applied).
  std::unique_ptr<server::Server> node = server::testing::StartServer(opts);
  node->Shutdown();
}

}  // namespace
}  // namespace lattice::agent
