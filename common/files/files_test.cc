#include "common/files/files.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>

namespace lattice::files {
namespace {

std::string TempDir(const std::string& name) {
  const char* base = std::getenv("TEST_TMPDIR");
  const std::string dir = std::string(base != nullptr ? base : "/tmp") + "/files_test_" +
                          std::to_string(getpid()) + "_" + name;
  std::filesystem::remove_all(dir);
  return dir;
}

TEST(FilesTest, WriteThenReadRoundTrips) {
  const std::string dir = TempDir("round");
  ASSERT_TRUE(MakeDirs(dir).ok());
  const std::string path = dir + "/state";
  ASSERT_TRUE(WriteFileAtomic(path, std::string("a\0b", 3)).ok());
  auto read = ReadFile(path, 100);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, std::string("a\0b", 3));
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(FilesTest, ReplaceLeavesNoTempFiles) {
  const std::string dir = TempDir("replace");
  ASSERT_TRUE(MakeDirs(dir).ok());
  ASSERT_TRUE(WriteFileAtomic(dir + "/f", "old").ok());
  ASSERT_TRUE(WriteFileAtomic(dir + "/f", "new").ok());
  EXPECT_EQ(ReadFile(dir + "/f", 10).value_or(""), "new");
  int entries = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    (void)entry;
    ++entries;
  }
  EXPECT_EQ(entries, 1);
}

TEST(FilesTest, MissingFileIsNotFound) {
  EXPECT_EQ(ReadFile(TempDir("missing") + "/nope", 10).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(FilesTest, OversizedFileIsRefused) {
  const std::string dir = TempDir("big");
  ASSERT_TRUE(MakeDirs(dir).ok());
  ASSERT_TRUE(WriteFileAtomic(dir + "/big", std::string(40000, 'x')).ok());
  EXPECT_EQ(ReadFile(dir + "/big", 39999).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_TRUE(ReadFile(dir + "/big", 40000).ok());
}

TEST(FilesTest, WriteIntoMissingDirectoryFailsCleanly) {
  EXPECT_FALSE(WriteFileAtomic(TempDir("gone") + "/no/such/file", "x").ok());
}

TEST(FilesTest, MakeDirsCreatesParentsAndRejectsFiles) {
  const std::string dir = TempDir("nested") + "/a/b/c";
  ASSERT_TRUE(MakeDirs(dir).ok());
  EXPECT_TRUE(MakeDirs(dir).ok());  // idempotent
  ASSERT_TRUE(WriteFileAtomic(dir + "/file", "x").ok());
  EXPECT_EQ(MakeDirs(dir + "/file").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(MakeDirs("").ok());
}

}  // namespace
}  // namespace lattice::files
