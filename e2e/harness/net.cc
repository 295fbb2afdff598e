// Loopback helpers for e2e tests (see net.h).
#include "e2e/harness/net.h"

#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace lattice::e2e {
namespace {

int RemainingMs(std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

}  // namespace

std::string OutputDir() {
  for (const char* var : {"TEST_UNDECLARED_OUTPUTS_DIR", "TEST_TMPDIR"}) {
    const char* value = getenv(var);
    if (value != nullptr && value[0] != '\0') {
      return value;
    }
  }
  return "/tmp";
}

absl::StatusOr<std::string> MakeTempDir(const std::string& prefix) {
  const char* tmp = getenv("TEST_TMPDIR");
  std::string templ =
      absl::StrCat(tmp != nullptr && tmp[0] != '\0' ? tmp : "/tmp", "/", prefix, ".XXXXXX");
  if (mkdtemp(templ.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp ", templ, ": ", strerror(errno)));
  }
  return templ;
}

absl::StatusOr<std::string> HttpGet(int port, const std::string& path,
                                    std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  absl::StatusOr<int> fd = ConnectTcp(port, timeout);
  if (!fd.ok()) {
    return fd.status();
  }
  std::string request = absl::StrCat("GET ", path, " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
  if (send(*fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    close(*fd);
    return absl::UnavailableError("http: short write");
  }
  std::string response;
  char buf[16384];
  while (true) {
    pollfd pfd{*fd, POLLIN, 0};
    if (poll(&pfd, 1, RemainingMs(deadline)) != 1) {
      close(*fd);
      return absl::DeadlineExceededError(absl::StrCat("http GET ", path, ": no response"));
    }
    ssize_t n = recv(*fd, buf, sizeof(buf), 0);
    if (n <= 0) {
      break;
    }
    response.append(buf, static_cast<size_t>(n));
  }
  close(*fd);
  size_t body = response.find("\r\n\r\n");
  if (response.rfind("HTTP/1.", 0) != 0 || body == std::string::npos) {
    return absl::DataLossError(absl::StrCat("http GET ", path, ": malformed response"));
  }
  if (response.compare(9, 3, "200") != 0) {
    return absl::UnavailableError(
        absl::StrCat("http GET ", path, ": ", response.substr(0, response.find('\r'))));
  }
  return response.substr(body + 4);
}

absl::Status WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
  out.close();
  if (!out) {
    return absl::InternalError(absl::StrCat("cannot write ", path));
  }
  return absl::OkStatus();
}

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace lattice::e2e
