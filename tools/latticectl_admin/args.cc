// Argument bag parsing.
#include "tools/latticectl_admin/args.h"

namespace lattice::latticectl_admin {

bool Args::Parse(const std::vector<std::string>& args, const std::set<std::string>& booleans,
                 std::string* error) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.size() < 3 || arg.compare(0, 2, "--") != 0) {
      positional_.push_back(arg);
      continue;
    }
    size_t eq = arg.find('=');
    if (eq != std::string::npos) {
      values_[arg.substr(0, eq)].push_back(arg.substr(eq + 1));
    } else if (booleans.count(arg) != 0) {
      values_[arg].push_back("true");
    } else if (i + 1 < args.size()) {
      values_[arg].push_back(args[++i]);
    } else {
      *error = arg + " needs a value";
      return false;
    }
  }
  return true;
}

std::optional<std::string> Args::Get(const std::string& flag) const {
  used_.insert(flag);
  auto it = values_.find(flag);
  if (it == values_.end() || it->second.empty())
    return std::nullopt;
  return it->second.back();
}

std::string Args::GetOr(const std::string& flag, const std::string& fallback) const {
  return Get(flag).value_or(fallback);
}

std::vector<std::string> Args::GetAll(const std::string& flag) const {
  used_.insert(flag);
  auto it = values_.find(flag);
  return it == values_.end() ? std::vector<std::string>() : it->second;
}

std::vector<std::string> Args::Unused() const {
  std::vector<std::string> out;
  for (const auto& [flag, values] : values_) {
    if (used_.count(flag) == 0)
      out.push_back(flag);
  }
  return out;
}

}  // namespace lattice::latticectl_admin
