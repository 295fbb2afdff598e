// Frontend tests for operators, signing keys, accounts, users, audit and the change feed.
#include "gtest/gtest.h"

#include "common/creds/creds.h"
#include "common/jwt/chain.h"
#include "controlplane/frontend/frontend_test_util.h"

namespace lattice::frontend {
namespace {

using testing::FrontendTest;
using testing::NewKey;

TEST_F(FrontendTest, OperatorDryRunThenWriteThenIdempotent) {
  auto dry = frontend_->PutOperator("alice", op_jwt_, true);
  ASSERT_TRUE(dry.ok()) << dry.status();
  EXPECT_FALSE(dry->applied);
  ASSERT_EQ(dry->plan.changes_size(), 1);
  EXPECT_EQ(dry->plan.changes(0).op(), v1::Change::OP_CREATE);
  EXPECT_EQ(frontend_->revision(), 0u);
  EXPECT_EQ(frontend_->GetOperator().status().code(), absl::StatusCode::kNotFound);

  auto r = frontend_->PutOperator("alice", op_jwt_, false);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->applied);
  EXPECT_EQ(r->revision, 1u);
  auto op = frontend_->GetOperator();
  ASSERT_TRUE(op.ok());
  EXPECT_EQ(op->public_key(), op_kp_.public_key().str());
  EXPECT_EQ(op->meta().updated_by(), "alice");
  ASSERT_EQ(op->signing_keys_size(), 1);

  auto again = frontend_->PutOperator("alice", op_jwt_, false);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->applied);
  EXPECT_EQ(frontend_->revision(), 1u);
  EXPECT_FALSE(frontend_->PutOperator("alice", "not.a.jwt", false).ok());

  auto audit = frontend_->ListAudit(v1::ListAuditRequest());
  ASSERT_TRUE(audit.ok());
  ASSERT_EQ(audit->entries_size(), 1);
  EXPECT_EQ(audit->entries(0).actor(), "alice");
  EXPECT_EQ(audit->entries(0).changed(0), "operator/operator");
}

TEST_F(FrontendTest, AccountPushVerifiesIssuerIatAndCas) {
  v1::PutAccountRequest req;
  EXPECT_EQ(frontend_->PutAccount("a", req).status().code(), absl::StatusCode::kNotFound);
  PutOperator();
  nkeys::KeyPair acc = NewKey(nkeys::KeyType::kAccount);
  auto claims = NewAccountClaims(acc, "orders");
  req.set_jwt(AccountJwt(claims));
  auto r = frontend_->PutAccount("a", req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->key, acc.public_key().str());
  const uint64_t rev = r->revision;

  // Untrusted issuer.
  nkeys::KeyPair stranger = NewKey(nkeys::KeyType::kOperator);
  v1::PutAccountRequest bad;
  bad.set_jwt(*jwt::Encode(claims, stranger, Seconds()));
  EXPECT_EQ(frontend_->PutAccount("a", bad).status().code(), absl::StatusCode::kPermissionDenied);

  // An update with a diff; compare-and-set on the stored revision.
  Advance(10);
  claims.nats.limits.account.conn = 5;
  v1::PutAccountRequest update;
  update.set_jwt(AccountJwt(claims));
  update.set_expected_revision(rev + 7);
  EXPECT_EQ(frontend_->PutAccount("a", update).status().code(), absl::StatusCode::kAborted);
  update.set_expected_revision(rev);
  update.set_dry_run(true);
  auto plan = frontend_->PutAccount("a", update);
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->plan.changes_size(), 1);
  EXPECT_EQ(plan->plan.changes(0).op(), v1::Change::OP_UPDATE);
  ASSERT_EQ(plan->plan.changes(0).fields_size(), 1);
  EXPECT_EQ(plan->plan.changes(0).fields(0).path(), "nats.limits.conn");
  EXPECT_EQ(plan->plan.changes(0).fields(0).after(), "5");
  update.set_dry_run(false);
  ASSERT_TRUE(frontend_->PutAccount("a", update).ok());

  // The earlier JWT is now older than the stored one.
  auto older = frontend_->PutAccount("a", req);
  EXPECT_EQ(older.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(older.status().message().find("older"), std::string::npos);
}

TEST_F(FrontendTest, ImportOfMissingExportIsPlannedAsErrorAndRefused) {
  PutOperator();
  nkeys::KeyPair exporter = NewKey(nkeys::KeyType::kAccount);
  nkeys::KeyPair importer = NewKey(nkeys::KeyType::kAccount);
  auto exp_claims = NewAccountClaims(exporter, "exporter");
  jwt::Export e;
  e.subject = "svc.time";
  e.type = jwt::ExportType::kService;
  exp_claims.nats.exports.push_back(e);
  v1::PutAccountRequest req;
  req.set_jwt(AccountJwt(exp_claims));
  ASSERT_TRUE(frontend_->PutAccount("a", req).ok());

  auto imp_claims = NewAccountClaims(importer, "importer");
  jwt::Import i;
  i.account = exporter.public_key().str();
  i.subject = "svc.date";
  i.type = jwt::ExportType::kService;
  imp_claims.nats.imports.push_back(i);
  req.set_jwt(AccountJwt(imp_claims));
  req.set_dry_run(true);
  auto plan = frontend_->PutAccount("a", req);
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->plan.errors_size(), 1);
  EXPECT_NE(plan->plan.errors(0).find("no matching service export"), std::string::npos);
  req.set_dry_run(false);
  EXPECT_EQ(frontend_->PutAccount("a", req).status().code(), absl::StatusCode::kFailedPrecondition);

  // Fix the import; then removing the export from the exporter is refused.
  imp_claims.nats.imports[0].subject = "svc.time";
  req.set_jwt(AccountJwt(imp_claims));
  ASSERT_TRUE(frontend_->PutAccount("a", req).ok());
  Advance(1);
  exp_claims.nats.exports.clear();
  req.set_jwt(AccountJwt(exp_claims));
  EXPECT_EQ(frontend_->PutAccount("a", req).status().code(), absl::StatusCode::kFailedPrecondition);
  // Deleting the exporter is refused too, while the importer exists.
  v1::DeleteAccountRequest del;
  del.set_public_key(exporter.public_key().str());
  EXPECT_EQ(frontend_->DeleteAccount("a", del).status().code(),
            absl::StatusCode::kFailedPrecondition);
  del.set_public_key(importer.public_key().str());
  ASSERT_TRUE(frontend_->DeleteAccount("a", del).ok());
  del.set_public_key(exporter.public_key().str());
  ASSERT_TRUE(frontend_->DeleteAccount("a", del).ok());
}

TEST_F(FrontendTest, ManagedAccountsAndUsers) {
  PutOperator();
  v1::SignAccountRequest sign;
  sign.mutable_spec()->set_name("team");
  sign.mutable_spec()->mutable_limits()->set_max_connections(3);
  EXPECT_EQ(frontend_->SignAccount("a", sign).status().code(),
            absl::StatusCode::kFailedPrecondition);  // no managed signing key yet

  v1::AddSigningKeyRequest add;
  add.set_seed("SOnotaseed");
  EXPECT_EQ(frontend_->AddSigningKey("a", add).status().code(), absl::StatusCode::kInvalidArgument);
  nkeys::KeyPair unlisted = NewKey(nkeys::KeyType::kOperator);
  add.set_seed(std::string(unlisted.EncodedSeed().view()));
  EXPECT_EQ(frontend_->AddSigningKey("a", add).status().code(),
            absl::StatusCode::kFailedPrecondition);
  add.set_seed(std::string(sk_kp_.EncodedSeed().view()));
  auto added = frontend_->AddSigningKey("a", add);
  ASSERT_TRUE(added.ok()) << added.status();
  EXPECT_EQ(added->public_key(), sk_kp_.public_key().str());
  // The seed is stored sealed, never in clear.
  auto raw = store_->Get(store::Kind::kSigningKey, sk_kp_.public_key().str());
  ASSERT_TRUE(raw.ok() && raw->has_value());
  EXPECT_EQ((*raw)->find(std::string(sk_kp_.EncodedSeed().view())), std::string::npos);

  auto created = frontend_->SignAccount("a", sign);
  ASSERT_TRUE(created.ok()) << created.status();
  auto account = frontend_->GetAccount("team");
  ASSERT_TRUE(account.ok());
  EXPECT_TRUE(account->managed());
  EXPECT_EQ(account->public_key(), created->key);
  auto claims = jwt::DecodeAccount(account->jwt());
  ASSERT_TRUE(claims.ok());
  EXPECT_EQ(claims->std.issuer, sk_kp_.public_key().str());
  EXPECT_EQ(claims->nats.limits.account.conn, 3);
  // Same name again is refused.
  EXPECT_EQ(frontend_->SignAccount("a", sign).status().code(),
            absl::StatusCode::kFailedPrecondition);

  v1::CreateUserRequest user;
  user.set_account("team");
  user.set_name("bob");
  user.add_pub_allow("orders.>");
  auto issued = frontend_->CreateUser("a", user);
  ASSERT_TRUE(issued.ok()) << issued.status();
  auto creds = creds::ParseUserCreds(issued->creds());
  ASSERT_TRUE(creds.ok());
  EXPECT_EQ(creds->jwt, issued->jwt());
  auto perms = jwt::ValidateChain(op_jwt_, account->jwt(), issued->jwt(), Seconds());
  ASSERT_TRUE(perms.ok()) << perms.status();
  EXPECT_EQ(perms->permissions.pub.allow, std::vector<std::string>{"orders.>"});
  // Nothing about the user is stored: only the audit record says it was issued.
  auto keys = frontend_->ListSigningKeys();
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(keys->size(), 2u);  // operator signing key + the account's key
  auto audit = frontend_->ListAudit(v1::ListAuditRequest());
  ASSERT_TRUE(audit.ok());
  EXPECT_NE(audit->entries().rbegin()->reason().find(issued->public_key()), std::string::npos);
  EXPECT_TRUE(audit->entries().rbegin()->changed().empty());

  // Update the managed account through the spec: the diff shows the limit change.
  sign.set_public_key(created->key);
  sign.mutable_spec()->mutable_limits()->set_max_connections(10);
  sign.set_dry_run(true);
  auto plan = frontend_->SignAccount("a", sign);
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->plan.changes_size(), 1);
  EXPECT_EQ(plan->plan.changes(0).fields(0).path(), "nats.limits.conn");

  // A pre-signed account is not managed: no users.
  nkeys::KeyPair plain = NewKey(nkeys::KeyType::kAccount);
  auto plain_claims = NewAccountClaims(plain, "plain");
  v1::PutAccountRequest put;
  put.set_jwt(AccountJwt(plain_claims));
  ASSERT_TRUE(frontend_->PutAccount("a", put).ok());
  user.set_account("plain");
  EXPECT_EQ(frontend_->CreateUser("a", user).status().code(),
            absl::StatusCode::kFailedPrecondition);

  // Deleting a managed account drops its key: no more users.
  v1::DeleteAccountRequest del;
  del.set_public_key(created->key);
  ASSERT_TRUE(frontend_->DeleteAccount("a", del).ok());
  user.set_account(created->key);
  EXPECT_FALSE(frontend_->CreateUser("a", user).ok());
}

TEST_F(FrontendTest, GeneratedSigningKeyIsAddedToTheOperator) {
  PutOperator();
  v1::AddSigningKeyRequest gen;
  gen.set_generate(true);
  EXPECT_EQ(frontend_->AddSigningKey("a", gen).status().code(), absl::StatusCode::kNotFound);
  v1::AddSigningKeyRequest identity;
  identity.set_seed(std::string(op_kp_.EncodedSeed().view()));
  ASSERT_TRUE(frontend_->AddSigningKey("a", identity).ok());
  auto generated = frontend_->AddSigningKey("a", gen);
  ASSERT_TRUE(generated.ok()) << generated.status();
  auto op = frontend_->GetOperator();
  ASSERT_TRUE(op.ok());
  auto claims = jwt::DecodeOperator(op->jwt());
  ASSERT_TRUE(claims.ok());
  EXPECT_EQ(claims->nats.signing_keys.back(), generated->public_key());
}

TEST_F(FrontendTest, ListPagesTombstonesAndSurvivesRestart) {
  PutOperator();
  std::vector<std::string> keys;
  for (int i = 0; i < 5; ++i) {
    nkeys::KeyPair kp = NewKey(nkeys::KeyType::kAccount);
    auto claims = NewAccountClaims(kp, "acc" + std::to_string(i));
    v1::PutAccountRequest req;
    req.set_jwt(AccountJwt(claims));
    ASSERT_TRUE(frontend_->PutAccount("a", req).ok());
    keys.push_back(kp.public_key().str());
  }
  v1::DeleteAccountRequest del;
  del.set_public_key(keys[2]);
  ASSERT_TRUE(frontend_->DeleteAccount("a", del).ok());
  EXPECT_EQ(frontend_->DeleteAccount("a", del).status().code(), absl::StatusCode::kNotFound);

  Open();  // restart over the same directory
  v1::ListAccountsRequest list;
  list.set_page_size(2);
  std::vector<std::string> seen;
  for (int pages = 0; pages < 10; ++pages) {
    auto page = frontend_->ListAccounts(list);
    ASSERT_TRUE(page.ok());
    for (const auto& a : page->accounts())
      seen.push_back(a.public_key());
    if (page->next_page_token().empty())
      break;
    list.set_page_token(page->next_page_token());
  }
  EXPECT_EQ(seen.size(), 4u);
  EXPECT_EQ(std::count(seen.begin(), seen.end(), keys[2]), 0);
  list.clear_page_token();
  list.set_page_size(0);
  list.set_include_deleted(true);
  EXPECT_EQ(frontend_->ListAccounts(list)->accounts_size(), 5);
  auto tomb = frontend_->GetAccount(keys[2]);
  ASSERT_TRUE(tomb.ok());
  EXPECT_TRUE(tomb->deleted());

  auto bundle = frontend_->BuildAccountsBundle();
  ASSERT_TRUE(bundle.ok());
  EXPECT_EQ(bundle->accounts_size(), 5);
  EXPECT_EQ(bundle->version(), "a-" + std::to_string(frontend_->revision()));
}

TEST_F(FrontendTest, ChangeFeedReportsLatestStatePerObject) {
  PutOperator();
  nkeys::KeyPair kp = NewKey(nkeys::KeyType::kAccount);
  auto claims = NewAccountClaims(kp, "one");
  v1::PutAccountRequest req;
  req.set_jwt(AccountJwt(claims));
  ASSERT_TRUE(frontend_->PutAccount("a", req).ok());  // rev 2
  Advance(1);
  claims.std.name = "two";
  req.set_jwt(AccountJwt(claims));
  ASSERT_TRUE(frontend_->PutAccount("a", req).ok());  // rev 3

  uint64_t scanned = 0;
  auto events = frontend_->ReadChanges(0, {}, 100, &scanned);
  ASSERT_TRUE(events.ok());
  EXPECT_EQ(scanned, 3u);
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].kind(), "operator");
  EXPECT_EQ((*events)[1].revision(), 3u);
  EXPECT_EQ((*events)[1].account().name(), "two");

  auto only_accounts = frontend_->ReadChanges(0, {"account"}, 100, &scanned);
  ASSERT_TRUE(only_accounts.ok());
  EXPECT_EQ(only_accounts->size(), 1u);
  auto from_two = frontend_->ReadChanges(2, {}, 100, &scanned);
  ASSERT_TRUE(from_two.ok());
  ASSERT_EQ(from_two->size(), 1u);
  auto none = frontend_->ReadChanges(3, {}, 100, &scanned);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  EXPECT_EQ(scanned, 3u);
}

}  // namespace
}  // namespace lattice::frontend
