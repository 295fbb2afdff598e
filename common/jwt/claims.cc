// JWT v2 compact serialization, claim (de)coding and Ed25519 signing/verification.
#include "common/jwt/claims.h"

#include <chrono>
#include <utility>

#include <openssl/evp.h>
#include <sodium.h>

#include "common/base/status_macros.h"
#include "common/encoding/base32.h"
#include "common/jwt/json_fields.h"

namespace lattice::jwt {

using internal::ReadArray;
using internal::ReadBool;
using internal::ReadInt;
using internal::ReadIntMap;
using internal::ReadObject;
using internal::ReadString;
using internal::ReadStringList;
using internal::WriteBool;
using internal::WriteInt;
using internal::WriteIntMap;
using internal::WriteString;
using internal::WriteStringList;
using internal::WriteValue;

namespace {

constexpr size_t kMaxTokenSize = 4 << 20;
constexpr int kMaxJsonDepth = 64;
constexpr std::string_view kHeader = R"({"typ":"JWT","alg":"ed25519-nkey"})";

absl::Status Invalid(std::string message) {
  return absl::InvalidArgumentError("jwt: " + std::move(message));
}

std::string Base64UrlEncode(std::string_view bytes) {
  size_t len = sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  std::string out(len, '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(len - 1);  // drop the terminating NUL
  return out;
}

std::optional<std::string> Base64UrlDecode(std::string_view text) {
  std::string out(text.size() * 3 / 4 + 3, '\0');
  size_t written = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &written, &end,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      end != text.data() + text.size()) {
    return std::nullopt;
  }
  out.resize(written);
  return out;
}

// Rejects JSON nested deeper than kMaxJsonDepth before it reaches the parser, so hostile
// tokens cannot exhaust the stack in recursive JSON code.
bool DepthWithinLimit(std::string_view text) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > kMaxJsonDepth)
        return false;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return true;
}

absl::StatusOr<Json> ParseObject(std::string_view text, std::string_view what) {
  if (!DepthWithinLimit(text))
    return Invalid(std::string(what) + " is nested too deeply");
  Json value = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded())
    return Invalid(std::string(what) + " is not valid JSON");
  if (!value.is_object())
    return Invalid(std::string(what) + " is not a JSON object");
  return value;
}

std::string AsciiUpper(std::string s) {
  for (char& c : s)
    c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  return s;
}

std::string AsciiLower(std::string s) {
  for (char& c : s)
    c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  return s;
}

absl::StatusOr<ClaimType> ClaimTypeFromName(const std::string& name) {
  if (name == "operator")
    return ClaimType::kOperator;
  if (name == "account")
    return ClaimType::kAccount;
  if (name == "user")
    return ClaimType::kUser;
  if (name == "activation")
    return ClaimType::kActivation;
  return Invalid("unsupported claim type \"" + name + "\"");
}

absl::Status DecodeStandard(const Json& payload, StandardClaims* out) {
  LATTICE_RETURN_IF_ERROR(ReadString(payload, "aud", &out->audience));
  LATTICE_RETURN_IF_ERROR(ReadInt(payload, "exp", &out->expires));
  LATTICE_RETURN_IF_ERROR(ReadString(payload, "jti", &out->id));
  LATTICE_RETURN_IF_ERROR(ReadInt(payload, "iat", &out->issued_at));
  LATTICE_RETURN_IF_ERROR(ReadString(payload, "iss", &out->issuer));
  LATTICE_RETURN_IF_ERROR(ReadString(payload, "name", &out->name));
  LATTICE_RETURN_IF_ERROR(ReadInt(payload, "nbf", &out->not_before));
  return ReadString(payload, "sub", &out->subject);
}

void EncodeStandard(const StandardClaims& in, Json& out) {
  WriteString(out, "aud", in.audience);
  WriteInt(out, "exp", in.expires);
  WriteString(out, "jti", in.id);
  WriteInt(out, "iat", in.issued_at);
  WriteString(out, "iss", in.issuer);
  WriteString(out, "name", in.name);
  WriteInt(out, "nbf", in.not_before);
  WriteString(out, "sub", in.subject);
}

// Checks that `key` is a public key of one of `kinds`, naming `field` in the error.
absl::Status CheckKind(const std::string& key, std::initializer_list<nkeys::KeyType> kinds,
                       std::string_view field) {
  absl::StatusOr<nkeys::PublicKey> parsed = nkeys::PublicKey::Parse(key);
  if (!parsed.ok())
    return Invalid(std::string(field) + " \"" + key + "\" is not a valid public key");
  std::string want;
  for (nkeys::KeyType kind : kinds) {
    if (parsed->type() == kind)
      return absl::OkStatus();
    want += (want.empty() ? "" : " or ") + std::string(nkeys::KeyTypeName(kind));
  }
  return Invalid(std::string(field) + " must be " + want + " key, got " +
                 std::string(nkeys::KeyTypeName(parsed->type())) + " key");
}

// Json for the "nats" block of `raw` with the generic fields overlaid.
Json NatsBase(const Json& raw, const GenericFields& generic, ClaimType type) {
  Json nats = Json::object();
  if (raw.is_object()) {
    auto it = raw.find("nats");
    if (it != raw.end() && it->is_object())
      nats = *it;
  }
  WriteStringList(nats, "tags", generic.tags);
  nats["type"] = std::string(ClaimTypeName(type));
  nats["version"] = 2;
  return nats;
}

template <typename C>
Json PayloadBase(const C& claims) {
  Json out = internal::ObjectOrEmpty(claims.raw);
  EncodeStandard(claims.std, out);
  return out;
}

std::string Sha512_256(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha512_256(), nullptr);
  return std::string(reinterpret_cast<char*>(digest), len);
}

template <typename C>
absl::StatusOr<std::string> EncodeClaims(C& claims, const nkeys::KeyPair& signer, int64_t now,
                                         std::initializer_list<nkeys::KeyType> signer_kinds) {
  if (claims.std.subject.empty())
    return Invalid("subject is not set");
  bool kind_ok = false;
  for (nkeys::KeyType kind : signer_kinds)
    kind_ok = kind_ok || signer.type() == kind;
  if (!kind_ok) {
    return Invalid(std::string(ClaimTypeName(C::kClaimType)) + " claims cannot be signed by " +
                   std::string(nkeys::KeyTypeName(signer.type())) + " key");
  }
  claims.std.issuer = signer.public_key().str();
  claims.std.issued_at = now;
  claims.std.id = ComputeJti(claims.std);
  claims.generic.version = 2;
  std::string signing_input =
      Base64UrlEncode(kHeader) + "." + Base64UrlEncode(internal::Dump(ToJson(claims)));
  LATTICE_ASSIGN_OR_RETURN(std::string signature, signer.Sign(signing_input));
  return signing_input + "." + Base64UrlEncode(signature);
}

absl::Status DecodeGeneric(const Json& nats, GenericFields* out) {
  LATTICE_RETURN_IF_ERROR(ReadStringList(nats, "tags", &out->tags));
  return ReadInt(nats, "version", &out->version);
}

template <typename C>
absl::StatusOr<C> DecodeTyped(std::string_view token) {
  LATTICE_ASSIGN_OR_RETURN(VerifiedToken verified, DecodeVerified(token));
  if (verified.type != C::kClaimType) {
    return Invalid("expected " + std::string(ClaimTypeName(C::kClaimType)) + " claims, got " +
                   std::string(ClaimTypeName(verified.type)));
  }
  C claims;
  LATTICE_RETURN_IF_ERROR(DecodeStandard(verified.payload, &claims.std));
  const Json& nats = verified.payload["nats"];
  LATTICE_RETURN_IF_ERROR(DecodeGeneric(nats, &claims.generic));
  claims.raw = std::move(verified.payload);
  return claims;
}

absl::Status DecodeOperatorFields(const Json& nats, OperatorFields* out) {
  LATTICE_RETURN_IF_ERROR(ReadStringList(nats, "signing_keys", &out->signing_keys));
  LATTICE_RETURN_IF_ERROR(ReadString(nats, "account_server_url", &out->account_server_url));
  LATTICE_RETURN_IF_ERROR(
      ReadStringList(nats, "operator_service_urls", &out->operator_service_urls));
  LATTICE_RETURN_IF_ERROR(ReadString(nats, "system_account", &out->system_account));
  LATTICE_RETURN_IF_ERROR(ReadString(nats, "assert_server_version", &out->assert_server_version));
  LATTICE_RETURN_IF_ERROR(
      ReadBool(nats, "strict_signing_key_usage", &out->strict_signing_key_usage));
  LATTICE_RETURN_IF_ERROR(ReadString(nats, "description", &out->description));
  LATTICE_RETURN_IF_ERROR(ReadString(nats, "info_url", &out->info_url));
  for (const std::string& key : out->signing_keys)
    LATTICE_RETURN_IF_ERROR(CheckKind(key, {nkeys::KeyType::kOperator}, "operator signing key"));
  if (!out->system_account.empty())
    LATTICE_RETURN_IF_ERROR(
        CheckKind(out->system_account, {nkeys::KeyType::kAccount}, "system_account"));
  return absl::OkStatus();
}

absl::Status DecodeAccountFields(const Json& nats, AccountFields* out) {
  const Json* node = nullptr;
  LATTICE_RETURN_IF_ERROR(ReadArray(nats, "imports", &node));
  if (node != nullptr)
    LATTICE_RETURN_IF_ERROR(DecodeImports(*node, &out->imports));
  LATTICE_RETURN_IF_ERROR(ReadArray(nats, "exports", &node));
  if (node != nullptr)
    LATTICE_RETURN_IF_ERROR(DecodeExports(*node, &out->exports));
  out->limits = OperatorLimits{};
  LATTICE_RETURN_IF_ERROR(ReadObject(nats, "limits", &node));
  if (node != nullptr)
    LATTICE_RETURN_IF_ERROR(DecodeOperatorLimits(*node, &out->limits));
  LATTICE_RETURN_IF_ERROR(ReadArray(nats, "signing_keys", &node));
  if (node != nullptr)
    LATTICE_RETURN_IF_ERROR(DecodeSigningKeys(*node, &out->signing_keys));
  for (const SigningKey& key : out->signing_keys)
    LATTICE_RETURN_IF_ERROR(CheckKind(key.key, {nkeys::KeyType::kAccount}, "account signing key"));
  LATTICE_RETURN_IF_ERROR(ReadIntMap(nats, "revocations", &out->revocations));
  LATTICE_RETURN_IF_ERROR(ReadObject(nats, "default_permissions", &node));
  if (node != nullptr)
    LATTICE_RETURN_IF_ERROR(DecodePermissions(*node, &out->default_permissions));
  LATTICE_RETURN_IF_ERROR(ReadObject(nats, "mappings", &node));
  if (node != nullptr)
    LATTICE_RETURN_IF_ERROR(DecodeMappings(*node, &out->mappings));
  LATTICE_RETURN_IF_ERROR(ReadString(nats, "description", &out->description));
  return ReadString(nats, "info_url", &out->info_url);
}

}  // namespace

std::string_view ClaimTypeName(ClaimType type) {
  switch (type) {
    case ClaimType::kOperator:
      return "operator";
    case ClaimType::kAccount:
      return "account";
    case ClaimType::kUser:
      return "user";
    case ClaimType::kActivation:
      return "activation";
  }
  return "unknown";
}

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

OperatorClaims NewOperatorClaims(const nkeys::OperatorPublicKey& subject) {
  OperatorClaims c;
  c.std.subject = subject.str();
  return c;
}

AccountClaims NewAccountClaims(const nkeys::AccountPublicKey& subject) {
  AccountClaims c;
  c.std.subject = subject.str();
  c.nats.limits = OperatorLimits::Unlimited();
  return c;
}

UserClaims NewUserClaims(const nkeys::UserPublicKey& subject) {
  UserClaims c;
  c.std.subject = subject.str();
  c.nats.permissions.limits = {kNoLimit, kNoLimit, kNoLimit};
  return c;
}

ActivationClaims NewActivationClaims(const nkeys::AccountPublicKey& importer) {
  ActivationClaims c;
  c.std.subject = importer.str();
  return c;
}

std::string ComputeJti(const StandardClaims& std) {
  // Go marshals its ClaimsData struct in declaration order, omitting empty fields, with jti
  // cleared: aud, exp, jti, iat, iss, name, nbf, sub.
  std::string json = "{";
  auto add = [&json](std::string_view key, const std::string& value) {
    if (json.size() > 1)
      json += ",";
    json += "\"" + std::string(key) + "\":" + value;
  };
  if (!std.audience.empty())
    add("aud", internal::GoQuote(std.audience));
  if (std.expires != 0)
    add("exp", std::to_string(std.expires));
  if (std.issued_at != 0)
    add("iat", std::to_string(std.issued_at));
  if (!std.issuer.empty())
    add("iss", internal::GoQuote(std.issuer));
  if (!std.name.empty())
    add("name", internal::GoQuote(std.name));
  if (std.not_before != 0)
    add("nbf", std::to_string(std.not_before));
  if (!std.subject.empty())
    add("sub", internal::GoQuote(std.subject));
  json += "}";
  return encoding::Base32Encode(Sha512_256(json));
}

Json ToJson(const OperatorClaims& c) {
  Json out = PayloadBase(c);
  Json nats = NatsBase(c.raw, c.generic, ClaimType::kOperator);
  WriteStringList(nats, "signing_keys", c.nats.signing_keys);
  WriteString(nats, "account_server_url", c.nats.account_server_url);
  WriteStringList(nats, "operator_service_urls", c.nats.operator_service_urls);
  WriteString(nats, "system_account", c.nats.system_account);
  WriteString(nats, "assert_server_version", c.nats.assert_server_version);
  WriteBool(nats, "strict_signing_key_usage", c.nats.strict_signing_key_usage);
  WriteString(nats, "description", c.nats.description);
  WriteString(nats, "info_url", c.nats.info_url);
  out["nats"] = std::move(nats);
  return out;
}

Json ToJson(const AccountClaims& c) {
  Json out = PayloadBase(c);
  Json nats = NatsBase(c.raw, c.generic, ClaimType::kAccount);
  WriteValue(nats, "imports", EncodeImports(c.nats.imports));
  WriteValue(nats, "exports", EncodeExports(c.nats.exports));
  nats["limits"] = EncodeOperatorLimits(c.nats.limits);  // Go always writes it
  WriteValue(nats, "signing_keys", EncodeSigningKeys(c.nats.signing_keys));
  WriteIntMap(nats, "revocations", c.nats.revocations);
  nats["default_permissions"] = EncodePermissions(c.nats.default_permissions);
  WriteValue(nats, "mappings", EncodeMappings(c.nats.mappings));
  WriteString(nats, "description", c.nats.description);
  WriteString(nats, "info_url", c.nats.info_url);
  out["nats"] = std::move(nats);
  return out;
}

Json ToJson(const UserClaims& c) {
  Json out = PayloadBase(c);
  Json nats = NatsBase(c.raw, c.generic, ClaimType::kUser);
  EncodeUserPermissionLimits(c.nats.permissions, nats);
  WriteString(nats, "issuer_account", c.nats.issuer_account);
  out["nats"] = std::move(nats);
  return out;
}

Json ToJson(const ActivationClaims& c) {
  Json out = PayloadBase(c);
  Json nats = NatsBase(c.raw, c.generic, ClaimType::kActivation);
  WriteString(nats, "subject", c.nats.subject);
  if (c.nats.kind == ExportType::kUnknown)
    nats.erase("kind");
  else
    nats["kind"] = std::string(ExportTypeName(c.nats.kind));
  WriteString(nats, "issuer_account", c.nats.issuer_account);
  out["nats"] = std::move(nats);
  return out;
}

absl::StatusOr<std::string> Encode(OperatorClaims& claims, const nkeys::KeyPair& signer,
                                   int64_t now) {
  return EncodeClaims(claims, signer, now, {nkeys::KeyType::kOperator});
}

absl::StatusOr<std::string> Encode(AccountClaims& claims, const nkeys::KeyPair& signer,
                                   int64_t now) {
  return EncodeClaims(claims, signer, now, {nkeys::KeyType::kOperator});
}

absl::StatusOr<std::string> Encode(UserClaims& claims, const nkeys::KeyPair& signer, int64_t now) {
  return EncodeClaims(claims, signer, now, {nkeys::KeyType::kAccount});
}

absl::StatusOr<std::string> Encode(ActivationClaims& claims, const nkeys::KeyPair& signer,
                                   int64_t now) {
  return EncodeClaims(claims, signer, now, {nkeys::KeyType::kAccount, nkeys::KeyType::kOperator});
}

absl::StatusOr<VerifiedToken> DecodeVerified(std::string_view token) {
  if (token.size() > kMaxTokenSize)
    return Invalid("token is too large");
  size_t dot1 = token.find('.');
  size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos)
    return Invalid("expected 3 chunks");
  std::optional<std::string> header_text = Base64UrlDecode(token.substr(0, dot1));
  if (!header_text.has_value())
    return Invalid("header is not valid base64url");
  LATTICE_ASSIGN_OR_RETURN(Json header, ParseObject(*header_text, "header"));
  std::string typ, alg;
  LATTICE_RETURN_IF_ERROR(ReadString(header, "typ", &typ));
  LATTICE_RETURN_IF_ERROR(ReadString(header, "alg", &alg));
  if (AsciiUpper(typ) != "JWT")
    return Invalid("not supported type \"" + typ + "\"");
  if (AsciiLower(alg) != "ed25519-nkey") {
    if (AsciiLower(alg) == "ed25519")
      return Invalid("v1 tokens (alg \"ed25519\") are not supported");
    return Invalid("unexpected \"" + alg + "\" algorithm");
  }
  std::optional<std::string> payload_text =
      Base64UrlDecode(token.substr(dot1 + 1, dot2 - dot1 - 1));
  if (!payload_text.has_value())
    return Invalid("payload is not valid base64url");
  LATTICE_ASSIGN_OR_RETURN(Json payload, ParseObject(*payload_text, "payload"));
  const Json* nats = nullptr;
  LATTICE_RETURN_IF_ERROR(ReadObject(payload, "nats", &nats));
  if (nats == nullptr)
    return Invalid("v1 tokens (no \"nats\" block) are not supported");
  int64_t version = 0;
  LATTICE_RETURN_IF_ERROR(ReadInt(*nats, "version", &version));
  if (version > 2)
    return Invalid("token version " + std::to_string(version) + " is newer than 2");
  if (version < 2)
    return Invalid("v1 tokens are not supported");
  std::string type_name;
  LATTICE_RETURN_IF_ERROR(ReadString(*nats, "type", &type_name));
  LATTICE_ASSIGN_OR_RETURN(ClaimType type, ClaimTypeFromName(type_name));
  std::optional<std::string> signature = Base64UrlDecode(token.substr(dot2 + 1));
  if (!signature.has_value())
    return Invalid("signature is not valid base64url");
  std::string issuer;
  LATTICE_RETURN_IF_ERROR(ReadString(payload, "iss", &issuer));
  absl::StatusOr<nkeys::PublicKey> issuer_key = nkeys::PublicKey::Parse(issuer);
  if (!issuer_key.ok())
    return Invalid("issuer \"" + issuer + "\" is not a valid public key");
  if (!nkeys::Verify(*issuer_key, token.substr(0, dot2), *signature))
    return Invalid("signature verification failed");

  // Issuer and subject kinds for the claim type.
  std::string subject;
  LATTICE_RETURN_IF_ERROR(ReadString(payload, "sub", &subject));
  using nkeys::KeyType;
  switch (type) {
    case ClaimType::kOperator:
      LATTICE_RETURN_IF_ERROR(CheckKind(issuer, {KeyType::kOperator}, "issuer"));
      LATTICE_RETURN_IF_ERROR(CheckKind(subject, {KeyType::kOperator}, "subject"));
      break;
    case ClaimType::kAccount:
      LATTICE_RETURN_IF_ERROR(CheckKind(issuer, {KeyType::kOperator}, "issuer"));
      LATTICE_RETURN_IF_ERROR(CheckKind(subject, {KeyType::kAccount}, "subject"));
      break;
    case ClaimType::kUser:
      LATTICE_RETURN_IF_ERROR(CheckKind(issuer, {KeyType::kAccount}, "issuer"));
      LATTICE_RETURN_IF_ERROR(CheckKind(subject, {KeyType::kUser}, "subject"));
      break;
    case ClaimType::kActivation:
      LATTICE_RETURN_IF_ERROR(CheckKind(issuer, {KeyType::kAccount, KeyType::kOperator}, "issuer"));
      LATTICE_RETURN_IF_ERROR(CheckKind(subject, {KeyType::kAccount}, "subject"));
      break;
  }
  return VerifiedToken{std::move(header), std::move(payload), type};
}

absl::StatusOr<OperatorClaims> DecodeOperator(std::string_view token) {
  LATTICE_ASSIGN_OR_RETURN(OperatorClaims claims, DecodeTyped<OperatorClaims>(token));
  LATTICE_RETURN_IF_ERROR(DecodeOperatorFields(claims.raw["nats"], &claims.nats));
  return claims;
}

absl::StatusOr<AccountClaims> DecodeAccount(std::string_view token) {
  LATTICE_ASSIGN_OR_RETURN(AccountClaims claims, DecodeTyped<AccountClaims>(token));
  LATTICE_RETURN_IF_ERROR(DecodeAccountFields(claims.raw["nats"], &claims.nats));
  return claims;
}

absl::StatusOr<UserClaims> DecodeUser(std::string_view token) {
  LATTICE_ASSIGN_OR_RETURN(UserClaims claims, DecodeTyped<UserClaims>(token));
  const Json& nats = claims.raw["nats"];
  LATTICE_RETURN_IF_ERROR(DecodeUserPermissionLimits(nats, &claims.nats.permissions));
  LATTICE_RETURN_IF_ERROR(ReadString(nats, "issuer_account", &claims.nats.issuer_account));
  if (!claims.nats.issuer_account.empty()) {
    LATTICE_RETURN_IF_ERROR(
        CheckKind(claims.nats.issuer_account, {nkeys::KeyType::kAccount}, "issuer_account"));
  }
  return claims;
}

absl::StatusOr<ActivationClaims> DecodeActivation(std::string_view token) {
  LATTICE_ASSIGN_OR_RETURN(ActivationClaims claims, DecodeTyped<ActivationClaims>(token));
  const Json& nats = claims.raw["nats"];
  LATTICE_RETURN_IF_ERROR(ReadString(nats, "subject", &claims.nats.subject));
  std::string kind;
  LATTICE_RETURN_IF_ERROR(ReadString(nats, "kind", &kind));
  if (kind == "stream")
    claims.nats.kind = ExportType::kStream;
  else if (kind == "service")
    claims.nats.kind = ExportType::kService;
  else if (!kind.empty())
    return Invalid("unknown activation kind \"" + kind + "\"");
  LATTICE_RETURN_IF_ERROR(ReadString(nats, "issuer_account", &claims.nats.issuer_account));
  if (!claims.nats.issuer_account.empty()) {
    LATTICE_RETURN_IF_ERROR(
        CheckKind(claims.nats.issuer_account, {nkeys::KeyType::kAccount}, "issuer_account"));
  }
  return claims;
}

absl::StatusOr<AnyClaims> Decode(std::string_view token) {
  LATTICE_ASSIGN_OR_RETURN(VerifiedToken verified, DecodeVerified(token));
  switch (verified.type) {
    case ClaimType::kOperator:
      return DecodeOperator(token);
    case ClaimType::kAccount:
      return DecodeAccount(token);
    case ClaimType::kUser:
      return DecodeUser(token);
    case ClaimType::kActivation:
      return DecodeActivation(token);
  }
  return Invalid("unknown claim type");
}

std::string ActivationHashId(const ActivationClaims& claims) {
  const std::string& subject = claims.nats.subject;
  std::string cleaned;
  size_t start = 0;
  while (start <= subject.size()) {
    size_t dot = subject.find('.', start);
    std::string_view token = std::string_view(subject).substr(
        start, dot == std::string::npos ? std::string::npos : dot - start);
    if (token == "*" || token == ">") {
      cleaned = start == 0 ? "_" : subject.substr(0, start - 1);
      break;
    }
    if (dot == std::string::npos)
      break;
    start = dot + 1;
  }
  if (cleaned.empty())
    cleaned = subject;
  std::string base = claims.std.issuer + "." + claims.std.subject + "." + cleaned;
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(base.data()), base.size());
  std::string hash = encoding::Base32Encode(
      std::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
  while (hash.size() % 8 != 0)
    hash.push_back('=');  // Go's StdEncoding pads here
  return hash;
}

}  // namespace lattice::jwt
