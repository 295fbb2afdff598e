// Tests for operator/account JWT acceptance and managed claims.
#include "controlplane/accounts/account_rules.h"

#include "gtest/gtest.h"

#include "controlplane/accounts/test_keys.h"

namespace lattice::accounts {
namespace {

using testing::NewAccount;
using testing::NewKey;

class AccountRulesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    op_claims_ = jwt::NewOperatorClaims(*nkeys::OperatorPublicKey::FromKey(op_kp_.public_key()));
    op_claims_.std.name = "op";
    op_claims_.nats.signing_keys = {sk_kp_.public_key().str()};
    auto token = jwt::Encode(op_claims_, op_kp_, 1000);
    ASSERT_TRUE(token.ok());
    op_jwt_ = *token;
  }
  nkeys::KeyPair op_kp_ = NewKey(nkeys::KeyType::kOperator);
  nkeys::KeyPair sk_kp_ = NewKey(nkeys::KeyType::kOperator);
  nkeys::KeyPair acc_kp_ = NewKey(nkeys::KeyType::kAccount);
  jwt::OperatorClaims op_claims_;
  std::string op_jwt_;
};

TEST_F(AccountRulesTest, OperatorMustBeSelfSigned) {
  auto op = CheckOperatorJwt(op_jwt_, 2000);
  ASSERT_TRUE(op.ok()) << op.status();
  EXPECT_EQ(op->std.subject, op_kp_.public_key().str());
  nkeys::KeyPair stranger = NewKey(nkeys::KeyType::kOperator);
  auto other = jwt::Encode(op_claims_, stranger, 1000);  // neither its identity nor a signing key
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(CheckOperatorJwt(*other, 2000).ok());
  EXPECT_FALSE(CheckOperatorJwt("garbage", 2000).ok());
}

TEST_F(AccountRulesTest, AccountSignedBySigningKeyAcceptedAndIatEnforced) {
  jwt::AccountClaims acc = NewAccount(acc_kp_, "A");
  auto token = jwt::Encode(acc, sk_kp_, 5000);
  ASSERT_TRUE(token.ok());
  auto checked = CheckAccountJwt(op_claims_, *token, 0, 6000);
  ASSERT_TRUE(checked.ok()) << checked.status();
  EXPECT_EQ(checked->std.issued_at, 5000);
  EXPECT_TRUE(CheckAccountJwt(op_claims_, *token, 5000, 6000).ok());  // same iat: idempotent
  auto older = CheckAccountJwt(op_claims_, *token, 5001, 6000);
  EXPECT_EQ(older.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(AccountRulesTest, AccountFromUntrustedIssuerRefused) {
  nkeys::KeyPair stranger = NewKey(nkeys::KeyType::kOperator);
  jwt::AccountClaims acc = NewAccount(acc_kp_, "A");
  auto token = jwt::Encode(acc, stranger, 5000);
  ASSERT_TRUE(token.ok());
  EXPECT_FALSE(CheckAccountJwt(op_claims_, *token, 0, 6000).ok());
}

TEST_F(AccountRulesTest, SpecBuildsLimitsExportsImports) {
  control::v1::AccountSpec spec;
  spec.set_name("orders");
  spec.mutable_limits()->set_max_connections(5);
  auto* e = spec.add_exports();
  e->set_subject("svc.orders");
  e->set_type("service");
  auto* i = spec.add_imports();
  i->set_subject("data.>");
  i->set_type("stream");
  i->set_account(NewKey(nkeys::KeyType::kAccount).public_key().str());
  auto claims = ApplyAccountSpec(spec, NewAccount(acc_kp_, ""));
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->std.name, "orders");
  EXPECT_EQ(claims->nats.limits.account.conn, 5);
  EXPECT_EQ(claims->nats.limits.nats.subs, jwt::kNoLimit);
  ASSERT_EQ(claims->nats.exports.size(), 1u);
  EXPECT_EQ(claims->nats.exports[0].type, jwt::ExportType::kService);
  ASSERT_EQ(claims->nats.imports.size(), 1u);
  EXPECT_EQ(claims->nats.imports[0].type, jwt::ExportType::kStream);
  auto view = AccountPlanView(*claims);
  EXPECT_FALSE(view.contains("iat"));
  EXPECT_EQ(view["nats"]["limits"]["conn"], 5);

  spec.mutable_exports(0)->set_type("queue");
  EXPECT_FALSE(ApplyAccountSpec(spec, NewAccount(acc_kp_, "")).ok());
  spec.mutable_exports(0)->set_type("service");
  spec.mutable_imports(0)->set_account("not-a-key");
  EXPECT_FALSE(ApplyAccountSpec(spec, NewAccount(acc_kp_, "")).ok());
  spec.clear_name();
  EXPECT_FALSE(ApplyAccountSpec(spec, NewAccount(acc_kp_, "")).ok());
}

}  // namespace
}  // namespace lattice::accounts
