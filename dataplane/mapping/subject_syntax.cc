// nats-server's subject and mapping-destination syntax rules, re-expressed without regexps.
#include "dataplane/mapping/subject_syntax.h"

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace lattice::mapping {
namespace {

// Go RE2's \s.
bool IsGoSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

size_t SkipGoSpaces(std::string_view s, size_t pos) {
  while (pos < s.size() && IsGoSpace(s[pos])) {
    ++pos;
  }
  return pos;
}

// Matches `pattern` at `pos` (upper-case pattern letters accept either case); returns the end.
std::optional<size_t> MatchName(std::string_view s, size_t pos, const char* pattern) {
  for (const char* p = pattern; *p != '\0'; ++p, ++pos) {
    if (pos >= s.size()) {
      return std::nullopt;
    }
    const char want = *p;
    const char got = s[pos];
    bool upper = want >= 'A' && want <= 'Z';
    if (got != want && !(upper && got == want - 'A' + 'a')) {
      return std::nullopt;
    }
  }
  return pos;
}

bool Continuation(unsigned char c) {
  return c >= 0x80 && c <= 0xBF;
}

}  // namespace

absl::Status DestinationError(std::string_view reason, std::string_view token) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid mapping destination: ", Absl(reason), " in ", Absl(token)));
}

std::optional<std::string_view> FindFunctionArgs(std::string_view token, const char* pattern) {
  for (size_t start = 0; start + 1 < token.size(); ++start) {
    if (token[start] != '{' || token[start + 1] != '{') {
      continue;
    }
    size_t pos = SkipGoSpaces(token, start + 2);
    std::optional<size_t> name_end = MatchName(token, pos, pattern);
    if (!name_end.has_value()) {
      continue;
    }
    pos = SkipGoSpaces(token, *name_end);
    if (pos >= token.size() || token[pos] != '(') {
      continue;
    }
    const size_t open = pos + 1;
    size_t limit = token.find('\n', open);  // `.` does not match a newline
    if (limit == std::string_view::npos) {
      limit = token.size();
    }
    // Greedy: the longest capture [open, close) followed by `\)\s*}}`.
    for (size_t close = limit + 1; close-- > open;) {
      if (close >= token.size() || token[close] != ')') {
        continue;
      }
      size_t after = SkipGoSpaces(token, close + 1);
      if (after + 1 < token.size() && token[after] == '}' && token[after + 1] == '}') {
        return token.substr(open, close - open);
      }
    }
  }
  return std::nullopt;
}

std::vector<std::string_view> SplitFunctionArgs(std::string_view args) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t comma = args.find(',', start);
    if (comma == std::string_view::npos) {
      out.push_back(args.substr(start));
      return out;
    }
    out.push_back(args.substr(start, comma - start));
    start = SkipGoSpaces(args, comma + 1);
  }
}

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && s.front() == ' ') {
    s.remove_prefix(1);
  }
  while (!s.empty() && s.back() == ' ') {
    s.remove_suffix(1);
  }
  return s;
}

bool ParseGoInt(std::string_view s, int64_t* out) {
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) {
    return false;
  }
  // Accumulate as a negative number so INT64_MIN parses.
  int64_t value = 0;
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  for (char c : s) {
    if (c < '0' || c > '9') {
      return false;
    }
    int digit = c - '0';
    if (value < (kMin + digit) / 10) {
      return false;
    }
    value = value * 10 - digit;
  }
  if (!negative) {
    if (value == kMin) {
      return false;
    }
    value = -value;
  }
  *out = value;
  return true;
}

size_t Utf8SequenceLength(std::string_view s) {
  if (s.empty()) {
    return 0;
  }
  const unsigned char b0 = static_cast<unsigned char>(s[0]);
  auto at = [&s](size_t i) { return static_cast<unsigned char>(s[i]); };
  if (b0 < 0x80) {
    return 1;
  }
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    return s.size() >= 2 && Continuation(at(1)) ? 2 : 1;
  }
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (s.size() < 3) {
      return 1;
    }
    unsigned char lo = b0 == 0xE0 ? 0xA0 : 0x80;
    unsigned char hi = b0 == 0xED ? 0x9F : 0xBF;
    return at(1) >= lo && at(1) <= hi && Continuation(at(2)) ? 3 : 1;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (s.size() < 4) {
      return 1;
    }
    unsigned char lo = b0 == 0xF0 ? 0x90 : 0x80;
    unsigned char hi = b0 == 0xF4 ? 0x8F : 0xBF;
    return at(1) >= lo && at(1) <= hi && Continuation(at(2)) && Continuation(at(3)) ? 4 : 1;
  }
  return 1;
}

bool IsMustache(std::string_view token) {
  const size_t n = token.size();
  return n > 4 && token[0] == '{' && token[1] == '{' && token[n - 2] == '}' && token[n - 1] == '}';
}

absl::Status ValidateMappingDestination(std::string_view destination) {
  bool after_fwc = false;
  size_t start = 0;
  while (true) {
    size_t dot = destination.find('.', start);
    std::string_view t = destination.substr(
        start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (t.empty() || after_fwc) {
      return DestinationError(kInvalidDestinationSubject, t);
    }
    if (IsMustache(t)) {
      bool known = false;
      for (const MappingFunction& f : kMappingFunctions) {
        if (FindFunctionArgs(t, f.pattern).has_value()) {
          known = true;
          break;
        }
      }
      if (!known) {
        return DestinationError(kUnknownFunction, t);
      }
    } else if (t == ">") {
      after_fwc = true;
    } else if (t.find_first_of("\t\n\f\r ") != std::string_view::npos) {
      return absl::InvalidArgumentError("invalid mapping destination: invalid subject");
    }
    if (dot == std::string_view::npos) {
      return absl::OkStatus();
    }
    start = dot + 1;
  }
}

SubjectInfo AnalyzeSubject(std::string_view subject) {
  SubjectInfo info;
  if (subject.empty()) {
    return info;
  }
  TokenizeSubject(subject, &info.tokens);
  for (std::string_view t : info.tokens) {
    if (t.empty() || info.full_wildcard) {
      return SubjectInfo{};
    }
    if (t == ">") {
      info.full_wildcard = true;
    } else if (t == "*") {
      ++info.partial_wildcards;
    }
  }
  info.valid = true;
  return info;
}

bool IsValidSubject(std::string_view subject) {
  if (subject.empty()) {
    return false;
  }
  bool after_fwc = false;
  size_t start = 0;
  while (true) {
    size_t dot = subject.find('.', start);
    std::string_view t =
        subject.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (t.empty() || after_fwc) {
      return false;
    }
    if (t.find_first_of("\t\n\f\r ") != std::string_view::npos) {
      return false;
    }
    if (t == ">") {
      after_fwc = true;
    }
    if (dot == std::string_view::npos) {
      return true;
    }
    start = dot + 1;
  }
}

bool IsSubsetMatch(absl::Span<const std::string_view> tokens,
                   const std::vector<std::string>& test) {
  for (size_t i = 0; i < test.size(); ++i) {
    if (i >= tokens.size()) {
      return false;
    }
    const std::string& t2 = test[i];
    if (t2.empty()) {
      return false;
    }
    if (t2 == ">") {
      return true;
    }
    std::string_view t1 = tokens[i];
    if (t1.empty() || t1 == ">") {
      return false;
    }
    if (t1 == "*") {
      if (t2 != "*") {
        return false;
      }
      continue;
    }
    if (t2[0] != '*' && t1 != t2) {
      return false;
    }
  }
  return tokens.size() == test.size();
}

}  // namespace lattice::mapping
