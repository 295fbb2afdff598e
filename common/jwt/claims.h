// NATS JWT v2: operator, account, user and activation claims; decode+verify and encode+sign.
//
//   LATTICE_ASSIGN_OR_RETURN(auto account, nkeys::KeyPair::Generate(nkeys::KeyType::kAccount));
//   jwt::UserClaims user = jwt::NewUserClaims(user_public_key);
//   user.nats.permissions.pub.allow = {"orders.>"};
//   LATTICE_ASSIGN_OR_RETURN(std::string token, jwt::Encode(user, account));
//   LATTICE_ASSIGN_OR_RETURN(jwt::UserClaims back, jwt::DecodeUser(token));  // signature checked
//
// Decoding checks the header (typ "jwt" any case, alg "ed25519-nkey"), the nats version (2), the
// kinds of iss/sub for the claim type, and the Ed25519 signature of "header.payload" by iss.
// Time bounds, revocations and trust are checked by chain.h. Fields this library does not know
// are kept in `raw` and written back on Encode.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"

#include "common/jwt/types.h"
#include "common/nkeys/nkeys.h"

namespace lattice::jwt {

enum class ClaimType : uint8_t { kOperator, kAccount, kUser, kActivation };
std::string_view ClaimTypeName(ClaimType type);

// The registered claims every NATS JWT carries (seconds since the epoch for times).
struct StandardClaims {
  std::string audience;
  int64_t expires = 0;
  std::string id;  // jti
  int64_t issued_at = 0;
  std::string issuer;
  std::string name;
  int64_t not_before = 0;
  std::string subject;
};

// Fields shared by every "nats" block.
struct GenericFields {
  std::vector<std::string> tags;
  int64_t version = 2;
};

struct OperatorFields {
  std::vector<std::string> signing_keys;  // O... keys
  std::string account_server_url;
  std::vector<std::string> operator_service_urls;
  std::string system_account;  // A... key
  std::string assert_server_version;
  bool strict_signing_key_usage = false;
  std::string description;
  std::string info_url;
};

struct AccountFields {
  std::vector<Import> imports;
  std::vector<Export> exports;
  OperatorLimits limits;
  std::vector<SigningKey> signing_keys;
  std::map<std::string, int64_t> revocations;  // user key (or "*") -> unix seconds
  Permissions default_permissions;
  std::map<std::string, std::vector<WeightedMapping>> mappings;
  std::string description;
  std::string info_url;
};

struct UserFields {
  UserPermissionLimits permissions;
  std::string issuer_account;  // set when signed by an account signing key
};

struct ActivationFields {
  std::string subject;  // the exported subject being granted
  ExportType kind = ExportType::kUnknown;
  std::string issuer_account;
};

// A decoded or to-be-encoded claim set. `raw` is the payload object as decoded (empty for new
// claims); Encode overlays the typed fields on it so unknown fields survive. Value type.
// Thread: not shared; copy to hand across threads.
template <typename Fields, ClaimType kType>
struct Claims {
  static constexpr ClaimType kClaimType = kType;
  StandardClaims std;
  GenericFields generic;
  Fields nats;
  Json raw = Json::object();
};

using OperatorClaims = Claims<OperatorFields, ClaimType::kOperator>;
using AccountClaims = Claims<AccountFields, ClaimType::kAccount>;
using UserClaims = Claims<UserFields, ClaimType::kUser>;
using ActivationClaims = Claims<ActivationFields, ClaimType::kActivation>;

// New claims with the defaults nsc uses (unlimited account/user limits).
OperatorClaims NewOperatorClaims(const nkeys::OperatorPublicKey& subject);
AccountClaims NewAccountClaims(const nkeys::AccountPublicKey& subject);
UserClaims NewUserClaims(const nkeys::UserPublicKey& subject);
ActivationClaims NewActivationClaims(const nkeys::AccountPublicKey& importer);

// Seconds since the epoch, from the system clock.
int64_t NowSeconds();

// Signs `claims` with `signer`: sets iss to the signer's public key, iat to `now`, computes jti
// as the Go library does, and returns the compact token. The signer's kind must fit the claim
// type (operator: O; account: O; user: A; activation: A or O). Updates claims.std in place.
absl::StatusOr<std::string> Encode(OperatorClaims& claims, const nkeys::KeyPair& signer,
                                   int64_t now = NowSeconds());
absl::StatusOr<std::string> Encode(AccountClaims& claims, const nkeys::KeyPair& signer,
                                   int64_t now = NowSeconds());
absl::StatusOr<std::string> Encode(UserClaims& claims, const nkeys::KeyPair& signer,
                                   int64_t now = NowSeconds());
absl::StatusOr<std::string> Encode(ActivationClaims& claims, const nkeys::KeyPair& signer,
                                   int64_t now = NowSeconds());

// Decodes and verifies a token of the given type. Errors are InvalidArgument with a message
// that says what is wrong ("jwt: expected 3 chunks", "jwt: signature verification failed", ...).
absl::StatusOr<OperatorClaims> DecodeOperator(std::string_view token);
absl::StatusOr<AccountClaims> DecodeAccount(std::string_view token);
absl::StatusOr<UserClaims> DecodeUser(std::string_view token);
absl::StatusOr<ActivationClaims> DecodeActivation(std::string_view token);

using AnyClaims = std::variant<OperatorClaims, AccountClaims, UserClaims, ActivationClaims>;
// Decodes any of the four types, chosen by nats.type.
absl::StatusOr<AnyClaims> Decode(std::string_view token);

// The verified payload of a token without typed decoding (for describe / tooling).
struct VerifiedToken {
  Json header;
  Json payload;
  ClaimType type;
};
absl::StatusOr<VerifiedToken> DecodeVerified(std::string_view token);

// The jti the Go library assigns to `std` (with std.id ignored).
std::string ComputeJti(const StandardClaims& std);

// The payload JSON Encode would sign, without signing (for describe --json and tests).
Json ToJson(const OperatorClaims& claims);
Json ToJson(const AccountClaims& claims);
Json ToJson(const UserClaims& claims);
Json ToJson(const ActivationClaims& claims);

// Activation hash id: base32(sha256("<iss>.<sub>.<subject up to first wildcard>")).
std::string ActivationHashId(const ActivationClaims& claims);

}  // namespace lattice::jwt
