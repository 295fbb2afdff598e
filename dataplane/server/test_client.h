// Test-only helpers: a raw-socket NATS client that reads exact bytes with deadlines, and a
// fixture-friendly way to run an in-process Server on an ephemeral port.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "common/testing/eventually.h"
#include "dataplane/options/options.h"
#include "dataplane/server/server.h"

namespace lattice::server::testing {

// Options for an in-process test server: loopback, ephemeral port, two workers.
options::Options TestOptions();

// A user `name` with password "pw" in `account`, as the tests' account configs declare them.
options::User PasswordUser(const std::string& name, const std::string& account);

// Starts `options` on an ephemeral port; aborts the test binary if it cannot.
std::unique_ptr<Server> StartServer(options::Options options = TestOptions());

// A blocking socket connected to 127.0.0.1:port (rcvbuf > 0 shrinks its receive buffer first,
// to make a slow consumer); -1 when the connection fails.
int ConnectLoopback(int port, int rcvbuf = 0);

// A blocking TCP client with receive deadlines. Thread: one test thread.
class RawClient {
 public:
  // Connects to 127.0.0.1:port; rcvbuf > 0 shrinks the receive buffer before connecting.
  explicit RawClient(int port, int rcvbuf = 0);
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return fd_ >= 0; }
  void Send(std::string_view bytes);

  // Reads until the received data contains `needle` (then returns everything up to and
  // including it, keeping the rest buffered) or the deadline passes (returns what arrived,
  // marked by a missing needle).
  std::string ReadUntil(std::string_view needle,
                        std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // Reads the INFO line.
  std::string ReadInfo() { return ReadUntil("\r\n"); }
  // Sends PING and returns everything received before the matching PONG.
  std::string Sync();
  // True when the server closes the socket before the deadline; `rest` gets what arrived.
  bool WaitForClose(std::string* rest = nullptr,
                    std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // Connects, reads INFO and sends CONNECT `json` followed by a PING/PONG round trip.
  void Handshake(std::string_view connect_json = R"({"verbose":false})");
  const std::string& buffered() const { return buffer_; }

 private:
  // Reads once with a timeout; returns bytes read, 0 on close, -1 on timeout/error.
  int ReadSome(std::chrono::milliseconds timeout);

  int fd_ = -1;
  std::string buffer_;
  bool peer_closed_ = false;
};

using ::lattice::testutil::Eventually;

}  // namespace lattice::server::testing
