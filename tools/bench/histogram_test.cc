// Tests for the log-linear latency histogram: bucket mapping and percentile accuracy.
#include "tools/bench/histogram.h"

#include <cstdint>

#include "gtest/gtest.h"

namespace lattice::bench {
namespace {

TEST(HistogramTest, EmptyReportsZeros) {
  Histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.Percentile(50), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.Mean(), 0.0);
}

TEST(HistogramTest, SmallValuesAreExact) {
  Histogram h;
  for (uint64_t v = 1; v <= 100; ++v) {
    h.Record(v);
  }
  EXPECT_EQ(h.Percentile(50), 50u);
  EXPECT_EQ(h.Percentile(90), 90u);
  EXPECT_EQ(h.Percentile(99), 99u);
  EXPECT_EQ(h.Percentile(100), 100u);
  EXPECT_EQ(h.Percentile(0), 1u);
  EXPECT_EQ(h.min(), 1u);
  EXPECT_EQ(h.max(), 100u);
  EXPECT_DOUBLE_EQ(h.Mean(), 50.5);
}

TEST(HistogramTest, BucketsCoverEveryValueWithinOneSixtyFourth) {
  for (uint64_t v : {uint64_t{0}, uint64_t{127}, uint64_t{128}, uint64_t{129}, uint64_t{1000},
                     uint64_t{123456789}, uint64_t{1} << 40, UINT64_MAX / 3, UINT64_MAX}) {
    int index = Histogram::IndexOf(v);
    ASSERT_GE(index, 0);
    ASSERT_LT(index, Histogram::kBuckets);
    uint64_t high = Histogram::HighestEquivalent(index);
    EXPECT_GE(high, v) << v;
    EXPECT_LE(static_cast<double>(high - v), static_cast<double>(v) / 64.0) << v;
  }
  // Bucket boundaries are contiguous: the value after a bucket's top starts the next bucket.
  for (int i = 0; i + 1 < Histogram::kBuckets; ++i) {
    uint64_t high = Histogram::HighestEquivalent(i);
    ASSERT_EQ(Histogram::IndexOf(high), i);
    ASSERT_EQ(Histogram::IndexOf(high + 1), i + 1);
  }
}

TEST(HistogramTest, PercentilesOfUniformMicroseconds) {
  Histogram h;
  for (uint64_t us = 1; us <= 100000; ++us) {
    h.Record(us * 1000);  // 1 us .. 100 ms in ns
  }
  struct Case {
    double p;
    double want;
  };
  for (Case c : {Case{50, 50e6}, Case{90, 90e6}, Case{99, 99e6}, Case{99.9, 99.9e6}}) {
    double got = static_cast<double>(h.Percentile(c.p));
    EXPECT_GE(got, c.want) << c.p;
    EXPECT_LE(got, c.want * (1 + 1.0 / 64)) << c.p;
  }
  EXPECT_EQ(h.Percentile(100), 100000u * 1000);
}

TEST(HistogramTest, TailOutlierShowsOnlyInTheTail) {
  Histogram h;
  for (int i = 0; i < 999; ++i) {
    h.Record(20000);
  }
  h.Record(5'000'000);
  EXPECT_LE(h.Percentile(99), 20000u * 65 / 64);
  EXPECT_EQ(h.Percentile(99.95), 5'000'000u);
  EXPECT_EQ(h.max(), 5'000'000u);
}

TEST(HistogramTest, MergeEqualsRecordingEverything) {
  Histogram a, b, all;
  for (uint64_t v = 0; v < 5000; ++v) {
    (v % 3 == 0 ? a : b).Record(v * 37);
    all.Record(v * 37);
  }
  a.Merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.min(), all.min());
  EXPECT_EQ(a.max(), all.max());
  for (double p : {1.0, 25.0, 50.0, 75.0, 99.0, 99.9}) {
    EXPECT_EQ(a.Percentile(p), all.Percentile(p)) << p;
  }
}

}  // namespace
}  // namespace lattice::bench
