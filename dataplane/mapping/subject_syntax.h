// nats-server's subject and mapping-destination syntax rules, for the mapping package only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

#include "dataplane/mapping/subject_transform.h"

namespace lattice::mapping {

// nats-server's error texts (server/errors.go).
inline constexpr char kBadSubject[] = "invalid subject";
inline constexpr char kInvalidDestinationSubject[] = "invalid subject";
inline constexpr char kUnknownFunction[] = "unknown function";
inline constexpr char kWildcardIndexOutOfRange[] = "wildcard index out of range";
inline constexpr char kNotEnoughArguments[] = "not enough arguments passed to the function";
inline constexpr char kInvalidArgument[] = "function argument is invalid or in the wrong format";
inline constexpr char kTooManyArguments[] = "too many arguments passed to the function";
inline constexpr char kNotUsingAllWildcards[] = "not using all of the token wildcard(s)";

// Debian's Abseil has its own string_view; AlphaNum and hash lookups need it.
inline absl::string_view Absl(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

// "invalid mapping destination: <reason> in <token>" as InvalidArgument.
absl::Status DestinationError(std::string_view reason, std::string_view token);

// One mustache function: its name pattern (an upper-case letter matches either case, as in
// nats-server's `[sS]plit[fF]rom[lL]eft` regexps) and what it compiles to.
struct MappingFunction {
  const char* pattern;
  DestKind kind;
};
// In nats-server's lookup order (wildcard first, split last).
inline constexpr MappingFunction kMappingFunctions[] = {
    {"Wildcard", DestKind::kWildcard},
    {"Partition", DestKind::kPartition},
    {"SplitFromLeft", DestKind::kSplitFromLeft},
    {"SplitFromRight", DestKind::kSplitFromRight},
    {"SliceFromLeft", DestKind::kSliceFromLeft},
    {"SliceFromRight", DestKind::kSliceFromRight},
    {"Split", DestKind::kSplit},
};

// The argument text of the leftmost `{{\s*NAME\s*\((.*)\)\s*}}` in `token` (Go RE2 semantics:
// unanchored, greedy capture that cannot cross '\n'), or nullopt.
std::optional<std::string_view> FindFunctionArgs(std::string_view token, const char* pattern);
// Splits function arguments on `,\s*` (Go regexp.Split(s, -1)).
std::vector<std::string_view> SplitFunctionArgs(std::string_view args);
// strings.Trim(s, " ").
std::string_view TrimSpaces(std::string_view s);
// strconv.Atoi on a 64-bit platform: optional sign, decimal digits, no overflow.
bool ParseGoInt(std::string_view s, int64_t* out);
// Bytes in the UTF-8 sequence starting `s` (1 for an invalid byte), as Go's DecodeRuneInString.
size_t Utf8SequenceLength(std::string_view s);
// Longer than 4 bytes, starting with "{{" and ending with "}}".
bool IsMustache(std::string_view token);

// nats-server's ValidateMappingDestination.
absl::Status ValidateMappingDestination(std::string_view destination);

// nats-server's subjectInfo: validity (non-empty tokens, nothing after `>`), tokens, wildcards.
struct SubjectInfo {
  bool valid = false;
  std::vector<std::string_view> tokens;
  int partial_wildcards = 0;
  bool full_wildcard = false;
};
SubjectInfo AnalyzeSubject(std::string_view subject);

// nats-server's IsValidSubject (also rejects whitespace).
bool IsValidSubject(std::string_view subject);

// nats-server's isSubsetMatchTokenized(tokens, test): does the subject `tokens` fall under the
// pattern `test`. Quirk kept: a pattern token merely starting with '*' matches any token.
bool IsSubsetMatch(absl::Span<const std::string_view> tokens, const std::vector<std::string>& test);

}  // namespace lattice::mapping
