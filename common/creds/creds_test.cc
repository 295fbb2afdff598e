// Unit tests for the creds file format: exact bytes, tolerant parsing, rejection paths.
#include "common/creds/creds.h"

#include <sys/stat.h>

#include <cstdlib>
#include <string>

#include "gtest/gtest.h"

namespace lattice::creds {
namespace {

constexpr char kSeed[] = "SUAOTBNEUHZDFJT3EUMELT7MQTP24JF3XVCXQNDSCU74G5IU6VAJBKH5LI";
constexpr char kJwt[] = "eyJ0eXAiOiJqd3QifQ.eyJzdWIiOiJVIn0.c2ln";

// The exact layout from the NATS libraries' tests.
constexpr char kExpected[] =
    "-----BEGIN NATS USER JWT-----\n"
    "eyJ0eXAiOiJqd3QifQ.eyJzdWIiOiJVIn0.c2ln\n"
    "------END NATS USER JWT------\n"
    "\n"
    "************************* IMPORTANT *************************\n"
    "NKEY Seed printed below can be used to sign and prove identity.\n"
    "NKEYs are sensitive and should be treated as secrets.\n"
    "\n"
    "-----BEGIN USER NKEY SEED-----\n"
    "SUAOTBNEUHZDFJT3EUMELT7MQTP24JF3XVCXQNDSCU74G5IU6VAJBKH5LI\n"
    "------END USER NKEY SEED------\n"
    "\n"
    "*************************************************************\n";

TEST(CredsTest, FormatsExactNatsLayout) {
  absl::StatusOr<nkeys::KeyPair> user = nkeys::KeyPair::FromSeed(kSeed);
  ASSERT_TRUE(user.ok());
  absl::StatusOr<nkeys::SecretString> text = FormatUserCreds(kJwt, *user);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(text->view(), kExpected);
}

TEST(CredsTest, ParsesWhatItWritesAndCrlf) {
  {
    absl::StatusOr<UserCreds> creds = ParseUserCreds(kExpected);
    ASSERT_TRUE(creds.ok()) << creds.status();
    EXPECT_EQ(creds->jwt, kJwt);
    EXPECT_EQ(creds->seed.view(), kSeed);
  }
  std::string crlf;
  for (char c : std::string(kExpected)) {
    if (c == '\n')
      crlf += '\r';
    crlf += c;
  }
  absl::StatusOr<UserCreds> creds = ParseUserCreds(crlf);
  ASSERT_TRUE(creds.ok()) << creds.status();
  EXPECT_EQ(creds->jwt, kJwt);
  EXPECT_EQ(creds->seed.view(), kSeed);
}

TEST(CredsTest, ToleratesOtherDashCountsAndBareContent) {
  std::string text =
      std::string("---BEGIN X---\n") + kJwt + "\n---END X---\n---B---\n" + kSeed + "\n----E----";
  absl::StatusOr<UserCreds> creds = ParseUserCreds(text);
  ASSERT_TRUE(creds.ok()) << creds.status();
  EXPECT_EQ(creds->jwt, kJwt);
  creds = ParseUserCreds(std::string(kJwt) + "\n" + kSeed + "\n");
  ASSERT_TRUE(creds.ok()) << creds.status();
  EXPECT_EQ(creds->seed.view(), kSeed);
}

TEST(CredsTest, Rejections) {
  EXPECT_EQ(ParseUserCreds("").status().message(), "creds: no JWT found");
  EXPECT_EQ(ParseUserCreds(std::string(kJwt)).status().message(), "creds: no nkey seed found");
  std::string bad = kExpected;
  bad.replace(bad.find(kSeed) + 20, 1, bad[bad.find(kSeed) + 20] == 'A' ? "B" : "A");
  absl::StatusOr<UserCreds> creds = ParseUserCreds(bad);
  ASSERT_FALSE(creds.ok());
  EXPECT_NE(creds.status().message().find("invalid seed"), std::string::npos);
  // An account seed is not a user seed.
  absl::StatusOr<nkeys::KeyPair> account = nkeys::KeyPair::Generate(nkeys::KeyType::kAccount);
  std::string acc_text = std::string("-----A-----\n") + kJwt + "\n-----B-----\n-----C-----\n" +
                         std::string(account->EncodedSeed().view()) + "\n-----D-----\n";
  EXPECT_EQ(ParseUserCreds(acc_text).status().message(), "creds: the seed is not a user seed");
  EXPECT_FALSE(FormatUserCreds(kJwt, *account).ok());
  absl::StatusOr<nkeys::KeyPair> user = nkeys::KeyPair::FromSeed(kSeed);
  EXPECT_FALSE(FormatUserCreds("bad jwt\nwith newline", *user).ok());
}

TEST(CredsTest, DecoratedJwt) {
  std::string text = FormatDecoratedJwt(kJwt, "ACCOUNT");
  EXPECT_EQ(text, std::string("-----BEGIN NATS ACCOUNT JWT-----\n") + kJwt +
                      "\n------END NATS ACCOUNT JWT------\n");
  EXPECT_EQ(*ParseDecoratedJwt(text), kJwt);
  EXPECT_EQ(*ParseDecoratedJwt(std::string("  ") + kJwt + "\n"), kJwt);
  EXPECT_FALSE(ParseDecoratedJwt("nothing here").ok());
}

TEST(CredsTest, FileRoundTripIsPrivate) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::string path = std::string(tmp != nullptr ? tmp : "/tmp") + "/user.creds";
  ASSERT_TRUE(WriteSecretFile(path, kExpected).ok());
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  absl::StatusOr<UserCreds> creds = ReadUserCredsFile(path);
  ASSERT_TRUE(creds.ok());
  EXPECT_EQ(creds->jwt, kJwt);
  EXPECT_FALSE(ReadUserCredsFile(path + ".missing").ok());
}

}  // namespace
}  // namespace lattice::creds
