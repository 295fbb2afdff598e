// A bounded ring of recently closed client connections, for /connz?state=closed|all.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/base/mutex.h"
#include "dataplane/server/client_session.h"
#include "dataplane/server/connection.h"

namespace lattice::server {

// nats-server's default max_closed_clients.
inline constexpr size_t kMaxClosedClients = 10000;

// One connection as it was when it closed.
struct ClosedConnection {
  ConnectionSnapshot snapshot;
  int64_t stop_unix_nanos = 0;
  CloseReason reason = CloseReason::kClientClosed;
};

// Keeps the last `capacity` closed connections; older ones are overwritten. Owned by the
// Server. Thread: any (internally locked; Add runs on worker loops, All on HTTP threads).
class ClosedConnections {
 public:
  explicit ClosedConnections(size_t capacity) : capacity_(capacity) {}
  ClosedConnections(const ClosedConnections&) = delete;
  ClosedConnections& operator=(const ClosedConnections&) = delete;

  void Add(ClosedConnection closed);
  // Oldest first.
  std::vector<ClosedConnection> All() const;
  size_t capacity() const { return capacity_; }

 private:
  const size_t capacity_;
  mutable Mutex mu_;
  std::vector<ClosedConnection> ring_ ABSL_GUARDED_BY(mu_);
  size_t next_ ABSL_GUARDED_BY(mu_) = 0;  // slot the next Add overwrites once the ring is full
};

}  // namespace lattice::server
