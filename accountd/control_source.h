// ControlSource: accounts from the Lattice control plane (lattice.control.v1.Admin over gRPC).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"

#include "accountd/account_source.h"
#include "common/base/mutex.h"

namespace grpc {
class Channel;
class ClientContext;
}  // namespace grpc

namespace lattice::accountd {

struct ControlSourceOptions {
  std::vector<std::string> addresses;  // host:port of each control-plane replica
  std::string token;                   // bearer token for the Admin API
  std::chrono::milliseconds retry_wait{500};
  std::chrono::milliseconds write_timeout{5000};
  // While a Watch is open, the replica is asked Admin.ListReplicas every `probe_interval`; no
  // answer within `probe_timeout` (a stopped, hung or black-holed replica, whose idle stream
  // would otherwise look alive for as long as its TCP connection does) ends the Watch, and the
  // next replica is tried. Answers that say nothing about liveness (UNIMPLEMENTED from an older
  // server, a token without that right) keep the Watch.
  std::chrono::milliseconds probe_interval{2000};
  std::chrono::milliseconds probe_timeout{3000};
  // A replica that answers but has known no leader for this many probes in a row is cut off
  // from its majority (or the majority is gone): its data may be stale, so its Watch ends too
  // and the next replica is tried. An election takes about a second; 3 probes are 6 s.
  int leaderless_probes = 3;
};

// Runs `Admin.Watch(from_revision=0, kinds=["account"])` on a background thread: the backlog up
// to the `synced` marker is the current state (one event per live account), delivered as one
// snapshot, and every later event as an upsert or delete (tombstoned accounts are deletes).
// When the stream breaks it reports disconnected, waits `retry_wait` (doubling up to 16x while
// no replica answers) and resyncs from the next replica, again by snapshot. A second thread
// probes the replica of the open Watch and cancels the Watch when it stops answering or stays
// without a leader (a replica cut off from the others). Post is
// `Admin.PutAccount`, tried on each replica until one answers. Owned by main. Thread: Start/Stop
// from the owner, Post from any thread; the sink is called from the watch thread only.
class ControlSource : public AccountSource {
 public:
  explicit ControlSource(ControlSourceOptions options);
  ~ControlSource() override;

  absl::Status Start(AccountSink* sink) override;
  void Stop() override;
  // InvalidArgument when the control plane refuses the JWT (with its reason), Unavailable when
  // no replica answers.
  absl::Status Post(const std::string& public_key, const std::string& jwt) override;
  // "control a,b,c (watching b)": the replicas and the one the live (or last) Watch used.
  std::string Describe() const override;

 private:
  void WatchLoop();
  // Second thread: probes the replica of the live Watch and cancels the Watch when it is gone.
  void ProbeLoop();
  enum class ProbeAnswer {
    kAlive,       // answered (or in a way that says nothing about its liveness)
    kLeaderless,  // answered, replicated, and knows no leader
    kGone,        // no answer within probe_timeout
  };
  ProbeAnswer ProbeReplica(const std::shared_ptr<grpc::Channel>& channel, std::string* why) const;
  // One Watch stream against `channel` until it ends; returns why it ended. Sets `*synced`
  // once the backlog was delivered.
  absl::Status WatchOnce(const std::shared_ptr<grpc::Channel>& channel, bool* synced);
  void AddAuth(grpc::ClientContext* ctx) const;

  const ControlSourceOptions options_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  AccountSink* sink_ = nullptr;  // set by Start before the thread runs
  std::thread thread_;
  std::thread prober_;

  mutable Mutex mu_;
  std::condition_variable wake_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* active_ ABSL_GUARDED_BY(mu_) = nullptr;  // the stream to cancel on Stop
  std::string watching_ ABSL_GUARDED_BY(mu_);     // the replica of the live (or last) Watch
  size_t active_index_ ABSL_GUARDED_BY(mu_) = 0;  // channels_ index of active_
  uint64_t session_ ABSL_GUARDED_BY(mu_) = 0;     // bumped per Watch, so a late probe is ignored
};

}  // namespace lattice::accountd
