// The control plane's state machine storage: typed key spaces, a revision per applied write,
// and an audit trail. Every write arrives as one Mutation batch stamped with its revision (the
// Raft index once replication lands), so replaying the same batch twice is detected, not
// applied twice.
//
//   LATTICE_ASSIGN_OR_RETURN(auto store, RocksStore::Open("/var/lib/lattice/control"));
//   Batch batch{.revision = store->revision() + 1, .actor = "admin@token"};
//   batch.mutations.push_back(Mutation::Put(Kind::kAccount, key, serialized));
//   LATTICE_RETURN_IF_ERROR(store->Apply(batch));
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace lattice::store {

// One key space (a RocksDB column family) per kind of object.
enum class Kind : uint8_t {
  kOperator,
  kAccount,
  kCluster,
  kNode,
  kGateway,
  kLeafRemote,
  kSigningKey,
  kReplica,  // the Raft replica set's addresses (replication::ReplicaRecord), never watched
};
inline constexpr Kind kAllKinds[] = {Kind::kOperator,   Kind::kAccount, Kind::kCluster,
                                     Kind::kNode,       Kind::kGateway, Kind::kLeafRemote,
                                     Kind::kSigningKey, Kind::kReplica};
std::string_view KindName(Kind kind);

struct Mutation {
  Kind kind;
  std::string key;
  std::optional<std::string> value;  // nullopt deletes the key

  static Mutation Put(Kind kind, std::string key, std::string value) {
    return Mutation{kind, std::move(key), std::move(value)};
  }
  static Mutation Delete(Kind kind, std::string key) {
    return Mutation{kind, std::move(key), std::nullopt};
  }
};

// A write as applied: all mutations land atomically with the new revision and an audit record.
struct Batch {
  uint64_t revision = 0;  // must be exactly revision() + 1
  std::string actor;      // who asked for the change (token name, mTLS subject)
  std::string reason;     // what the admin API call was, for the audit trail
  int64_t unix_nanos = 0;
  std::vector<Mutation> mutations;
};

struct Entry {
  std::string key;
  std::string value;
};

struct AuditRecord {
  uint64_t revision = 0;
  std::string actor;
  std::string reason;
  int64_t unix_nanos = 0;
  std::vector<std::string> changed;  // "account/ABC..." style names, deletions prefixed by '-'
};

// Payloads (absl::Status::SetPayload) on Apply errors of a replicated store:
// the leader's admin address ("host:port") when this replica is not the leader,
inline constexpr char kLeaderPayload[] = "type.lattice.dev/leader";
// and a marker that nothing was written and the write may be validated and tried again.
inline constexpr char kRetryPayload[] = "type.lattice.dev/retry";

// Thread: any; implementations serialise writes internally.
class Store {
 public:
  virtual ~Store() = default;

  // Applies `batch` atomically. FailedPrecondition if batch.revision != revision() + 1.
  virtual absl::Status Apply(const Batch& batch) = 0;
  virtual uint64_t revision() const = 0;

  virtual absl::StatusOr<std::optional<std::string>> Get(Kind kind, std::string_view key) const = 0;
  // Keys in order, starting strictly after `after` (empty = from the start), at most `limit`.
  virtual absl::StatusOr<std::vector<Entry>> List(Kind kind, std::string_view after,
                                                  size_t limit) const = 0;
  // Audit records with revision > `after`, oldest first, at most `limit`.
  virtual absl::StatusOr<std::vector<AuditRecord>> Audit(uint64_t after, size_t limit) const = 0;

  // A consistent on-disk copy in `dir` (must not exist), for Raft snapshots and backups.
  virtual absl::Status Checkpoint(const std::string& dir) const = 0;
};

}  // namespace lattice::store
