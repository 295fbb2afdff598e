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

absl::Status MakeDirs(const std::string& dir) {
  if (dir.empty())
    return absl::InvalidArgumentError("empty directory name");
  for (size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos != dir.size() && dir[pos] != '/')
      continue;
    const std::string prefix = dir.substr(0, pos);
    if (mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST)
      return ErrnoError("cannot create", prefix);
  }
  struct stat st;
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return absl::FailedPreconditionError(absl::StrCat("not a directory: ", dir));
  return absl::OkStatus();
}

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
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return ErrnoError("cannot open", path);
  std::string out;
  char buf[8192];
  while (true) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      absl::Status error = ErrnoError("cannot read", path);
      close(fd);
      return error;
    }
    if (n == 0)
      break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > kMaxFileSize) {
      close(fd);
      return absl::InvalidArgumentError(absl::StrCat("file too large: ", path));
    }
  }
  close(fd);
  return out;
}

absl::Status WriteFileAtomic(const std::string& path, std::string_view contents) {
  const std::string tmp = absl::StrCat(path, ".tmp.", getpid());
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return ErrnoError("cannot create", tmp);
  size_t done = 0;
  while (done < contents.size()) {
    ssize_t n = write(fd, contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      absl::Status error = ErrnoError("cannot write", tmp);
      close(fd);
      unlink(tmp.c_str());
      return error;
    }
    done += static_cast<size_t>(n);
  }
  const bool synced = fsync(fd) == 0;
  const bool closed = close(fd) == 0;
  if (!synced || !closed) {
    absl::Status error = ErrnoError("cannot flush", tmp);
    unlink(tmp.c_str());
    return error;
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    absl::Status error = ErrnoError("cannot rename to", path);
    unlink(tmp.c_str());
    return error;
  }
  return absl::OkStatus();
}

std::string_view StripWhitespace(std::string_view text) {
  return AsStd(absl::StripAsciiWhitespace(AsAbsl(text)));
}

}  // namespace lattice::accountd
