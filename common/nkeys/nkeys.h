// NKeys: NATS Ed25519 identities (operator, account, user, server, cluster) and X25519 curve keys.
//
// Encoded keys are base32 (no padding) of prefix || raw || crc16-le. Public keys start with
// O/A/U/N/C/X; seeds start with S followed by the public prefix letter (SO.., SA.., SU..).
//
//   LATTICE_ASSIGN_OR_RETURN(auto user, nkeys::KeyPair::Generate(nkeys::KeyType::kUser));
//   LATTICE_ASSIGN_OR_RETURN(std::string sig, user.Sign("nonce"));
//   bool ok = nkeys::Verify(user.public_key(), "nonce", sig);
//   LATTICE_ASSIGN_OR_RETURN(auto acc, nkeys::AccountPublicKey::Parse("ADZ..."));
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace lattice::nkeys {

enum class KeyType : uint8_t { kOperator, kAccount, kUser, kServer, kCluster, kCurve };

// Human name ("operator", "account", ...), the prefix byte and its first base32 letter.
std::string_view KeyTypeName(KeyType type);
uint8_t PrefixByte(KeyType type);
char PrefixLetter(KeyType type);
std::optional<KeyType> KeyTypeFromPrefixByte(uint8_t prefix);

inline constexpr size_t kRawKeySize = 32;
inline constexpr size_t kSignatureSize = 64;
inline constexpr size_t kEncodedPublicKeySize = 56;
inline constexpr size_t kEncodedSeedSize = 58;

// Bytes that are wiped (sodium_memzero) when dropped: encoded seeds and other secrets.
// Owner: whoever holds it; move-only. Thread: not shared.
class SecretString {
 public:
  SecretString() = default;
  explicit SecretString(std::string_view value);
  ~SecretString();
  SecretString(SecretString&& other) noexcept;
  SecretString& operator=(SecretString&& other) noexcept;
  SecretString(const SecretString&) = delete;
  SecretString& operator=(const SecretString&) = delete;

  std::string_view view() const { return std::string_view(data_.get(), size_); }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

 private:
  void Wipe();
  std::unique_ptr<char[]> data_;
  size_t size_ = 0;
};

// A validated public key of any kind. Value type. Thread: immutable, any thread.
class PublicKey {
 public:
  // Accepts any known public prefix; checks base32, length and CRC.
  static absl::StatusOr<PublicKey> Parse(std::string_view encoded);
  // As Parse, and the prefix must be `expected`.
  static absl::StatusOr<PublicKey> ParseAs(std::string_view encoded, KeyType expected);
  // Builds the encoded form of raw key bytes (32 bytes).
  static PublicKey FromRaw(KeyType type, const std::array<uint8_t, kRawKeySize>& raw);

  KeyType type() const { return type_; }
  const std::string& str() const { return encoded_; }
  const std::array<uint8_t, kRawKeySize>& raw() const { return raw_; }

  friend bool operator==(const PublicKey& a, const PublicKey& b) {
    return a.encoded_ == b.encoded_;
  }
  friend bool operator!=(const PublicKey& a, const PublicKey& b) { return !(a == b); }
  friend bool operator<(const PublicKey& a, const PublicKey& b) { return a.encoded_ < b.encoded_; }

 private:
  PublicKey(KeyType type, std::string encoded, const std::array<uint8_t, kRawKeySize>& raw)
      : type_(type), encoded_(std::move(encoded)), raw_(raw) {}
  KeyType type_;
  std::string encoded_;
  std::array<uint8_t, kRawKeySize> raw_;
};

// A public key whose kind is part of its C++ type, so an AccountPublicKey cannot be passed where
// a UserPublicKey is wanted. Thread: immutable, any thread.
template <KeyType kType>
class TypedPublicKey {
 public:
  static absl::StatusOr<TypedPublicKey> Parse(std::string_view encoded) {
    absl::StatusOr<PublicKey> key = PublicKey::ParseAs(encoded, kType);
    if (!key.ok())
      return key.status();
    return TypedPublicKey(*std::move(key));
  }
  // Wraps an already parsed key; nullopt when its kind differs.
  static std::optional<TypedPublicKey> FromKey(const PublicKey& key) {
    if (key.type() != kType)
      return std::nullopt;
    return TypedPublicKey(key);
  }

  const PublicKey& key() const { return key_; }
  const std::string& str() const { return key_.str(); }

  friend bool operator==(const TypedPublicKey& a, const TypedPublicKey& b) {
    return a.key_ == b.key_;
  }
  friend bool operator!=(const TypedPublicKey& a, const TypedPublicKey& b) { return !(a == b); }
  friend bool operator<(const TypedPublicKey& a, const TypedPublicKey& b) {
    return a.key_ < b.key_;
  }

 private:
  explicit TypedPublicKey(PublicKey key) : key_(std::move(key)) {}
  PublicKey key_;
};

using OperatorPublicKey = TypedPublicKey<KeyType::kOperator>;
using AccountPublicKey = TypedPublicKey<KeyType::kAccount>;
using UserPublicKey = TypedPublicKey<KeyType::kUser>;
using ServerPublicKey = TypedPublicKey<KeyType::kServer>;
using ClusterPublicKey = TypedPublicKey<KeyType::kCluster>;
using CurvePublicKey = TypedPublicKey<KeyType::kCurve>;

// A private key (Ed25519, or X25519 for kCurve) with its public key. The secret material lives in
// a heap block that is wiped when the KeyPair is destroyed. Move-only.
// Thread: const methods are safe from any thread.
class KeyPair {
 public:
  static absl::StatusOr<KeyPair> Generate(KeyType type);
  // Decodes an encoded seed ("SU...") and derives the key pair.
  static absl::StatusOr<KeyPair> FromSeed(std::string_view encoded_seed);
  // As FromSeed, and the seed must be for `expected`.
  static absl::StatusOr<KeyPair> FromSeedAs(std::string_view encoded_seed, KeyType expected);
  // Derives a key pair from 32 raw seed bytes.
  static absl::StatusOr<KeyPair> FromRawSeed(KeyType type, std::string_view raw_seed);

  ~KeyPair();
  KeyPair(KeyPair&&) noexcept = default;
  KeyPair& operator=(KeyPair&&) noexcept = default;

  KeyType type() const { return public_key_.type(); }
  const PublicKey& public_key() const { return public_key_; }
  // The encoded seed ("S" + prefix letter + ...).
  SecretString EncodedSeed() const;
  // 64-byte Ed25519 signature of `message`; error for curve keys.
  absl::StatusOr<std::string> Sign(std::string_view message) const;

  // Curve keys only: NaCl box of `message` for `recipient`, framed as "xkv1" + nonce + box.
  absl::StatusOr<std::string> Seal(std::string_view message, const CurvePublicKey& recipient) const;
  // Curve keys only: opens a Seal() output sent by `sender`.
  absl::StatusOr<std::string> Open(std::string_view sealed, const CurvePublicKey& sender) const;

 private:
  struct Secret;  // seed and expanded secret key, wiped on destruction
  struct SecretDeleter {
    void operator()(Secret* secret) const;
  };
  KeyPair(PublicKey public_key, std::unique_ptr<Secret, SecretDeleter> secret)
      : public_key_(std::move(public_key)), secret_(std::move(secret)) {}

  PublicKey public_key_;
  std::unique_ptr<Secret, SecretDeleter> secret_;
};

// True when `signature` (64 raw bytes) is a valid Ed25519 signature of `message` by `key`.
// Curve keys never verify.
bool Verify(const PublicKey& key, std::string_view message, std::string_view signature);

// True when `encoded` is a well-formed public key of kind `type` (prefix, length and CRC).
bool IsValidPublicKey(std::string_view encoded, KeyType type);

}  // namespace lattice::nkeys
