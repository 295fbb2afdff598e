// OperatorTrust: operator option values (inline, files, decorated), system account, trust.
#include "dataplane/operator/operator_trust.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "gtest/gtest.h"

#include "common/creds/creds.h"
#include "dataplane/operator/test_keys.h"

namespace lattice::operator_mode {
namespace {

using testing::kNow;
using testing::NewKey;
using testing::TestAccount;
using testing::TestOperator;

std::string WriteTemp(const std::string& contents) {
  char path[] = "/tmp/opmode_trust_XXXXXX";
  int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << contents;
  return path;
}

TEST(OperatorTrustTest, InlineJwtGivesSystemAccountFromTheOperator) {
  TestOperator op;
  TestAccount sys("SYS");
  op.claims.nats.system_account = sys.public_key();
  auto trust = OperatorTrust::FromOptionValues({op.Jwt()}, "", kNow);
  ASSERT_TRUE(trust.ok()) << trust.status();
  ASSERT_EQ(trust->operators().size(), 1u);
  EXPECT_EQ(trust->operators()[0].claims.std.subject, op.public_key());
  EXPECT_EQ(trust->system_account(), sys.public_key());
}

TEST(OperatorTrustTest, ConfiguredSystemAccountWins) {
  TestOperator op;
  TestAccount sys("SYS");
  TestAccount other("OTHER");
  op.claims.nats.system_account = sys.public_key();
  auto trust = OperatorTrust::FromOptionValues({op.Jwt()}, other.public_key(), kNow);
  ASSERT_TRUE(trust.ok()) << trust.status();
  EXPECT_EQ(trust->system_account(), other.public_key());
}

TEST(OperatorTrustTest, SystemAccountMustBeAnAccountKey) {
  TestOperator op;
  auto trust = OperatorTrust::FromOptionValues({op.Jwt()}, "SYS", kNow);
  ASSERT_FALSE(trust.ok());
  EXPECT_NE(trust.status().message().find("not an account public key"), std::string::npos);
}

TEST(OperatorTrustTest, ReadsBareAndDecoratedFiles) {
  TestOperator op;
  std::string bare = WriteTemp(op.Jwt() + "\n");
  std::string decorated = WriteTemp(creds::FormatDecoratedJwt(op.Jwt(), "OPERATOR"));
  for (const std::string& path : {bare, decorated}) {
    auto trust = OperatorTrust::FromOptionValues({path}, "", kNow);
    ASSERT_TRUE(trust.ok()) << path << ": " << trust.status();
    EXPECT_EQ(trust->operators()[0].claims.std.subject, op.public_key());
  }
  std::remove(bare.c_str());
  std::remove(decorated.c_str());
}

TEST(OperatorTrustTest, MissingFileNamesThePath) {
  auto trust = OperatorTrust::FromOptionValues({"/nonexistent/op.jwt"}, "", kNow);
  ASSERT_FALSE(trust.ok());
  EXPECT_NE(trust.status().message().find("/nonexistent/op.jwt"), std::string::npos);
}

TEST(OperatorTrustTest, RefusesGarbageNoOperatorAndTheWrongKind) {
  EXPECT_FALSE(OperatorTrust::FromOptionValues({"eyJnot-a-jwt"}, "", kNow).ok());
  EXPECT_FALSE(OperatorTrust::FromOptionValues({}, "", kNow).ok());
  TestOperator op;
  TestAccount acc("A");
  // An account JWT where an operator JWT is expected.
  EXPECT_FALSE(OperatorTrust::FromOptionValues({acc.Jwt(op)}, "", kNow).ok());
}

TEST(OperatorTrustTest, RefusesOperatorSignedByAStranger) {
  TestOperator op;
  nkeys::KeyPair stranger = NewKey(nkeys::KeyType::kOperator);
  auto token = jwt::Encode(op.claims, stranger, kNow);
  ASSERT_TRUE(token.ok());
  auto trust = OperatorTrust::FromOptionValues({*token}, "", kNow);
  ASSERT_FALSE(trust.ok());
  EXPECT_NE(trust.status().message().find("operator[0]"), std::string::npos);
}

TEST(OperatorTrustTest, RefusesExpiredOperator) {
  TestOperator op;
  op.claims.std.expires = kNow - 1;
  EXPECT_FALSE(OperatorTrust::FromOptionValues({op.Jwt()}, "", kNow).ok());
}

TEST(OperatorTrustTest, ValidatesAccountsAgainstEveryOperator) {
  TestOperator first;
  TestOperator second;
  auto trust = OperatorTrust::FromOptionValues({first.Jwt(), second.Jwt()}, "", kNow);
  ASSERT_TRUE(trust.ok()) << trust.status();
  EXPECT_TRUE(trust->system_account().empty());  // two operators: no implicit system account

  TestAccount a("A");
  auto claims = jwt::DecodeAccount(a.Jwt(second));
  ASSERT_TRUE(claims.ok());
  auto index = trust->ValidateAccount(*claims, kNow);
  ASSERT_TRUE(index.ok()) << index.status();
  EXPECT_EQ(*index, 1u);

  TestOperator stranger;
  claims = jwt::DecodeAccount(a.Jwt(stranger));
  ASSERT_TRUE(claims.ok());
  EXPECT_EQ(trust->ValidateAccount(*claims, kNow).status().code(),
            absl::StatusCode::kPermissionDenied);

  a.claims.std.expires = kNow - 5;
  claims = jwt::DecodeAccount(a.Jwt(first));
  ASSERT_TRUE(claims.ok());
  EXPECT_EQ(trust->ValidateAccount(*claims, kNow).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(OperatorTrustTest, StrictOperatorRefusesAccountsSignedByItsIdentityKey) {
  TestOperator op;
  op.claims.nats.strict_signing_key_usage = true;
  auto trust = OperatorTrust::FromOptionValues({op.Jwt()}, "", kNow);
  ASSERT_TRUE(trust.ok()) << trust.status();
  TestAccount a("A");
  auto by_identity = jwt::Encode(a.claims, op.key, kNow);
  ASSERT_TRUE(by_identity.ok());
  auto claims = jwt::DecodeAccount(*by_identity);
  ASSERT_TRUE(claims.ok());
  EXPECT_FALSE(trust->ValidateAccount(*claims, kNow).ok());
  claims = jwt::DecodeAccount(a.Jwt(op));  // signing key
  ASSERT_TRUE(claims.ok());
  EXPECT_TRUE(trust->ValidateAccount(*claims, kNow).ok());
}

}  // namespace
}  // namespace lattice::operator_mode
