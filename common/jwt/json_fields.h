// Type-checked reads and omit-empty writes of JSON object fields, shared by the claim codecs.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "nlohmann/json.hpp"

namespace lattice::jwt::internal {

using Json = nlohmann::json;

// Readers: a missing key (or JSON null) leaves `out` untouched and returns OK; a value of the
// wrong type returns InvalidArgument naming the field. `obj` must be an object.
absl::Status ReadString(const Json& obj, std::string_view key, std::string* out);
absl::Status ReadInt(const Json& obj, std::string_view key, int64_t* out);
absl::Status ReadBool(const Json& obj, std::string_view key, bool* out);
absl::Status ReadStringList(const Json& obj, std::string_view key, std::vector<std::string>* out);
absl::Status ReadIntMap(const Json& obj, std::string_view key, std::map<std::string, int64_t>* out);
// Points `out` at the object stored under `key`, or nullptr when absent; error when not an object.
absl::Status ReadObject(const Json& obj, std::string_view key, const Json** out);
// As ReadObject for arrays.
absl::Status ReadArray(const Json& obj, std::string_view key, const Json** out);

// Writers mirror Go's `omitempty`: the key is erased when the value is empty/zero/false.
void WriteString(Json& obj, std::string_view key, const std::string& value);
void WriteInt(Json& obj, std::string_view key, int64_t value);
void WriteBool(Json& obj, std::string_view key, bool value);
void WriteStringList(Json& obj, std::string_view key, const std::vector<std::string>& value);
void WriteIntMap(Json& obj, std::string_view key, const std::map<std::string, int64_t>& value);
// Sets `key` to `value` unless it is an empty object/array/null, in which case it is erased.
void WriteValue(Json& obj, std::string_view key, Json value);

// `obj` when it is an object, else an empty object: the base onto which known fields are
// overlaid so that unknown fields survive a decode/encode round trip.
Json ObjectOrEmpty(const Json& obj);

// Serializes without throwing (invalid UTF-8 is replaced, not rejected).
std::string Dump(const Json& value);

// Quotes `s` the way Go's encoding/json does (HTML-safe escapes, \u2028/\u2029), so hashes over
// JSON text match those computed by the NATS Go library.
std::string GoQuote(std::string_view s);

}  // namespace lattice::jwt::internal
