// Directory <-> buffer packing for snapshots, with fsync so an unpacked store survives a crash.
#include "controlplane/raft/snapshot_archive.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>
#include <vector>

#include "absl/strings/str_cat.h"

namespace lattice::raft {
namespace {

constexpr char kMagic[8] = {'L', 'T', 'A', 'R', 'C', 'H', '1', '\n'};
constexpr size_t kMaxName = 255;

void PutFixed(std::string& out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) {
    out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
  }
}

bool TakeFixed(std::string_view& in, int bytes, uint64_t* value) {
  if (in.size() < static_cast<size_t>(bytes)) {
    return false;
  }
  *value = 0;
  for (int i = 0; i < bytes; ++i) {
    *value |= static_cast<uint64_t>(static_cast<unsigned char>(in[i])) << (8 * i);
  }
  in.remove_prefix(bytes);
  return true;
}

bool SafeName(std::string_view name) {
  return !name.empty() && name.size() <= kMaxName && name != "." && name != ".." &&
         name.find('/') == std::string_view::npos && name.find('\0') == std::string_view::npos;
}

absl::Status ErrnoError(const std::string& what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

absl::Status WriteFileSynced(const std::string& path, std::string_view data) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    return ErrnoError("create " + path);
  }
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      absl::Status error = ErrnoError("write " + path);
      ::close(fd);
      return error;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  if (::fsync(fd) != 0) {
    absl::Status error = ErrnoError("fsync " + path);
    ::close(fd);
    return error;
  }
  ::close(fd);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> PackDirectory(const std::string& dir) {
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.is_regular_file()) {
      files.push_back(entry.path());
    }
  }
  if (ec) {
    return absl::InternalError(absl::StrCat("list ", dir, ": ", ec.message()));
  }
  std::string out(kMagic, sizeof(kMagic));
  PutFixed(out, files.size(), 4);
  for (const auto& path : files) {
    std::ifstream in(path, std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) {
      return absl::InternalError("read " + path.string());
    }
    std::string name = path.filename().string();
    PutFixed(out, name.size(), 4);
    out.append(name);
    PutFixed(out, data.size(), 8);
    out.append(data);
  }
  return out;
}

absl::Status UnpackDirectory(std::string_view archive, const std::string& dir) {
  if (archive.size() < sizeof(kMagic) || std::memcmp(archive.data(), kMagic, sizeof(kMagic)) != 0) {
    return absl::InvalidArgumentError("snapshot archive: bad magic");
  }
  archive.remove_prefix(sizeof(kMagic));
  uint64_t count = 0;
  if (!TakeFixed(archive, 4, &count)) {
    return absl::InvalidArgumentError("snapshot archive: truncated");
  }
  std::error_code ec;
  if (!std::filesystem::create_directories(dir, ec)) {
    return absl::FailedPreconditionError(
        absl::StrCat("snapshot archive: cannot create ", dir, ": ", ec.message()));
  }
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t name_size = 0;
    uint64_t data_size = 0;
    if (!TakeFixed(archive, 4, &name_size) || archive.size() < name_size) {
      return absl::InvalidArgumentError("snapshot archive: truncated name");
    }
    std::string_view name = archive.substr(0, name_size);
    archive.remove_prefix(name_size);
    if (!SafeName(name)) {
      return absl::InvalidArgumentError("snapshot archive: bad file name");
    }
    if (!TakeFixed(archive, 8, &data_size) || archive.size() < data_size) {
      return absl::InvalidArgumentError("snapshot archive: truncated file");
    }
    std::string path = dir + "/" + std::string(name);
    if (std::filesystem::exists(path, ec)) {
      return absl::InvalidArgumentError("snapshot archive: duplicate file name");
    }
    absl::Status written = WriteFileSynced(path, archive.substr(0, data_size));
    if (!written.ok()) {
      return written;
    }
    archive.remove_prefix(data_size);
  }
  if (!archive.empty()) {
    return absl::InvalidArgumentError("snapshot archive: trailing bytes");
  }
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return ErrnoError("open " + dir);
  }
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) {
    return ErrnoError("fsync " + dir);
  }
  return absl::OkStatus();
}

}  // namespace lattice::raft
