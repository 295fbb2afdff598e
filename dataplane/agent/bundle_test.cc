// Verification of pushed accounts bundles against the node's own operator, and topology checks.
#include "dataplane/agent/bundle.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "dataplane/agent/test_chain.h"

namespace lattice::agent {
namespace {

using testing::AccountJwt;
using testing::AddAccount;
using ::testing::HasSubstr;
using testing::NewBundle;
using testing::NewKey;
using testing::TestOperator;

class BundleTest : public ::testing::Test {
 protected:
  TrustedOperator Trusted(const std::vector<std::string>& signing_keys = {}) {
    auto trusted = TrustedOperator::FromJwt(op_.Jwt(signing_keys), jwt::NowSeconds());
    EXPECT_TRUE(trusted.ok()) << trusted.status();
    return *std::move(trusted);
  }

  TestOperator op_;
  nkeys::KeyPair a_ = NewKey(nkeys::KeyType::kAccount);
  nkeys::KeyPair b_ = NewKey(nkeys::KeyType::kAccount);
};

TEST_F(BundleTest, GoodBundleIsVerifiedWithClaimsAndTombstones) {
  v1::AccountsBundle pushed = NewBundle(op_, "a-7");
  AddAccount(&pushed, a_, "A", AccountJwt(a_, "A", op_.key));
  v1::Account* gone = AddAccount(&pushed, b_, "B", "");
  gone->set_deleted(true);

  auto verified = VerifyAccountsBundle(pushed, Trusted(), jwt::NowSeconds());
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(verified->version, "a-7");
  EXPECT_EQ(verified->operator_key, op_.public_key());
  ASSERT_EQ(verified->accounts.size(), 1u);
  const VerifiedAccount& a = verified->accounts.at(a_.public_key().str());
  EXPECT_EQ(a.name, "A");
  EXPECT_EQ(a.claims.std.subject, a_.public_key().str());
  EXPECT_EQ(a.claims.std.issuer, op_.public_key());
  EXPECT_THAT(verified->deleted, ::testing::ElementsAre(b_.public_key().str()));
  EXPECT_EQ(verified->source.version(), "a-7");
}

TEST_F(BundleTest, AccountSignedByTrustedSigningKeyIsAccepted) {
  nkeys::KeyPair signing = NewKey(nkeys::KeyType::kOperator);
  v1::AccountsBundle pushed = NewBundle(op_, "a-1");
  AddAccount(&pushed, a_, "A", AccountJwt(a_, "A", signing));
  auto verified =
      VerifyAccountsBundle(pushed, Trusted({signing.public_key().str()}), jwt::NowSeconds());
  EXPECT_TRUE(verified.ok()) << verified.status();
}

TEST_F(BundleTest, TamperedJwtIsRejectedNamingTheAccount) {
  v1::AccountsBundle pushed = NewBundle(op_, "a-2");
  AddAccount(&pushed, a_, "A", AccountJwt(a_, "A", op_.key));
  std::string token = AccountJwt(b_, "B", op_.key);
  // Flip one character of the payload: the signature no longer matches.
  const size_t dot = token.find('.');
  token[dot + 5] = token[dot + 5] == 'A' ? 'B' : 'A';
  AddAccount(&pushed, b_, "B", token);

  auto verified = VerifyAccountsBundle(pushed, Trusted(), jwt::NowSeconds());
  ASSERT_FALSE(verified.ok());
  EXPECT_THAT(verified.status().message(), HasSubstr(b_.public_key().str()));
  EXPECT_THAT(verified.status().message(), HasSubstr("(B)"));
}

TEST_F(BundleTest, AccountSignedByUnknownKeyIsRejected) {
  // The control plane may know a signing key the node's operator JWT does not list: the node
  // must not trust it.
  nkeys::KeyPair unknown = NewKey(nkeys::KeyType::kOperator);
  v1::AccountsBundle pushed = NewBundle(op_, "a-3");
  AddAccount(&pushed, a_, "A", AccountJwt(a_, "A", unknown));
  pushed.mutable_operator_()->set_jwt(op_.Jwt({unknown.public_key().str()}));

  auto verified = VerifyAccountsBundle(pushed, Trusted(), jwt::NowSeconds());
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(verified.status().message(), HasSubstr("account " + a_.public_key().str()));
}

TEST_F(BundleTest, OperatorMismatchIsRejected) {
  TestOperator other;
  v1::AccountsBundle pushed = NewBundle(other, "a-4");
  AddAccount(&pushed, a_, "A", AccountJwt(a_, "A", other.key));
  auto verified = VerifyAccountsBundle(pushed, Trusted(), jwt::NowSeconds());
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(verified.status().message(), HasSubstr("not the operator this node trusts"));

  v1::AccountsBundle empty;
  empty.set_version("a-0");
  EXPECT_FALSE(VerifyAccountsBundle(empty, Trusted(), jwt::NowSeconds()).ok());
}

TEST_F(BundleTest, JwtForAnotherAccountIsRejected) {
  v1::AccountsBundle pushed = NewBundle(op_, "a-5");
  AddAccount(&pushed, a_, "A", AccountJwt(b_, "B", op_.key));  // listed under A, JWT is B's
  auto verified = VerifyAccountsBundle(pushed, Trusted(), jwt::NowSeconds());
  ASSERT_FALSE(verified.ok());
  EXPECT_THAT(verified.status().message(), HasSubstr("is another account"));
}

TEST_F(BundleTest, ExpiredAccountIsRejected) {
  const int64_t now = jwt::NowSeconds();
  v1::AccountsBundle pushed = NewBundle(op_, "a-6");
  AddAccount(&pushed, a_, "A", AccountJwt(a_, "A", op_.key, now - 10));
  auto verified = VerifyAccountsBundle(pushed, Trusted(), now);
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(BundleTest, MalformedBundlesAreRejectedWithoutCrashing) {
  v1::AccountsBundle no_version = NewBundle(op_, "");
  EXPECT_FALSE(VerifyAccountsBundle(no_version, Trusted(), jwt::NowSeconds()).ok());

  v1::AccountsBundle twice = NewBundle(op_, "a-8");
  AddAccount(&twice, a_, "A", AccountJwt(a_, "A", op_.key));
  AddAccount(&twice, a_, "A", AccountJwt(a_, "A", op_.key));
  EXPECT_THAT(VerifyAccountsBundle(twice, Trusted(), jwt::NowSeconds()).status().message(),
              HasSubstr("listed twice"));

  v1::AccountsBundle garbage = NewBundle(op_, "a-9");
  AddAccount(&garbage, a_, "A", "not.a.jwt");
  AddAccount(&garbage, b_, "B", "");
  EXPECT_FALSE(VerifyAccountsBundle(garbage, Trusted(), jwt::NowSeconds()).ok());

  v1::AccountsBundle keyless = NewBundle(op_, "a-10");
  keyless.add_accounts()->set_jwt(AccountJwt(a_, "A", op_.key));
  EXPECT_FALSE(VerifyAccountsBundle(keyless, Trusted(), jwt::NowSeconds()).ok());
}

TEST_F(BundleTest, TrustedOperatorMustBeAValidOperatorJwt) {
  EXPECT_FALSE(TrustedOperator::FromJwt("", jwt::NowSeconds()).ok());
  EXPECT_FALSE(TrustedOperator::FromJwt(AccountJwt(a_, "A", op_.key), jwt::NowSeconds()).ok());
  auto trusted = TrustedOperator::FromJwt(op_.Jwt(), jwt::NowSeconds());
  ASSERT_TRUE(trusted.ok());
  EXPECT_EQ(trusted->public_key(), op_.public_key());
}

TEST(TopologyTest, ClusterMustMatchAndVersionBeSet) {
  v1::Topology topology;
  topology.set_version("t-3");
  topology.set_cluster("east");
  topology.add_peers()->set_id("n2");
  topology.add_gateways()->set_cluster("west");
  EXPECT_TRUE(VerifyTopology(topology, "east").ok());
  EXPECT_THAT(std::string(VerifyTopology(topology, "west").message()), HasSubstr("'east'"));

  v1::Topology unversioned = topology;
  unversioned.clear_version();
  EXPECT_FALSE(VerifyTopology(unversioned, "east").ok());
  v1::Topology anonymous_peer = topology;
  anonymous_peer.add_peers();
  EXPECT_FALSE(VerifyTopology(anonymous_peer, "east").ok());
  v1::Topology anonymous_gateway = topology;
  anonymous_gateway.add_gateways();
  EXPECT_FALSE(VerifyTopology(anonymous_gateway, "east").ok());
}

}  // namespace
}  // namespace lattice::agent
