// TlsTestClient: blocking socket + client TlsSession for the server's TLS tests.
#include "dataplane/server/tls_test_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "dataplane/server/test_client.h"

namespace lattice::server::testing {

TlsTestClient::TlsTestClient(int port, std::shared_ptr<const tls::TlsContext> context, int rcvbuf) {
  auto session =
      tls::TlsSession::Create(std::move(context), tls::TlsSession::Role::kClient, "localhost");
  if (!session.ok()) {
    error_ = std::string(session.status().message());
    return;
  }
  session_ = *std::move(session);
  fd_ = ConnectLoopback(port, rcvbuf);
  if (fd_ < 0) {
    error_ = "connect failed";
  }
}

TlsTestClient::~TlsTestClient() {
  if (fd_ >= 0) {
    close(fd_);
  }
}

int TlsTestClient::ReadSocket(std::chrono::milliseconds timeout) {
  pollfd p{fd_, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(timeout.count())) <= 0) {
    return -1;
  }
  constexpr size_t kChunk = 64 * 1024;
  ssize_t n = read(fd_, session_->InputBuffer(kChunk), kChunk);
  if (n <= 0) {
    closed_ = true;
    return 0;
  }
  session_->CommitInput(static_cast<size_t>(n));
  return static_cast<int>(n);
}

bool TlsTestClient::FlushCiphertext() {
  while (session_->pending_ciphertext_bytes() > 0) {
    std::string_view out = session_->PendingCiphertext();
    ssize_t n = send(fd_, out.data(), out.size(), MSG_NOSIGNAL);
    if (n <= 0) {
      error_ = "send failed";
      return false;
    }
    session_->ConsumeCiphertext(static_cast<size_t>(n));
  }
  return true;
}

bool TlsTestClient::Start(std::string* info) {
  if (fd_ < 0) {
    return false;
  }
  // INFO arrives in clear; read it byte by byte so no TLS byte is swallowed with it.
  std::string line;
  while (line.size() < 2 || line.compare(line.size() - 2, 2, "\r\n") != 0) {
    pollfd p{fd_, POLLIN, 0};
    char c;
    if (poll(&p, 1, 5000) <= 0 || read(fd_, &c, 1) != 1) {
      error_ = "no INFO";
      return false;
    }
    line.push_back(c);
  }
  if (info != nullptr) {
    *info = line;
  }
  for (;;) {
    tls::TlsResult r = session_->Handshake();
    if (!FlushCiphertext()) {
      return false;
    }
    if (r == tls::TlsResult::kError || r == tls::TlsResult::kClosed) {
      error_ = session_->error().empty() ? "handshake failed" : session_->error();
      return false;
    }
    if (session_->HandshakeDone()) {
      return true;
    }
    if (ReadSocket(std::chrono::seconds(5)) <= 0) {
      error_ = "connection closed during handshake";
      return false;
    }
  }
}

bool TlsTestClient::Send(std::string_view bytes) {
  if (session_->WritePlaintext(bytes) != tls::TlsResult::kOk) {
    error_ = session_->error();
    return false;
  }
  return FlushCiphertext();
}

std::string TlsTestClient::ReadUntil(std::string_view needle, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    char buf[16 * 1024];
    size_t n = 0;
    tls::TlsResult r;
    do {
      r = session_->ReadPlaintext(buf, sizeof(buf), &n);
      plain_.append(buf, n);
    } while (n > 0);
    FlushCiphertext();
    size_t at = plain_.find(needle);
    if (at != std::string::npos) {
      std::string out = plain_.substr(0, at + needle.size());
      plain_.erase(0, at + needle.size());
      return out;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (r == tls::TlsResult::kClosed || r == tls::TlsResult::kError || closed_ ||
        left.count() <= 0 || ReadSocket(left) <= 0) {
      std::string out;
      out.swap(plain_);
      return out;
    }
  }
}

std::string TlsTestClient::Connect(std::string_view connect_json) {
  if (!Start()) {
    return "";
  }
  Send("CONNECT " + std::string(connect_json) + "\r\nPING\r\n");
  return ReadUntil("PONG\r\n");
}

bool TlsTestClient::WaitForClose(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    char buf[4096];
    size_t n = 0;
    tls::TlsResult r = session_->ReadPlaintext(buf, sizeof(buf), &n);
    if (r == tls::TlsResult::kClosed || closed_) {
      return true;
    }
    if (n == 0 && ReadSocket(std::chrono::milliseconds(100)) == 0) {
      return true;
    }
  }
  return false;
}

}  // namespace lattice::server::testing
