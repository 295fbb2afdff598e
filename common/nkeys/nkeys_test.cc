// Unit tests for NKeys encoding, parsing, signing and every rejection path.
#include "common/nkeys/nkeys.h"

#include <string>

#include "gtest/gtest.h"

#include "common/encoding/base32.h"
#include "common/encoding/crc16.h"

namespace lattice::nkeys {
namespace {

// A user seed and its public key from the NATS libraries' own test data.
constexpr char kUserSeed[] = "SUAOTBNEUHZDFJT3EUMELT7MQTP24JF3XVCXQNDSCU74G5IU6VAJBKH5LI";
constexpr char kUserPublic[] = "UDE6WTGLTTPCRJRJCKBJRGVNZTLIVR7LEEELR4CYWWWBKJS7XYIKXDUU";

// Re-encodes `encoded` with its CRC recomputed after `mutate` changes the decoded body.
template <typename F>
std::string Remint(std::string_view encoded, F mutate) {
  std::string raw = *encoding::Base32Decode(encoded);
  raw.resize(raw.size() - 2);
  mutate(raw);
  uint16_t crc = encoding::Crc16(raw);
  raw.push_back(static_cast<char>(crc & 0xff));
  raw.push_back(static_cast<char>(crc >> 8));
  return encoding::Base32Encode(raw);
}

TEST(NKeysTest, KnownSeedDerivesKnownPublicKey) {
  absl::StatusOr<KeyPair> pair = KeyPair::FromSeed(kUserSeed);
  ASSERT_TRUE(pair.ok()) << pair.status();
  EXPECT_EQ(pair->type(), KeyType::kUser);
  EXPECT_EQ(pair->public_key().str(), kUserPublic);
  EXPECT_EQ(pair->EncodedSeed().view(), kUserSeed);
}

TEST(NKeysTest, EveryTypeRoundTripsWithItsPrefixLetters) {
  struct Case {
    KeyType type;
    char letter;
  } cases[] = {{KeyType::kOperator, 'O'}, {KeyType::kAccount, 'A'}, {KeyType::kUser, 'U'},
               {KeyType::kServer, 'N'},   {KeyType::kCluster, 'C'}, {KeyType::kCurve, 'X'}};
  for (const Case& c : cases) {
    absl::StatusOr<KeyPair> pair = KeyPair::Generate(c.type);
    ASSERT_TRUE(pair.ok());
    const std::string& pub = pair->public_key().str();
    EXPECT_EQ(pub.size(), kEncodedPublicKeySize);
    EXPECT_EQ(pub[0], c.letter);
    EXPECT_EQ(PrefixLetter(c.type), c.letter);
    SecretString seed = pair->EncodedSeed();
    ASSERT_EQ(seed.size(), kEncodedSeedSize);
    EXPECT_EQ(seed.view()[0], 'S');
    EXPECT_EQ(seed.view()[1], c.letter);
    absl::StatusOr<KeyPair> again = KeyPair::FromSeedAs(seed.view(), c.type);
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(again->public_key(), pair->public_key());
    absl::StatusOr<PublicKey> parsed = PublicKey::ParseAs(pub, c.type);
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(parsed->raw(), pair->public_key().raw());
  }
}

TEST(NKeysTest, SignAndVerify) {
  absl::StatusOr<KeyPair> pair = KeyPair::FromSeed(kUserSeed);
  ASSERT_TRUE(pair.ok());
  absl::StatusOr<std::string> sig = pair->Sign("nonce-123");
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(sig->size(), kSignatureSize);
  absl::StatusOr<PublicKey> pub = PublicKey::Parse(kUserPublic);
  ASSERT_TRUE(pub.ok());
  EXPECT_TRUE(Verify(*pub, "nonce-123", *sig));
  EXPECT_FALSE(Verify(*pub, "nonce-124", *sig));
  std::string bad = *sig;
  bad[10] ^= 1;
  EXPECT_FALSE(Verify(*pub, "nonce-123", bad));
  EXPECT_FALSE(Verify(*pub, "nonce-123", sig->substr(0, 63)));
  absl::StatusOr<KeyPair> other = KeyPair::Generate(KeyType::kUser);
  EXPECT_FALSE(Verify(other->public_key(), "nonce-123", *sig));
}

TEST(NKeysTest, TypedPublicKeyRejectsWrongKind) {
  EXPECT_TRUE(UserPublicKey::Parse(kUserPublic).ok());
  absl::StatusOr<AccountPublicKey> acc = AccountPublicKey::Parse(kUserPublic);
  ASSERT_FALSE(acc.ok());
  EXPECT_NE(acc.status().message().find("expected account public key, got user"),
            std::string::npos);
  absl::StatusOr<PublicKey> any = PublicKey::Parse(kUserPublic);
  EXPECT_TRUE(UserPublicKey::FromKey(*any).has_value());
  EXPECT_FALSE(OperatorPublicKey::FromKey(*any).has_value());
  EXPECT_TRUE(IsValidPublicKey(kUserPublic, KeyType::kUser));
  EXPECT_FALSE(IsValidPublicKey(kUserPublic, KeyType::kServer));
}

TEST(NKeysTest, RejectsBadChecksum) {
  std::string pub = kUserPublic;
  pub[20] = pub[20] == 'A' ? 'B' : 'A';
  absl::StatusOr<PublicKey> parsed = PublicKey::Parse(pub);
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("checksum"), std::string::npos);
  std::string seed = kUserSeed;
  seed[30] = seed[30] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(KeyPair::FromSeed(seed).ok());
}

TEST(NKeysTest, RejectsBadBase32AndLengths) {
  std::string pub = kUserPublic;
  pub[5] = '1';  // not in the alphabet
  EXPECT_FALSE(PublicKey::Parse(pub).ok());
  EXPECT_FALSE(PublicKey::Parse("").ok());
  EXPECT_FALSE(PublicKey::Parse(std::string(kUserPublic).substr(0, 55)).ok());
  EXPECT_FALSE(PublicKey::Parse(std::string(kUserPublic) + "A").ok());
  EXPECT_FALSE(KeyPair::FromSeed("").ok());
  EXPECT_FALSE(KeyPair::FromSeed(std::string(kUserSeed).substr(0, 57)).ok());
  EXPECT_FALSE(KeyPair::FromRawSeed(KeyType::kUser, "short").ok());
}

TEST(NKeysTest, RejectsUnknownPrefixWithValidCrc) {
  // Same raw key under prefix 25<<3 ('Z'), which is no public kind we accept.
  std::string z =
      Remint(kUserPublic, [](std::string& raw) { raw[0] = static_cast<char>(25 << 3); });
  EXPECT_EQ(z[0], 'Z');
  absl::StatusOr<PublicKey> parsed = PublicKey::Parse(z);
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("prefix"), std::string::npos);
}

TEST(NKeysTest, SeedIsNotAPublicKeyAndPublicKeyIsNotASeed) {
  EXPECT_FALSE(PublicKey::Parse(kUserSeed).ok());
  EXPECT_FALSE(KeyPair::FromSeed(kUserPublic).ok());
  // A seed whose first byte is not the seed prefix, with a valid CRC.
  std::string not_seed = Remint(
      kUserSeed, [](std::string& raw) { raw[0] = static_cast<char>((14 << 3) | (raw[0] & 7)); });
  absl::StatusOr<KeyPair> pair = KeyPair::FromSeed(not_seed);
  ASSERT_FALSE(pair.ok());
  EXPECT_NE(pair.status().message().find("not a seed"), std::string::npos);
}

TEST(NKeysTest, FromSeedAsRejectsWrongKind) {
  absl::StatusOr<KeyPair> pair = KeyPair::FromSeedAs(kUserSeed, KeyType::kAccount);
  ASSERT_FALSE(pair.ok());
  EXPECT_NE(pair.status().message().find("expected account seed, got user"), std::string::npos);
}

TEST(NKeysTest, CurveKeysSealAndOpenButCannotSign) {
  absl::StatusOr<KeyPair> alice = KeyPair::Generate(KeyType::kCurve);
  absl::StatusOr<KeyPair> bob = KeyPair::Generate(KeyType::kCurve);
  ASSERT_TRUE(alice.ok() && bob.ok());
  EXPECT_FALSE(alice->Sign("x").ok());
  auto bob_pub = *CurvePublicKey::FromKey(bob->public_key());
  auto alice_pub = *CurvePublicKey::FromKey(alice->public_key());
  absl::StatusOr<std::string> sealed = alice->Seal("secret payload", bob_pub);
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(sealed->substr(0, 4), "xkv1");
  absl::StatusOr<std::string> opened = bob->Open(*sealed, alice_pub);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(*opened, "secret payload");
  std::string tampered = *sealed;
  tampered.back() ^= 1;
  EXPECT_FALSE(bob->Open(tampered, alice_pub).ok());
  EXPECT_FALSE(bob->Open("xkv1", alice_pub).ok());
  absl::StatusOr<KeyPair> user = KeyPair::Generate(KeyType::kUser);
  EXPECT_FALSE(user->Seal("x", bob_pub).ok());
  EXPECT_FALSE(Verify(alice->public_key(), "x", std::string(64, 'a')));
}

TEST(NKeysTest, SecretStringMovesAndEmpties) {
  SecretString a("seed-bytes");
  SecretString b(std::move(a));
  EXPECT_EQ(b.view(), "seed-bytes");
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): moved-from state is specified
  SecretString c;
  c = std::move(b);
  EXPECT_EQ(c.view(), "seed-bytes");
}

}  // namespace
}  // namespace lattice::nkeys
