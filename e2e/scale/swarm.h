// ConnectionSwarm: thousands of raw NATS client connections driven by one epoll loop.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace lattice::e2e {

// Raises RLIMIT_NOFILE's soft limit to the hard limit; returns the new soft limit. Children
// started afterwards (the server under test) inherit it.
absl::StatusOr<size_t> RaiseFileLimit();

// Opens many client connections to one server and completes the NATS handshake on all of
// them at once: each connection sends CONNECT + PING as soon as TCP connects and is done when
// it has read the server's INFO and the PONG. After Open, connections are idle and can be
// driven one at a time (Send / ReadUntil).
// Owned by one test. Thread: the test's main thread.
class ConnectionSwarm {
 public:
  struct Options {
    int port = 0;
    size_t count = 0;
    // Handshakes in progress at once; keeps the server's accept backlog from overflowing
    // (an overflow only costs a SYN retransmit, but a slow one).
    size_t max_in_flight = 512;
    // Bounds waiting for the whole swarm; never asserted as a duration.
    std::chrono::milliseconds deadline{180000};
    std::string connect_json = R"({"verbose":false,"pedantic":false,"name":"swarm"})";
  };

  // Fails (and closes what it opened) when any connection is refused, closed, gets -ERR or an
  // unexpected greeting, or the deadline passes; the status says how many completed.
  static absl::StatusOr<std::unique_ptr<ConnectionSwarm>> Open(const Options& options);
  ~ConnectionSwarm();
  ConnectionSwarm(const ConnectionSwarm&) = delete;
  ConnectionSwarm& operator=(const ConnectionSwarm&) = delete;

  size_t size() const { return fds_.size(); }

  // Writes all of `bytes` on connection `i` (waiting for socket space, bounded by `timeout`).
  absl::Status Send(size_t i, std::string_view bytes,
                    std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));
  // Reads from connection `i` until `marker` has appeared in what it received since the last
  // ReadUntil; returns that text up to and including the marker and keeps the rest.
  absl::StatusOr<std::string> ReadUntil(
      size_t i, std::string_view marker,
      std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));
  // Closes every connection (idempotent).
  void CloseAll();

 private:
  explicit ConnectionSwarm(std::vector<int> fds);

  std::vector<int> fds_;
  std::vector<std::string> pending_;  // received, not yet returned by ReadUntil
};

}  // namespace lattice::e2e
