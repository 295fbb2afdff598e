// Snapshot archives: directory round trips; hostile archives are refused, never written outside.
#include "controlplane/raft/snapshot_archive.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include <gtest/gtest.h>

namespace lattice::raft {
namespace {

class SnapshotArchiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TEST_TMPDIR");
    root_ = std::filesystem::path(tmp != nullptr ? tmp : "/tmp") /
            ("snapshot_archive_test_" + std::to_string(getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_ / "src");
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  void Write(const std::filesystem::path& path, const std::string& data) {
    std::ofstream(path, std::ios::binary) << data;
  }
  static std::string Read(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  // A one-file archive with the given name, built by hand.
  static std::string OneFile(const std::string& name, const std::string& data) {
    std::string out("LTARCH1\n");
    out += std::string("\x01\0\0\0", 4);
    out.push_back(static_cast<char>(name.size()));
    out += std::string(3, '\0') + name;
    out.push_back(static_cast<char>(data.size()));
    out += std::string(7, '\0') + data;
    return out;
  }

  std::filesystem::path root_;
};

TEST_F(SnapshotArchiveTest, RoundTripsFlatDirectory) {
  Write(root_ / "src" / "CURRENT", "MANIFEST-000001\n");
  Write(root_ / "src" / "000007.sst", std::string(100000, '\x7f') + std::string(5, '\0'));
  Write(root_ / "src" / "empty", "");
  std::filesystem::create_directories(root_ / "src" / "subdir");  // not packed
  absl::StatusOr<std::string> archive = PackDirectory((root_ / "src").string());
  ASSERT_TRUE(archive.ok()) << archive.status();
  ASSERT_TRUE(UnpackDirectory(*archive, (root_ / "dst").string()).ok());
  EXPECT_EQ(Read(root_ / "dst" / "CURRENT"), "MANIFEST-000001\n");
  EXPECT_EQ(Read(root_ / "dst" / "000007.sst"), Read(root_ / "src" / "000007.sst"));
  EXPECT_TRUE(std::filesystem::exists(root_ / "dst" / "empty"));
  EXPECT_FALSE(std::filesystem::exists(root_ / "dst" / "subdir"));
  // The target must be new.
  EXPECT_FALSE(UnpackDirectory(*archive, (root_ / "dst").string()).ok());
}

TEST_F(SnapshotArchiveTest, EveryTruncationIsRefused) {
  Write(root_ / "src" / "a", "alpha");
  Write(root_ / "src" / "b", "beta");
  std::string archive = *PackDirectory((root_ / "src").string());
  for (size_t cut = 0; cut < archive.size(); ++cut) {
    auto target = root_ / ("cut" + std::to_string(cut));
    EXPECT_FALSE(UnpackDirectory(archive.substr(0, cut), target.string()).ok()) << cut;
  }
  EXPECT_FALSE(UnpackDirectory(archive + "x", (root_ / "trailing").string()).ok());
}

TEST_F(SnapshotArchiveTest, RefusesNamesThatEscapeOrRepeat) {
  EXPECT_TRUE(UnpackDirectory(OneFile("ok", "data"), (root_ / "good").string()).ok());
  const std::vector<std::string> names = {"../evil", "a/b", "..", ".", std::string("a\0b", 3)};
  for (const std::string& name : names) {
    auto target = root_ / "bad";
    std::filesystem::remove_all(target);
    EXPECT_FALSE(UnpackDirectory(OneFile(name, "x"), target.string()).ok()) << name;
  }
  EXPECT_FALSE(std::filesystem::exists(root_ / "evil"));
  std::string twice = OneFile("dup", "1");
  twice[8] = 2;  // two files, same name
  twice += twice.substr(12);
  EXPECT_FALSE(UnpackDirectory(twice, (root_ / "twice").string()).ok());
}

}  // namespace
}  // namespace lattice::raft
