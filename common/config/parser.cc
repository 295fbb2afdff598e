// A single-pass recursive-descent parser for nats-server's config syntax (see parser.h).
#include "common/config/parser.h"

#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

#include "common/base/status_macros.h"

namespace lattice::config {
namespace {

constexpr int kMaxNesting = 64;  // maps/arrays inside each other
constexpr size_t kMaxIncludeDepth = 16;
constexpr int kMaxEnvDepth = 4;
// Values copied by `$variable` references; repeated references to large values could otherwise
// grow the tree exponentially ("billion laughs").
constexpr size_t kMaxCopiedValues = 1 << 20;  // environment values that reference more variables
constexpr int kEnd = -1;

// State shared by a file and everything it includes.
struct SharedState {
  std::vector<std::string> include_stack;  // canonical paths, outermost first
  int env_depth = 0;
  size_t copied_values = 0;
};

size_t CountValues(const ConfigValue& value) {
  size_t count = 1;
  if (value.is_array()) {
    for (const ConfigValue& element : value.array())
      count += CountValues(element);
  } else if (value.is_map()) {
    for (const ConfigValue::Entry& entry : value.entries())
      count += CountValues(entry.second);
  }
  return count;
}

bool IsBlank(int c) {
  return c == ' ' || c == '\t';
}
bool IsNewline(int c) {
  return c == '\n' || c == '\r';
}
bool IsSpace(int c) {
  return IsBlank(c) || IsNewline(c) || c == '\v' || c == '\f';
}
bool IsDigit(int c) {
  return c >= '0' && c <= '9';
}
bool IsKeySeparator(int c) {
  return c == '=' || c == ':';
}
bool IsSizeSuffix(int c) {
  return c > 0 && std::strchr("kKmMgGtTpPeE", c) != nullptr;
}
bool IsHex(int c) {
  return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// Where a number-like token stops being a number (nats-server's terminators, plus ']' so that
// `[1, 2]` yields two integers).
bool EndsNumber(int c) {
  return c == kEnd || IsNewline(c) || IsBlank(c) || c == '}' || c == ']' || c == ';' || c == ',';
}

std::string DirectoryOf(const std::string& file) {
  const size_t slash = file.rfind('/');
  if (slash == std::string::npos)
    return ".";
  return slash == 0 ? "/" : file.substr(0, slash);
}

std::string Printable(int c) {
  if (c == kEnd)
    return "end of file";
  if (c == '\n' || c == '\r')
    return "new line";
  if (c < 0x20 || c >= 0x7f)
    return absl::StrCat("byte 0x", absl::Hex(c & 0xff));
  return absl::StrCat("'", std::string(1, static_cast<char>(c)), "'");
}

constexpr off_t kMaxFileSize = 64 << 20;

// Reads a regular file (never a FIFO or device, which could block or never end).
absl::StatusOr<std::string> ReadFile(const std::string& path) {
  struct stat info;
  if (stat(path.c_str(), &info) != 0)
    return absl::NotFoundError(
        absl::StrCat("error opening config file '", path, "': ", std::strerror(errno)));
  if (!S_ISREG(info.st_mode))
    return absl::InvalidArgumentError(
        absl::StrCat("config file '", path, "' is not a regular file"));
  if (info.st_size > kMaxFileSize)
    return absl::InvalidArgumentError(
        absl::StrCat("config file '", path, "' is larger than ", kMaxFileSize, " bytes"));
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return absl::NotFoundError(
        absl::StrCat("error opening config file '", path, "': ", std::strerror(errno)));
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad())
    return absl::DataLossError(absl::StrCat("error reading config file '", path, "'"));
  return contents.str();
}

absl::StatusOr<ConfigValue> ParseWithState(absl::string_view text, const std::string& file,
                                           SharedState* state);

// Parses one file's text. Owner: the ParseWithState call. Thread: single use, one thread.
class Parser {
 public:
  Parser(absl::string_view text, std::string file, SharedState* state)
      : text_(text), file_(std::move(file)), state_(state) {}

  absl::StatusOr<ConfigValue> ParseTop() {
    ConfigValue root = ConfigValue::Map(Here());
    LATTICE_RETURN_IF_ERROR(ParseMapBody(&root, /*top=*/true, /*depth=*/0));
    return root;
  }

 private:
  int Peek(size_t ahead = 0) const {
    const size_t at = pos_ + ahead;
    return at < text_.size() ? static_cast<unsigned char>(text_[at]) : kEnd;
  }

  void Advance() {
    if (pos_ >= text_.size())
      return;
    if (text_[pos_] == '\n') {
      ++line_;
      column_ = 1;
    } else {
      ++column_;
    }
    ++pos_;
  }

  Location Here() const { return Location{file_, line_, column_}; }

  absl::Status ErrorAt(const Location& where, absl::string_view reason) const {
    return absl::InvalidArgumentError(absl::StrCat(where.ToString(), ": ", reason));
  }
  absl::Status ErrorHere(absl::string_view reason) const { return ErrorAt(Here(), reason); }

  bool AtComment() const { return Peek() == '#' || (Peek() == '/' && Peek(1) == '/'); }

  // Skips to the end of the line; the newline itself is left for the caller.
  void SkipComment() {
    while (Peek() != kEnd && !IsNewline(Peek()))
      Advance();
  }

  void SkipBlanks() {
    while (IsBlank(Peek()))
      Advance();
  }

  // Skips whitespace (newlines included) and comments.
  void SkipSpaceAndComments() {
    for (;;) {
      if (IsSpace(Peek())) {
        Advance();
      } else if (AtComment()) {
        SkipComment();
      } else {
        return;
      }
    }
  }

  // Entries of a map until '}' (nested) or end of input (top level).
  absl::Status ParseMapBody(ConfigValue* map, bool top, int depth) {
    const Location opened = map->location();
    scopes_.push_back(map);
    for (;;) {
      SkipSpaceAndComments();
      const int c = Peek();
      if (c == kEnd) {
        scopes_.pop_back();
        if (top)
          return absl::OkStatus();
        return ErrorHere(
            absl::StrCat("unexpected end of file inside the map opened at ", opened.ToString()));
      }
      if (c == '{' || c == '}') {
        if (top) {  // nats-server tolerates a whole file wrapped in braces
          Advance();
          continue;
        }
        if (c == '}') {
          Advance();
          scopes_.pop_back();
          return absl::OkStatus();
        }
      }
      if (IsKeySeparator(c))
        return ErrorHere(absl::StrCat("unexpected key separator ", Printable(c)));
      if (c == ']' || c == ',' || c == ';')
        return ErrorHere(absl::StrCat("expected a key, got ", Printable(c)));
      LATTICE_RETURN_IF_ERROR(ParseEntry(map, top, depth));
      LATTICE_ASSIGN_OR_RETURN(const bool closed, ParseValueEnd(top ? 0 : '}', "map"));
      if (closed) {
        scopes_.pop_back();
        return absl::OkStatus();
      }
    }
  }

  // After a value: blanks and a comment, then a newline, ',' or ';' (or `closer`, which is
  // consumed and reported as true). At the top level nats-server also accepts '}'.
  absl::StatusOr<bool> ParseValueEnd(int closer, absl::string_view what) {
    SkipBlanks();
    if (AtComment())
      SkipComment();
    const int c = Peek();
    if (c == kEnd || IsNewline(c) || c == ',' || c == ';') {
      Advance();
      return false;
    }
    if (closer != 0 && c == closer) {
      Advance();
      return true;
    }
    if (closer == 0 && c == '}') {
      Advance();
      return false;
    }
    return ErrorHere(absl::StrCat(
        "expected a new line, ',' or ';' after a ", what, " value",
        closer != 0 ? absl::StrCat(" or '", std::string(1, closer), "'") : std::string(), ", got ",
        Printable(c)));
  }

  absl::Status ParseEntry(ConfigValue* map, bool top, int depth) {
    const Location key_at = Here();
    bool bare = false;
    LATTICE_ASSIGN_OR_RETURN(std::string key, ParseKey(&bare));
    if (bare && absl::EqualsIgnoreCase(key, "include") && IsSpace(Peek()))
      return ParseInclude(map, key_at);

    while (IsSpace(Peek()))
      Advance();
    if (IsKeySeparator(Peek())) {
      Advance();
      // Inside maps nats-server lets the value start on a later line; at the top it must not.
      if (top) {
        SkipBlanks();
      } else {
        while (IsSpace(Peek()))
          Advance();
      }
    }
    if (Peek() == kEnd || (!top && (Peek() == '}' || Peek() == ',')))
      return ErrorHere(
          absl::StrCat("expected a value for key '", key, "', got ", Printable(Peek())));
    LATTICE_ASSIGN_OR_RETURN(ConfigValue value, ParseValue(depth));
    map->Set(std::move(key), std::move(value));
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> ParseKey(bool* bare) {
    const int quote = Peek();
    if (quote == '"' || quote == '\'') {
      const Location opened = Here();
      Advance();
      const size_t start = pos_;
      while (Peek() != quote) {
        if (Peek() == kEnd)
          return ErrorAt(opened, "unterminated quoted key");
        Advance();
      }
      std::string key(text_.substr(start, pos_ - start));
      Advance();
      *bare = false;
      return key;
    }
    const size_t start = pos_;
    while (Peek() != kEnd && !IsSpace(Peek()) && !IsKeySeparator(Peek()))
      Advance();
    *bare = true;
    return std::string(text_.substr(start, pos_ - start));
  }

  absl::Status ParseInclude(ConfigValue* map, const Location& key_at) {
    SkipBlanks();
    const Location value_at = Here();
    const int c = Peek();
    std::string name;
    if (c == '"' || c == '\'') {
      Advance();
      const size_t start = pos_;
      while (Peek() != c) {
        if (Peek() == kEnd)
          return ErrorAt(value_at, "unterminated quoted include file name");
        Advance();
      }
      name = std::string(text_.substr(start, pos_ - start));
      Advance();
    } else {
      if (c == kEnd || IsNewline(c) || c == '[' || c == '{' || c == '(' || c == '\\' || c == '-' ||
          IsDigit(c)) {
        return ErrorHere(absl::StrCat("expected an include file name, got ", Printable(c)));
      }
      const size_t start = pos_;
      while (Peek() != kEnd && !IsSpace(Peek()) && Peek() != ';' && Peek() != '}' && Peek() != '\'')
        Advance();
      name = std::string(text_.substr(start, pos_ - start));
      if (Peek() == '\'')
        Advance();
    }
    if (name.empty())
      return ErrorAt(value_at, "empty include file name");
    const std::string path = name[0] == '/' ? name : DirectoryOf(file_) + "/" + name;

    if (state_->include_stack.size() >= kMaxIncludeDepth)
      return ErrorAt(key_at, absl::StrCat("includes nested deeper than ", kMaxIncludeDepth));
    char resolved[PATH_MAX];
    if (realpath(path.c_str(), resolved) == nullptr) {
      return ErrorAt(value_at, absl::StrCat("error opening include file '", name,
                                            "': ", std::strerror(errno)));
    }
    for (const std::string& open : state_->include_stack) {
      if (open == resolved) {
        return ErrorAt(key_at,
                       absl::StrCat("include cycle: ", absl::StrJoin(state_->include_stack, " -> "),
                                    " -> ", resolved));
      }
    }
    absl::StatusOr<std::string> contents = ReadFile(resolved);
    if (!contents.ok())
      return ErrorAt(value_at, contents.status().message());
    state_->include_stack.push_back(resolved);
    absl::StatusOr<ConfigValue> included = ParseWithState(*contents, path, state_);
    state_->include_stack.pop_back();
    if (!included.ok()) {
      return ErrorAt(key_at, absl::StrCat("error parsing include file '", name,
                                          "': ", included.status().message()));
    }
    for (ConfigValue::Entry& entry : *included->mutable_entries())
      map->Set(std::move(entry.first), std::move(entry.second));
    return absl::OkStatus();
  }

  absl::StatusOr<ConfigValue> ParseValue(int depth) {
    if (depth >= kMaxNesting)
      return ErrorHere(absl::StrCat("values nested deeper than ", kMaxNesting));
    const Location at = Here();
    const int c = Peek();
    switch (c) {
      case '[':
        return ParseArray(depth + 1);
      case '{': {
        Advance();
        ConfigValue map = ConfigValue::Map(at);
        LATTICE_RETURN_IF_ERROR(ParseMapBody(&map, /*top=*/false, depth + 1));
        return map;
      }
      case '\'':
        return ParseSingleQuoted();
      case '"':
        return ParseDoubleQuoted();
      case '(':
        return ParseBlock();
      case '.':
        return ErrorHere("floats must start with a digit");
      case kEnd:
        return ErrorHere("expected a value, got end of file");
      default:
        break;
    }
    if (IsNewline(c))
      return ErrorHere("expected a value, got new line");
    if (c == '-' || IsDigit(c))
      return ParseNumberLike();
    return ParseBareString(pos_, at);
  }

  absl::StatusOr<ConfigValue> ParseArray(int depth) {
    const Location opened = Here();
    Advance();  // '['
    ConfigValue array = ConfigValue::Array(opened);
    for (;;) {
      SkipSpaceAndComments();
      const int c = Peek();
      if (c == ']') {
        Advance();
        return array;
      }
      if (c == kEnd)
        return ErrorHere(
            absl::StrCat("unexpected end of file inside the array opened at ", opened.ToString()));
      if (c == ',')
        return ErrorHere("unexpected ',' in array");
      LATTICE_ASSIGN_OR_RETURN(ConfigValue element, ParseValue(depth));
      array.Append(std::move(element));
      SkipBlanks();
      if (AtComment())
        SkipComment();
      const int end = Peek();
      if (end == ']') {
        Advance();
        return array;
      }
      if (end == ',' || IsNewline(end)) {
        Advance();
        continue;
      }
      if (end == kEnd)
        return ErrorHere(
            absl::StrCat("unexpected end of file inside the array opened at ", opened.ToString()));
      return ErrorHere(
          absl::StrCat("expected ',' or ']' after an array value, got ", Printable(end)));
    }
  }

  absl::StatusOr<ConfigValue> ParseSingleQuoted() {
    const Location opened = Here();
    Advance();
    const size_t start = pos_;
    while (Peek() != '\'') {
      if (Peek() == kEnd)
        return ErrorAt(opened, "unterminated single-quoted string");
      Advance();
    }
    std::string value(text_.substr(start, pos_ - start));
    Advance();
    return ConfigValue::String(std::move(value), opened);
  }

  // Consumes one escape sequence after '\' and appends its meaning to `out`.
  absl::Status ParseEscape(std::string* out) {
    const Location at = Here();
    Advance();  // '\'
    const int c = Peek();
    switch (c) {
      case 't':
        out->push_back('\t');
        break;
      case 'n':
        out->push_back('\n');
        break;
      case 'r':
        out->push_back('\r');
        break;
      case '"':
        out->push_back('"');
        break;
      case '\\':
        out->push_back('\\');
        break;
      case 'x': {
        if (!IsHex(Peek(1)) || !IsHex(Peek(2)))
          return ErrorAt(at, "expected two hexadecimal digits after '\\x'");
        auto hex_value = [](int h) { return IsDigit(h) ? h - '0' : (h | 0x20) - 'a' + 10; };
        out->push_back(static_cast<char>(hex_value(Peek(1)) * 16 + hex_value(Peek(2))));
        Advance();
        Advance();
        break;
      }
      default:
        return ErrorAt(at, absl::StrCat("invalid escape ", Printable(c),
                                        "; allowed: \\xHH \\t \\n \\r \\\" \\\\"));
    }
    Advance();
    return absl::OkStatus();
  }

  absl::StatusOr<ConfigValue> ParseDoubleQuoted() {
    const Location opened = Here();
    Advance();
    std::string value;
    for (;;) {
      const int c = Peek();
      if (c == kEnd)
        return ErrorAt(opened, "unterminated double-quoted string");
      if (c == '"') {
        Advance();
        return ConfigValue::String(std::move(value), opened);
      }
      if (c == '\\') {
        LATTICE_RETURN_IF_ERROR(ParseEscape(&value));
        continue;
      }
      value.push_back(static_cast<char>(c));
      Advance();
    }
  }

  // `( ... )`: raw text up to a line holding only ')'.
  absl::StatusOr<ConfigValue> ParseBlock() {
    const Location opened = Here();
    Advance();
    const size_t start = pos_;
    for (size_t at = text_.find("\n)", start); at != absl::string_view::npos;
         at = text_.find("\n)", at + 1)) {
      const size_t after = at + 2;
      if (after == text_.size() || text_[after] == '\n') {
        std::string value(text_.substr(start, at - start));
        while (pos_ < after)
          Advance();
        return ConfigValue::String(std::move(value), opened);
      }
    }
    return ErrorAt(opened, "unterminated block: expected ')' alone on a line");
  }

  // A bare string from `start` (which may be before pos_ when a number turned out to be text).
  absl::StatusOr<ConfigValue> ParseBareString(size_t start, const Location& at) {
    std::string value(text_.substr(start, pos_ - start));
    bool escaped = false;
    for (;;) {
      const int c = Peek();
      if (c == '\\') {
        LATTICE_RETURN_IF_ERROR(ParseEscape(&value));
        escaped = true;
        continue;
      }
      if (c == kEnd || IsNewline(c) || IsBlank(c) || c == ';' || c == ',' || c == ']' || c == '}')
        break;
      if (c == '\'') {  // nats-server ends a bare string at a quote and drops the quote
        Advance();
        break;
      }
      value.push_back(static_cast<char>(c));
      Advance();
    }
    if (escaped)
      return ConfigValue::String(std::move(value), at);
    const std::string lower = absl::AsciiStrToLower(value);
    if (lower == "true" || lower == "yes" || lower == "on")
      return ConfigValue::Bool(true, at);
    if (lower == "false" || lower == "no" || lower == "off")
      return ConfigValue::Bool(false, at);
    if (!value.empty() && value[0] == '$')
      return ResolveVariable(value.substr(1), at);
    return ConfigValue::String(std::move(value), at);
  }

  // Integers (with size suffixes), floats, datetimes, IP addresses, or text that starts with
  // a digit such as "1h30m" or "10s".
  absl::StatusOr<ConfigValue> ParseNumberLike() {
    const Location at = Here();
    const size_t start = pos_;
    const bool negative = Peek() == '-';
    if (negative) {
      Advance();
      if (!IsDigit(Peek()))
        return ErrorHere(absl::StrCat("expected a digit after '-', got ", Printable(Peek())));
    }
    while (IsDigit(Peek()))
      Advance();
    const size_t digits_end = pos_;
    const int c = Peek();
    if (c == '-' && !negative) {
      if (pos_ - start != 4)
        return ErrorHere("ISO8601 dates must be in full Zulu form (YYYY-MM-DDTHH:MM:SSZ)");
      return ParseDatetime(start, at);
    }
    if (c == '.') {
      Advance();
      if (!IsDigit(Peek()))
        return ErrorHere(
            absl::StrCat("expected a digit after '.' in a float, got ", Printable(Peek())));
      while (IsDigit(Peek()))
        Advance();
      if (Peek() == '.') {  // an IP address such as 127.0.0.1:4222
        while (IsDigit(Peek()) || Peek() == '.' || Peek() == ':' || Peek() == '-')
          Advance();
        return ConfigValue::String(std::string(text_.substr(start, pos_ - start)), at);
      }
      double number = 0;
      const std::string literal(text_.substr(start, pos_ - start));
      if (!absl::SimpleAtod(literal, &number) || number == HUGE_VAL || number == -HUGE_VAL)
        return ErrorAt(at, absl::StrCat("float '", literal, "' is out of range"));
      return ConfigValue::Float(number, at);
    }
    if (IsSizeSuffix(c)) {
      Advance();
      while (Peek() == 'b' || Peek() == 'B' || Peek() == 'i' || Peek() == 'I')
        Advance();
      if (!EndsNumber(Peek()))
        return ParseBareString(start, at);
      return MakeInteger(start, digits_end, at);
    }
    if (negative || EndsNumber(c))
      return MakeInteger(start, digits_end, at);
    return ParseBareString(start, at);
  }

  absl::StatusOr<ConfigValue> MakeInteger(size_t start, size_t digits_end, const Location& at) {
    const absl::string_view literal = text_.substr(start, pos_ - start);
    int64_t number = 0;
    if (!absl::SimpleAtoi(text_.substr(start, digits_end - start), &number))
      return ErrorAt(at, absl::StrCat("integer '", literal, "' is out of range"));
    absl::StatusOr<int64_t> scaled =
        ApplySizeSuffix(number, text_.substr(digits_end, pos_ - digits_end));
    if (!scaled.ok())
      return ErrorAt(at, scaled.status().message());
    return ConfigValue::Integer(*scaled, at);
  }

  absl::StatusOr<ConfigValue> ParseDatetime(size_t start, const Location& at) {
    static constexpr absl::string_view kShape = "-00-00T00:00:00Z";  // after "YYYY"
    for (const char want : kShape) {
      const int c = Peek();
      if (want == '0' ? !IsDigit(c) : c != want) {
        return ErrorHere(absl::StrCat(
            "expected ", want == '0' ? "a digit" : absl::StrCat("'", std::string(1, want), "'"),
            " in ISO8601 datetime, got ", Printable(c)));
      }
      Advance();
    }
    return ConfigValue::Datetime(std::string(text_.substr(start, pos_ - start)), at);
  }

  // `$name`: the innermost enclosing map that already defines `name` (exact case, as
  // nats-server), else the environment variable, parsed as a value. Raw bcrypt hashes
  // (`$2a$...`) are plain strings.
  absl::StatusOr<ConfigValue> ResolveVariable(const std::string& name, const Location& at) {
    if (absl::StartsWith(name, "2a$"))
      return ConfigValue::String("$" + name, at);
    if (name.empty())
      return ErrorAt(at, "empty variable reference '$'");
    for (auto scope = scopes_.rbegin(); scope != scopes_.rend(); ++scope) {
      ConfigValue* defined = FindExact(*scope, name);
      if (defined != nullptr) {
        defined->MarkUsedAsVariable();
        state_->copied_values += CountValues(*defined);
        if (state_->copied_values > kMaxCopiedValues)
          return ErrorAt(
              at, absl::StrCat("variable references copy more than ", kMaxCopiedValues, " values"));
        ConfigValue copy = *defined;
        copy.set_location(at);
        return copy;
      }
    }
    const char* env = std::getenv(name.c_str());
    if (env == nullptr)
      return ErrorAt(at, absl::StrCat("variable reference '$", name, "' can not be found"));
    if (*env == '\0')
      return ConfigValue::String("", at);
    if (state_->env_depth >= kMaxEnvDepth)
      return ErrorAt(
          at, absl::StrCat("environment variable '", name, "' references variables too deeply"));
    ++state_->env_depth;
    absl::StatusOr<ConfigValue> parsed =
        ParseWithState(absl::StrCat("pk=", env), absl::StrCat("<env $", name, ">"), state_);
    --state_->env_depth;
    if (!parsed.ok()) {
      return ErrorAt(at, absl::StrCat("variable reference '$", name,
                                      "' could not be parsed: ", parsed.status().message()));
    }
    const ConfigValue* value = parsed->Find("pk");
    if (value == nullptr)
      return ErrorAt(at, absl::StrCat("variable reference '$", name, "' has no value"));
    ConfigValue copy = *value;
    copy.set_location(at);
    return copy;
  }

  static ConfigValue* FindExact(ConfigValue* map, const std::string& name) {
    for (ConfigValue::Entry& entry : *map->mutable_entries()) {
      if (entry.first == name)
        return &entry.second;
    }
    return nullptr;
  }

  absl::string_view text_;
  std::string file_;
  SharedState* state_;
  size_t pos_ = 0;
  int line_ = 1;
  int column_ = 1;
  std::vector<ConfigValue*> scopes_;  // maps under construction, outermost first
};

absl::StatusOr<ConfigValue> ParseWithState(absl::string_view text, const std::string& file,
                                           SharedState* state) {
  Parser parser(text, file, state);
  return parser.ParseTop();
}

}  // namespace

absl::StatusOr<ConfigValue> ParseConfigFile(const std::string& path) {
  char resolved[PATH_MAX];
  if (realpath(path.c_str(), resolved) == nullptr)
    return absl::NotFoundError(
        absl::StrCat("error opening config file '", path, "': ", std::strerror(errno)));
  LATTICE_ASSIGN_OR_RETURN(std::string contents, ReadFile(resolved));
  SharedState state;
  state.include_stack.push_back(resolved);
  return ParseWithState(contents, path, &state);
}

absl::StatusOr<ConfigValue> ParseConfigString(absl::string_view text,
                                              const std::string& virtual_filename) {
  SharedState state;
  return ParseWithState(text, virtual_filename, &state);
}

}  // namespace lattice::config
