// ControlAgent: the node's side of the NodeSync stream (DESIGN.md §2-§4 "Control agent").
//
//   LATTICE_ASSIGN_OR_RETURN(auto agent, agent::ControlAgent::Create(config, &sink));
//   LATTICE_RETURN_IF_ERROR(agent->Start());  // applies the last-known-good bundles first
//   ...
//   agent->Stop();
//
// The agent registers with one control-plane replica after another (round robin, backoff
// after failures), verifies every pushed AccountsBundle against the operator the node is
// configured with, hands verified resources to an AgentSink, persists what the sink accepted
// as the last-known-good state, and answers each push with an ACK or a NACK carrying the
// reason. While no replica answers, the node keeps serving what it last applied; on reconnect
// it registers with held_versions so unchanged resources are not pushed (or applied) again.
//
// Interest reporting (DESIGN.md §3 "Interest path"), when Create is given an InterestTracker
// and an InterestSource (a managed node's server): after every Registered the agent sends one
// InterestDelta snapshot (sequence 1, snapshot=true, every local (account, subject, queue)
// with its absolute weight), then batched deltas (sequence 2, 3, ...) of the keys the loops
// marked dirty, with weights read when the batch is built. An InterestResync push is answered
// with a fresh snapshot at the next sequence. A per-session interest writer thread does all
// of it; it and the reader (which sends the ACKs) share a write mutex, because gRPC allows
// one Write at a time on a stream (and one Read beside it).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/sync_stream.h"

#include "common/base/mutex.h"
#include "dataplane/agent/agent_config.h"
#include "dataplane/agent/agent_sink.h"
#include "dataplane/agent/bundle.h"
#include "dataplane/agent/bundle_store.h"
#include "dataplane/interest/interest_tracker.h"

namespace lattice::agent {

// A snapshot of the agent's state, for monitoring and tests.
struct AgentStatus {
  bool registered = false;       // a stream is registered right now
  std::string address;           // the replica of the current (or last) stream
  std::string accounts_version;  // applied (from a push or from disk), "" when none
  std::string topology_version;
  bool accounts_from_disk = false;  // the applied accounts came from the state dir
  bool topology_from_disk = false;
  uint64_t registrations = 0;    // streams that reached Registered
  uint64_t failed_attempts = 0;  // streams that ended before Registered
  uint64_t acks = 0;
  uint64_t nacks = 0;
  std::string last_nack;  // "accounts a-7: account A... (x): reason"
  // Interest reporting (all 0 when disabled). Snapshots count their first message only; the
  // rest of a split snapshot counts as deltas.
  uint64_t interest_snapshots = 0;  // InterestDelta messages with snapshot=true
  uint64_t interest_deltas = 0;     // the others
  uint64_t interest_changes = 0;    // InterestChange entries in all of them
  uint64_t interest_resyncs = 0;    // InterestResync pushes answered with a snapshot
  uint64_t interest_sequence = 0;   // of the last InterestDelta sent on the current stream
};

// What the agent reports interest from (a managed node's Server owns both); both null
// disables reporting. Must outlive the agent.
struct InterestReporting {
  interest::InterestTracker* tracker = nullptr;
  const interest::InterestSource* source = nullptr;
};

// Owned by main (or a test); the sink must outlive it. Thread: Create/Start/Stop from one
// owner thread; status() from any thread; everything else, including every sink call after
// Start() returns, runs on the agent's own thread, which owns the gRPC channel and stream.
// A second agent-owned watchdog thread cancels streams that fail to register in time and
// streams whose replica stops answering its probe or names a new leader (see Watchdog()).
class ControlAgent {
 public:
  // Checks the config (addresses, cluster, operator JWT), opens the state dir and settles the
  // node id. Does not touch the network or the sink.
  static absl::StatusOr<std::unique_ptr<ControlAgent>> Create(AgentConfig config, AgentSink* sink,
                                                              InterestReporting interest = {});
  ~ControlAgent();
  ControlAgent(const ControlAgent&) = delete;
  ControlAgent& operator=(const ControlAgent&) = delete;

  // Loads, verifies and applies the last-known-good bundles on the calling thread (a corrupt
  // or no longer valid file is logged and skipped), then starts the agent thread. Returns an
  // error only when called twice.
  absl::Status Start();
  // Cancels the stream, stops retrying and joins the agent thread. Idempotent.
  void Stop();

  AgentStatus status() const;
  const std::string& node_id() const { return node_id_; }

 private:
  ControlAgent(AgentConfig config, AgentSink* sink, TrustedOperator trusted,
               std::optional<BundleStore> store, std::string node_id, InterestReporting interest);

  void Run();
  // Second agent-owned thread: cancels a stream that has not registered by its deadline, and
  // probes the replica of a registered stream (AgentConfig::probe_interval), cancelling the
  // stream when the replica stops answering or names another leader.
  void Watchdog();
  struct ProbeResult {
    bool answered = false;    // any answer, even a refusal, proves the replica is alive
    uint64_t leader_id = 0;   // 0: unknown (not replicated, no leader, or refused)
    bool leaderless = false;  // replicated, and the replica knows no leader right now
    std::string error;
  };
  ProbeResult Probe(const std::shared_ptr<grpc::Channel>& channel);
  // One stream to `address`, from Register until it ends. Returns true if it registered.
  bool RunSession(const std::string& address);
  v1::NodeMessage BuildRegister() const;
  // The per-session interest writer thread: snapshot when due, deltas as the tracker's batches
  // come due, until the session ends. Writes under `write_mu` (shared with the ACKs).
  void InterestWriter(grpc::ClientReaderWriter<v1::NodeMessage, v1::ControlMessage>* stream,
                      Mutex* write_mu);
  // Asks the writer for a snapshot (after Registered or an InterestResync).
  void RequestInterestSnapshot();
  // Verify, apply, persist; returns the ACK (error empty) or NACK to send.
  v1::Ack HandleAccounts(const v1::AccountsBundle& pushed);
  v1::Ack HandleTopology(const v1::Topology& pushed);
  void LoadLastKnownGood();
  void CountAck(const v1::Ack& ack);
  // Waits up to `delay` or until Stop(); returns false when stopping.
  bool SleepUnlessStopped(std::chrono::milliseconds delay);
  bool stopping() const;

  const AgentConfig config_;
  AgentSink* const sink_;
  const InterestReporting interest_;
  const TrustedOperator trusted_;
  std::optional<BundleStore> store_;  // agent thread (and Start before it)
  const std::string node_id_;
  std::shared_ptr<grpc::ChannelCredentials> channel_credentials_;

  // Versions the sink accepted; agent thread only (and Start before the thread exists).
  std::string applied_accounts_;
  std::string applied_topology_;

  mutable Mutex mu_;
  std::condition_variable wake_;  // Stop() -> backoff sleep and watchdog; new session -> watchdog
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* current_ ABSL_GUARDED_BY(mu_) = nullptr;  // live stream, for Stop()
  std::shared_ptr<grpc::Channel> channel_ ABSL_GUARDED_BY(mu_);  // of the live stream
  uint64_t session_ ABSL_GUARDED_BY(mu_) = 0;  // bumped per stream, so a late probe is ignored
  grpc::ClientContext* probe_ ABSL_GUARDED_BY(mu_) = nullptr;  // the probe in flight, for Stop()
  // When the live stream must have reached Registered (a replica that accepts TCP but never
  // answers is abandoned by the watchdog).
  std::chrono::steady_clock::time_point register_deadline_ ABSL_GUARDED_BY(mu_);
  AgentStatus status_ ABSL_GUARDED_BY(mu_);
  // The interest writer of the live stream: a snapshot is due / the stream is ending.
  bool interest_snapshot_due_ ABSL_GUARDED_BY(mu_) = false;
  bool interest_session_over_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
  std::thread watchdog_;
};

}  // namespace lattice::agent
