// A minimal non-blocking NATS client connection for lattice-bench (not libnats: no locks, no
// per-message allocation, caller-driven batching).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "tools/bench/server_parser.h"

namespace lattice::bench {

struct Endpoint {
  std::string host = "127.0.0.1";
  uint16_t port = 4222;
  // Sent in CONNECT as "user"/"pass" when `user` is not empty.
  std::string user;
  std::string pass;
};

// Accepts `nats://[user[:pass]@]host:port`, `host:port` or `host` (port 4222). IPv4 literals
// and names that resolve locally. Credentials are taken verbatim (no percent-decoding).
absl::StatusOr<Endpoint> ParseUrl(std::string_view url);

struct ConnectOptions {
  std::string name = "lattice-bench";
  bool echo = true;
  bool headers = true;
};

enum class IoResult : uint8_t { kOk, kClosed, kError };

// One client connection: a socket, an outbound byte buffer and an inbound buffer that is parsed
// in place. Owned by one scenario thread. Thread: single owner.
class Conn {
 public:
  Conn() = default;
  ~Conn();
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  // Connects, sends CONNECT (verbose off) and PING, and returns once the PONG arrives, so the
  // server has fully registered the client. The socket stays non-blocking afterwards.
  absl::Status Open(const Endpoint& ep, const ConnectOptions& opts, absl::Duration timeout);
  void Close();

  // Queues bytes; nothing is written until Flush().
  void Append(std::string_view bytes) { out_.append(bytes.data(), bytes.size()); }
  std::string& out() { return out_; }
  size_t pending_out() const { return out_.size() - out_pos_; }

  // Writes as much of the queued bytes as the socket takes without blocking.
  IoResult Flush();
  // Reads what is available (bounded number of reads) and feeds complete ops to `sink`.
  IoResult ReadAndParse(ServerOpSink& sink);
  // poll() on this socket: readable, or writable while output is pending. Returns the revents
  // (0 on timeout).
  short Wait(int timeout_ms);
  // Flushes everything, sends PING and processes input until the matching PONG (counted by
  // `pongs`, which the sink increments) or until `timeout` passes.
  absl::Status RoundTrip(ServerOpSink& sink, const uint64_t& pongs, absl::Duration timeout);

  // Grows the read buffer up front for high-rate connections.
  void ReserveReadBuffer(size_t bytes);
  int fd() const { return fd_; }
  const std::string& last_error() const { return error_; }

 private:
  int fd_ = -1;
  std::string out_;
  size_t out_pos_ = 0;
  std::unique_ptr<char[]> in_;
  size_t in_cap_ = 0;
  size_t in_start_ = 0;
  size_t in_end_ = 0;
  ServerParser parser_;
  std::string error_;
};

// Sink with the bookkeeping every scenario needs: answers server PINGs, counts PONGs, remembers
// the first -ERR. Scenarios override OnMsg. Thread: the connection's owner.
class BasicSink : public ServerOpSink {
 public:
  explicit BasicSink(Conn* conn) : conn_(conn) {}
  void OnMsg(const MsgView& msg) override { ++msgs_; }
  void OnPing() override { conn_->Append("PONG\r\n"); }
  void OnPong() override { ++pongs_; }
  void OnErr(std::string_view text) override {
    if (err_.empty()) {
      err_.assign(text.data(), text.size());
    }
  }
  const uint64_t& pongs() const { return pongs_; }
  uint64_t msgs() const { return msgs_; }
  const std::string& err() const { return err_; }

 protected:
  Conn* conn_;
  uint64_t pongs_ = 0;
  uint64_t msgs_ = 0;
  std::string err_;
};

}  // namespace lattice::bench
