// File helpers: directory listing, bounded reads and atomic writes.
#include "accountd/file_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

#include "common/nkeys/nkeys.h"

namespace lattice::accountd {
namespace {

constexpr size_t kMaxFileSize = 1 << 20;

absl::Status ErrnoError(const char* what, const std::string& path) {
  return absl::UnavailableError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ListJwtFiles(const std::string& dir) {
  DIR* handle = opendir(dir.c_str());
  if (handle == nullptr)
    return ErrnoError("cannot open directory", dir);
  std::vector<std::string> names;
  while (struct dirent* item = readdir(handle)) {
    const std::string name = item->d_name;
    if (name.size() <= 4 || name.compare(name.size() - 4, 4, ".jwt") != 0)
      continue;
    if (!nkeys::IsValidPublicKey(name.substr(0, name.size() - 4), nkeys::KeyType::kAccount))
      continue;
    struct stat st;
    const std::string path = absl::StrCat(dir, "/", name);
    if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
      continue;
    names.emplace_back(name);
  }
  closedir(handle);
  std::sort(names.begin(), names.end());
  return names;
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  return files::ReadFile(path, kMaxFileSize);
}

std::string_view StripWhitespace(std::string_view text) {
  return AsStd(absl::StripAsciiWhitespace(AsAbsl(text)));
}

}  // namespace lattice::accountd
