// HaCluster: N real lattice-control processes forming one Raft group on loopback, plus a gRPC
// Admin client that follows the leader. Shared by the HA e2e test and the failover benchmark.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/channel.h"

#include "common/base/mutex.h"
#include "common/testing/child_process.h"
#include "lattice/control/v1/admin.grpc.pb.h"

namespace lattice::control_e2e {

namespace v1 = ::lattice::control::v1;

inline constexpr char kHaToken[] = "ha-e2e-admin-token-0123456789";

// Owned by one test or benchmark. Thread: the owner's, except Put/PutOn, which one other thread
// may call concurrently (stubs are shared under a mutex; process control stays with the owner).
class HaCluster {
 public:
  // `lattice_control` is the binary's path; `dir` a fresh directory.
  HaCluster(std::string lattice_control, std::string dir, int size = 3);
  ~HaCluster();

  // Allocates ports and starts every replica with --bootstrap; waits until each is serving.
  absl::Status Start();
  // Flags appended to every replica's command line from the next (re)start on, e.g.
  // {"--election-timeout-ms", "500"}.
  void set_extra_args(std::vector<std::string> args) { extra_args_ = std::move(args); }
  // Starts replica i (0-based) again on its data directory; waits until it serves.
  absl::Status Restart(int i);
  void Kill(int i, int signal_number);            // SIGKILL/SIGTERM and reap
  absl::Status Signal(int i, int signal_number);  // SIGSTOP/SIGCONT without waiting
  void Wipe(int i);                               // removes the (stopped) replica's data dir
  // Membership (owner thread, no concurrent Put): AddJoiner allocates ports for a new replica
  // (index size(), the next unused id) that starts without --bootstrap and knows only itself;
  // start it with Restart after `latticectl replicas add`. Rejoin gives the stopped replica i a
  // new, unused id at the same addresses and makes it a joiner (the wiped-data-dir recovery path).
  int AddJoiner();
  void Rejoin(int i);
  uint64_t replica_id(int i) const { return ids_[i]; }
  std::string raft_address(int i) const;
  bool Running(int i) const { return children_[i].has_value(); }
  int size() const { return static_cast<int>(admin_ports_.size()); }
  std::string admin_address(int i) const;
  std::string log(int i) const;

  // The replica that answers ListReplicas saying it leads (nullopt when none does right now).
  std::optional<int> Leader();
  absl::StatusOr<v1::ListReplicasResponse> Replicas(int i);

  // Creates or overwrites cluster `name` through whichever replica leads, following leader
  // hints and trying replicas in turn, until `deadline`. Returns the revision on success.
  absl::StatusOr<uint64_t> Put(const std::string& name,
                               std::chrono::steady_clock::time_point deadline,
                               std::chrono::milliseconds call_timeout = std::chrono::seconds(2));
  // One attempt on replica i (no following).
  grpc::Status PutOn(int i, const std::string& name, std::chrono::milliseconds timeout,
                     uint64_t* revision);
  // Cluster names and the audit trail as replica i's local store holds them.
  absl::StatusOr<std::vector<std::string>> ClusterNames(int i);
  absl::StatusOr<std::vector<v1::AuditEntry>> AuditTrail(int i);
  absl::StatusOr<uint64_t> Revision(int i);

 private:
  std::vector<std::string> Args(int i) const;
  absl::Status WaitServing(int i);
  std::shared_ptr<v1::Admin::Stub> Stub(int i);
  // The next Stub(i) makes a new channel; the old stub goes to retired_stubs_.
  void RetireStubLocked(int i) ABSL_EXCLUSIVE_LOCKS_REQUIRED(stubs_mu_);

  const std::string binary_;
  const std::string dir_;
  std::vector<int> admin_ports_;
  std::vector<int> raft_ports_;
  std::vector<std::string> extra_args_;
  int initial_ = 0;            // the bootstrap voters are indexes [0, initial_) with ids i + 1
  std::vector<uint64_t> ids_;  // replica id of each index
  std::vector<bool> joiner_;   // started without --bootstrap, --peers naming only itself
  uint64_t next_id_ = 0;
  std::vector<std::optional<testutil::ChildProcess>> children_;
  Mutex stubs_mu_;  // Put may run on a writer thread while the owner kills and restarts
  std::vector<std::shared_ptr<v1::Admin::Stub>> stubs_ ABSL_GUARDED_BY(stubs_mu_);
  // Stubs of killed or restarted replicas, kept until the cluster is destroyed: a writer thread
  // may still be in a call on one, and the call's ClientContext, destroyed inside the
  // uninstrumented libgrpc++, would then free the channel in a way TSan cannot follow.
  std::vector<std::shared_ptr<v1::Admin::Stub>> retired_stubs_ ABSL_GUARDED_BY(stubs_mu_);
};

}  // namespace lattice::control_e2e
