// A small command-line parser for latticectl: positionals, --flag value, --flag=value, booleans.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace lattice::latticectl {

// Parsed arguments of one command. Value type. Thread: not shared.
class Flags {
 public:
  // `value_flags` take a value (repeatable); `bool_flags` take none. Anything else starting with
  // "--" is an error, as is a value flag without a value.
  static absl::StatusOr<Flags> Parse(const std::vector<std::string>& args,
                                     const std::set<std::string>& value_flags,
                                     const std::set<std::string>& bool_flags);

  const std::vector<std::string>& positionals() const { return positionals_; }
  bool Has(const std::string& name) const { return values_.count(name) > 0; }
  // Last value given, or `fallback`.
  std::string Get(const std::string& name, const std::string& fallback = "") const;
  // Every value given, in order.
  std::vector<std::string> GetAll(const std::string& name) const;
  // Integer value; error naming the flag when it does not parse.
  absl::StatusOr<int64_t> GetInt(const std::string& name, int64_t fallback) const;

 private:
  std::vector<std::string> positionals_;
  std::map<std::string, std::vector<std::string>> values_;
};

// Parses "90s", "15m", "2h", "7d", "1y" or plain seconds into seconds.
absl::StatusOr<int64_t> ParseDuration(const std::string& text);

}  // namespace lattice::latticectl
