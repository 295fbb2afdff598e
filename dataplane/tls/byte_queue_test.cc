// ByteQueue: FIFO order, in-place reads, reuse of its buffer.
#include "dataplane/tls/byte_queue.h"

#include <string>

#include "gtest/gtest.h"

namespace lattice::tls::internal {
namespace {

TEST(ByteQueueTest, KeepsOrderAcrossGrowthAndConsumption) {
  ByteQueue q;
  std::string expected;
  for (int i = 0; i < 5000; ++i) {
    std::string piece = std::to_string(i) + ",";
    q.Append(piece.data(), piece.size());
    expected += piece;
    if (i % 7 == 0) {
      char out[5];
      size_t n = q.Read(out, sizeof(out));
      ASSERT_EQ(std::string(out, n), expected.substr(0, n));
      expected.erase(0, n);
    }
  }
  EXPECT_EQ(q.View(), expected);
  q.Consume(expected.size() + 100);  // over-consuming is clamped
  EXPECT_TRUE(q.empty());
}

TEST(ByteQueueTest, ReserveAndCommitReadStraightIntoTheBuffer) {
  ByteQueue q;
  char* space = q.Reserve(4);
  std::memcpy(space, "abcd", 4);
  q.Commit(3);
  EXPECT_EQ(q.View(), "abc");
}

TEST(ByteQueueTest, SteadyTrafficReusesTheBuffer) {
  ByteQueue q;
  std::string frame(1000, 'x');
  q.Append(frame.data(), frame.size());
  q.Consume(frame.size());
  const size_t cap = q.capacity();
  const char* first = q.Reserve(1);
  for (int i = 0; i < 1000; ++i) {
    q.Append(frame.data(), frame.size());
    q.Consume(400);
    q.Consume(600);
  }
  EXPECT_EQ(q.capacity(), cap);
  EXPECT_EQ(q.Reserve(1), first);
}

TEST(ByteQueueTest, CompactsBeforeGrowing) {
  ByteQueue q;
  std::string big(12 * 1024, 'a');
  q.Append(big.data(), big.size());
  const size_t cap = q.capacity();
  q.Consume(10 * 1024);
  q.Append(big.data(), 8 * 1024);  // fits once the consumed front is reclaimed
  EXPECT_EQ(q.capacity(), cap);
  EXPECT_EQ(q.size(), 10u * 1024);
}

TEST(ByteQueueTest, ShrinkOnlyWhenEmptyAndLarge) {
  ByteQueue q;
  std::string big(1 << 20, 'a');
  q.Append(big.data(), big.size());
  q.Shrink(64 * 1024);
  EXPECT_EQ(q.size(), big.size());
  q.Consume(big.size());
  q.Shrink(64 * 1024);
  EXPECT_EQ(q.capacity(), 0u);
}

}  // namespace
}  // namespace lattice::tls::internal
