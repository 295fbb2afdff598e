// RawClient and server start-up helpers for the component tests.
#include "dataplane/server/test_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <thread>

namespace lattice::server::testing {

options::Options TestOptions() {
  options::Options opts;
  opts.host = "127.0.0.1";
  opts.port = -1;
  opts.worker_threads = 2;
  return opts;
}

options::User PasswordUser(const std::string& name, const std::string& account) {
  options::User u;
  u.username = name;
  u.password = "pw";
  u.account = account;
  return u;
}

std::unique_ptr<Server> StartServer(options::Options options) {
  auto server = std::make_unique<Server>(std::move(options));
  absl::Status status = server->Start();
  if (!status.ok()) {
    std::fprintf(stderr, "server start failed: %s\n", std::string(status.message()).c_str());
    std::abort();
  }
  return server;
}

int ConnectLoopback(int port, int rcvbuf) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (rcvbuf > 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

RawClient::RawClient(int port, int rcvbuf) : fd_(ConnectLoopback(port, rcvbuf)) {}

RawClient::~RawClient() {
  if (fd_ >= 0) {
    close(fd_);
  }
}

void RawClient::Send(std::string_view bytes) {
  while (!bytes.empty() && fd_ >= 0) {
    ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) {
      return;
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

int RawClient::ReadSome(std::chrono::milliseconds timeout) {
  if (peer_closed_ || fd_ < 0) {
    return 0;
  }
  pollfd pfd{fd_, POLLIN, 0};
  int rc = poll(&pfd, 1, static_cast<int>(timeout.count()));
  if (rc <= 0) {
    return -1;
  }
  char buf[65536];
  ssize_t n = recv(fd_, buf, sizeof(buf), 0);
  if (n <= 0) {
    peer_closed_ = true;
    return 0;
  }
  buffer_.append(buf, static_cast<size_t>(n));
  return static_cast<int>(n);
}

std::string RawClient::ReadUntil(std::string_view needle, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    size_t pos = buffer_.find(needle);
    if (pos != std::string::npos) {
      std::string out = buffer_.substr(0, pos + needle.size());
      buffer_.erase(0, pos + needle.size());
      return out;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || ReadSome(left) == 0) {
      std::string out = buffer_;
      buffer_.clear();
      return out;
    }
  }
}

std::string RawClient::Sync() {
  Send("PING\r\n");
  std::string out = ReadUntil("PONG\r\n");
  if (out.size() >= 6 && out.compare(out.size() - 6, 6, "PONG\r\n") == 0) {
    out.resize(out.size() - 6);
  }
  return out;
}

bool RawClient::WaitForClose(std::string* rest, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!peer_closed_) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      break;
    }
    ReadSome(left);
  }
  if (rest != nullptr) {
    *rest = buffer_;
  }
  buffer_.clear();
  return peer_closed_;
}

void RawClient::Handshake(std::string_view connect_json) {
  ReadInfo();
  Send("CONNECT " + std::string(connect_json) + "\r\n");
  Sync();
}

}  // namespace lattice::server::testing
