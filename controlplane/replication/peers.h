// Replica addresses: the --peers flag of lattice-control and the id -> Admin address directory
// used to point clients at the leader.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

#include "common/base/mutex.h"
#include "controlplane/raft/store_state_machine.h"
#include "controlplane/store/store.h"

namespace lattice::replication {

struct PeerSpec {
  uint64_t id = 0;
  std::string raft_address;   // host:port
  std::string admin_address;  // host:port of its Admin API; may be empty
};

// Parses "id=raft_host:port[@admin_host:port],..." (ids > 0 and unique, addresses host:port).
absl::StatusOr<std::vector<PeerSpec>> ParsePeers(const std::string& spec);

// The replica set as replicated state: one store::Kind::kReplica entry per replica, keyed by
// ReplicaKey(id), whose value is a serialized control.v1.ReplicaInfo holding id, raft_address and
// admin_address (the other fields are progress, never stored). Written by the leader through the
// Raft log (AddReplica, RemoveReplica, the first write of each term), so every replica can name
// any member's Admin address.
std::string ReplicaKey(uint64_t id);  // 20 decimal digits, so keys sort by id
store::Mutation PutReplicaRecord(const PeerSpec& peer);
store::Mutation DeleteReplicaRecord(uint64_t id);
// The record of `id` in `store` (nullopt when absent or unreadable).
std::optional<PeerSpec> ReadReplicaRecord(const store::Store& store, uint64_t id);

// Replica id -> Admin address: the replicated records first (once a store is attached), then
// what this process was told locally (--peers, --advertise, AddReplica it handled).
// Owned by the control-plane process. Thread: any.
class AdminDirectory {
 public:
  // `machine` outlives the directory; set once before serving.
  void AttachStore(const raft::StoreStateMachine* machine) { machine_ = machine; }
  void Set(uint64_t id, std::string admin_address);
  std::string Get(uint64_t id) const;       // empty when unknown
  std::string GetLocal(uint64_t id) const;  // the local knowledge only

 private:
  const raft::StoreStateMachine* machine_ = nullptr;
  mutable Mutex mu_;
  std::map<uint64_t, std::string> addresses_ ABSL_GUARDED_BY(mu_);
};

}  // namespace lattice::replication
