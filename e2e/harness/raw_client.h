// A raw-socket NATS client for exact-bytes protocol checks in e2e tests.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

#include "e2e/harness/eventually.h"

namespace lattice::e2e {

// One server->client protocol op as received.
struct RawOp {
  std::string verb;     // First token, upper-cased: INFO, MSG, HMSG, PING, PONG, +OK, -ERR.
  std::string line;     // The control line without its CRLF.
  std::string payload;  // MSG/HMSG only: the payload bytes (header block included for HMSG).
};

// Speaks the NATS client protocol byte by byte over a blocking loopback socket, so tests can send
// malformed input and check the exact reply and whether the server closed the connection.
// Server PINGs are answered automatically unless auto_pong is turned off.
// Owned by one test. Thread: one thread at a time.
//
//   ASSERT_OK_AND_ASSIGN(auto c, RawClient::Connect(server->port()));
//   ASSERT_OK(c->ReadInfo().status());
//   c->Send("CONNECT {}\r\n");
//   EXPECT_EQ(c->ReadOp()->line, "+OK");
class RawClient {
 public:
  static absl::StatusOr<std::unique_ptr<RawClient>> Connect(
      int port, std::chrono::milliseconds timeout = kDefaultWait);
  // Connect, read INFO, send `CONNECT <connect_json>` and PING, and wait for the PONG.
  static absl::StatusOr<std::unique_ptr<RawClient>> ConnectAndHandshake(
      int port, const std::string& connect_json = R"({"verbose":false,"pedantic":false})");
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  // Reads the first op and parses its JSON; fails when it is not an INFO with an object.
  absl::StatusOr<nlohmann::json> ReadInfo(std::chrono::milliseconds timeout = kDefaultWait);
  // The exact bytes of the INFO line read by ReadInfo, CRLF included.
  const std::string& info_line() const { return info_line_; }

  // Writes all bytes; kUnavailable when the peer has closed.
  absl::Status Send(std::string_view bytes);

  // Reads one op. kDeadlineExceeded on timeout, kUnavailable when the server closed the
  // connection before a complete op arrived.
  absl::StatusOr<RawOp> ReadOp(std::chrono::milliseconds timeout = kDefaultWait);
  // Reads ops until one whose verb is `verb`; returns every op read, that one last.
  absl::StatusOr<std::vector<RawOp>> ReadUntil(std::string_view verb,
                                               std::chrono::milliseconds timeout = kDefaultWait);
  // Sends PING and returns the ops that arrived before its PONG (the server answers in order,
  // so everything caused by earlier input is in the result).
  absl::StatusOr<std::vector<RawOp>> Sync(std::chrono::milliseconds timeout = kDefaultWait);

  // Reads until the server closes the connection (true) or `timeout` passes (false). Ops read on
  // the way are appended to drained().
  bool WaitClosed(std::chrono::milliseconds timeout = kDefaultWait);
  const std::vector<RawOp>& drained() const { return drained_; }
  // Bytes received but not yet parsed into an op (e.g. after a close mid-frame).
  const std::string& pending_bytes() const { return buffer_; }
  bool closed() const { return closed_; }

  void set_auto_pong(bool on) { auto_pong_ = on; }
  int fd() const { return fd_; }

 private:
  explicit RawClient(int fd) : fd_(fd) {}
  // Tries to parse one op from buffer_; false when more bytes are needed.
  bool ParseOp(RawOp* op);
  // Reads more bytes before `deadline`: kOk, kDeadlineExceeded, or kUnavailable on close.
  absl::Status Fill(std::chrono::steady_clock::time_point deadline);

  int fd_;
  std::string buffer_;
  std::string info_line_;
  std::vector<RawOp> drained_;
  bool closed_ = false;
  bool auto_pong_ = true;
};

// Formats an op list for failure messages.
std::string DescribeOps(const std::vector<RawOp>& ops);

}  // namespace lattice::e2e
