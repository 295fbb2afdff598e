// Small file helpers for accountd's directories of <pubkey>.jwt files.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

#include "common/files/files.h"

namespace lattice::accountd {

// Names (not paths) of the regular files in `dir` named `<account public key>.jwt`, sorted.
// Other names are ignored, so stray or hostile files cannot be mistaken for accounts.
absl::StatusOr<std::vector<std::string>> ListJwtFiles(const std::string& dir);

// Reads a whole file (bounded at 1 MiB: an account JWT is a few KiB).
absl::StatusOr<std::string> ReadFile(const std::string& path);

// Directory creation and crash-safe writes are the shared ones.
using files::MakeDirs;
using files::WriteFileAtomic;

// Debian's Abseil has its own string_view (not std::string_view): convert at the boundary.
inline absl::string_view AsAbsl(std::string_view text) {
  return absl::string_view(text.data(), text.size());
}
inline std::string_view AsStd(absl::string_view text) {
  return std::string_view(text.data(), text.size());
}

// `text` without leading and trailing whitespace (JWT files often end with a newline).
std::string_view StripWhitespace(std::string_view text);

}  // namespace lattice::accountd
