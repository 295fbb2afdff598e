#include "common/encoding/base32.h"

#include <gtest/gtest.h>

namespace lattice::encoding {
namespace {

// RFC 4648 §10 test vectors, without padding.
TEST(Base32Test, EncodesRfcVectors) {
  EXPECT_EQ(Base32Encode(""), "");
  EXPECT_EQ(Base32Encode("f"), "MY");
  EXPECT_EQ(Base32Encode("fo"), "MZXQ");
  EXPECT_EQ(Base32Encode("foo"), "MZXW6");
  EXPECT_EQ(Base32Encode("foob"), "MZXW6YQ");
  EXPECT_EQ(Base32Encode("fooba"), "MZXW6YTB");
  EXPECT_EQ(Base32Encode("foobar"), "MZXW6YTBOI");
}

TEST(Base32Test, DecodesWithAndWithoutPadding) {
  EXPECT_EQ(Base32Decode("MZXW6YTBOI"), "foobar");
  EXPECT_EQ(Base32Decode("MZXW6YQ="), "foob");
  EXPECT_EQ(Base32Decode(""), "");
}

TEST(Base32Test, RoundTripsEveryByteValue) {
  std::string all;
  for (int i = 0; i < 256; ++i)
    all.push_back(static_cast<char>(i));
  for (size_t len = 0; len <= all.size(); len += 7) {
    const std::string input = all.substr(0, len);
    EXPECT_EQ(Base32Decode(Base32Encode(input)), input) << "length " << len;
  }
}

TEST(Base32Test, RejectsCharactersOutsideTheAlphabet) {
  EXPECT_EQ(Base32Decode("mzxw6"), std::nullopt);  // lower case is not NATS base32
  EXPECT_EQ(Base32Decode("MZXW1"), std::nullopt);
  EXPECT_EQ(Base32Decode("MZ W6"), std::nullopt);
}

TEST(Base32Test, RejectsNonCanonicalTrailingBits) {
  EXPECT_EQ(Base32Decode("MY"), "f");
  EXPECT_EQ(Base32Decode("MZ"), std::nullopt);   // same byte, but the 2 padding bits are not 0
  EXPECT_EQ(Base32Decode("MY7"), std::nullopt);  // 15 bits: a dangling 5-bit group
}

}  // namespace
}  // namespace lattice::encoding
