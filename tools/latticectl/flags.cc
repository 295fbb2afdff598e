// Command-line flag parsing for latticectl.
#include "tools/latticectl/flags.h"

#include <cerrno>
#include <cstdlib>

namespace lattice::latticectl {
namespace {

bool ParseInt64(const std::string& text, int64_t* out) {
  if (text.empty())
    return false;
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (errno != 0 || end != text.c_str() + text.size())
    return false;
  *out = v;
  return true;
}

}  // namespace

absl::StatusOr<Flags> Flags::Parse(const std::vector<std::string>& args,
                                   const std::set<std::string>& value_flags,
                                   const std::set<std::string>& bool_flags) {
  Flags flags;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.size() < 3 || arg.compare(0, 2, "--") != 0) {
      flags.positionals_.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    std::string value;
    bool has_inline = false;
    size_t eq = name.find('=');
    if (eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_inline = true;
    }
    if (bool_flags.count(name) > 0) {
      if (has_inline && value != "true" && value != "false")
        return absl::InvalidArgumentError("--" + name + " takes no value");
      if (!has_inline || value == "true")
        flags.values_[name].push_back("true");
      continue;
    }
    if (value_flags.count(name) == 0)
      return absl::InvalidArgumentError("unknown flag --" + name);
    if (!has_inline) {
      if (i + 1 >= args.size())
        return absl::InvalidArgumentError("--" + name + " needs a value");
      value = args[++i];
    }
    flags.values_[name].push_back(value);
  }
  return flags;
}

std::string Flags::Get(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() || it->second.empty() ? fallback : it->second.back();
}

std::vector<std::string> Flags::GetAll(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

absl::StatusOr<int64_t> Flags::GetInt(const std::string& name, int64_t fallback) const {
  if (!Has(name))
    return fallback;
  int64_t v = 0;
  if (!ParseInt64(Get(name), &v))
    return absl::InvalidArgumentError("--" + name + " must be an integer, got \"" + Get(name) +
                                      "\"");
  return v;
}

absl::StatusOr<int64_t> ParseDuration(const std::string& text) {
  if (text.empty())
    return absl::InvalidArgumentError("empty duration");
  int64_t unit = 1;
  std::string digits = text;
  switch (text.back()) {
    case 's':
      unit = 1;
      break;
    case 'm':
      unit = 60;
      break;
    case 'h':
      unit = 3600;
      break;
    case 'd':
      unit = 86400;
      break;
    case 'w':
      unit = 7 * 86400;
      break;
    case 'y':
      unit = 365 * 86400;
      break;
    default:
      unit = 0;
  }
  if (unit != 0)
    digits.pop_back();
  else
    unit = 1;
  int64_t n = 0;
  if (!ParseInt64(digits, &n) || n < 0 || n > INT64_MAX / unit)
    return absl::InvalidArgumentError("invalid duration \"" + text + "\" (use e.g. 90s, 2h, 7d)");
  return n * unit;
}

}  // namespace lattice::latticectl
