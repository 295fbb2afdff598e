// Table and JSON rendering of lattice-bench results.
#include "tools/bench/report.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"

namespace lattice::bench {
namespace {

std::string FormatValue(double v) {
  if (std::isnan(v)) {
    return "-";
  }
  if (std::fabs(v) >= 100 || v == std::floor(v)) {
    return absl::StrFormat("%.0f", v);
  }
  return absl::StrFormat("%.3f", v);
}

nlohmann::json JsonValue(double v) {
  if (std::isnan(v) || std::isinf(v)) {
    return nullptr;
  }
  return v;
}

nlohmann::json MetricsJson(const RoundResult& r) {
  nlohmann::json obj = nlohmann::json::object();
  for (const auto& [name, value] : r.metrics) {
    obj[name] = JsonValue(value);
  }
  return obj;
}

}  // namespace

double RoundResult::Get(const std::string& name) const {
  for (const auto& [key, value] : metrics) {
    if (key == name) {
      return value;
    }
  }
  return std::numeric_limits<double>::quiet_NaN();
}

double MedianOf(std::vector<double> values) {
  values.erase(std::remove_if(values.begin(), values.end(), [](double v) { return std::isnan(v); }),
               values.end());
  if (values.empty()) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  std::sort(values.begin(), values.end());
  size_t mid = values.size() / 2;
  return values.size() % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

RoundResult Report::Median() const {
  RoundResult median;
  if (rounds_.empty()) {
    return median;
  }
  for (const auto& metric : rounds_.front().metrics) {
    std::vector<double> values;
    for (const RoundResult& r : rounds_) {
      values.push_back(r.Get(metric.first));
    }
    median.Add(metric.first, MedianOf(std::move(values)));
  }
  return median;
}

std::string Report::Table() const {
  std::string params;
  if (config_.scenario == "idle-conns") {
    params = absl::StrFormat("conns=%d hold=%gs", config_.conns, config_.hold_s);
  } else if (config_.scenario == "subs") {
    params = absl::StrFormat("sub-count=%d sub-conns=%d hold=%gs", config_.sub_count,
                             config_.sub_conns, config_.hold_s);
  } else {
    params = absl::StrFormat("msgs=%d size=%d pubs=%d subs=%d", config_.msgs, config_.size,
                             config_.pubs, config_.subs);
    if (config_.scenario == "reqrep") {
      absl::StrAppend(&params, absl::StrFormat(" concurrency=%d", config_.concurrency));
    }
  }
  std::string out = absl::StrFormat("%s against %s: %s rounds=%d\n", config_.scenario, config_.url,
                                    params, config_.rounds);
  size_t name_width = 6;
  for (const RoundResult& r : rounds_) {
    for (const auto& m : r.metrics) {
      name_width = std::max(name_width, m.first.size());
    }
  }
  out += absl::StrFormat("%-*s", name_width, "metric");
  for (size_t i = 0; i < rounds_.size(); ++i) {
    out += absl::StrFormat(" %14s", absl::StrCat("round ", i + 1));
  }
  out += absl::StrFormat(" %14s\n", "median");
  RoundResult median = Median();
  for (const auto& [name, value] : median.metrics) {
    out += absl::StrFormat("%-*s", name_width, name);
    for (const RoundResult& r : rounds_) {
      out += absl::StrFormat(" %14s", FormatValue(r.Get(name)));
    }
    out += absl::StrFormat(" %14s\n", FormatValue(value));
  }
  for (size_t i = 0; i < rounds_.size(); ++i) {
    for (const std::string& note : rounds_[i].notes) {
      out += absl::StrCat("note (round ", i + 1, "): ", note, "\n");
    }
  }
  return out;
}

std::string Report::Json() const {
  nlohmann::json doc;
  doc["scenario"] = config_.scenario;
  doc["url"] = config_.url;
  doc["params"] = {{"msgs", config_.msgs},
                   {"size", config_.size},
                   {"pubs", config_.pubs},
                   {"subs", config_.subs},
                   {"concurrency", config_.concurrency},
                   {"rounds", config_.rounds},
                   {"conns", config_.conns},
                   {"sub_count", config_.sub_count},
                   {"duration_s", config_.duration_s}};
  nlohmann::json rounds = nlohmann::json::array();
  nlohmann::json notes = nlohmann::json::array();
  for (const RoundResult& r : rounds_) {
    rounds.push_back(MetricsJson(r));
    for (const std::string& note : r.notes) {
      notes.push_back(note);
    }
  }
  doc["rounds"] = rounds;
  doc["median"] = MetricsJson(Median());
  doc["notes"] = notes;
  return doc.dump(2);
}

}  // namespace lattice::bench
