#include "controlplane/store/rocks_store.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>

namespace lattice::store {
namespace {

class RocksStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TEST_TMPDIR");
    root_ = std::filesystem::path(tmp != nullptr ? tmp : "/tmp") /
            ("rocks_store_test_" + std::to_string(getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_);
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  std::unique_ptr<RocksStore> OpenStore() {
    auto store = RocksStore::Open((root_ / "db").string());
    EXPECT_TRUE(store.ok()) << store.status();
    return std::move(store).value();
  }

  static Batch NextBatch(const Store& store, std::vector<Mutation> mutations) {
    Batch batch;
    batch.revision = store.revision() + 1;
    batch.actor = "test";
    batch.reason = "unit test";
    batch.unix_nanos = 1700000000000000000;
    batch.mutations = std::move(mutations);
    return batch;
  }

  std::filesystem::path root_;
};

TEST_F(RocksStoreTest, AppliesBatchesAndBumpsRevision) {
  auto store = OpenStore();
  EXPECT_EQ(store->revision(), 0u);
  ASSERT_TRUE(
      store->Apply(NextBatch(*store, {Mutation::Put(Kind::kAccount, "AAA", "jwt-1")})).ok());
  EXPECT_EQ(store->revision(), 1u);
  auto value = store->Get(Kind::kAccount, "AAA");
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(value->value_or(""), "jwt-1");
}

TEST_F(RocksStoreTest, KindsAreSeparateKeySpaces) {
  auto store = OpenStore();
  ASSERT_TRUE(store
                  ->Apply(NextBatch(*store, {Mutation::Put(Kind::kAccount, "k", "account"),
                                             Mutation::Put(Kind::kNode, "k", "node")}))
                  .ok());
  EXPECT_EQ(store->Get(Kind::kAccount, "k")->value_or(""), "account");
  EXPECT_EQ(store->Get(Kind::kNode, "k")->value_or(""), "node");
  EXPECT_FALSE(store->Get(Kind::kCluster, "k")->has_value());
}

TEST_F(RocksStoreTest, RefusesOutOfOrderRevisions) {
  auto store = OpenStore();
  Batch replay = NextBatch(*store, {Mutation::Put(Kind::kAccount, "A", "1")});
  ASSERT_TRUE(store->Apply(replay).ok());
  // The same batch again (a replayed log entry) must not apply twice.
  EXPECT_EQ(store->Apply(replay).code(), absl::StatusCode::kFailedPrecondition);
  Batch gap = NextBatch(*store, {Mutation::Put(Kind::kAccount, "A", "3")});
  gap.revision += 1;
  EXPECT_EQ(store->Apply(gap).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store->Get(Kind::kAccount, "A")->value_or(""), "1");
  EXPECT_EQ(store->revision(), 1u);
}

TEST_F(RocksStoreTest, DeleteRemovesKey) {
  auto store = OpenStore();
  ASSERT_TRUE(store->Apply(NextBatch(*store, {Mutation::Put(Kind::kCluster, "east", "x")})).ok());
  ASSERT_TRUE(store->Apply(NextBatch(*store, {Mutation::Delete(Kind::kCluster, "east")})).ok());
  EXPECT_FALSE(store->Get(Kind::kCluster, "east")->has_value());
}

TEST_F(RocksStoreTest, ListPagesInKeyOrder) {
  auto store = OpenStore();
  std::vector<Mutation> puts;
  for (char c = 'e'; c >= 'a'; --c)
    puts.push_back(Mutation::Put(Kind::kAccount, {c}, {c, c}));
  ASSERT_TRUE(store->Apply(NextBatch(*store, std::move(puts))).ok());
  auto first = store->List(Kind::kAccount, "", 2);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 2u);
  EXPECT_EQ((*first)[0].key, "a");
  EXPECT_EQ((*first)[1].key, "b");
  auto second = store->List(Kind::kAccount, (*first)[1].key, 10);
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->size(), 3u);
  EXPECT_EQ((*second)[0].key, "c");
  EXPECT_EQ((*second)[2].value, "ee");
}

TEST_F(RocksStoreTest, StateAndRevisionSurviveReopen) {
  {
    auto store = OpenStore();
    ASSERT_TRUE(store->Apply(NextBatch(*store, {Mutation::Put(Kind::kOperator, "O1", "op")})).ok());
    ASSERT_TRUE(store->Apply(NextBatch(*store, {Mutation::Put(Kind::kAccount, "A1", "acc")})).ok());
  }
  auto reopened = OpenStore();
  EXPECT_EQ(reopened->revision(), 2u);
  EXPECT_EQ(reopened->Get(Kind::kOperator, "O1")->value_or(""), "op");
}

TEST_F(RocksStoreTest, AuditRecordsWhoChangedWhat) {
  auto store = OpenStore();
  ASSERT_TRUE(store->Apply(NextBatch(*store, {Mutation::Put(Kind::kAccount, "A1", "x")})).ok());
  ASSERT_TRUE(store->Apply(NextBatch(*store, {Mutation::Delete(Kind::kAccount, "A1")})).ok());
  auto audit = store->Audit(0, 10);
  ASSERT_TRUE(audit.ok());
  ASSERT_EQ(audit->size(), 2u);
  EXPECT_EQ((*audit)[0].revision, 1u);
  EXPECT_EQ((*audit)[0].actor, "test");
  EXPECT_EQ((*audit)[0].changed, std::vector<std::string>{"account/A1"});
  EXPECT_EQ((*audit)[1].changed, std::vector<std::string>{"-account/A1"});
  auto later = store->Audit(1, 10);
  ASSERT_TRUE(later.ok());
  ASSERT_EQ(later->size(), 1u);
  EXPECT_EQ((*later)[0].revision, 2u);
}

TEST_F(RocksStoreTest, CheckpointOpensAsAnIndependentCopy) {
  auto store = OpenStore();
  ASSERT_TRUE(store->Apply(NextBatch(*store, {Mutation::Put(Kind::kAccount, "A", "before")})).ok());
  const std::string copy_dir = (root_ / "checkpoint").string();
  ASSERT_TRUE(store->Checkpoint(copy_dir).ok());
  ASSERT_TRUE(store->Apply(NextBatch(*store, {Mutation::Put(Kind::kAccount, "A", "after")})).ok());
  auto copy = RocksStore::Open(copy_dir);
  ASSERT_TRUE(copy.ok()) << copy.status();
  EXPECT_EQ((*copy)->revision(), 1u);
  EXPECT_EQ((*copy)->Get(Kind::kAccount, "A")->value_or(""), "before");
}

TEST_F(RocksStoreTest, OpenFailsClearlyOnUnusableDirectory) {
  auto store = RocksStore::Open("/proc/lattice-cannot-create-here");
  EXPECT_FALSE(store.ok());
}

}  // namespace
}  // namespace lattice::store
