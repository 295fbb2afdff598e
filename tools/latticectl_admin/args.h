// A small argument bag for admin commands: positionals plus --flag value / --flag=value /
// boolean --flag, with repeated flags kept in order.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace lattice::latticectl_admin {

// Value type. Thread: not shared.
class Args {
 public:
  // `booleans` are flags that take no value. Returns false (with *error) on a malformed list.
  bool Parse(const std::vector<std::string>& args, const std::set<std::string>& booleans,
             std::string* error);

  const std::vector<std::string>& positional() const { return positional_; }
  void DropFirstPositional() {
    if (!positional_.empty())
      positional_.erase(positional_.begin());
  }
  bool Has(const std::string& flag) const { return values_.count(flag) != 0; }
  // The last value of a flag.
  std::optional<std::string> Get(const std::string& flag) const;
  std::string GetOr(const std::string& flag, const std::string& fallback) const;
  std::vector<std::string> GetAll(const std::string& flag) const;
  // Flags that were given but never read (typos); call after handling a command.
  std::vector<std::string> Unused() const;

 private:
  std::vector<std::string> positional_;
  std::map<std::string, std::vector<std::string>> values_;
  mutable std::set<std::string> used_;
};

}  // namespace lattice::latticectl_admin
