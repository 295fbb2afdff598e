// Parser for nats-server's configuration file syntax, producing a ConfigValue tree.
//
// Supported (matching nats-server's conf package): `key = value`, `key: value`, `key value`;
// maps `name { ... }` / `name = { ... }`; arrays `[a, b]` separated by commas or newlines;
// double-quoted (with \t \n \r \" \\ \xHH escapes), single-quoted and bare strings; integers
// with size suffixes (1K = 1000, 1KB = 1Ki = 1024, ... up to E); floats; booleans
// (true/false/yes/no/on/off); ISO8601 Zulu datetimes; `( ... )` raw blocks ending at a line
// holding only `)`; `include file` relative to the including file; `$variables` resolved
// through the enclosing maps, then the environment; `#` and `//` comments; `;` and `,` as
// optional value terminators.
//
// Errors are InvalidArgument with messages "file:line:col: reason". Include cycles, undefined
// variables, unknown size suffixes, overflowing numbers and excessive nesting are errors.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

#include "common/config/config_value.h"

namespace lattice::config {

// Parses the file at `path`; includes resolve relative to its directory.
absl::StatusOr<ConfigValue> ParseConfigFile(const std::string& path);

// Parses `text` as if it were the file `virtual_filename` (used in error messages and to
// resolve includes relative to its directory; "<string>" resolves against the working dir).
absl::StatusOr<ConfigValue> ParseConfigString(absl::string_view text,
                                              const std::string& virtual_filename = "<string>");

}  // namespace lattice::config
