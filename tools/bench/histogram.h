// Log-linear latency histogram in the spirit of HdrHistogram: fixed memory, ~0.8% precision.
#pragma once

#include <array>
#include <cstdint>

namespace lattice::bench {

// Values below 128 are counted exactly; above, each power-of-two range is split into 64 equal
// sub-buckets, so a reported percentile is at most 1/64 above the true recorded value (it reports
// the highest value equivalent to the bucket, clipped to the recorded maximum, as HdrHistogram
// does). Covers the whole uint64 range. Thread: single owner; Merge() combines per-thread copies.
class Histogram {
 public:
  static constexpr int kSubBits = 6;  // 64 sub-buckets per power of two
  static constexpr int kBuckets = 128 + (64 - kSubBits - 1) * 64;

  void Record(uint64_t value);
  void Merge(const Histogram& other);

  uint64_t count() const { return count_; }
  uint64_t min() const { return count_ == 0 ? 0 : min_; }
  uint64_t max() const { return max_; }
  double Mean() const;
  // Value at percentile `p` in [0, 100]: the smallest bucket value with at least p% of the
  // recorded values at or below it. 0 when empty.
  uint64_t Percentile(double p) const;

  // Bucket mapping, exposed for tests.
  static int IndexOf(uint64_t value);
  static uint64_t HighestEquivalent(int index);

 private:
  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
  long double sum_ = 0;
};

}  // namespace lattice::bench
