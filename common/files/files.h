// File helpers every Lattice process needs for state on disk: directory creation, bounded
// reads, and atomic (crash-safe) replacement of a file.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace lattice::files {

// Creates `dir` and missing parents (mode 0700 for new ones). OK when it already exists;
// FailedPrecondition when the path exists but is not a directory.
absl::Status MakeDirs(const std::string& dir);

// Reads a whole file. NotFound when it does not exist; OutOfRange when it is larger than
// `max_bytes` (state files are bounded, so a huge file is damage or an attack, not data).
absl::StatusOr<std::string> ReadFile(const std::string& path, size_t max_bytes);

// Replaces `path` with `contents` through a temp file in the same directory, fsync, rename(2)
// and an fsync of the directory: after a crash readers see the old file or the new one, never
// half of one. The file is created 0600.
absl::Status WriteFileAtomic(const std::string& path, std::string_view contents);

}  // namespace lattice::files
