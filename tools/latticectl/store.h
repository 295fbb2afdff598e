// latticectl's offline key store: seeds and signed JWTs for one or more operators in a directory.
//
// Layout (nsc-like):
//   DIR/keys/<PUBLIC KEY>.nk                              seed, mode 0600
//   DIR/operators/<OP>/<OP>.jwt                           operator JWT
//   DIR/operators/<OP>/accounts/<ACC>/<ACC>.jwt           account JWT
//   DIR/operators/<OP>/accounts/<ACC>/users/<USER>.jwt    user JWT
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include "common/nkeys/nkeys.h"

namespace lattice::latticectl {

// A directory of keys and JWTs. Owner: one command invocation. Thread: single thread.
class Store {
 public:
  // Creates DIR (and keys/, operators/) when missing.
  static absl::StatusOr<Store> Open(const std::string& dir);

  // A store bound to no directory, for commands that never touch one (describe).
  static Store Detached() { return Store(""); }

  // Keys.
  absl::Status SaveKey(const nkeys::KeyPair& key);
  absl::StatusOr<nkeys::KeyPair> LoadKey(const std::string& public_key) const;

  // Operators: `name` empty selects the only operator (error when there are none or several).
  absl::StatusOr<std::string> ResolveOperator(const std::string& name) const;
  std::vector<std::string> Operators() const;
  std::string OperatorJwtPath(const std::string& op) const;

  std::vector<std::string> Accounts(const std::string& op) const;
  std::string AccountDir(const std::string& op, const std::string& account) const;
  std::string AccountJwtPath(const std::string& op, const std::string& account) const;
  std::vector<std::string> Users(const std::string& op, const std::string& account) const;
  std::string UserJwtPath(const std::string& op, const std::string& account,
                          const std::string& user) const;

  absl::StatusOr<std::string> ReadJwt(const std::string& path) const;
  absl::Status WriteJwt(const std::string& path, const std::string& jwt);
  bool Exists(const std::string& path) const;

  const std::string& dir() const { return dir_; }

 private:
  explicit Store(std::string dir) : dir_(std::move(dir)) {}
  std::string dir_;
};

// Names become path components: letters, digits, '-', '_' and '.', not starting with '.'.
absl::Status CheckName(const std::string& what, const std::string& name);

// File helpers.
absl::StatusOr<std::string> ReadWholeFile(const std::string& path);
absl::Status WriteWholeFile(const std::string& path, const std::string& contents);
absl::Status MakeDirs(const std::string& path);

}  // namespace lattice::latticectl
