// AccountCache: validation failures, newest-iat-wins, listener fan-out, persistence.
#include "accountd/account_cache.h"

#include <unistd.h>

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "accountd/file_util.h"
#include "accountd/testing/temp_dir.h"
#include "accountd/testing/test_chain.h"

namespace lattice::accountd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::MakeTempDir;
using testing::TestOperator;

constexpr int64_t kNow = 1'900'000'000;

class AccountCacheTest : public ::testing::Test {
 protected:
  std::unique_ptr<AccountCache> NewCache(const std::string& dir = "") {
    auto cache = AccountCache::Create(op_.jwt(), dir, [this] { return now_; });
    EXPECT_TRUE(cache.ok()) << cache.status();
    return *std::move(cache);
  }
  std::string Key(const nkeys::KeyPair& kp) { return kp.public_key().str(); }

  int64_t now_ = kNow;
  TestOperator op_;
  nkeys::KeyPair acc_ = TestOperator::NewAccountKey();
};

TEST_F(AccountCacheTest, PutGetAndResults) {
  auto cache = NewCache();
  std::vector<std::string> seen;
  cache->AddListener([&](const AccountChange& change) {
    seen.push_back(change.public_key + (change.entry ? ":" + change.entry->jti : ":gone"));
  });
  const std::string v1 = op_.AccountJwt(acc_, "A", kNow - 100);
  const std::string v2 = op_.AccountJwt(acc_, "A2", kNow - 50);

  ASSERT_EQ(*cache->Put(v1), PutResult::kAdded);
  std::shared_ptr<const AccountEntry> entry = cache->Get(Key(acc_));
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->jwt, v1);
  EXPECT_EQ(entry->name, "A");
  EXPECT_EQ(entry->issued_at, kNow - 100);
  EXPECT_FALSE(entry->jti.empty());
  const std::string jti1 = entry->jti;

  EXPECT_EQ(*cache->Put(v1), PutResult::kUnchanged);
  EXPECT_EQ(*cache->Put(v2), PutResult::kUpdated);
  EXPECT_EQ(cache->Get(Key(acc_))->name, "A2");
  EXPECT_EQ(*cache->Put(v1), PutResult::kStale);  // older iat never replaces a newer one
  EXPECT_EQ(cache->Get(Key(acc_))->name, "A2");

  EXPECT_TRUE(cache->Remove(Key(acc_)));
  EXPECT_FALSE(cache->Remove(Key(acc_)));
  EXPECT_EQ(cache->Get(Key(acc_)), nullptr);
  ASSERT_EQ(seen.size(), 3u);  // added, updated, removed: unchanged/stale notify no one
  EXPECT_EQ(seen[0], Key(acc_) + ":" + jti1);
  EXPECT_NE(seen[1], seen[0]);
  EXPECT_EQ(seen[2], Key(acc_) + ":gone");
}

TEST_F(AccountCacheTest, RejectsMalformedUntrustedExpiredAndWrongKinds) {
  auto cache = NewCache();
  EXPECT_EQ(cache->Put("garbage").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(cache->Put("a.b.c").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(cache->Put("").ok());

  // Signed by another operator.
  TestOperator other;
  EXPECT_EQ(cache->Put(other.AccountJwt(acc_, "A")).status().code(),
            absl::StatusCode::kPermissionDenied);

  // Expired.
  jwt::AccountClaims claims =
      jwt::NewAccountClaims(*nkeys::AccountPublicKey::FromKey(acc_.public_key()));
  claims.std.expires = kNow - 1;
  EXPECT_EQ(cache->Put(op_.SignAccount(claims, kNow - 10)).status().code(),
            absl::StatusCode::kFailedPrecondition);

  // A user JWT is not an account JWT; the operator JWT neither.
  std::string user_key;
  std::string creds = TestOperator::UserCreds(acc_, "u", &user_key);
  EXPECT_FALSE(cache->Put(op_.jwt()).ok());

  // Subject must match the key the caller names.
  nkeys::KeyPair other_acc = TestOperator::NewAccountKey();
  absl::StatusOr<AccountEntry> mismatch =
      cache->Validate(op_.AccountJwt(acc_, "A"), Key(other_acc));
  ASSERT_FALSE(mismatch.ok());
  EXPECT_THAT(mismatch.status().message(), HasSubstr("subject does not match"));
  EXPECT_EQ(cache->Validate(op_.AccountJwt(acc_, "A"), "not-a-key").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(cache->size(), 0u);
}

TEST_F(AccountCacheTest, OperatorIdentityKeyIsTrustedWhenNotStrict) {
  auto cache = NewCache();
  jwt::AccountClaims claims =
      jwt::NewAccountClaims(*nkeys::AccountPublicKey::FromKey(acc_.public_key()));
  EXPECT_TRUE(cache->Put(op_.SignAccount(claims, kNow, /*with_identity_key=*/true)).ok());
}

TEST_F(AccountCacheTest, BadOperatorJwtFailsCreate) {
  EXPECT_FALSE(AccountCache::Create("nope", "").ok());
  EXPECT_FALSE(AccountCache::Create(op_.AccountJwt(acc_, "A"), "").ok());
}

TEST_F(AccountCacheTest, ReplaceAllIsAuthoritative) {
  auto cache = NewCache();
  nkeys::KeyPair b = TestOperator::NewAccountKey();
  nkeys::KeyPair c = TestOperator::NewAccountKey();
  ASSERT_TRUE(cache->Put(op_.AccountJwt(acc_, "A-new", kNow)).ok());
  ASSERT_TRUE(cache->Put(op_.AccountJwt(b, "B")).ok());
  std::vector<std::string> removed;
  cache->AddListener([&](const AccountChange& change) {
    if (change.entry == nullptr)
      removed.push_back(change.public_key);
  });
  // The snapshot holds an older A (the source rolled back), no B, a new C and junk.
  const size_t invalid = cache->ReplaceAll(
      {op_.AccountJwt(acc_, "A-old", kNow - 100), op_.AccountJwt(c, "C"), "junk"});
  EXPECT_EQ(invalid, 1u);
  EXPECT_EQ(cache->Get(Key(acc_))->name, "A-old");
  EXPECT_EQ(cache->Get(Key(b)), nullptr);
  EXPECT_NE(cache->Get(Key(c)), nullptr);
  EXPECT_THAT(removed, ElementsAre(Key(b)));
}

TEST_F(AccountCacheTest, PersistsAndReloads) {
  const std::string dir = MakeTempDir("cache");
  nkeys::KeyPair b = TestOperator::NewAccountKey();
  {
    auto cache = NewCache(dir);
    ASSERT_TRUE(cache->Put(op_.AccountJwt(acc_, "A")).ok());
    ASSERT_TRUE(cache->Put(op_.AccountJwt(b, "B")).ok());
    EXPECT_TRUE(cache->Remove(Key(b)));
  }
  // Junk next to the real files: a bad JWT under a valid name, and names that are not keys.
  nkeys::KeyPair junk = TestOperator::NewAccountKey();
  ASSERT_TRUE(WriteFileAtomic(dir + "/" + Key(junk) + ".jwt", "not a jwt").ok());
  ASSERT_TRUE(WriteFileAtomic(dir + "/notes.jwt", op_.AccountJwt(b, "B")).ok());
  // A file whose content belongs to another account than its name.
  ASSERT_TRUE(WriteFileAtomic(dir + "/" + Key(b) + ".jwt", op_.AccountJwt(acc_, "A") + "\n").ok());

  auto reloaded = NewCache(dir);
  EXPECT_THAT(reloaded->Keys(), ElementsAre(Key(acc_)));
  EXPECT_EQ(reloaded->Get(Key(acc_))->name, "A");
}

TEST_F(AccountCacheTest, ExpiryIsCheckedAgainstTheInjectedClock) {
  auto cache = NewCache();
  jwt::AccountClaims claims =
      jwt::NewAccountClaims(*nkeys::AccountPublicKey::FromKey(acc_.public_key()));
  claims.std.expires = kNow + 10;
  const std::string token = op_.SignAccount(claims, kNow);
  EXPECT_TRUE(cache->Validate(token, "").ok());
  now_ = kNow + 10;
  EXPECT_EQ(cache->Validate(token, "").status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace lattice::accountd
