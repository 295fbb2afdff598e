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

TEST(Authenticator, OnlyAReplicaCertificateSpeaksForAForwardedCaller) {
  Authenticator auth({}, true, {.read_only = {"cert:bob"}, .replica_names = {"replica"}});
  const std::string alice = "cert:alice";
  const std::string token = "token:ops";
  const std::string bare = "cert:";
  EXPECT_EQ(auth.CertificateActor("replica", &alice), "cert:alice");
  EXPECT_EQ(auth.CertificateActor("replica", nullptr), "cert:replica");
  EXPECT_EQ(auth.CertificateActor("bob", &alice), "cert:bob");
  // Token identities are never taken on a replica's word (tokens are forwarded themselves).
  EXPECT_EQ(auth.CertificateActor("replica", &token), "cert:replica");
  EXPECT_EQ(auth.CertificateActor("replica", &bare), "cert:replica");
  const std::string huge = "cert:" + std::string(300, 'x');
  EXPECT_EQ(auth.CertificateActor("replica", &huge), "cert:replica");
}

TEST(Authenticator, ReadOnlyActorsMayNotWrite) {
  Authenticator auth({}, true, {.read_only = {"cert:bob", "token:viewer"}});
  EXPECT_TRUE(auth.AuthorizeWrite("cert:alice").ok());
  EXPECT_EQ(auth.AuthorizeWrite("cert:bob").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(auth.AuthorizeWrite("token:viewer").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Authenticator::ForwardedIdentity("cert:alice"), "cert:alice");
  EXPECT_EQ(Authenticator::ForwardedIdentity("token:ops"), "");
}

}  // namespace
}  // namespace lattice::api
