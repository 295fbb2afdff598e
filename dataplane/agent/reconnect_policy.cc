// ReconnectPolicy: round robin over the replicas, backoff per failed sweep.
#include "dataplane/agent/reconnect_policy.h"

#include <algorithm>

namespace lattice::agent {

ReconnectPolicy::ReconnectPolicy(size_t address_count, std::chrono::milliseconds initial,
                                 std::chrono::milliseconds max)
    : count_(std::max<size_t>(address_count, 1)), initial_(initial), max_(max), backoff_(initial) {}

std::chrono::milliseconds ReconnectPolicy::Next(bool registered) {
  index_ = (index_ + 1) % count_;
  if (registered) {
    backoff_ = initial_;
    failed_in_sweep_ = 0;
    return initial_;
  }
  if (++failed_in_sweep_ < count_)
    return std::chrono::milliseconds(0);  // the rest of this sweep goes on at once
  failed_in_sweep_ = 0;
  const std::chrono::milliseconds pause = backoff_;
  backoff_ = std::min(backoff_ * 2, max_);
  return pause;
}

}  // namespace lattice::agent
