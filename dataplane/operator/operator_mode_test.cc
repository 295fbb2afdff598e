// OperatorMode: creation errors, lookups, claims updates, revocations, importers, agent feed.
#include "dataplane/operator/operator_mode.h"

#include <map>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

#include "dataplane/operator/test_keys.h"

namespace lattice::operator_mode {
namespace {

using testing::kNow;
using testing::MakeImport;
using testing::NewKey;
using testing::ServiceExport;
using testing::TestAccount;
using testing::TestOperator;

// Records what OperatorMode asks of the server.
class RecordingSink : public AccountSink {
 public:
  struct Close {
    std::string account;
    std::string user;
    int64_t before;
  };
  void ApplyAccount(const accounts::AccountSpec& spec) override {
    applied.push_back(spec);
    latest[spec.name] = spec;
  }
  void RemoveAccount(const std::string& name) override { removed.push_back(name); }
  void CloseUserConnections(const std::string& account, const std::string& user,
                            int64_t before) override {
    closed.push_back({account, user, before});
  }
  int AppliedCount(const std::string& name) const {
    int n = 0;
    for (const auto& s : applied)
      n += s.name == name;
    return n;
  }
  std::vector<accounts::AccountSpec> applied;
  std::map<std::string, accounts::AccountSpec> latest;
  std::vector<std::string> removed;
  std::vector<Close> closed;
};

std::string Update(const std::string& account) {
  return "$SYS.ACCOUNT." + account + ".CLAIMS.UPDATE";
}

class OperatorModeTest : public ::testing::Test {
 protected:
  OperatorModeTest() {
    op_.claims.nats.system_account = sys_.public_key();
    exporter_.claims.nats.exports = {ServiceExport("svc.>", /*token_req=*/true)};
  }
  OperatorModeConfig Config() {
    OperatorModeConfig c;
    c.operators = {op_.Jwt()};
    c.resolver = "MEMORY";
    c.now = [] { return kNow; };
    return c;
  }
  std::unique_ptr<OperatorMode> Make(std::map<std::string, std::string> preload) {
    OperatorModeConfig c = Config();
    c.resolver_preload = std::move(preload);
    auto mode = OperatorMode::Create(std::move(c), &sink_);
    EXPECT_TRUE(mode.ok()) << mode.status();
    return mode.ok() ? *std::move(mode) : nullptr;
  }
  std::shared_ptr<const jwt::AccountClaims> Find(OperatorMode& mode, const std::string& key) {
    std::string why;
    return mode.FindAccount(key, &why);
  }

  TestOperator op_;
  TestAccount sys_{"SYS"};
  TestAccount exporter_{"EXP"};
  TestAccount importer_{"IMP"};
  RecordingSink sink_;
};

TEST_F(OperatorModeTest, CreateErrors) {
  OperatorModeConfig c = Config();
  c.resolver = "";
  auto mode = OperatorMode::Create(std::move(c), &sink_);
  ASSERT_FALSE(mode.ok());
  EXPECT_NE(mode.status().message().find("needs a resolver"), std::string::npos);

  c = Config();
  c.resolver = "full";
  EXPECT_FALSE(OperatorMode::Create(std::move(c), &sink_).ok());

  c = Config();
  c.resolver_preload = {{"not-a-key", exporter_.Jwt(op_)}};
  EXPECT_FALSE(OperatorMode::Create(std::move(c), &sink_).ok());

  c = Config();  // the JWT is for another account than its key
  c.resolver_preload = {{importer_.public_key(), exporter_.Jwt(op_)}};
  EXPECT_FALSE(OperatorMode::Create(std::move(c), &sink_).ok());

  TestOperator stranger;
  c = Config();
  c.resolver_preload = {{exporter_.public_key(), exporter_.Jwt(stranger)}};
  mode = OperatorMode::Create(std::move(c), &sink_);
  ASSERT_FALSE(mode.ok());
  EXPECT_NE(mode.status().message().find("resolver_preload"), std::string::npos);

  c = Config();
  c.resolver = "URL(http://127.0.0.1:1/)";
  c.resolver_preload = {{exporter_.public_key(), exporter_.Jwt(op_)}};
  EXPECT_FALSE(OperatorMode::Create(std::move(c), &sink_).ok());

  EXPECT_FALSE(OperatorMode::Create(Config(), nullptr).ok());
  EXPECT_TRUE(sink_.applied.empty());
}

TEST_F(OperatorModeTest, AccountServerUrlGivesAUrlResolver) {
  op_.claims.nats.account_server_url = "http://127.0.0.1:9/jwt/v1";
  OperatorModeConfig c = Config();
  c.resolver = "";
  auto mode = OperatorMode::Create(std::move(c), &sink_);
  ASSERT_TRUE(mode.ok()) << mode.status();
  EXPECT_EQ((*mode)->resolver().Name(), "URL");
}

TEST_F(OperatorModeTest, StartLoadsTheSystemAccountAndLookupsApplyOnce) {
  auto mode =
      Make({{sys_.public_key(), sys_.Jwt(op_)}, {exporter_.public_key(), exporter_.Jwt(op_)}});
  ASSERT_NE(mode, nullptr);
  EXPECT_EQ(mode->system_account(), sys_.public_key());
  mode->Start();
  EXPECT_EQ(sink_.AppliedCount(sys_.public_key()), 1);
  EXPECT_EQ(sink_.AppliedCount(exporter_.public_key()), 0);  // lazily, as nats-server

  ASSERT_NE(Find(*mode, exporter_.public_key()), nullptr);
  ASSERT_NE(Find(*mode, exporter_.public_key()), nullptr);
  EXPECT_EQ(sink_.AppliedCount(exporter_.public_key()), 1);
  EXPECT_FALSE(mode->HeldJwt(exporter_.public_key()).empty());

  std::string why;
  EXPECT_EQ(mode->FindAccount(importer_.public_key(), &why), nullptr);
  EXPECT_NE(why.find("not found"), std::string::npos);
  EXPECT_EQ(mode->FindAccount("garbage", &why), nullptr);
}

TEST_F(OperatorModeTest, ResolvedJwtsAreVerified) {
  TestOperator stranger;
  OperatorModeConfig c = Config();
  auto resolver = std::make_unique<MemoryResolver>();
  resolver->Store(exporter_.public_key(), exporter_.Jwt(stranger));  // untrusted
  resolver->Store(importer_.public_key(), exporter_.Jwt(op_));       // wrong subject
  c.resolver_for_test = std::move(resolver);
  auto mode = OperatorMode::Create(std::move(c), &sink_);
  ASSERT_TRUE(mode.ok());
  std::string why;
  EXPECT_EQ((*mode)->FindAccount(exporter_.public_key(), &why), nullptr);
  EXPECT_NE(why.find("not signed by a trusted operator"), std::string::npos) << why;
  EXPECT_EQ((*mode)->FindAccount(importer_.public_key(), &why), nullptr);
  EXPECT_TRUE(sink_.applied.empty());
}

TEST_F(OperatorModeTest, ClaimsUpdatesApplyNewerJwtsAndCloseRevokedUsers) {
  auto mode = Make({{exporter_.public_key(), exporter_.Jwt(op_, kNow - 100)}});
  ASSERT_NE(Find(*mode, exporter_.public_key()), nullptr);
  const std::string key = exporter_.public_key();

  exporter_.claims.nats.limits.account.conn = 7;
  exporter_.claims.nats.revocations["UUSER1"] = kNow - 5;
  std::string newer = exporter_.Jwt(op_, kNow - 50);
  ASSERT_TRUE(mode->HandleClaimsUpdate(Update(key), newer).ok());
  EXPECT_EQ(sink_.latest[key].limits.max_connections, 7);
  ASSERT_EQ(sink_.closed.size(), 1u);
  EXPECT_EQ(sink_.closed[0].account, key);
  EXPECT_EQ(sink_.closed[0].user, "UUSER1");
  EXPECT_EQ(sink_.closed[0].before, kNow - 5);

  // The same JWT again: nothing to do. An older one: refused.
  int applied = sink_.AppliedCount(key);
  EXPECT_TRUE(mode->HandleClaimsUpdate(Update(key), newer).ok());
  EXPECT_EQ(sink_.AppliedCount(key), applied);
  absl::Status older =
      mode->HandleClaimsUpdate(Update(key), exporter_.Jwt(op_, kNow - 90)).status();
  EXPECT_EQ(older.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(mode->HeldJwt(key), newer);

  // A further update keeping the same revocation closes nobody new; a later "*" does.
  exporter_.claims.nats.revocations["*"] = kNow - 1;
  ASSERT_TRUE(mode->HandleClaimsUpdate(Update(key), exporter_.Jwt(op_, kNow - 40)).ok());
  ASSERT_EQ(sink_.closed.size(), 2u);
  EXPECT_EQ(sink_.closed[1].user, "*");
}

TEST_F(OperatorModeTest, ClaimsUpdatesRefuseBadInput) {
  auto mode = Make({{exporter_.public_key(), exporter_.Jwt(op_)}});
  ASSERT_NE(Find(*mode, exporter_.public_key()), nullptr);
  const std::string key = exporter_.public_key();
  EXPECT_FALSE(mode->HandleClaimsUpdate("$SYS.ACCOUNT.CLAIMS.UPDATE", exporter_.Jwt(op_)).ok());
  EXPECT_FALSE(mode->HandleClaimsUpdate(Update("ABC"), exporter_.Jwt(op_)).ok());
  EXPECT_FALSE(mode->HandleClaimsUpdate(Update(key), "").ok());
  EXPECT_FALSE(mode->HandleClaimsUpdate(Update(key), "eyJ.garbage.x").ok());
  // The JWT of another account under this account's subject.
  EXPECT_FALSE(mode->HandleClaimsUpdate(Update(key), importer_.Jwt(op_, kNow)).ok());
  TestOperator stranger;
  EXPECT_EQ(mode->HandleClaimsUpdate(Update(key), exporter_.Jwt(stranger, kNow)).status().code(),
            absl::StatusCode::kPermissionDenied);
  exporter_.claims.std.expires = kNow - 1;
  EXPECT_FALSE(mode->HandleClaimsUpdate(Update(key), exporter_.Jwt(op_, kNow)).ok());
  // As nats-server: a held account's refused update says "account validation failed", a
  // JWT of another account "subject does not match jwt content".
  exporter_.claims.std.expires = 0;
  exporter_.claims.nats.limits.account.exports = 0;  // it has one
  absl::Status too_many = mode->HandleClaimsUpdate(Update(key), exporter_.Jwt(op_, kNow)).status();
  EXPECT_EQ(std::string(too_many.message()), "account validation failed");
  EXPECT_EQ(std::string(
                mode->HandleClaimsUpdate(Update(key), importer_.Jwt(op_, kNow)).status().message()),
            "subject does not match jwt content");
  EXPECT_EQ(sink_.AppliedCount(key), 1);
}

TEST_F(OperatorModeTest, UpdatesForAccountsNotHeldAreSkipped) {
  // As nats-server: an account this server has not loaded is skipped (nothing stored, not even
  // trust-checked); a later lookup asks the resolver, which does not know it here.
  auto mode = Make({});
  std::string token = importer_.Jwt(op_);
  absl::StatusOr<OperatorMode::ClaimsUpdateOutcome> outcome =
      mode->HandleClaimsUpdate(Update(importer_.public_key()), token);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(*outcome, OperatorMode::ClaimsUpdateOutcome::kSkipped);
  EXPECT_TRUE(sink_.applied.empty());
  EXPECT_EQ(Find(*mode, importer_.public_key()), nullptr);
  EXPECT_EQ(mode->HeldJwt(importer_.public_key()), "");
  TestOperator stranger;
  outcome = mode->HandleClaimsUpdate(Update(importer_.public_key()), importer_.Jwt(stranger));
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(*outcome, OperatorMode::ClaimsUpdateOutcome::kSkipped);
}

TEST_F(OperatorModeTest, ExporterChangesReconvertImporters) {
  importer_.claims.nats.imports = {
      MakeImport(exporter_.public_key(), "svc.a", jwt::ExportType::kService,
                 exporter_.Activation(importer_.public_key(), "svc.>", jwt::ExportType::kService))};
  auto mode = Make({{exporter_.public_key(), exporter_.Jwt(op_, kNow - 100)},
                    {importer_.public_key(), importer_.Jwt(op_)}});
  // Loading the importer loads (and applies) the exporter to verify the activation.
  ASSERT_NE(Find(*mode, importer_.public_key()), nullptr);
  EXPECT_EQ(sink_.AppliedCount(exporter_.public_key()), 1);
  ASSERT_EQ(sink_.latest[importer_.public_key()].service_imports.size(), 1u);

  // The exporter revokes the activation: the importer loses the import live.
  exporter_.claims.nats.exports[0].revocations[importer_.public_key()] = kNow;
  ASSERT_TRUE(
      mode->HandleClaimsUpdate(Update(exporter_.public_key()), exporter_.Jwt(op_, kNow - 10)).ok());
  EXPECT_TRUE(sink_.latest[importer_.public_key()].service_imports.empty());

  // Deleted upstream: removed, and importers re-converted without it.
  exporter_.claims.nats.exports[0].revocations.clear();
  ASSERT_TRUE(mode->ApplyAccountJwt(exporter_.Jwt(op_, kNow - 5)).ok());
  EXPECT_EQ(sink_.latest[importer_.public_key()].service_imports.size(), 1u);
  mode->ForgetAccount(exporter_.public_key());
  EXPECT_EQ(sink_.removed, std::vector<std::string>{exporter_.public_key()});
  EXPECT_TRUE(sink_.latest[importer_.public_key()].service_imports.empty());
  EXPECT_EQ(Find(*mode, exporter_.public_key()), nullptr);  // not resurrected from the resolver
}

TEST_F(OperatorModeTest, ALateExporterRestoresAnImportItsTokenCouldNotProve) {
  importer_.claims.nats.imports = {
      MakeImport(exporter_.public_key(), "svc.a", jwt::ExportType::kService,
                 exporter_.Activation(importer_.public_key(), "svc.>", jwt::ExportType::kService))};
  auto mode = Make({{importer_.public_key(), importer_.Jwt(op_)}});  // exporter unknown
  ASSERT_NE(Find(*mode, importer_.public_key()), nullptr);
  EXPECT_TRUE(sink_.latest[importer_.public_key()].service_imports.empty());
  ASSERT_TRUE(mode->ApplyAccountJwt(exporter_.Jwt(op_)).ok());
  EXPECT_EQ(sink_.latest[importer_.public_key()].service_imports.size(), 1u);
}

TEST_F(OperatorModeTest, ImportCyclesTerminate) {
  exporter_.claims.nats.exports = {ServiceExport("a.>")};
  importer_.claims.nats.exports = {ServiceExport("b.>")};
  exporter_.claims.nats.imports = {
      MakeImport(importer_.public_key(), "b.x", jwt::ExportType::kService)};
  importer_.claims.nats.imports = {
      MakeImport(exporter_.public_key(), "a.x", jwt::ExportType::kService)};
  auto mode = Make(
      {{exporter_.public_key(), exporter_.Jwt(op_)}, {importer_.public_key(), importer_.Jwt(op_)}});
  ASSERT_NE(Find(*mode, exporter_.public_key()), nullptr);
  EXPECT_EQ(sink_.latest[exporter_.public_key()].service_imports.size(), 1u);
  EXPECT_EQ(sink_.latest[importer_.public_key()].service_imports.size(), 1u);
}

TEST_F(OperatorModeTest, AgentFeedAppliesWithoutALookup) {
  auto mode = Make({});
  ASSERT_TRUE(mode->ApplyAccountJwt(importer_.Jwt(op_, kNow - 10)).ok());
  EXPECT_EQ(sink_.AppliedCount(importer_.public_key()), 1);
  EXPECT_EQ(mode->ApplyAccountJwt(importer_.Jwt(op_, kNow - 20)).code(),
            absl::StatusCode::kFailedPrecondition);
  TestOperator stranger;
  EXPECT_FALSE(mode->ApplyAccountJwt(exporter_.Jwt(stranger)).ok());
}

TEST_F(OperatorModeTest, SnapshotsAreAllOrNothingAndDropMissingAccounts) {
  auto mode = Make({});
  std::map<std::string, std::string> set = {{exporter_.public_key(), exporter_.Jwt(op_)},
                                            {importer_.public_key(), importer_.Jwt(op_)}};
  ASSERT_TRUE(mode->ApplySnapshot(set, {}).ok());
  EXPECT_EQ(sink_.AppliedCount(exporter_.public_key()), 1);
  EXPECT_EQ(sink_.AppliedCount(importer_.public_key()), 1);

  // One bad JWT refuses the whole set, naming the account; nothing changes.
  TestOperator stranger;
  set[sys_.public_key()] = sys_.Jwt(stranger);
  set[importer_.public_key()] = importer_.Jwt(op_, kNow);
  absl::Status refused = mode->ApplySnapshot(set, {});
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.message().find(sys_.public_key()), std::string::npos);
  EXPECT_EQ(sink_.AppliedCount(importer_.public_key()), 1);

  // The same JWTs again apply nothing; a missing account and a tombstone are removed.
  set.erase(sys_.public_key());
  set.erase(importer_.public_key());
  size_t before = sink_.applied.size();
  ASSERT_TRUE(mode->ApplySnapshot(set, {exporter_.public_key()}).ok());
  EXPECT_EQ(sink_.applied.size(), before);
  EXPECT_EQ(sink_.removed.size(), 2u);
  EXPECT_TRUE(mode->HeldJwt(importer_.public_key()).empty());
  EXPECT_TRUE(mode->HeldJwt(exporter_.public_key()).empty());
}

TEST_F(OperatorModeTest, ProviderAuthenticatesAndSeesRevocations) {
  auto mode = Make({{importer_.public_key(), importer_.Jwt(op_, kNow - 100)}});
  auto provider = mode->NewAuthProvider();
  nkeys::KeyPair user = NewKey(nkeys::KeyType::kUser);
  auth::ConnectOptions connect;
  connect.jwt = importer_.UserJwt(user);
  absl::WebSafeBase64Escape(*user.Sign("nonce"), &connect.sig);
  auth::Identity identity;
  auth::AuthFailure failure = auth::AuthFailure::kNone;
  ASSERT_EQ(provider->Authenticate({&connect, "nonce"}, &identity, &failure),
            auth::AuthProvider::Verdict::kAccepted);
  EXPECT_EQ(identity.account, importer_.public_key());
  EXPECT_EQ(identity.user, user.public_key().str());

  importer_.claims.nats.revocations[user.public_key().str()] = kNow;
  ASSERT_TRUE(
      mode->HandleClaimsUpdate(Update(importer_.public_key()), importer_.Jwt(op_, kNow - 1)).ok());
  ASSERT_EQ(sink_.closed.size(), 1u);
  EXPECT_EQ(provider->Authenticate({&connect, "nonce"}, &identity, &failure),
            auth::AuthProvider::Verdict::kRejected);
}

TEST(ClaimsUpdateAccountTest, ParsesTheSubject) {
  EXPECT_EQ(ClaimsUpdateAccount("$SYS.ACCOUNT.ABC.CLAIMS.UPDATE"), "ABC");
  EXPECT_EQ(ClaimsUpdateAccount("$SYS.ACCOUNT.ABC.CLAIMS.LOOKUP"), "");
  EXPECT_EQ(ClaimsUpdateAccount("$SYS.ACCOUNT..CLAIMS.UPDATE"), "");
  EXPECT_EQ(ClaimsUpdateAccount(""), "");
}

}  // namespace
}  // namespace lattice::operator_mode
