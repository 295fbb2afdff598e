// CONNECT JSON decoding with a SAX handler, so keys apply in document order (like Go's
// json.Unmarshal) and unknown values are validated but never materialised.
#include "dataplane/auth/connect_options.h"

#include <cstddef>
#include <limits>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace lattice::auth {
namespace {

enum class Kind : uint8_t { kBool, kString, kInt, kPermissions };

struct Field {
  std::string_view name;
  Kind kind;
  bool ConnectOptions::*bool_member;
  std::string ConnectOptions::*string_member;
  int64_t ConnectOptions::*int_member;
};

constexpr Field Bool(std::string_view n, bool ConnectOptions::*m) {
  return {n, Kind::kBool, m, nullptr, nullptr};
}
constexpr Field Str(std::string_view n, std::string ConnectOptions::*m) {
  return {n, Kind::kString, nullptr, m, nullptr};
}

// nats-server's ClientOpts json tags. "import"/"export" are route/leaf-only objects: a
// client may send them (Go would decode them), so they must be an object or null.
const Field kFields[] = {
    Bool("echo", &ConnectOptions::echo),
    Bool("verbose", &ConnectOptions::verbose),
    Bool("pedantic", &ConnectOptions::pedantic),
    Bool("tls_required", &ConnectOptions::tls_required),
    Str("nkey", &ConnectOptions::nkey),
    Str("jwt", &ConnectOptions::jwt),
    Str("sig", &ConnectOptions::sig),
    Str("auth_token", &ConnectOptions::auth_token),
    Str("user", &ConnectOptions::user),
    Str("pass", &ConnectOptions::pass),
    Str("name", &ConnectOptions::name),
    Str("lang", &ConnectOptions::lang),
    Str("version", &ConnectOptions::version),
    {"protocol", Kind::kInt, nullptr, nullptr, &ConnectOptions::protocol},
    Str("account", &ConnectOptions::account),
    Bool("new_account", &ConnectOptions::new_account),
    Bool("headers", &ConnectOptions::headers),
    Bool("no_responders", &ConnectOptions::no_responders),
    {"import", Kind::kPermissions, nullptr, nullptr, nullptr},
    {"export", Kind::kPermissions, nullptr, nullptr, nullptr},
};

bool AsciiEqualFold(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (absl::ascii_tolower(static_cast<unsigned char>(a[i])) !=
        absl::ascii_tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

const Field* FindField(std::string_view key) {
  for (const Field& f : kFields) {
    if (f.name == key) {
      return &f;
    }
  }
  for (const Field& f : kFields) {  // Go falls back to a case-insensitive match
    if (AsciiEqualFold(f.name, key)) {
      return &f;
    }
  }
  return nullptr;
}

// Receives parse events for the whole document and applies top-level keys to `opts`.
// Values nested below a top-level key are only counted (depth), never stored.
class Handler {
 public:
  using json = nlohmann::json;
  explicit Handler(ConnectOptions* opts) : opts_(opts) {}

  const std::string& error() const { return error_; }

  bool null() {
    // null leaves the field alone (Go semantics), also as the whole document.
    return true;
  }
  bool boolean(bool v) {
    if (!AtField()) {
      return TopLevelScalar();
    }
    if (field_ != nullptr) {
      if (field_->kind != Kind::kBool) {
        return TypeError("bool");
      }
      opts_->*(field_->bool_member) = v;
    }
    return true;
  }
  bool number_integer(json::number_integer_t v) { return Int(v, true); }
  bool number_unsigned(json::number_unsigned_t v) {
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return Int(0, false);
    }
    return Int(static_cast<int64_t>(v), true);
  }
  bool number_float(json::number_float_t, const json::string_t&) { return Int(0, false); }
  bool string(json::string_t& v) {
    if (!AtField()) {
      return TopLevelScalar();
    }
    if (field_ != nullptr) {
      if (field_->kind != Kind::kString) {
        return TypeError("string");
      }
      opts_->*(field_->string_member) = std::move(v);
    }
    return true;
  }
  bool binary(json::binary_t&) { return Fail("binary value"); }
  bool start_object(std::size_t) {
    if (depth_ == 0) {
      depth_ = 1;  // the CONNECT object itself
      return true;
    }
    if (depth_ == 1 && field_ != nullptr && field_->kind != Kind::kPermissions) {
      return TypeError("object");
    }
    ++depth_;
    return true;
  }
  bool key(json::string_t& k) {
    if (depth_ == 1) {
      field_ = FindField(k);
    }
    return true;
  }
  bool end_object() {
    --depth_;
    return true;
  }
  bool start_array(std::size_t) {
    if (depth_ == 0) {
      return Fail("top-level value is an array, not an object");
    }
    if (depth_ == 1 && field_ != nullptr) {
      return TypeError("array");
    }
    ++depth_;
    return true;
  }
  bool end_array() {
    --depth_;
    return true;
  }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception&) {
    if (error_.empty()) {
      error_ = absl::StrCat("malformed JSON near byte ", position);
    }
    return false;
  }

 private:
  // True when the value being delivered belongs directly to a top-level key.
  bool AtField() const { return depth_ == 1; }
  bool TopLevelScalar() {
    if (depth_ == 0) {
      return Fail("top-level value is not an object");
    }
    return true;  // nested inside an unknown/ignored value
  }
  bool Int(int64_t v, bool integral) {
    if (!AtField()) {
      return TopLevelScalar();
    }
    if (field_ == nullptr) {
      return true;
    }
    if (field_->kind != Kind::kInt || !integral) {
      return TypeError("number");
    }
    opts_->*(field_->int_member) = v;
    return true;
  }
  bool TypeError(std::string_view got) {
    return Fail(std::string("cannot decode ") + std::string(got) + " into field \"" +
                std::string(field_->name) + "\"");
  }
  bool Fail(std::string_view why) {
    if (error_.empty()) {
      error_ = std::string(why);
    }
    return false;
  }

  ConnectOptions* opts_;
  const Field* field_ = nullptr;  // the current top-level key's field; null = unknown key
  int depth_ = 0;
  std::string error_;
};

}  // namespace

absl::Status ParseConnectOptions(std::string_view json, ConnectOptions* opts) {
  // A raw NUL is never valid JSON (not even inside strings), but nlohmann's lexer reads it
  // as end of input and would accept `{}\0junk`; Go rejects it, so do we.
  if (json.find('\0') != std::string_view::npos) {
    return absl::InvalidArgumentError("CONNECT: NUL byte in JSON");
  }
  ConnectOptions parsed = *opts;
  Handler handler(&parsed);
  const char* begin = json.data();
  const char* end = json.data() + json.size();
  bool ok = nlohmann::json::sax_parse(begin, end, &handler, nlohmann::json::input_format_t::json,
                                      /*strict=*/true, /*ignore_comments=*/false);
  if (!ok) {
    return absl::InvalidArgumentError(
        absl::StrCat("CONNECT: ", handler.error().empty() ? "malformed JSON" : handler.error()));
  }
  *opts = std::move(parsed);
  return absl::OkStatus();
}

}  // namespace lattice::auth
