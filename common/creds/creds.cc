// Creds file formatting and tolerant parsing, compatible with nsc and the NATS client libraries.
#include "common/creds/creds.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include <sodium.h>

namespace lattice::creds {
namespace {

constexpr std::string_view kBanner =
    "************************* IMPORTANT *************************\n"
    "NKEY Seed printed below can be used to sign and prove identity.\n"
    "NKEYs are sensitive and should be treated as secrets.\n";
constexpr std::string_view kFooter =
    "*************************************************************\n";

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    std::string_view line =
        text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    lines.push_back(line);
    if (nl == std::string_view::npos)
      break;
    start = nl + 1;
  }
  return lines;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

// "---...---" with at least three dashes at both ends.
bool IsArmorLine(std::string_view line) {
  line = Trim(line);
  return line.size() >= 6 && line.substr(0, 3) == "---" && line.substr(line.size() - 3) == "---";
}

bool IsBlockContent(std::string_view line) {
  if (line.empty())
    return false;
  for (char c : line) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.' || c == '=';
    if (!ok)
      return false;
  }
  return true;
}

std::vector<std::string_view> Blocks(const std::vector<std::string_view>& lines) {
  std::vector<std::string_view> blocks;
  for (size_t i = 0; i + 2 < lines.size(); ++i) {
    std::string_view content = Trim(lines[i + 1]);
    if (IsArmorLine(lines[i]) && IsBlockContent(content) && IsArmorLine(lines[i + 2])) {
      blocks.push_back(content);
      i += 2;
    }
  }
  return blocks;
}

bool LooksLikeJwt(std::string_view line) {
  size_t dots = 0;
  for (char c : line)
    dots += c == '.';
  return dots == 2 && IsBlockContent(line);
}

}  // namespace

absl::StatusOr<nkeys::SecretString> FormatUserCreds(std::string_view jwt,
                                                    const nkeys::KeyPair& user) {
  if (user.type() != nkeys::KeyType::kUser)
    return absl::InvalidArgumentError("creds: the seed must be a user seed");
  if (!IsBlockContent(jwt))
    return absl::InvalidArgumentError(
        "creds: the JWT contains characters a creds file cannot hold");
  nkeys::SecretString seed = user.EncodedSeed();
  std::string out;
  out.reserve(jwt.size() + 512);
  out += FormatDecoratedJwt(jwt, "USER");
  out += "\n";
  out += kBanner;
  out += "\n-----BEGIN USER NKEY SEED-----\n";
  out.append(seed.view());
  out += "\n------END USER NKEY SEED------\n\n";
  out += kFooter;
  nkeys::SecretString result(out);
  sodium_memzero(out.data(), out.size());
  return result;
}

std::string FormatDecoratedJwt(std::string_view jwt, std::string_view kind) {
  std::string out = "-----BEGIN NATS " + std::string(kind) + " JWT-----\n";
  out.append(jwt);
  out += "\n------END NATS " + std::string(kind) + " JWT------\n";
  return out;
}

absl::StatusOr<UserCreds> ParseUserCreds(std::string_view text) {
  std::vector<std::string_view> lines = Lines(text);
  std::vector<std::string_view> blocks = Blocks(lines);
  std::string_view jwt, seed;
  if (blocks.size() >= 2) {
    jwt = blocks[0];
    seed = blocks[1];
  } else {
    for (std::string_view raw : lines) {
      std::string_view line = Trim(raw);
      if (jwt.empty() && LooksLikeJwt(line))
        jwt = line;
      else if (seed.empty() && line.size() > 2 && line[0] == 'S' &&
               (line[1] == 'U' || line[1] == 'A' || line[1] == 'O'))
        seed = line;
    }
  }
  if (jwt.empty())
    return absl::InvalidArgumentError("creds: no JWT found");
  if (seed.empty())
    return absl::InvalidArgumentError("creds: no nkey seed found");
  absl::StatusOr<nkeys::KeyPair> pair = nkeys::KeyPair::FromSeed(seed);
  if (!pair.ok())
    return absl::InvalidArgumentError("creds: invalid seed: " +
                                      std::string(pair.status().message()));
  if (pair->type() != nkeys::KeyType::kUser)
    return absl::InvalidArgumentError("creds: the seed is not a user seed");
  return UserCreds{std::string(jwt), nkeys::SecretString(seed)};
}

absl::StatusOr<std::string> ParseDecoratedJwt(std::string_view text) {
  std::vector<std::string_view> lines = Lines(text);
  std::vector<std::string_view> blocks = Blocks(lines);
  if (!blocks.empty())
    return std::string(blocks[0]);
  for (std::string_view raw : lines) {
    std::string_view line = Trim(raw);
    if (LooksLikeJwt(line))
      return std::string(line);
  }
  return absl::InvalidArgumentError("creds: no JWT found");
}

absl::Status WriteSecretFile(const std::string& path, std::string_view contents) {
  ::unlink(path.c_str());
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return absl::UnavailableError("cannot create " + path + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < contents.size()) {
    ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      int err = errno;
      ::close(fd);
      return absl::UnavailableError("cannot write " + path + ": " + std::strerror(err));
    }
    done += static_cast<size_t>(n);
  }
  if (::close(fd) != 0)
    return absl::UnavailableError("cannot close " + path + ": " + std::strerror(errno));
  return absl::OkStatus();
}

absl::StatusOr<UserCreds> ReadUserCredsFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return absl::NotFoundError("cannot open " + path + ": " + std::strerror(errno));
  std::string text;
  char buf[4096];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > (8 << 20))
      break;
  }
  ::close(fd);
  sodium_memzero(buf, sizeof(buf));
  absl::StatusOr<UserCreds> creds = ParseUserCreds(text);
  sodium_memzero(text.data(), text.size());
  return creds;
}

}  // namespace lattice::creds
