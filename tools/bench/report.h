// Results of scenario rounds and their rendering as a readable table or JSON.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "tools/bench/config.h"

namespace lattice::bench {

// Named metrics of one round, in the order they are printed.
struct RoundResult {
  std::vector<std::pair<std::string, double>> metrics;
  std::vector<std::string> notes;  // warnings, e.g. losses or a closed connection

  void Add(std::string name, double value) { metrics.emplace_back(std::move(name), value); }
  // NaN when absent.
  double Get(const std::string& name) const;
};

// All rounds of one scenario run. Thread: single owner.
class Report {
 public:
  explicit Report(const BenchConfig& config) : config_(config) {}
  void AddRound(RoundResult round) { rounds_.push_back(std::move(round)); }
  // Median of each metric over the rounds (metric names of the first round).
  RoundResult Median() const;
  std::string Table() const;
  std::string Json() const;

 private:
  const BenchConfig& config_;
  std::vector<RoundResult> rounds_;
};

// Median of the values (mean of the middle two for an even count); NaN when empty.
double MedianOf(std::vector<double> values);

}  // namespace lattice::bench
