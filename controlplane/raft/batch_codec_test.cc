// Batch encoding: round trips, and every malformed input is refused without crashing.
#include "controlplane/raft/batch_codec.h"

#include <iterator>

#include <gtest/gtest.h>

namespace lattice::raft {
namespace {

store::Batch SampleBatch() {
  store::Batch batch;
  batch.revision = 77;  // not encoded
  batch.actor = "admin@token";
  batch.reason = "CreateAccount";
  batch.unix_nanos = -5;
  batch.mutations.push_back(store::Mutation::Put(store::Kind::kAccount, "ACC1", "jwt"));
  batch.mutations.push_back(store::Mutation::Delete(store::Kind::kSigningKey, "SK1"));
  batch.mutations.push_back(store::Mutation::Put(store::Kind::kNode, "", std::string(3, '\0')));
  return batch;
}

TEST(BatchCodecTest, RoundTripsEveryField) {
  store::Batch in = SampleBatch();
  absl::StatusOr<store::Batch> out = DecodeBatch(EncodeBatch(in));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->revision, 0u);
  EXPECT_EQ(out->actor, in.actor);
  EXPECT_EQ(out->reason, in.reason);
  EXPECT_EQ(out->unix_nanos, in.unix_nanos);
  ASSERT_EQ(out->mutations.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(out->mutations[i].kind, in.mutations[i].kind);
    EXPECT_EQ(out->mutations[i].key, in.mutations[i].key);
    EXPECT_EQ(out->mutations[i].value, in.mutations[i].value);
  }
}

TEST(BatchCodecTest, CarriesTheValidationRevision) {
  uint64_t validated_at = 1;
  ASSERT_TRUE(DecodeBatch(EncodeBatch(SampleBatch()), &validated_at).ok());
  EXPECT_EQ(validated_at, 0u);
  ASSERT_TRUE(DecodeBatch(EncodeBatch(SampleBatch(), 0x1122334455667788ULL), &validated_at).ok());
  EXPECT_EQ(validated_at, 0x1122334455667788ULL);
}

TEST(BatchCodecTest, CarriesTheExactFlagAndEveryField) {
  uint64_t validated_at = 0;
  bool exact = false;
  std::string bytes = EncodeBatch(SampleBatch(), 41, /*exact=*/true);
  absl::StatusOr<store::Batch> out = DecodeBatch(bytes, &validated_at, &exact);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(validated_at, 41u);
  EXPECT_TRUE(exact);
  EXPECT_EQ(out->actor, SampleBatch().actor);
  EXPECT_EQ(out->mutations.size(), SampleBatch().mutations.size());
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    EXPECT_FALSE(DecodeBatch(bytes.substr(0, cut)).ok()) << cut;
  }
  ASSERT_TRUE(DecodeBatch(EncodeBatch(SampleBatch(), 41), &validated_at, &exact).ok());
  EXPECT_FALSE(exact);
}

TEST(BatchCodecTest, EmptyBatchRoundTrips) {
  absl::StatusOr<store::Batch> out = DecodeBatch(EncodeBatch(store::Batch{}));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_TRUE(out->mutations.empty());
}

TEST(BatchCodecTest, EveryTruncationAndTrailingByteIsRefused) {
  std::string bytes = EncodeBatch(SampleBatch());
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    EXPECT_FALSE(DecodeBatch(bytes.substr(0, cut)).ok()) << cut;
  }
  EXPECT_FALSE(DecodeBatch(bytes + "x").ok());
}

TEST(BatchCodecTest, RefusesUnknownVersionKindAndFlag) {
  std::string bytes = EncodeBatch(SampleBatch());
  std::string bad_version = bytes;
  bad_version[0] = 3;
  EXPECT_FALSE(DecodeBatch(bad_version).ok());
  std::string bad_flags = EncodeBatch(SampleBatch(), 5, /*exact=*/true);
  bad_flags[9] = 2;  // version(1) + validated_at(8), then flags: only bit 0 is defined
  EXPECT_FALSE(DecodeBatch(bad_flags).ok());

  store::Batch one;
  one.mutations.push_back(store::Mutation::Put(store::Kind::kAccount, "k", "v"));
  std::string single = EncodeBatch(one);
  // version(1) + validated_at(8) + nanos(8) + actor(4) + reason(4) + count(4) = 29: then kind.
  std::string bad_kind = single;
  bad_kind[29] = static_cast<char>(std::size(store::kAllKinds));
  EXPECT_FALSE(DecodeBatch(bad_kind).ok());
  std::string bad_flag = single;
  bad_flag[29 + 1 + 4 + 1] = 2;
  EXPECT_FALSE(DecodeBatch(bad_flag).ok());
}

TEST(BatchCodecTest, HugeCountsDoNotAllocate) {
  std::string bytes(1, '\x01');
  bytes += std::string(16, '\0') + std::string(4, '\0') + std::string(4, '\0');
  bytes += std::string("\xff\xff\xff\xff", 4);
  EXPECT_FALSE(DecodeBatch(bytes).ok());
  std::string huge_string(1, '\x01');
  huge_string += std::string(16, '\0') + std::string("\xff\xff\xff\x7f", 4);
  EXPECT_FALSE(DecodeBatch(huge_string).ok());
}

}  // namespace
}  // namespace lattice::raft
