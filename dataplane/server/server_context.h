// What client sessions share with their Server: the live configuration (swapped on reload),
// accounts, counters and the INFO fields. Kept apart from Server so sessions do not depend
// on the listener and worker machinery.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/base/mutex.h"
#include "dataplane/auth/authenticator.h"
#include "dataplane/interest/interest_tracker.h"
#include "dataplane/options/options.h"
#include "dataplane/server/account.h"
#include "dataplane/server/account_registry.h"
#include "dataplane/server/clock.h"
#include "dataplane/server/work_pool.h"
#include "dataplane/tls/tls_context.h"

namespace lattice::server {

// The version clients see. nats clients compare it with feature thresholds, so it stays a
// nats-server release number; our own version goes in the INFO "go" field.
inline constexpr std::string_view kNatsCompatVersion = "2.9.10";
inline constexpr std::string_view kLatticeVersion = "0.1.0";

// Counters of one worker loop (padded so loops do not share cache lines); the Server sums
// them. Written by the owning loop, read by monitoring. Thread: any.
struct alignas(64) WorkerStats {
  std::atomic<uint64_t> in_msgs{0};
  std::atomic<uint64_t> in_bytes{0};
  std::atomic<uint64_t> out_msgs{0};
  std::atomic<uint64_t> out_bytes{0};
  std::atomic<uint64_t> slow_consumers{0};
};

// One consistent configuration: options and the authenticator compiled from them.
struct RuntimeConfig {
  std::shared_ptr<const options::Options> options;
  std::shared_ptr<const auth::Authenticator> authenticator;
  // Some configured secret is a bcrypt hash (tens of ms per check): CONNECTs are then checked
  // on the auth pool, not on the loop thread.
  bool slow_auth = false;
  // Set when client connections use TLS (tls {} / --tls); swapped on reload.
  std::shared_ptr<const tls::TlsContext> tls;
};

// Whether any password or token in `options` is a bcrypt hash.
bool HasBcryptSecret(const options::Options& options);

// Owned by the Server; referenced by every session. Thread: any.
class ServerContext {
 public:
  ServerContext(const Clock& clock, std::string server_id)
      : clock_(clock), server_id_(std::move(server_id)) {}

  const Clock& clock() const { return clock_; }
  const std::string& server_id() const { return server_id_; }
  Account& global_account() { return registry_.global(); }
  AccountRegistry& registry() { return registry_; }

  std::shared_ptr<const RuntimeConfig> config() const {
    MutexLock lock(&mu_);
    return config_;
  }
  void set_config(std::shared_ptr<const RuntimeConfig> config) {
    MutexLock lock(&mu_);
    config_ = std::move(config);
  }

  // The address clients see in INFO host/port (the bound listener).
  void set_listen_address(std::string host, int port) {
    MutexLock lock(&mu_);
    host_ = std::move(host);
    port_ = port;
  }
  int port() const {
    MutexLock lock(&mu_);
    return port_;
  }
  void set_connect_urls(std::vector<std::string> urls) {
    MutexLock lock(&mu_);
    connect_urls_ = std::move(urls);
  }

  // The interest tracker of a managed node (null otherwise: sessions then skip reporting
  // with one null check). Set once before the loops start (Server::EnableInterestReporting).
  interest::InterestTracker* interest_tracker() const { return interest_tracker_; }
  void set_interest_tracker(interest::InterestTracker* tracker) { interest_tracker_ = tracker; }

  std::atomic<bool>& lame_duck() { return lame_duck_; }
  std::atomic<int64_t>& connections() { return connections_; }
  std::atomic<uint64_t>& total_connections() { return total_connections_; }

  // The pool that checks bcrypt credentials off the loop threads, started on first use;
  // nullptr once StopAuthPool ran (callers then check inline). Thread: any.
  WorkPool* auth_pool();
  // Joins the pool, dropping checks not started yet. The Server calls it at shutdown, while
  // the loops that checks post their answers to still exist. Thread: not a pool thread.
  void StopAuthPool();

  // The client INFO JSON (without "INFO " and the trailing " \r\n") for one connection.
  // `max_payload` >= 0 replaces the server's (a connection whose account or user limits
  // lower it, as nats-server's per-client INFO).
  std::string ClientInfoJson(uint64_t client_id, std::string_view client_ip, std::string_view nonce,
                             int64_t max_payload = -1) const;

 private:
  const Clock& clock_;
  const std::string server_id_;
  AccountRegistry registry_;

  mutable Mutex mu_;
  std::shared_ptr<const RuntimeConfig> config_ ABSL_GUARDED_BY(mu_);
  std::string host_ ABSL_GUARDED_BY(mu_) = "0.0.0.0";
  int port_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::string> connect_urls_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<WorkPool> auth_pool_ ABSL_GUARDED_BY(mu_);
  bool auth_pool_stopped_ ABSL_GUARDED_BY(mu_) = false;

  interest::InterestTracker* interest_tracker_ = nullptr;  // written before the loops start
  std::atomic<bool> lame_duck_{false};
  std::atomic<int64_t> connections_{0};
  std::atomic<uint64_t> total_connections_{0};
};

// Appends `s` as a JSON string literal (quotes included).
void AppendJsonString(std::string* out, std::string_view s);

// A server id shaped like a nats-server nkey: 'N' followed by 55 base32 characters.
std::string GenerateServerId();

}  // namespace lattice::server
