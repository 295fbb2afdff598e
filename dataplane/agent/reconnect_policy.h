// ReconnectPolicy: which control-plane replica the node agent dials next, and how long it waits.
#pragma once

#include <chrono>
#include <cstddef>

namespace lattice::agent {

// Failover order and backoff of the NodeSync client. Attempts go round robin over the replica
// list. Failed attempts within one sweep of the list follow each other without a pause (a dead
// replica refuses in well under a millisecond, and a follower without a leader answers at once),
// so one dead or leaderless replica never delays trying the others; after a whole sweep failed,
// the agent waits `backoff` (doubling from `initial` to `max` per failed sweep). A session that
// reached Registered resets the backoff and is followed by a pause of `initial` only, so after a
// leader dies the node starts sweeping at once and re-registers within about one backoff step of
// the next election.
//
//   ReconnectPolicy policy(addresses.size(), 100ms, 5s);
//   for (;;) { bool ok = RunSession(addresses[policy.index()]); Sleep(Jitter(policy.Next(ok))); }
//
// Value type. Thread: the agent thread only.
class ReconnectPolicy {
 public:
  ReconnectPolicy(size_t address_count, std::chrono::milliseconds initial,
                  std::chrono::milliseconds max);

  // The address to dial now (index into the replica list).
  size_t index() const { return index_; }
  // Records how the attempt on index() ended (`registered`: it reached Registered), moves to the
  // next address and returns the pause before dialling it (the caller may shorten it by jitter).
  std::chrono::milliseconds Next(bool registered);

 private:
  size_t count_;
  std::chrono::milliseconds initial_;
  std::chrono::milliseconds max_;
  std::chrono::milliseconds backoff_;
  size_t index_ = 0;
  size_t failed_in_sweep_ = 0;  // consecutive failed attempts since the last sweep pause
};

}  // namespace lattice::agent
