// Tests for sealing seeds with the master key.
#include "controlplane/accounts/key_vault.h"

#include <unistd.h>

#include <cstdlib>
#include <string>

#include "gtest/gtest.h"

namespace lattice::accounts {
namespace {

TEST(KeyVault, SealOpenRoundTripAndWrongKeyFails) {
  auto vault = KeyVault::FromKey(std::string(32, 'k'));
  ASSERT_TRUE(vault.ok());
  std::string sealed = vault->Seal("SOAVERYSECRETSEED");
  EXPECT_EQ(sealed.find("SOAVERYSECRETSEED"), std::string::npos);
  auto opened = vault->Open(sealed);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(opened->view(), "SOAVERYSECRETSEED");

  auto other = KeyVault::FromKey(std::string(32, 'j'));
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->Open(sealed).status().code(), absl::StatusCode::kDataLoss);
  sealed[sealed.size() - 1] ^= 1;
  EXPECT_FALSE(vault->Open(sealed).ok());
  EXPECT_FALSE(vault->Open("short").ok());
  EXPECT_FALSE(KeyVault::FromKey("short").ok());
}

TEST(KeyVault, LoadOrCreatePersistsTheKey) {
  std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/master.key";
  auto first = KeyVault::LoadOrCreate(path);
  ASSERT_TRUE(first.ok()) << first.status();
  std::string sealed = first->Seal("seed");
  auto second = KeyVault::LoadOrCreate(path);
  ASSERT_TRUE(second.ok());
  auto opened = second->Open(sealed);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(opened->view(), "seed");
  EXPECT_EQ(access(path.c_str(), R_OK), 0);
}

}  // namespace
}  // namespace lattice::accounts
