// Resolver and DirSource: the source feed into the cache, write-through, snapshots from a folder.
#include "accountd/resolver.h"

#include <unistd.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "accountd/dir_source.h"
#include "accountd/file_util.h"
#include "accountd/testing/fake_source.h"
#include "accountd/testing/temp_dir.h"
#include "accountd/testing/test_chain.h"

namespace lattice::accountd {
namespace {

using ::testing::ElementsAre;
using testing::FakeSource;
using testing::MakeTempDir;
using testing::TestOperator;
using ::testing::UnorderedElementsAre;

class ResolverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cache = AccountCache::Create(op_.jwt(), "");
    ASSERT_TRUE(cache.ok()) << cache.status();
    cache_ = *std::move(cache);
  }
  std::string Key(const nkeys::KeyPair& kp) { return kp.public_key().str(); }

  TestOperator op_;
  std::unique_ptr<AccountCache> cache_;
  nkeys::KeyPair a_ = TestOperator::NewAccountKey();
  nkeys::KeyPair b_ = TestOperator::NewAccountKey();
};

TEST_F(ResolverTest, SinkFeedsTheCacheAndAnnouncesChangesOnce) {
  FakeSource source;
  Resolver resolver(*cache_, &source);
  std::vector<std::string> announced;
  resolver.AddAnnouncer([&](const AccountEntry& e) { announced.push_back(e.name); });
  ASSERT_TRUE(source.Start(&resolver).ok());
  EXPECT_FALSE(resolver.source_connected());

  source.sink()->OnSnapshot({op_.AccountJwt(a_, "A"), op_.AccountJwt(b_, "B"), "junk"});
  source.sink()->OnConnected(true);
  EXPECT_TRUE(resolver.source_connected());
  EXPECT_EQ(cache_->size(), 2u);
  // The same snapshot again (a reconnect) changes nothing and announces nothing.
  const std::vector<std::string> before = announced;
  source.sink()->OnSnapshot(
      {op_.AccountJwt(a_, "A", cache_->Get(Key(a_))->issued_at), cache_->Get(Key(b_))->jwt});
  // Re-signing identical claims at the same iat gives the same token (Ed25519 is deterministic).
  EXPECT_EQ(announced.size(), before.size());

  source.sink()->OnUpsert(op_.AccountJwt(a_, "A2", cache_->Get(Key(a_))->issued_at + 1));
  EXPECT_EQ(cache_->Get(Key(a_))->name, "A2");
  source.sink()->OnUpsert("junk");  // logged, ignored
  source.sink()->OnDelete(Key(b_));
  EXPECT_EQ(cache_->Get(Key(b_)), nullptr);
  EXPECT_EQ(announced.back(), "A2");
}

TEST_F(ResolverTest, SubmitWritesThroughThenStores) {
  FakeSource source;
  Resolver resolver(*cache_, &source);
  const std::string token = op_.AccountJwt(a_, "A");
  absl::StatusOr<PutResult> result = resolver.Submit(token, Key(a_));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, PutResult::kAdded);
  EXPECT_EQ(source.posts().at(Key(a_)), token);
  EXPECT_EQ(*resolver.Submit(token, ""), PutResult::kUnchanged);

  source.set_reachable(false);
  EXPECT_EQ(resolver.Submit(op_.AccountJwt(b_, "B"), "").status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(cache_->Get(Key(b_)), nullptr);
  EXPECT_EQ(resolver.Submit("junk", "").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ResolverTest, StandaloneCacheNeedsNoSource) {
  Resolver resolver(*cache_, nullptr);
  EXPECT_TRUE(resolver.source_connected());
  EXPECT_TRUE(resolver.Submit(op_.AccountJwt(a_, "A"), "").ok());
  EXPECT_TRUE(resolver.Announce(Key(a_)));
  EXPECT_FALSE(resolver.Announce(Key(b_)));
}

TEST_F(ResolverTest, DirSourceSnapshotsPostsAndRescans) {
  const std::string dir = MakeTempDir("dirsrc");
  ASSERT_TRUE(WriteFileAtomic(dir + "/" + Key(a_) + ".jwt", op_.AccountJwt(a_, "A") + "\n").ok());
  ASSERT_TRUE(WriteFileAtomic(dir + "/README.txt", "ignored").ok());
  DirSource source(dir);
  Resolver resolver(*cache_, &source);
  ASSERT_TRUE(source.Start(&resolver).ok());
  EXPECT_TRUE(resolver.source_connected());
  EXPECT_THAT(cache_->Keys(), ElementsAre(Key(a_)));

  // POST through the resolver lands in the folder.
  ASSERT_TRUE(resolver.Submit(op_.AccountJwt(b_, "B"), Key(b_)).ok());
  absl::StatusOr<std::string> written = ReadFile(dir + "/" + Key(b_) + ".jwt");
  ASSERT_TRUE(written.ok());
  EXPECT_EQ(*written, cache_->Get(Key(b_))->jwt);

  // Removing a file by hand removes the account on the next scan.
  ASSERT_EQ(unlink((dir + "/" + Key(a_) + ".jwt").c_str()), 0);
  ASSERT_TRUE(source.Rescan().ok());
  EXPECT_THAT(cache_->Keys(), ElementsAre(Key(b_)));
  source.Stop();
  EXPECT_EQ(source.Post("not-a-key", "x").code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ResolverTest, DirSourcePollThreadStopsPromptly) {
  const std::string dir = MakeTempDir("dirpoll");
  DirSource source(dir, std::chrono::hours(1));
  Resolver resolver(*cache_, &source);
  ASSERT_TRUE(source.Start(&resolver).ok());
  source.Stop();  // must not wait for the hour
  EXPECT_THAT(cache_->Keys(), UnorderedElementsAre());
}

}  // namespace
}  // namespace lattice::accountd
