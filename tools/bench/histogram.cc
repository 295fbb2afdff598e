// Log-linear latency histogram for lattice-bench's request/reply percentiles.
#include "tools/bench/histogram.h"

#include <algorithm>
#include <cmath>

namespace lattice::bench {

int Histogram::IndexOf(uint64_t value) {
  if (value < 128) {
    return static_cast<int>(value);
  }
  int msb = 63 - __builtin_clzll(value);
  int shift = msb - kSubBits;                  // >= 1 because value >= 128
  int sub = static_cast<int>(value >> shift);  // in [64, 127]
  return 128 + (shift - 1) * 64 + (sub - 64);
}

uint64_t Histogram::HighestEquivalent(int index) {
  if (index < 128) {
    return static_cast<uint64_t>(index);
  }
  int shift = (index - 128) / 64 + 1;
  uint64_t sub = static_cast<uint64_t>((index - 128) % 64 + 64);
  if (sub == 127 && shift + kSubBits >= 63) {
    return UINT64_MAX;
  }
  return ((sub + 1) << shift) - 1;
}

void Histogram::Record(uint64_t value) {
  ++counts_[static_cast<size_t>(IndexOf(value))];
  ++count_;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
  sum_ += static_cast<long double>(value);
}

void Histogram::Merge(const Histogram& other) {
  for (int i = 0; i < kBuckets; ++i) {
    counts_[static_cast<size_t>(i)] += other.counts_[static_cast<size_t>(i)];
  }
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
}

double Histogram::Mean() const {
  return count_ == 0 ? 0.0 : static_cast<double>(sum_ / static_cast<long double>(count_));
}

uint64_t Histogram::Percentile(double p) const {
  if (count_ == 0) {
    return 0;
  }
  p = std::clamp(p, 0.0, 100.0);
  uint64_t want = static_cast<uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_)));
  want = std::clamp<uint64_t>(want, 1, count_);
  uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += counts_[static_cast<size_t>(i)];
    if (seen >= want) {
      return std::clamp(HighestEquivalent(i), min_, max_);
    }
  }
  return max_;
}

}  // namespace lattice::bench
