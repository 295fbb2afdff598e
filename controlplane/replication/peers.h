// Replica addresses: the --peers flag of lattice-control and the id -> Admin address directory
// used to point clients at the leader.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

#include "common/base/mutex.h"

namespace lattice::replication {

struct PeerSpec {
  uint64_t id = 0;
  std::string raft_address;   // host:port
  std::string admin_address;  // host:port of its Admin API; may be empty
};

// Parses "id=raft_host:port[@admin_host:port],..." (ids > 0 and unique, addresses host:port).
absl::StatusOr<std::vector<PeerSpec>> ParsePeers(const std::string& spec);

// Owned by the control-plane process. Thread: any.
class AdminDirectory {
 public:
  void Set(uint64_t id, std::string admin_address);
  std::string Get(uint64_t id) const;  // empty when unknown

 private:
  mutable Mutex mu_;
  std::map<uint64_t, std::string> addresses_ ABSL_GUARDED_BY(mu_);
};

}  // namespace lattice::replication
