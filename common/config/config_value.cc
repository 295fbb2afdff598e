// ConfigValue accessors, map semantics and the duration/size helpers.
#include "common/config/config_value.h"

#include <cctype>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

#include "common/base/check.h"

namespace lattice::config {

std::string Location::ToString() const {
  return absl::StrCat(file, ":", line, ":", column);
}

ConfigValue ConfigValue::String(std::string value, Location where) {
  ConfigValue v(Kind::kString, std::move(where));
  v.string_ = std::move(value);
  return v;
}

ConfigValue ConfigValue::Integer(int64_t value, Location where) {
  ConfigValue v(Kind::kInteger, std::move(where));
  v.int_ = value;
  return v;
}

ConfigValue ConfigValue::Float(double value, Location where) {
  ConfigValue v(Kind::kFloat, std::move(where));
  v.float_ = value;
  return v;
}

ConfigValue ConfigValue::Bool(bool value, Location where) {
  ConfigValue v(Kind::kBool, std::move(where));
  v.bool_ = value;
  return v;
}

ConfigValue ConfigValue::Datetime(std::string text, Location where) {
  ConfigValue v(Kind::kDatetime, std::move(where));
  v.string_ = std::move(text);
  return v;
}

ConfigValue ConfigValue::Array(Location where) {
  return ConfigValue(Kind::kArray, std::move(where));
}

ConfigValue ConfigValue::Map(Location where) {
  return ConfigValue(Kind::kMap, std::move(where));
}

const std::string& ConfigValue::string_value() const {
  LATTICE_DCHECK(kind_ == Kind::kString || kind_ == Kind::kDatetime);
  return string_;
}

int64_t ConfigValue::int_value() const {
  LATTICE_DCHECK(kind_ == Kind::kInteger);
  return int_;
}

double ConfigValue::float_value() const {
  LATTICE_DCHECK(kind_ == Kind::kFloat);
  return float_;
}

bool ConfigValue::bool_value() const {
  LATTICE_DCHECK(kind_ == Kind::kBool);
  return bool_;
}

const std::vector<ConfigValue>& ConfigValue::array() const {
  LATTICE_DCHECK(kind_ == Kind::kArray);
  return array_;
}

const std::vector<ConfigValue::Entry>& ConfigValue::entries() const {
  LATTICE_DCHECK(kind_ == Kind::kMap);
  return entries_;
}

absl::string_view ConfigValue::KindName(Kind kind) {
  switch (kind) {
    case Kind::kString:
      return "string";
    case Kind::kInteger:
      return "integer";
    case Kind::kFloat:
      return "float";
    case Kind::kBool:
      return "boolean";
    case Kind::kDatetime:
      return "datetime";
    case Kind::kArray:
      return "array";
    case Kind::kMap:
      return "map";
  }
  return "unknown";
}

absl::Status ConfigValue::Error(absl::string_view reason) const {
  return absl::InvalidArgumentError(absl::StrCat(location_.ToString(), ": ", reason));
}

absl::Status ConfigValue::KindError(Kind wanted) const {
  return Error(absl::StrCat("expected ", KindName(wanted), ", got ", KindName(kind_)));
}

absl::StatusOr<std::string> ConfigValue::AsString() const {
  if (kind_ != Kind::kString)
    return KindError(Kind::kString);
  return string_;
}

absl::StatusOr<int64_t> ConfigValue::AsInt() const {
  if (kind_ != Kind::kInteger)
    return KindError(Kind::kInteger);
  return int_;
}

absl::StatusOr<double> ConfigValue::AsFloat() const {
  if (kind_ == Kind::kInteger)
    return static_cast<double>(int_);
  if (kind_ != Kind::kFloat)
    return KindError(Kind::kFloat);
  return float_;
}

absl::StatusOr<bool> ConfigValue::AsBool() const {
  if (kind_ != Kind::kBool)
    return KindError(Kind::kBool);
  return bool_;
}

const ConfigValue* ConfigValue::Find(absl::string_view key) const {
  if (kind_ != Kind::kMap)
    return nullptr;
  for (const Entry& entry : entries_) {
    if (absl::EqualsIgnoreCase(entry.first, key))
      return &entry.second;
  }
  return nullptr;
}

std::vector<ConfigValue::Entry>* ConfigValue::mutable_entries() {
  LATTICE_DCHECK(kind_ == Kind::kMap);
  return &entries_;
}

ConfigValue* ConfigValue::FindMutable(absl::string_view key) {
  return const_cast<ConfigValue*>(static_cast<const ConfigValue*>(this)->Find(key));
}

void ConfigValue::Set(std::string key, ConfigValue value) {
  LATTICE_DCHECK(kind_ == Kind::kMap);
  for (Entry& entry : entries_) {
    if (absl::EqualsIgnoreCase(entry.first, key)) {
      entry.first = std::move(key);
      entry.second = std::move(value);
      return;
    }
  }
  entries_.emplace_back(std::move(key), std::move(value));
}

void ConfigValue::Append(ConfigValue value) {
  LATTICE_DCHECK(kind_ == Kind::kArray);
  array_.push_back(std::move(value));
}

absl::StatusOr<int64_t> ApplySizeSuffix(int64_t number, absl::string_view suffix) {
  const std::string lower = absl::AsciiStrToLower(suffix);
  if (lower.empty())
    return number;
  static constexpr absl::string_view kUnits = "kmgtpe";
  const size_t power = kUnits.find(lower[0]);
  if (power == absl::string_view::npos)
    return absl::InvalidArgumentError(absl::StrCat("unknown size suffix '", suffix, "'"));
  const absl::string_view rest = absl::string_view(lower).substr(1);
  int64_t base = 0;
  if (rest.empty()) {
    base = 1000;
  } else if (rest == "b" || rest == "i" || rest == "ib") {
    base = 1024;
  } else {
    return absl::InvalidArgumentError(absl::StrCat("unknown size suffix '", suffix, "'"));
  }
  int64_t result = number;
  for (size_t i = 0; i <= power; ++i) {
    if (result > std::numeric_limits<int64_t>::max() / base ||
        result < std::numeric_limits<int64_t>::min() / base) {
      return absl::OutOfRangeError(absl::StrCat("size '", number, suffix, "' is out of range"));
    }
    result *= base;
  }
  return result;
}

absl::StatusOr<absl::Duration> GetDuration(const ConfigValue& value) {
  if (value.is_integer()) {
    const int64_t seconds = value.int_value();
    if (seconds < 0)
      return value.Error("duration must not be negative");
    if (seconds > std::numeric_limits<int64_t>::max() / 1000000000)
      return value.Error("duration is out of range");
    return absl::Seconds(seconds);
  }
  if (!value.is_string())
    return value.Error(absl::StrCat("expected a duration (\"10s\", \"2m\") or seconds, got ",
                                    ConfigValue::KindName(value.kind())));
  const std::string& text = value.string_value();
  absl::Duration duration;
  // absl accepts "inf"; Go's time.ParseDuration (what nats-server uses) does not.
  if (absl::StrContains(absl::AsciiStrToLower(text), "inf") ||
      !absl::ParseDuration(text, &duration) || duration == absl::InfiniteDuration() ||
      duration == -absl::InfiniteDuration()) {
    return value.Error(absl::StrCat("invalid duration \"", text, "\""));
  }
  if (duration < absl::ZeroDuration())
    return value.Error("duration must not be negative");
  return duration;
}

absl::StatusOr<int64_t> GetSize(const ConfigValue& value) {
  int64_t size = 0;
  if (value.is_integer()) {
    size = value.int_value();
  } else if (value.is_string()) {
    const std::string text(absl::StripAsciiWhitespace(value.string_value()));
    size_t digits = 0;
    while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits])))
      ++digits;
    int64_t number = 0;
    if (digits == 0 || !absl::SimpleAtoi(absl::string_view(text).substr(0, digits), &number))
      return value.Error(absl::StrCat("invalid size \"", text, "\""));
    absl::StatusOr<int64_t> scaled =
        ApplySizeSuffix(number, absl::string_view(text).substr(digits));
    if (!scaled.ok())
      return value.Error(scaled.status().message());
    size = *scaled;
  } else {
    return value.Error(
        absl::StrCat("expected a size (1024, 1MB), got ", ConfigValue::KindName(value.kind())));
  }
  if (size < 0)
    return value.Error("size must not be negative");
  return size;
}

}  // namespace lattice::config
