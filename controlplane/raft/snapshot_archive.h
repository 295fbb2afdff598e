// Packs a flat directory (a RocksDB checkpoint) into one buffer for a Raft snapshot, and back.
//
// Layout: 8-byte magic "LTARCH1\n", u32 file count, then per file: u32 name length, name,
// u64 size, bytes (little-endian). Only regular files directly in the directory are packed.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace lattice::raft {

absl::StatusOr<std::string> PackDirectory(const std::string& dir);

// Writes the files of `archive` into `dir`, which must not exist yet, and fsyncs them and the
// directory. Untrusted input: bad framing or names with '/' or ".." give InvalidArgument
// (and leave a partial `dir` for the caller to remove).
absl::Status UnpackDirectory(std::string_view archive, const std::string& dir);

}  // namespace lattice::raft
