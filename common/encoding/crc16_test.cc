#include "common/encoding/crc16.h"

#include <gtest/gtest.h>

namespace lattice::encoding {
namespace {

TEST(Crc16Test, MatchesXmodemCheckValue) {
  EXPECT_EQ(Crc16("123456789"), 0x31C3);
}

TEST(Crc16Test, EmptyInputIsZero) {
  EXPECT_EQ(Crc16(""), 0);
}

TEST(Crc16Test, DetectsSingleBitFlips) {
  std::string key = "OBJ2GIDCGOA2L2EJXNK3C4RVXLFMW2TV6ILRMDLGCKGXCUO3DHRYVGEJ";
  const uint16_t original = Crc16(key);
  for (size_t i = 0; i < key.size(); ++i) {
    std::string flipped = key;
    flipped[i] ^= 0x01;
    EXPECT_NE(Crc16(flipped), original) << "flip at " << i;
  }
}

}  // namespace
}  // namespace lattice::encoding
