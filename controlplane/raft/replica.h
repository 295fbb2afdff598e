// Replica: one member of the control plane's Raft group (libraft + libuv TCP + on-disk log).
//
// A Replica owns a libuv loop thread that runs libraft, its libuv TCP transport and its on-disk
// log; the StateMachine it drives is applied on that thread. Callers on any other thread submit
// work through a queue and a uv_async wakeup and get the outcome through a callback (run on the
// loop thread) or a std::future.
//
//   StoreStateMachine machine(...);
//   Replica replica(machine);
//   LATTICE_RETURN_IF_ERROR(replica.Start({.id = 1, .address = "10.0.0.1:7100",
//                                          .data_dir = "/var/lib/lattice/raft",
//                                          .bootstrap = {{1, "10.0.0.1:7100"}, ...}}));
//   ProposeResult result = replica.Propose(EncodeBatch(batch)).get();
//   if (result.code == ProposeCode::kNotLeader) { /* forward to result.leader */ }
#pragma once

#include <cstdint>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"

#include "controlplane/raft/state_machine.h"

namespace lattice::raft {

struct Peer {
  uint64_t id = 0;      // > 0, unique in the group, never reused for a different data directory
  std::string address;  // "host:port" the replica listens on and peers dial
};

struct ReplicaConfig {
  uint64_t id = 0;
  std::string address;
  std::string data_dir;  // libraft's segments, metadata and snapshots; created if missing
  // The initial voters, identical on each of them; used only when `data_dir` holds no Raft state
  // yet (otherwise ignored). Empty for a replica that joins an existing group through AddVoter.
  std::vector<Peer> bootstrap;
  unsigned election_timeout_ms = 1000;
  unsigned heartbeat_timeout_ms = 100;
  unsigned snapshot_threshold = 1024;  // applied entries between snapshots (then the log is cut)
  unsigned snapshot_trailing = 128;    // entries kept behind a snapshot for slightly lagging peers
};

enum class ProposeCode : uint8_t {
  kCommitted,       // committed and applied locally at `index`; `verdict` is Apply's result
  kNotLeader,       // not submitted: `leader` is the leader this replica knows of (id 0: none)
  kLeadershipLost,  // submitted but leadership was lost before commit: outcome unknown
  kShutdown,        // the replica is stopping or not started
  kFailed,          // libraft refused it (too big, I/O error); see `error`
};

struct ProposeResult {
  ProposeCode code = ProposeCode::kFailed;
  uint64_t index = 0;
  absl::Status verdict;
  Peer leader;
  std::string error;
};

enum class Role : uint8_t { kUnavailable, kFollower, kCandidate, kLeader };

struct MemberProgress {
  uint64_t id = 0;
  std::string address;
  bool voter = false;
  uint64_t match_index = 0;  // highest index known replicated there (leader's view only)
};

struct ReplicaStats {
  Role role = Role::kUnavailable;
  uint64_t term = 0;
  uint64_t commit_index = 0;
  uint64_t applied_index = 0;
  uint64_t last_index = 0;      // last entry in the local log
  uint64_t snapshot_index = 0;  // last snapshot taken or installed (0: none)
  uint64_t snapshots_restored = 0;
  Peer leader;
  std::vector<MemberProgress> members;  // the current configuration; match_index on a leader
};

// Owned by the control-plane process (one per process). Not copyable or movable.
// Thread: every public method is safe from any thread except the loop thread itself for the
// blocking ones (the future-returning overloads' .get(), Stop). Callbacks run on the loop
// thread, as do all StateMachine calls; they must not block on this Replica.
class Replica {
 public:
  using ProposeCallback = absl::AnyInvocable<void(ProposeResult)>;
  using StatusCallback = absl::AnyInvocable<void(absl::Status)>;

  explicit Replica(StateMachine& machine);
  ~Replica();  // Stop()s
  Replica(const Replica&) = delete;
  Replica& operator=(const Replica&) = delete;

  // Opens the log in config.data_dir (bootstrapping it when pristine and config.bootstrap is set),
  // starts listening on config.address and starts the loop thread. Once per Replica. The first
  // Start in a process sets SIGPIPE to ignored (lost peers must surface as EPIPE).
  absl::Status Start(const ReplicaConfig& config);
  // Leaves the group's traffic (not its membership), fails pending requests with kShutdown, joins
  // the loop thread. Idempotent.
  void Stop();

  // Appends `command` to the log if this replica is the leader; `done` runs once, on the loop
  // thread (or inline on the caller's thread if the replica is not running).
  void Propose(std::string command, ProposeCallback done);
  std::future<ProposeResult> Propose(std::string command);

  // Membership changes, leader only (FailedPrecondition naming the leader otherwise). AddVoter
  // adds the replica as a non-voter, lets it catch up, then promotes it. The new replica must be
  // started with an empty `bootstrap`.
  void AddVoter(Peer peer, StatusCallback done);
  std::future<absl::Status> AddVoter(Peer peer);
  void Remove(uint64_t id, StatusCallback done);
  std::future<absl::Status> Remove(uint64_t id);

  // Completes once every entry before it is applied locally (a barrier entry through the log);
  // leader only. After a leader change, lets a new leader serve reads that include every write
  // acknowledged by its predecessors.
  void Barrier(StatusCallback done);
  std::future<absl::Status> Barrier();

  // Offline recovery from a lost quorum: rewrites the configuration in `config.data_dir` to
  // `voters` (libraft's raft_recover). Only while no replica of the group runs, once, on the
  // survivor with the highest term and longest log; then copy its directory to the other
  // survivors and Start them. Any thread; no Replica may use `config.data_dir` meanwhile.
  static absl::Status Recover(const ReplicaConfig& config, const std::vector<Peer>& voters);

  // Snapshots of loop-owned state (a round trip to the loop thread). A partitioned leader believes
  // it leads until its election timeout passes without a quorum.
  bool IsLeader();
  Peer Leader();
  ReplicaStats Stats();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lattice::raft
