// lattice-node's core: the listener, N worker event loops owning client sessions, the global
// account, counters and lifecycle (reload, lame duck, shutdown).
//
//   options::Options opts; opts.port = 0;
//   Server server(opts);
//   LATTICE_RETURN_IF_ERROR(server.Start());
//   ... server.port() ...
//   server.Shutdown();
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/status.h"

#include "common/base/mutex.h"
#include "dataplane/operator/operator_mode.h"
#include "dataplane/options/options.h"
#include "dataplane/server/client_session.h"
#include "dataplane/server/clock.h"
#include "dataplane/server/closed_connections.h"
#include "dataplane/server/event_loop.h"
#include "dataplane/server/interest_source.h"
#include "dataplane/server/server_context.h"
#include "dataplane/tls/tls_context.h"

namespace lattice::server {

// Server-wide counters (the /varz numbers). Plain values, summed over the workers.
struct ServerStats {
  uint64_t in_msgs = 0;
  uint64_t out_msgs = 0;
  uint64_t in_bytes = 0;
  uint64_t out_bytes = 0;
  int64_t connections = 0;
  uint64_t total_connections = 0;
  uint64_t slow_consumers = 0;
  uint64_t subscriptions = 0;
};

class Listener;
struct Worker;

// Told about client connections for the system account's events (system_events.h). Calls come
// from the worker loops on the connect and close paths (never per message), so an
// implementation must be quick and thread-safe.
class ClientEventSink {
 public:
  virtual ~ClientEventSink() = default;
  // CONNECT was accepted and `session` is bound to its account; runs on the session's loop
  // before any later op of that client.
  virtual void OnClientConnected(ClientSession& session) = 0;
  // A client connection closed; `snapshot` is what /connz?state=closed records.
  virtual void OnClientClosed(const ConnectionSnapshot& snapshot, CloseReason reason) = 0;
  // Shutdown has begun and clients are still connected; runs on the thread calling Shutdown.
  virtual void OnServerShutdown() {}
};

// Owned by main (or a test). Thread: Start/Shutdown/Reload/EnterLameDuckMode from one
// control thread (not a worker loop); Stats/Connections/accessors from any thread other
// than a worker loop (Connections waits for every loop to answer).
class Server {
 public:
  explicit Server(options::Options options, const Clock& clock = SystemClock::Get());
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Validates the auth configuration, binds the client port and starts the loops.
  absl::Status Start();

  // Stops accepting, closes every client (they see the socket close) and joins all threads.
  // Idempotent; also ends lame-duck mode early.
  void Shutdown();
  // Blocks until Shutdown has completed (called by anyone, e.g. lame duck's end).
  void WaitForShutdown();
  bool shutting_down() const { return shutdown_started_.load(); }

  // Lame duck: INFO with "ldm":true to every client, stop accepting, then after the grace
  // period close the clients spread over lame_duck_duration, then shut down.
  void EnterLameDuckMode();
  bool lame_duck() const { return context_->lame_duck().load(); }

  // Applies what can change at runtime: auth users/permissions and client limits. The
  // listener address, worker count and other fields keep their values.
  absl::Status Reload(const options::Options& options);

  // Account hooks for runtime account sources (operator mode, JWT updates); see README.md.
  // Thread-safe; effects on live sessions happen on their loops shortly after the call.
  //
  // Adds or replaces an account (exports, imports, limits, mappings) without dropping its
  // connections, then closes connections its `revoked_users` now revoke.
  void ApplyAccount(accounts::AccountSpec spec);
  // Removes an account; its connections get -ERR 'Account Authentication Expired' and close.
  void RemoveAccount(const std::string& name);
  // Applies the account's current limits to its live connections (ApplyAccount does this):
  // payload, subscription and expiry per connection (ClientSession::ApplyAccountLimits), and
  // when more are connected than max_connections the oldest beyond the limit get -ERR
  // 'maximum account active connections exceeded' and close (nats-server keeps the newest).
  void EnforceAccountLimits(const std::string& name);
  // Closes connections bound to `account` whose user public key is `user_key` ("*" = every
  // key) and whose credentials were issued at or before `issued_at_or_before_unix`, with
  // nats-server's -ERR 'User Authentication Revoked'.
  void RevokeUser(const std::string& account, const std::string& user_key,
                  int64_t issued_at_or_before_unix);

  // Installs the client event sink (nullptr removes it). Returns once no call into the previous
  // sink is running. Thread: any but a worker loop.
  void SetClientEventSink(ClientEventSink* sink);

  // Publishes a server-originated message into `account` (no publishing client). Thread: any.
  static void PublishInternal(Account& account, std::string_view subject, std::string_view reply,
                              std::string_view payload);

  // Operator mode (`operator` configured): the JWT account source, null otherwise. The node
  // agent applies pushed account JWTs through it (ApplySnapshot). Set by Start.
  operator_mode::OperatorMode* operator_mode() const { return operator_mode_.get(); }
  // Validates the operator-mode options (operator JWTs, resolver, preloads) without starting
  // anything, for `lattice-node -t`. OK when operator mode is not configured.
  static absl::Status CheckOperatorConfig(const options::Options& options);

  // Interest reporting of a managed node (DESIGN.md §3 "Interest path"): creates the tracker
  // client sessions mark on SUB/UNSUB and the source the node agent reads current weights
  // from. Call before Start, at most once. A node that never calls it (no --control) has
  // neither, and its sessions pay one null check per SUB/UNSUB.
  void EnableInterestReporting(interest::InterestTracker::Options options = {});
  // Null unless EnableInterestReporting ran. Owned by the Server.
  interest::InterestTracker* interest_tracker() const { return interest_tracker_.get(); }
  const interest::InterestSource* interest_source() const { return interest_source_.get(); }

  int port() const { return context_->port(); }
  const std::string& server_id() const { return context_->server_id(); }
  std::shared_ptr<const options::Options> options() const { return context_->config()->options; }
  ServerContext& context() { return *context_; }

  ServerStats Stats() const;
  // Wall-clock times of Start and of the last successful configuration load (or reload).
  std::chrono::system_clock::time_point start_time() const { return start_time_; }
  std::chrono::system_clock::time_point config_load_time() const;
  size_t worker_count() const { return workers_.size(); }
  // A snapshot of every client connection, in cid order.
  std::vector<ConnectionSnapshot> Connections() const;
  // The last kMaxClosedClients closed client connections, oldest first.
  std::vector<ClosedConnection> RecentlyClosed() const { return closed_.All(); }

 private:
  friend class Listener;
  void OnAccepted(int fd, ClientSession::Peer peer);
  // Runs `fn` on every live session, on the session's loop (posted).
  void ForEachSession(std::function<void(ClientSession&)> fn);
  void RunLameDuck();
  // Operator mode (server_operator.cc): creates OperatorMode, installs the system account
  // and its $SYS handlers. Called by Start before the listener opens.
  absl::Status StartOperatorMode(const options::Options& options);
  // The authenticator for `options`, with the JWT provider in operator mode.
  absl::StatusOr<std::shared_ptr<const auth::Authenticator>> MakeAuthenticator(
      const options::Options& options) const;
  // SIGHUP in operator mode: operator and resolver must stay; changed preloads of held
  // accounts are applied as claims updates.
  absl::Status ReloadOperatorMode(const options::Options& options);
  void StopOperatorMode();
  // $SYS.ACCOUNT.<id>.CLAIMS.UPDATE / .CLAIMS.LOOKUP, run on the auth pool.
  void HandleClaimsUpdate(const std::string& subject, const std::string& reply,
                          const std::string& payload);
  void HandleClaimsLookup(const std::string& subject, const std::string& reply);
  // Publishes a server-originated message into the system account.
  void PublishToSystemAccount(const std::string& subject, const std::string& payload);
  void WakeLameDuckWaiter();
  void NotifyClientConnected(ClientSession& session);
  void NotifyClientClosed(const ConnectionSnapshot& snapshot, CloseReason reason);

  // Managed nodes only. The tracker outlives the context whose sessions mark it; the source
  // reads the context's registry, so it goes first.
  std::unique_ptr<interest::InterestTracker> interest_tracker_;
  std::unique_ptr<ServerContext> context_;
  std::unique_ptr<AccountInterestSource> interest_source_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<EventLoop> accept_loop_;
  std::unique_ptr<Listener> listener_;
  std::thread accept_thread_;
  std::atomic<uint64_t> next_cid_{0};
  size_t next_worker_ = 0;  // accept loop only

  std::chrono::system_clock::time_point start_time_;
  mutable Mutex config_time_mu_;
  std::chrono::system_clock::time_point config_load_time_ ABSL_GUARDED_BY(config_time_mu_);
  std::atomic<bool> started_{false};
  std::atomic<bool> shutdown_started_{false};
  Mutex shutdown_mu_;
  std::condition_variable shutdown_cv_;
  bool shutdown_done_ ABSL_GUARDED_BY(shutdown_mu_) = false;
  std::thread lame_duck_thread_;
  ClosedConnections closed_{kMaxClosedClients};
  // Operator mode; the sink outlives the mode that calls it (declared first).
  std::unique_ptr<operator_mode::AccountSink> operator_sink_;  // an OperatorSink
  std::unique_ptr<operator_mode::OperatorMode> operator_mode_;
  std::vector<std::shared_ptr<InternalSubscription>> system_subs_;  // control thread only
  // System-account events: loops hold sink_mu_ while they call the sink.
  std::atomic<bool> has_sink_{false};
  Mutex sink_mu_;
  ClientEventSink* sink_ ABSL_GUARDED_BY(sink_mu_) = nullptr;
};

}  // namespace lattice::server
