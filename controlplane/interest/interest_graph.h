// InterestGraph: the control plane's in-memory view of what each node's clients subscribe to,
// built from the nodes' sequenced snapshots and deltas (soft state: never in Raft or RocksDB; a
// new leader rebuilds it from the snapshots nodes send when they re-register).
//
//   InterestGraph graph;
//   graph.Open("n1", "east", session);
//   ApplyOutcome out = graph.Apply("n1", session, delta);   // kResync: ask the node to snapshot
//   absl::StatusOr<v1::QueryInterestResponse> r = graph.Query(request);
//   graph.Close("n1", session);                              // its stream ended
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <tuple>

#include "absl/status/statusor.h"

#include "common/base/mutex.h"
#include "lattice/control/v1/admin.pb.h"
#include "lattice/control/v1/node_sync.pb.h"

namespace lattice::interest {

namespace v1 = ::lattice::control::v1;

// Milliseconds since the epoch; injectable for tests.
using NowMsFn = std::function<int64_t()>;
int64_t SystemNowMs();

// Entries a query returns when the request's limit is 0, and the most it ever returns (a larger
// answer would pass gRPC's default 4 MiB message size).
inline constexpr uint32_t kDefaultQueryLimit = 1000;
inline constexpr uint32_t kMaxQueryLimit = 10000;

enum class ApplyResult : uint8_t {
  kApplied,  // the delta (or snapshot) is in the graph
  kResync,   // sequence gap or delta before a snapshot: the node's entries were dropped; send
             // it an InterestResync
  kDropped,  // a resync is already pending (deltas still in flight), or the session is not the
             // node's current one: nothing changed, nothing to send
};

struct ApplyOutcome {
  ApplyResult result = ApplyResult::kDropped;
  std::string reason;  // why a resync is needed (for the InterestResync and the log)
  int rejected = 0;    // malformed changes skipped (bad account, subject or weight)
};

// Owned by ControlServer; the NodeSync streams write to it and Admin's QueryInterest reads it.
// Thread: any; every method takes mu_ (queries hold it while they walk the narrowed index, and
// copy only what they return).
class InterestGraph {
 public:
  explicit InterestGraph(NowMsFn now = SystemNowMs) : now_(std::move(now)) {}

  // A registered stream `session` (unique per stream, increasing) now speaks for `node_id`.
  // Whatever an older session of the node reported is dropped: the node sends a snapshot next.
  void Open(const std::string& node_id, const std::string& cluster, uint64_t session);

  // Applies one InterestDelta of the node's session. A snapshot is accepted at any sequence,
  // replaces the node's entries and restarts the count; a delta must carry last sequence + 1
  // after a snapshot, otherwise the node's entries are dropped and kResync is returned (once:
  // later deltas are kDropped until the snapshot arrives).
  ApplyOutcome Apply(const std::string& node_id, uint64_t session, const v1::InterestDelta& delta);

  // The stream of `session` ended: drops the node's entries and state, unless a newer session of
  // the node has opened since (then nothing changes).
  void Close(const std::string& node_id, uint64_t session);

  // Entries matching the request's filters, sorted by account, subject, queue, node, at most
  // the request's limit (truncated set when more matched); every live node session (with
  // snapshot_unix_ms 0 while its snapshot has not arrived: after Open or a resync); the graph
  // version. InvalidArgument when `subject` is not a valid literal subject.
  absl::StatusOr<v1::QueryInterestResponse> Query(const v1::QueryInterestRequest& req) const;

  // Bumped by every operation that changed the entries or the node sessions.
  uint64_t version() const;

 private:
  // (account, subject, queue) in a node's table; (subject, queue, node) in an account's index.
  using NodeKey = std::tuple<std::string, std::string, std::string>;
  using IndexKey = std::tuple<std::string, std::string, std::string>;

  struct Session {
    std::string cluster;
    uint64_t session = 0;
    uint64_t sequence = 0;
    bool has_snapshot = false;
    bool resync_pending = false;
    int64_t snapshot_ms = 0;
    int64_t updated_ms = 0;
    std::map<NodeKey, int32_t> entries;
  };

  // Removes every entry of `node_id` (`s` is its session) from both tables.
  void DropEntriesLocked(const std::string& node_id, Session& s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Sets (weight > 0) or removes one entry; true when the graph changed.
  bool SetLocked(const std::string& node_id, Session& s, const v1::InterestChange& change)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const NowMsFn now_;
  mutable Mutex mu_;
  uint64_t version_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, Session> nodes_ ABSL_GUARDED_BY(mu_);
  // account -> (subject, queue, node) -> weight: the per-account index queries walk in order.
  std::map<std::string, std::map<IndexKey, int32_t>> by_account_ ABSL_GUARDED_BY(mu_);
};

}  // namespace lattice::interest
