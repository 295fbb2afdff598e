// Test-only: a blocking NATS-over-TLS client (INFO in clear, then a TlsSession handshake over a
// real loopback socket), for the server's TLS transport tests.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "dataplane/tls/tls_context.h"
#include "dataplane/tls/tls_session.h"

namespace lattice::server::testing {

// Thread: one test thread.
class TlsTestClient {
 public:
  // Connects to 127.0.0.1:port; rcvbuf > 0 shrinks the receive buffer before connecting.
  TlsTestClient(int port, std::shared_ptr<const tls::TlsContext> context, int rcvbuf = 0);
  ~TlsTestClient();
  TlsTestClient(const TlsTestClient&) = delete;
  TlsTestClient& operator=(const TlsTestClient&) = delete;

  // Reads the clear INFO line (returned), then runs the handshake. False on failure
  // (error() says why).
  bool Start(std::string* info = nullptr);
  // Encrypts and sends all of `bytes`.
  bool Send(std::string_view bytes);
  // Decrypts until `needle` arrives (returns everything through it) or the deadline passes
  // (returns what arrived, without the needle).
  std::string ReadUntil(std::string_view needle,
                        std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Start, CONNECT `json`, PING, and wait for PONG; returns what came before PONG.
  std::string Connect(std::string_view connect_json = R"({"verbose":false})");
  // True once the server closed the connection (close_notify or EOF) before the deadline.
  bool WaitForClose(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  const std::string& error() const { return error_; }
  tls::TlsSession& session() { return *session_; }

 private:
  bool FlushCiphertext();
  // Reads once from the socket into the session; -1 timeout/error, 0 closed.
  int ReadSocket(std::chrono::milliseconds timeout);

  int fd_ = -1;
  std::unique_ptr<tls::TlsSession> session_;
  std::string plain_;
  std::string error_;
  bool closed_ = false;
};

}  // namespace lattice::server::testing
