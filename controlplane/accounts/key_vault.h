// KeyVault: seals signing-key seeds with a master key (libsodium secretbox) so the seeds the
// control plane may sign with are never stored in clear.
//
//   LATTICE_ASSIGN_OR_RETURN(auto vault, KeyVault::LoadOrCreate("/etc/lattice/master.key"));
//   std::string sealed = vault.Seal(seed.view());
//   LATTICE_ASSIGN_OR_RETURN(nkeys::SecretString back, vault.Open(sealed));
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

#include "common/nkeys/nkeys.h"

namespace lattice::accounts {

// Owned by the control-plane process. Thread: const methods are safe from any thread.
class KeyVault {
 public:
  // Reads a 32-byte master key file, or creates one (mode 0600) when it does not exist.
  static absl::StatusOr<KeyVault> LoadOrCreate(const std::string& path);
  // A vault over a given 32-byte key (tests).
  static absl::StatusOr<KeyVault> FromKey(std::string_view key);

  // nonce || secretbox(plaintext).
  std::string Seal(std::string_view plaintext) const;
  // DataLoss when the box does not open (wrong master key or corrupt data).
  absl::StatusOr<nkeys::SecretString> Open(std::string_view sealed) const;

 private:
  explicit KeyVault(nkeys::SecretString key) : key_(std::move(key)) {}
  nkeys::SecretString key_;
};

}  // namespace lattice::accounts
