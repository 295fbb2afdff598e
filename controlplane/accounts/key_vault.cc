// Master-key sealing of seeds with crypto_secretbox (XSalsa20-Poly1305).
#include "controlplane/accounts/key_vault.h"

#include <fstream>
#include <iterator>

#include <sodium.h>

#include "common/creds/creds.h"

namespace lattice::accounts {

absl::StatusOr<KeyVault> KeyVault::FromKey(std::string_view key) {
  if (sodium_init() < 0)
    return absl::InternalError("libsodium failed to initialise");
  if (key.size() != crypto_secretbox_KEYBYTES)
    return absl::InvalidArgumentError("master key must be 32 bytes");
  return KeyVault(nkeys::SecretString(key));
}

absl::StatusOr<KeyVault> KeyVault::LoadOrCreate(const std::string& path) {
  if (sodium_init() < 0)
    return absl::InternalError("libsodium failed to initialise");
  std::ifstream in(path, std::ios::binary);
  if (in) {
    std::string key((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    nkeys::SecretString secret(key);
    sodium_memzero(key.data(), key.size());
    if (secret.size() != crypto_secretbox_KEYBYTES)
      return absl::InvalidArgumentError(path + ": master key file must hold 32 bytes");
    return KeyVault(std::move(secret));
  }
  std::string key(crypto_secretbox_KEYBYTES, '\0');
  randombytes_buf(key.data(), key.size());
  absl::Status written = creds::WriteSecretFile(path, key);
  nkeys::SecretString secret(key);
  sodium_memzero(key.data(), key.size());
  if (!written.ok())
    return written;
  return KeyVault(std::move(secret));
}

std::string KeyVault::Seal(std::string_view plaintext) const {
  std::string out(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plaintext.size(), '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(out.data());
  randombytes_buf(nonce, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(nonce + crypto_secretbox_NONCEBYTES,
                        reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(),
                        nonce, reinterpret_cast<const unsigned char*>(key_.view().data()));
  return out;
}

absl::StatusOr<nkeys::SecretString> KeyVault::Open(std::string_view sealed) const {
  if (sealed.size() < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
    return absl::DataLossError("sealed key too short");
  const auto* nonce = reinterpret_cast<const unsigned char*>(sealed.data());
  const unsigned char* box = nonce + crypto_secretbox_NONCEBYTES;
  size_t box_len = sealed.size() - crypto_secretbox_NONCEBYTES;
  std::string plain(box_len - crypto_secretbox_MACBYTES, '\0');
  if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(plain.data()), box, box_len,
                                 nonce,
                                 reinterpret_cast<const unsigned char*>(key_.view().data())) != 0) {
    return absl::DataLossError("sealed key does not open with this master key");
  }
  nkeys::SecretString secret(plain);
  sodium_memzero(plain.data(), plain.size());
  return secret;
}

}  // namespace lattice::accounts
