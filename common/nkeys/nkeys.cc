// NKeys encoding (prefix, base32, CRC16) and Ed25519/X25519 operations over libsodium.
#include "common/nkeys/nkeys.h"

#include <cstring>
#include <utility>

#include <sodium.h>

#include "common/base/check.h"
#include "common/encoding/base32.h"
#include "common/encoding/crc16.h"

namespace lattice::nkeys {
namespace {

constexpr uint8_t kSeedPrefix = 18 << 3;
constexpr std::string_view kXKeyVersion = "xkv1";

void EnsureSodium() {
  static const bool initialized = sodium_init() >= 0;
  LATTICE_CHECK(initialized);
}

// Wipes a std::string that held secret bytes before it is freed.
void WipeString(std::string& s) {
  if (!s.empty())
    sodium_memzero(s.data(), s.size());
}

void AppendCrc(std::string& bytes) {
  uint16_t crc = encoding::Crc16(bytes);
  bytes.push_back(static_cast<char>(crc & 0xff));
  bytes.push_back(static_cast<char>(crc >> 8));
}

// Base32-decodes `encoded` and checks its trailing little-endian CRC16; returns the bytes
// without the CRC.
absl::StatusOr<std::string> DecodeChecked(std::string_view encoded) {
  std::optional<std::string> raw = encoding::Base32Decode(encoded);
  if (!raw.has_value())
    return absl::InvalidArgumentError("nkey: invalid base32 encoding");
  if (raw->size() < 4) {
    WipeString(*raw);
    return absl::InvalidArgumentError("nkey: invalid length");
  }
  size_t body = raw->size() - 2;
  uint16_t want = static_cast<uint8_t>((*raw)[body]) |
                  static_cast<uint16_t>(static_cast<uint8_t>((*raw)[body + 1]) << 8);
  if (encoding::Crc16(std::string_view(raw->data(), body)) != want) {
    WipeString(*raw);
    return absl::InvalidArgumentError("nkey: invalid checksum");
  }
  (*raw)[body] = 0;
  (*raw)[body + 1] = 0;
  raw->resize(body);
  return *std::move(raw);
}

}  // namespace

std::string_view KeyTypeName(KeyType type) {
  switch (type) {
    case KeyType::kOperator:
      return "operator";
    case KeyType::kAccount:
      return "account";
    case KeyType::kUser:
      return "user";
    case KeyType::kServer:
      return "server";
    case KeyType::kCluster:
      return "cluster";
    case KeyType::kCurve:
      return "curve";
  }
  return "unknown";
}

uint8_t PrefixByte(KeyType type) {
  switch (type) {
    case KeyType::kOperator:
      return 14 << 3;
    case KeyType::kAccount:
      return 0;
    case KeyType::kUser:
      return 20 << 3;
    case KeyType::kServer:
      return 13 << 3;
    case KeyType::kCluster:
      return 2 << 3;
    case KeyType::kCurve:
      return 23 << 3;
  }
  return 25 << 3;
}

char PrefixLetter(KeyType type) {
  return "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[PrefixByte(type) >> 3];
}

std::optional<KeyType> KeyTypeFromPrefixByte(uint8_t prefix) {
  for (KeyType type : {KeyType::kOperator, KeyType::kAccount, KeyType::kUser, KeyType::kServer,
                       KeyType::kCluster, KeyType::kCurve}) {
    if (PrefixByte(type) == prefix)
      return type;
  }
  return std::nullopt;
}

// ---- SecretString ----

SecretString::SecretString(std::string_view value)
    : data_(new char[value.size() + 1]), size_(value.size()) {
  std::memcpy(data_.get(), value.data(), value.size());
  data_[size_] = '\0';
}

SecretString::~SecretString() {
  Wipe();
}

SecretString::SecretString(SecretString&& other) noexcept
    : data_(std::move(other.data_)), size_(std::exchange(other.size_, 0)) {}

SecretString& SecretString::operator=(SecretString&& other) noexcept {
  if (this != &other) {
    Wipe();
    data_ = std::move(other.data_);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

void SecretString::Wipe() {
  if (data_ != nullptr)
    sodium_memzero(data_.get(), size_ + 1);
  data_.reset();
  size_ = 0;
}

// ---- PublicKey ----

absl::StatusOr<PublicKey> PublicKey::Parse(std::string_view encoded) {
  if (encoded.size() != kEncodedPublicKeySize)
    return absl::InvalidArgumentError("nkey: invalid public key length");
  absl::StatusOr<std::string> raw = DecodeChecked(encoded);
  if (!raw.ok())
    return raw.status();
  if (raw->size() != 1 + kRawKeySize)
    return absl::InvalidArgumentError("nkey: invalid public key length");
  std::optional<KeyType> type = KeyTypeFromPrefixByte(static_cast<uint8_t>((*raw)[0]));
  if (!type.has_value())
    return absl::InvalidArgumentError("nkey: invalid public key prefix byte");
  std::array<uint8_t, kRawKeySize> bytes;
  std::memcpy(bytes.data(), raw->data() + 1, kRawKeySize);
  return PublicKey(*type, std::string(encoded), bytes);
}

absl::StatusOr<PublicKey> PublicKey::ParseAs(std::string_view encoded, KeyType expected) {
  absl::StatusOr<PublicKey> key = Parse(encoded);
  if (!key.ok())
    return key.status();
  if (key->type() != expected) {
    return absl::InvalidArgumentError(std::string("nkey: expected ") +
                                      std::string(KeyTypeName(expected)) + " public key, got " +
                                      std::string(KeyTypeName(key->type())));
  }
  return key;
}

PublicKey PublicKey::FromRaw(KeyType type, const std::array<uint8_t, kRawKeySize>& raw) {
  std::string bytes(1, static_cast<char>(PrefixByte(type)));
  bytes.append(reinterpret_cast<const char*>(raw.data()), raw.size());
  AppendCrc(bytes);
  return PublicKey(type, encoding::Base32Encode(bytes), raw);
}

bool IsValidPublicKey(std::string_view encoded, KeyType type) {
  return PublicKey::ParseAs(encoded, type).ok();
}

// ---- KeyPair ----

struct KeyPair::Secret {
  unsigned char seed[kRawKeySize];
  unsigned char secret_key[crypto_sign_SECRETKEYBYTES];  // Ed25519 expanded key; unused for curve
};

void KeyPair::SecretDeleter::operator()(Secret* secret) const {
  sodium_memzero(secret, sizeof(Secret));
  delete secret;
}

KeyPair::~KeyPair() = default;

absl::StatusOr<KeyPair> KeyPair::FromRawSeed(KeyType type, std::string_view raw_seed) {
  EnsureSodium();
  if (raw_seed.size() != kRawKeySize)
    return absl::InvalidArgumentError("nkey: raw seed must be 32 bytes");
  std::unique_ptr<Secret, SecretDeleter> secret(new Secret());
  std::memcpy(secret->seed, raw_seed.data(), kRawKeySize);
  std::array<uint8_t, kRawKeySize> public_raw;
  if (type == KeyType::kCurve) {
    if (crypto_scalarmult_base(public_raw.data(), secret->seed) != 0)
      return absl::InvalidArgumentError("nkey: invalid curve seed");
  } else {
    if (crypto_sign_seed_keypair(public_raw.data(), secret->secret_key, secret->seed) != 0)
      return absl::InternalError("nkey: ed25519 key derivation failed");
  }
  return KeyPair(PublicKey::FromRaw(type, public_raw), std::move(secret));
}

absl::StatusOr<KeyPair> KeyPair::Generate(KeyType type) {
  EnsureSodium();
  unsigned char raw[kRawKeySize];
  randombytes_buf(raw, sizeof(raw));
  absl::StatusOr<KeyPair> pair =
      FromRawSeed(type, std::string_view(reinterpret_cast<char*>(raw), sizeof(raw)));
  sodium_memzero(raw, sizeof(raw));
  return pair;
}

absl::StatusOr<KeyPair> KeyPair::FromSeed(std::string_view encoded_seed) {
  if (encoded_seed.size() != kEncodedSeedSize)
    return absl::InvalidArgumentError("nkey: invalid seed length");
  absl::StatusOr<std::string> raw = DecodeChecked(encoded_seed);
  if (!raw.ok())
    return raw.status();
  absl::StatusOr<KeyPair> result = absl::InvalidArgumentError("nkey: invalid seed");
  if (raw->size() != 2 + kRawKeySize) {
    result = absl::InvalidArgumentError("nkey: invalid seed length");
  } else {
    uint8_t b0 = static_cast<uint8_t>((*raw)[0]);
    uint8_t b1 = static_cast<uint8_t>((*raw)[1]);
    uint8_t public_prefix = static_cast<uint8_t>(((b0 & 0x07) << 5) | ((b1 & 0xf8) >> 3));
    std::optional<KeyType> type = KeyTypeFromPrefixByte(public_prefix);
    if ((b0 & 0xf8) != kSeedPrefix) {
      result = absl::InvalidArgumentError("nkey: not a seed (prefix byte is not 'S')");
    } else if (!type.has_value()) {
      result = absl::InvalidArgumentError("nkey: seed has an invalid public key prefix");
    } else {
      result = FromRawSeed(*type, std::string_view(raw->data() + 2, kRawKeySize));
    }
  }
  WipeString(*raw);
  return result;
}

absl::StatusOr<KeyPair> KeyPair::FromSeedAs(std::string_view encoded_seed, KeyType expected) {
  absl::StatusOr<KeyPair> pair = FromSeed(encoded_seed);
  if (pair.ok() && pair->type() != expected) {
    return absl::InvalidArgumentError(std::string("nkey: expected ") +
                                      std::string(KeyTypeName(expected)) + " seed, got " +
                                      std::string(KeyTypeName(pair->type())));
  }
  return pair;
}

SecretString KeyPair::EncodedSeed() const {
  uint8_t public_prefix = PrefixByte(type());
  std::string bytes;
  bytes.reserve(2 + kRawKeySize + 2);
  bytes.push_back(static_cast<char>(kSeedPrefix | (public_prefix >> 5)));
  bytes.push_back(static_cast<char>((public_prefix & 0x1f) << 3));
  bytes.append(reinterpret_cast<const char*>(secret_->seed), kRawKeySize);
  AppendCrc(bytes);
  std::string encoded = encoding::Base32Encode(bytes);
  SecretString out(encoded);
  WipeString(bytes);
  WipeString(encoded);
  return out;
}

absl::StatusOr<std::string> KeyPair::Sign(std::string_view message) const {
  if (type() == KeyType::kCurve)
    return absl::FailedPreconditionError("nkey: curve keys cannot sign");
  std::string signature(kSignatureSize, '\0');
  crypto_sign_detached(reinterpret_cast<unsigned char*>(signature.data()), nullptr,
                       reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                       secret_->secret_key);
  return signature;
}

absl::StatusOr<std::string> KeyPair::Seal(std::string_view message,
                                          const CurvePublicKey& recipient) const {
  if (type() != KeyType::kCurve)
    return absl::FailedPreconditionError("nkey: only curve keys can seal");
  std::string out(kXKeyVersion);
  out.resize(kXKeyVersion.size() + crypto_box_NONCEBYTES + crypto_box_MACBYTES + message.size());
  auto* nonce = reinterpret_cast<unsigned char*>(out.data() + kXKeyVersion.size());
  randombytes_buf(nonce, crypto_box_NONCEBYTES);
  if (crypto_box_easy(nonce + crypto_box_NONCEBYTES,
                      reinterpret_cast<const unsigned char*>(message.data()), message.size(), nonce,
                      recipient.key().raw().data(), secret_->seed) != 0) {
    return absl::InvalidArgumentError("nkey: seal failed");
  }
  return out;
}

absl::StatusOr<std::string> KeyPair::Open(std::string_view sealed,
                                          const CurvePublicKey& sender) const {
  if (type() != KeyType::kCurve)
    return absl::FailedPreconditionError("nkey: only curve keys can open");
  size_t header = kXKeyVersion.size() + crypto_box_NONCEBYTES;
  if (sealed.size() < header + crypto_box_MACBYTES || sealed.substr(0, 4) != kXKeyVersion)
    return absl::InvalidArgumentError("nkey: invalid sealed message");
  const auto* nonce = reinterpret_cast<const unsigned char*>(sealed.data() + kXKeyVersion.size());
  std::string out(sealed.size() - header - crypto_box_MACBYTES, '\0');
  if (crypto_box_open_easy(reinterpret_cast<unsigned char*>(out.data()),
                           nonce + crypto_box_NONCEBYTES, sealed.size() - header, nonce,
                           sender.key().raw().data(), secret_->seed) != 0) {
    return absl::InvalidArgumentError("nkey: cannot open sealed message");
  }
  return out;
}

bool Verify(const PublicKey& key, std::string_view message, std::string_view signature) {
  EnsureSodium();
  if (key.type() == KeyType::kCurve || signature.size() != kSignatureSize)
    return false;
  return crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(signature.data()),
                                     reinterpret_cast<const unsigned char*>(message.data()),
                                     message.size(), key.raw().data()) == 0;
}

}  // namespace lattice::nkeys
