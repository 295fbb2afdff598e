// Tests for bcrypt and constant-time secret comparison, with hashes made by real tools.
#include "dataplane/auth/password.h"

#include <string>

#include "gtest/gtest.h"

namespace lattice::auth {
namespace {

// Produced by Go's golang.org/x/crypto/bcrypt (its bcrypt_test.go, password "allmine").
constexpr char kGoHash[] = "$2a$10$XajjQvNhvvRt5GSeFk1xFeyqRrsxkhBkUiQeg0dt.wU1qD4aFDcga";
// nats-server's own test fixtures (test/auth_test.go, test/client_auth_test.go).
constexpr char kNatsPass[] = "IW@$6v(y1(t@fhPDvf!5^%";
constexpr char kNatsPassHash[] = "$2a$04$Q.CgCP2Sl9pkcTXEZHazaeMwPaAkSHk7AI51HkyMt5iJQQyUA4qxq";
constexpr char kNatsTokenHash[] = "$2a$05$3sSWEVA1eMCbV0hWavDjXOx.ClBjI6u1CuUdLqf22cbJjXsnzz8/.";
// Made with Python's crypt module over libxcrypt: crypt("pass", mksalt(METHOD_BLOWFISH)).
constexpr char kLibcryptHash[] = "$2b$10$hnxg9IxHO469wb0Xu8sdZ.8AckViJXG59htgJtLuGBn1YFx41KvS2";

TEST(PasswordTest, IsBcrypt) {
  EXPECT_TRUE(IsBcrypt(kGoHash));
  EXPECT_TRUE(IsBcrypt("$2b$10$x"));
  EXPECT_TRUE(IsBcrypt("$2y$04$"));
  EXPECT_TRUE(IsBcrypt("$2x$12$abc"));
  EXPECT_FALSE(IsBcrypt("$2c$10$abc"));
  EXPECT_FALSE(IsBcrypt("$2a$1$abc"));
  EXPECT_FALSE(IsBcrypt("$2a$ab$abc"));
  EXPECT_FALSE(IsBcrypt("$2a$10"));
  EXPECT_FALSE(IsBcrypt("2a$10$abc"));
  EXPECT_FALSE(IsBcrypt("plain"));
  EXPECT_FALSE(IsBcrypt(""));
}

TEST(PasswordTest, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals("secret", "secret"));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secreT"));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secret2"));
  EXPECT_FALSE(ConstantTimeEquals("secret", ""));
  EXPECT_FALSE(ConstantTimeEquals(std::string_view("a\0", 2), "a"));
}

TEST(PasswordTest, BcryptHashesFromGoAndNatsServer) {
  EXPECT_TRUE(ComparePassword(kGoHash, "allmine"));
  EXPECT_FALSE(ComparePassword(kGoHash, "allmine2"));
  EXPECT_TRUE(ComparePassword(kNatsPassHash, kNatsPass));
  EXPECT_FALSE(ComparePassword(kNatsPassHash, "IW@$6v(y1(t@fhPDvf!5^"));
  EXPECT_TRUE(ComparePassword(kNatsTokenHash, "test"));
  EXPECT_FALSE(ComparePassword(kNatsTokenHash, ""));
}

TEST(PasswordTest, BcryptVariantsFromLibcrypt) {
  EXPECT_TRUE(ComparePassword(kLibcryptHash, "pass"));
  EXPECT_FALSE(ComparePassword(kLibcryptHash, "Pass"));
  // $2y$ is the same algorithm as $2b$ (PHP's name for it).
  std::string y = kLibcryptHash;
  y[2] = 'y';
  EXPECT_TRUE(ComparePassword(y, "pass"));
}

TEST(PasswordTest, BcryptRejectsNulAndGarbage) {
  EXPECT_FALSE(ComparePassword(kNatsTokenHash, std::string_view("test\0x", 6)));
  EXPECT_FALSE(ComparePassword("$2a$10$short", "x"));
  EXPECT_FALSE(
      ComparePassword("$2a$99$XajjQvNhvvRt5GSeFk1xFeyqRrsxkhBkUiQeg0dt.wU1qD4aFDcga", "allmine"));
  // The hash itself is not the password (no_auth_user style hash-vs-hash).
  EXPECT_FALSE(ComparePassword(kGoHash, kGoHash));
}

TEST(PasswordTest, PlainSecrets) {
  EXPECT_TRUE(ComparePassword("s3cr3t", "s3cr3t"));
  EXPECT_FALSE(ComparePassword("s3cr3t", "s3cr3"));
  EXPECT_TRUE(ComparePassword("", ""));
  EXPECT_FALSE(ComparePassword("", "x"));
  EXPECT_TRUE(ComparePassword("$notbcrypt", "$notbcrypt"));
}

}  // namespace
}  // namespace lattice::auth
