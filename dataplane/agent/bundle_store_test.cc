// BundleStore: atomic replace, checksum detection of corruption, reload, node id.
#include "dataplane/agent/bundle_store.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lattice::agent {
namespace {

std::string TempDir(const std::string& name) {
  const char* base = std::getenv("TEST_TMPDIR");
  static int counter = 0;
  return std::string(base != nullptr ? base : "/tmp") + "/" + name + std::to_string(counter++);
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

void WriteAll(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
}

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

v1::AccountsBundle Bundle(const std::string& version) {
  v1::AccountsBundle bundle;
  bundle.set_version(version);
  bundle.mutable_operator_()->set_public_key("OABC");
  v1::Account* account = bundle.add_accounts();
  account->set_public_key("AXYZ");
  account->set_jwt(std::string(1000, 'j'));
  return bundle;
}

TEST(BundleStoreTest, MissingFilesAreNotFound) {
  auto store = BundleStore::Open(TempDir("empty") + "/nested/dir/");
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_TRUE(absl::IsNotFound(store->LoadAccounts().status()));
  EXPECT_TRUE(absl::IsNotFound(store->LoadTopology().status()));
  EXPECT_FALSE(BundleStore::Open("").ok());
}

TEST(BundleStoreTest, SaveReplacesAtomicallyAndReloadsInAFreshStore) {
  const std::string dir = TempDir("reload");
  {
    auto store = BundleStore::Open(dir);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE(store->SaveAccounts(Bundle("a-1")).ok());
    ASSERT_TRUE(store->SaveAccounts(Bundle("a-2")).ok());
    v1::Topology topology;
    topology.set_version("t-5");
    topology.set_cluster("east");
    ASSERT_TRUE(store->SaveTopology(topology).ok());
    EXPECT_FALSE(Exists(store->PathForTest("accounts.bundle.tmp")));  // renamed away
  }
  auto reopened = BundleStore::Open(dir);
  ASSERT_TRUE(reopened.ok());
  auto accounts = reopened->LoadAccounts();
  ASSERT_TRUE(accounts.ok()) << accounts.status();
  EXPECT_EQ(accounts->version(), "a-2");
  EXPECT_EQ(accounts->accounts(0).jwt(), std::string(1000, 'j'));
  auto topology = reopened->LoadTopology();
  ASSERT_TRUE(topology.ok()) << topology.status();
  EXPECT_EQ(topology->version(), "t-5");
  EXPECT_EQ(topology->cluster(), "east");
}

TEST(BundleStoreTest, LeftoverTempFileFromACrashDoesNotMatter) {
  // A crash between write and rename leaves `.tmp`; the old file is still what loads.
  auto store = BundleStore::Open(TempDir("crash"));
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE(store->SaveAccounts(Bundle("a-1")).ok());
  WriteAll(store->PathForTest("accounts.bundle.tmp"), "half a bund");
  auto loaded = store->LoadAccounts();
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->version(), "a-1");
  ASSERT_TRUE(store->SaveAccounts(Bundle("a-2")).ok());  // the leftover is overwritten
  EXPECT_EQ(store->LoadAccounts()->version(), "a-2");
}

TEST(BundleStoreTest, CorruptionIsDetectedAsDataLoss) {
  auto store = BundleStore::Open(TempDir("corrupt"));
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE(store->SaveAccounts(Bundle("a-1")).ok());
  const std::string path = store->PathForTest("accounts.bundle");
  const std::string good = ReadAll(path);

  std::string flipped = good;
  flipped[flipped.size() - 10] ^= 0x01;  // one bit inside the payload
  WriteAll(path, flipped);
  auto loaded = store->LoadAccounts();
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(loaded.status().message()), ::testing::HasSubstr("checksum"));

  WriteAll(path, good.substr(0, good.size() - 1));  // truncated
  EXPECT_EQ(store->LoadAccounts().status().code(), absl::StatusCode::kDataLoss);

  WriteAll(path, "");  // empty
  EXPECT_EQ(store->LoadAccounts().status().code(), absl::StatusCode::kDataLoss);

  WriteAll(path, std::string(4096, '\xff'));  // garbage without a header
  EXPECT_EQ(store->LoadAccounts().status().code(), absl::StatusCode::kDataLoss);

  // A correctly framed payload that is not a bundle proto.
  WriteAll(path, EncodeBundleFile(std::string("\xff\xff\xff\xff", 4)));
  EXPECT_EQ(store->LoadAccounts().status().code(), absl::StatusCode::kDataLoss);

  WriteAll(path, good);
  EXPECT_TRUE(store->LoadAccounts().ok());
}

TEST(BundleStoreTest, FramingRoundTripsAndRejectsEveryTruncation) {
  const std::string payload = "payload\nwith\nnewlines";
  const std::string file = EncodeBundleFile(payload);
  auto decoded = DecodeBundleFile(file);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, payload);
  for (size_t cut = 0; cut < file.size(); ++cut)
    EXPECT_FALSE(DecodeBundleFile(file.substr(0, cut)).ok()) << cut;
  EXPECT_FALSE(DecodeBundleFile(file + "x").ok());
  EXPECT_EQ(*DecodeBundleFile(EncodeBundleFile("")), "");
}

TEST(BundleStoreTest, NodeIdIsCreatedOnceAndKept) {
  const std::string dir = TempDir("nodeid");
  auto store = BundleStore::Open(dir);
  ASSERT_TRUE(store.ok());
  auto id = store->LoadOrCreateNodeId();
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_THAT(*id, ::testing::StartsWith("node-"));
  EXPECT_EQ(id->size(), 21u);
  auto again = BundleStore::Open(dir)->LoadOrCreateNodeId();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *id);

  // A corrupt id file is an error, not a silent change of identity.
  WriteAll(store->PathForTest("node_id"), "garbage");
  EXPECT_FALSE(store->LoadOrCreateNodeId().ok());
  WriteAll(store->PathForTest("node_id"), EncodeBundleFile(""));
  EXPECT_FALSE(store->LoadOrCreateNodeId().ok());
}

}  // namespace
}  // namespace lattice::agent
