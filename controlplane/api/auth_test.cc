// Tests for bearer-token checks and the tokens file.
#include "controlplane/api/auth.h"

#include <cstdlib>
#include <fstream>

#include "gtest/gtest.h"

namespace lattice::api {
namespace {

TEST(Authenticator, BearerTokens) {
  Authenticator auth({{"0123456789abcdefXYZ", "ops"}}, false);
  auto ok = auth.CheckBearer("Bearer 0123456789abcdefXYZ");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, "token:ops");
  EXPECT_EQ(auth.CheckBearer("Bearer 0123456789abcdefXYy").status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_FALSE(auth.CheckBearer("Bearer 0123456789abcdefXY").ok());
  EXPECT_FALSE(auth.CheckBearer("bearer 0123456789abcdefXYZ").ok());
  EXPECT_FALSE(auth.CheckBearer("Bearer ").ok());
  EXPECT_FALSE(auth.CheckBearer("").ok());
}

TEST(Authenticator, TokensFile) {
  std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/tokens";
  {
    std::ofstream out(path);
    out << "# admins\n\nalice  aaaaaaaaaaaaaaaaaaaa\nbob:bbbbbbbbbbbbbbbbbbbb\n";
  }
  auto tokens = Authenticator::LoadTokensFile(path);
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  EXPECT_EQ(tokens->size(), 2u);
  EXPECT_EQ(tokens->at("bbbbbbbbbbbbbbbbbbbb"), "bob");
  {
    std::ofstream out(path);
    out << "carol short\n";
  }
  EXPECT_FALSE(Authenticator::LoadTokensFile(path).ok());
  EXPECT_FALSE(Authenticator::LoadTokensFile(path + ".missing").ok());
}

}  // namespace
}  // namespace lattice::api
