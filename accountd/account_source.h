// Where accountd's accounts come from: a small interface over the control plane or a directory.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace lattice::accountd {

// Receives a source's feed. Implemented by Resolver (which writes into the AccountCache).
// Thread: called from the source's own thread, one call at a time.
class AccountSink {
 public:
  virtual ~AccountSink() = default;
  // The complete set of account JWTs the source holds now; replaces everything.
  virtual void OnSnapshot(const std::vector<std::string>& jwts) = 0;
  // One account added or changed.
  virtual void OnUpsert(const std::string& jwt) = 0;
  // One account deleted (or tombstoned) at the source.
  virtual void OnDelete(const std::string& public_key) = 0;
  // Whether the source is reachable; while it is not, the cache keeps serving what it has.
  virtual void OnConnected(bool connected) = 0;
};

// A feed of account JWTs plus a write path. Owned by main; outlives the sink's use of it.
// Thread: Start/Stop from the owner; Post from any thread (HTTP and NATS handlers).
class AccountSource {
 public:
  virtual ~AccountSource() = default;
  // Begins delivering to `sink` (a snapshot first, then changes) and returns without waiting
  // for the source to be reachable.
  virtual absl::Status Start(AccountSink* sink) = 0;
  // Stops delivering; no sink call happens after it returns.
  virtual void Stop() = 0;
  // Writes an already validated account JWT to the source of truth. Unavailable when the
  // source cannot be reached; the caller must then not report the write as saved.
  virtual absl::Status Post(const std::string& public_key, const std::string& jwt) = 0;
  // "dir /path" or "control host:port" for logs and /healthz.
  virtual std::string Describe() const = 0;
};

}  // namespace lattice::accountd
