// Type-checked JSON field access for the claim codecs; never throws.
#include "common/jwt/json_fields.h"

#include <utility>

namespace lattice::jwt::internal {
namespace {

const Json* Find(const Json& obj, std::string_view key) {
  if (!obj.is_object())
    return nullptr;
  auto it = obj.find(std::string(key));
  if (it == obj.end() || it->is_null())
    return nullptr;
  return &*it;
}

absl::Status WrongType(std::string_view key, std::string_view want) {
  return absl::InvalidArgumentError("jwt: field \"" + std::string(key) + "\" must be " +
                                    std::string(want));
}

bool ToInt64(const Json& value, int64_t* out) {
  if (value.is_number_unsigned()) {
    uint64_t u = value.get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX))
      return false;
    *out = static_cast<int64_t>(u);
    return true;
  }
  if (value.is_number_integer()) {
    *out = value.get<int64_t>();
    return true;
  }
  return false;
}

}  // namespace

absl::Status ReadString(const Json& obj, std::string_view key, std::string* out) {
  const Json* value = Find(obj, key);
  if (value == nullptr)
    return absl::OkStatus();
  if (!value->is_string())
    return WrongType(key, "a string");
  *out = value->get<std::string>();
  return absl::OkStatus();
}

absl::Status ReadInt(const Json& obj, std::string_view key, int64_t* out) {
  const Json* value = Find(obj, key);
  if (value == nullptr)
    return absl::OkStatus();
  if (!ToInt64(*value, out))
    return WrongType(key, "an integer");
  return absl::OkStatus();
}

absl::Status ReadBool(const Json& obj, std::string_view key, bool* out) {
  const Json* value = Find(obj, key);
  if (value == nullptr)
    return absl::OkStatus();
  if (!value->is_boolean())
    return WrongType(key, "a boolean");
  *out = value->get<bool>();
  return absl::OkStatus();
}

absl::Status ReadStringList(const Json& obj, std::string_view key, std::vector<std::string>* out) {
  const Json* value = Find(obj, key);
  if (value == nullptr)
    return absl::OkStatus();
  if (!value->is_array())
    return WrongType(key, "an array of strings");
  out->clear();
  for (const Json& item : *value) {
    if (!item.is_string())
      return WrongType(key, "an array of strings");
    out->push_back(item.get<std::string>());
  }
  return absl::OkStatus();
}

absl::Status ReadIntMap(const Json& obj, std::string_view key,
                        std::map<std::string, int64_t>* out) {
  const Json* value = Find(obj, key);
  if (value == nullptr)
    return absl::OkStatus();
  if (!value->is_object())
    return WrongType(key, "an object of integers");
  out->clear();
  for (auto it = value->begin(); it != value->end(); ++it) {
    int64_t n = 0;
    if (!ToInt64(it.value(), &n))
      return WrongType(key, "an object of integers");
    (*out)[it.key()] = n;
  }
  return absl::OkStatus();
}

absl::Status ReadObject(const Json& obj, std::string_view key, const Json** out) {
  *out = Find(obj, key);
  if (*out != nullptr && !(*out)->is_object()) {
    *out = nullptr;
    return WrongType(key, "an object");
  }
  return absl::OkStatus();
}

absl::Status ReadArray(const Json& obj, std::string_view key, const Json** out) {
  *out = Find(obj, key);
  if (*out != nullptr && !(*out)->is_array()) {
    *out = nullptr;
    return WrongType(key, "an array");
  }
  return absl::OkStatus();
}

void WriteString(Json& obj, std::string_view key, const std::string& value) {
  if (value.empty())
    obj.erase(std::string(key));
  else
    obj[std::string(key)] = value;
}

void WriteInt(Json& obj, std::string_view key, int64_t value) {
  if (value == 0)
    obj.erase(std::string(key));
  else
    obj[std::string(key)] = value;
}

void WriteBool(Json& obj, std::string_view key, bool value) {
  if (!value)
    obj.erase(std::string(key));
  else
    obj[std::string(key)] = true;
}

void WriteStringList(Json& obj, std::string_view key, const std::vector<std::string>& value) {
  if (value.empty())
    obj.erase(std::string(key));
  else
    obj[std::string(key)] = value;
}

void WriteIntMap(Json& obj, std::string_view key, const std::map<std::string, int64_t>& value) {
  if (value.empty()) {
    obj.erase(std::string(key));
    return;
  }
  Json m = Json::object();
  for (const auto& [k, v] : value)
    m[k] = v;
  obj[std::string(key)] = std::move(m);
}

void WriteValue(Json& obj, std::string_view key, Json value) {
  if (value.is_null() || ((value.is_object() || value.is_array()) && value.empty()))
    obj.erase(std::string(key));
  else
    obj[std::string(key)] = std::move(value);
}

Json ObjectOrEmpty(const Json& obj) {
  return obj.is_object() ? obj : Json::object();
}

std::string Dump(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string GoQuote(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c == '"' || c == '\\') {
        out.push_back('\\');
        out.push_back(static_cast<char>(c));
      } else if (c == '\n') {
        out += "\\n";
      } else if (c == '\r') {
        out += "\\r";
      } else if (c == '\t') {
        out += "\\t";
      } else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
        out += "\\u00";
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 0xf]);
      } else {
        out.push_back(static_cast<char>(c));
      }
      ++i;
      continue;
    }
    // Multi-byte UTF-8: copy valid sequences, replace invalid bytes with U+FFFD as Go does.
    size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
    bool valid = len != 0 && c < 0xf5 && c >= 0xc2 && i + len <= s.size();
    uint32_t cp = len == 2 ? (c & 0x1f) : len == 3 ? (c & 0x0f) : (c & 0x07);
    for (size_t k = 1; valid && k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80)
        valid = false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (valid && ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
                  (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))) {
      valid = false;
    }
    if (!valid) {
      out += "\\ufffd";
      ++i;
      continue;
    }
    if (cp == 0x2028 || cp == 0x2029) {
      out += cp == 0x2028 ? "\\u2028" : "\\u2029";
    } else {
      out.append(s.substr(i, len));
    }
    i += len;
  }
  out.push_back('"');
  return out;
}

}  // namespace lattice::jwt::internal
