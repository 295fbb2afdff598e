// ConfigValue: the generic tree a nats-server-syntax config file parses into.
//
// Every value remembers where it was written (file, line, column) so that consumers can report
// `file:line:col: reason` for semantic errors too. Maps keep their keys in file order and look
// keys up case-insensitively, as nats-server does when it reads options.
//
//   absl::StatusOr<ConfigValue> root = lattice::config::ParseConfigFile("/etc/node.conf");
//   if (const ConfigValue* port = root->Find("port")) {
//     absl::StatusOr<int64_t> p = port->AsInt();  // error names the file and line
//   }
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace lattice::config {

// Where a value (or a key) was written. line and column are 1-based.
struct Location {
  std::string file;
  int line = 0;
  int column = 0;

  // "file:line:col" (file may be a virtual name such as "<string>").
  std::string ToString() const;
};

// One node of the parsed tree: a scalar, an array or a map.
// Owner: whoever holds the root returned by the parser; values are plain copyable data.
// Thread: immutable after parsing, safe to read from any thread.
class ConfigValue {
 public:
  enum class Kind : uint8_t { kString, kInteger, kFloat, kBool, kDatetime, kArray, kMap };
  using Entry = std::pair<std::string, ConfigValue>;

  ConfigValue() : kind_(Kind::kMap) {}

  static ConfigValue String(std::string value, Location where);
  static ConfigValue Integer(int64_t value, Location where);
  static ConfigValue Float(double value, Location where);
  static ConfigValue Bool(bool value, Location where);
  // An ISO8601 Zulu timestamp ("2026-01-02T03:04:05Z"), kept as text.
  static ConfigValue Datetime(std::string text, Location where);
  static ConfigValue Array(Location where);
  static ConfigValue Map(Location where);

  Kind kind() const { return kind_; }
  const Location& location() const { return location_; }
  // The parser re-stamps a `$variable`'s copied value with the place it was referenced.
  void set_location(Location where) { location_ = std::move(where); }
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_integer() const { return kind_ == Kind::kInteger; }
  bool is_float() const { return kind_ == Kind::kFloat; }
  bool is_bool() const { return kind_ == Kind::kBool; }
  bool is_array() const { return kind_ == Kind::kArray; }
  bool is_map() const { return kind_ == Kind::kMap; }

  // Unchecked accessors: only valid for the matching kind (LATTICE_DCHECKed).
  const std::string& string_value() const;  // kString and kDatetime
  int64_t int_value() const;
  double float_value() const;
  bool bool_value() const;
  const std::vector<ConfigValue>& array() const;
  const std::vector<Entry>& entries() const;  // map entries in file order
  std::vector<Entry>* mutable_entries();      // for the parser (includes, variables)

  // Checked accessors: an InvalidArgument error "file:line:col: expected X, got Y" on mismatch.
  absl::StatusOr<std::string> AsString() const;
  absl::StatusOr<int64_t> AsInt() const;
  absl::StatusOr<double> AsFloat() const;  // integers widen to double
  absl::StatusOr<bool> AsBool() const;

  // Map lookup ignoring ASCII case; nullptr when absent or when this is not a map.
  const ConfigValue* Find(absl::string_view key) const;
  ConfigValue* FindMutable(absl::string_view key);

  // Adds a map entry; an existing key (any case) is replaced in place, keeping its position:
  // the last definition wins, as in nats-server.
  void Set(std::string key, ConfigValue value);
  void Append(ConfigValue value);  // arrays only

  // True when the value was referenced as a `$variable` somewhere after its definition.
  // nats-server does not report such top-level keys as unknown fields.
  bool used_as_variable() const { return used_as_variable_; }
  void MarkUsedAsVariable() { used_as_variable_ = true; }

  // "string", "integer", ..., for error messages.
  static absl::string_view KindName(Kind kind);

  // InvalidArgument with this value's location prefixed: "file:line:col: reason".
  absl::Status Error(absl::string_view reason) const;

 private:
  ConfigValue(Kind kind, Location where) : kind_(kind), location_(std::move(where)) {}
  absl::Status KindError(Kind wanted) const;

  Kind kind_;
  bool used_as_variable_ = false;
  bool bool_ = false;
  int64_t int_ = 0;
  double float_ = 0;
  std::string string_;
  std::vector<ConfigValue> array_;
  std::vector<Entry> entries_;
  Location location_;
};

// Reads a duration the way nats-server options do: a Go duration string ("2m", "1h30m",
// "250ms", "1.5s") or, for backwards compatibility, an integer number of seconds.
absl::StatusOr<absl::Duration> GetDuration(const ConfigValue& value);

// Reads a byte size: an integer (suffixes such as 1KB/1K were already applied by the parser)
// or a string with a size suffix ("64MB"). Negative sizes are an error.
absl::StatusOr<int64_t> GetSize(const ConfigValue& value);

// Applies nats-server's size suffix rules to "<digits><suffix>": k/m/g/t/p/e are powers of
// 1000; kb/ki/kib (and so on) are powers of 1024; case-insensitive. An unknown suffix or an
// overflow is an error (without location; callers add it). Shared by the parser and GetSize.
absl::StatusOr<int64_t> ApplySizeSuffix(int64_t number, absl::string_view suffix);

}  // namespace lattice::config
