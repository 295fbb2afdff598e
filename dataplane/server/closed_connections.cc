// ClosedConnections: a mutex-guarded ring buffer.
#include "dataplane/server/closed_connections.h"

#include <utility>

namespace lattice::server {

void ClosedConnections::Add(ClosedConnection closed) {
  if (capacity_ == 0) {
    return;
  }
  MutexLock lock(&mu_);
  if (ring_.size() < capacity_) {
    ring_.push_back(std::move(closed));
    return;
  }
  ring_[next_] = std::move(closed);
  next_ = (next_ + 1) % capacity_;
}

std::vector<ClosedConnection> ClosedConnections::All() const {
  MutexLock lock(&mu_);
  std::vector<ClosedConnection> out;
  out.reserve(ring_.size());
  // Once full, next_ is the oldest entry.
  for (size_t i = 0; i < ring_.size(); ++i) {
    out.push_back(ring_[(next_ + i) % ring_.size()]);
  }
  return out;
}

}  // namespace lattice::server
