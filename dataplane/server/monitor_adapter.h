// Adapts Server's stats and snapshot API to monitor::MonitorSource, the interface the
// monitoring HTTP endpoints read (/varz /connz /subsz /accountz /healthz).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "common/base/mutex.h"
#include "dataplane/monitor/monitor_source.h"
#include "dataplane/server/server.h"

namespace lattice::server {

// Process CPU% for /varz, as nats-server reports it: CPU time over wall time between two
// samples at least kMinInterval apart (100 = one core busy); the first sample averages over
// the time since `start`. Owned by MonitorAdapter. Thread: any (internally locked).
class CpuUsage {
 public:
  static constexpr std::chrono::milliseconds kMinInterval{500};

  explicit CpuUsage(std::chrono::steady_clock::time_point start) : last_wall_(start) {}

  // `cpu_total` is the process's user+system time so far, `now` the current time.
  double Sample(std::chrono::nanoseconds cpu_total, std::chrono::steady_clock::time_point now);

 private:
  Mutex mu_;
  std::chrono::steady_clock::time_point last_wall_ ABSL_GUARDED_BY(mu_);
  std::chrono::nanoseconds last_cpu_ ABSL_GUARDED_BY(mu_){0};
  double percent_ ABSL_GUARDED_BY(mu_) = 0;
  bool sampled_ ABSL_GUARDED_BY(mu_) = false;
};

// The process's user+system CPU time (getrusage).
std::chrono::nanoseconds ProcessCpuTime();

// MonitorSource has a method named Server(); this alias names the class inside MonitorAdapter.
using NodeServer = Server;

// Owned by main next to the Server it reads (which must outlive it). Thread: any thread that
// is not a worker loop (the HTTP threads); every call copies plain data out of the Server.
class MonitorAdapter final : public monitor::MonitorSource {
 public:
  explicit MonitorAdapter(NodeServer& server)
      : server_(server), cpu_(std::chrono::steady_clock::now()) {}

  monitor::ServerSnapshot Server() override;
  std::vector<monitor::ConnectionSnapshot> Connections(bool with_subs) override;
  std::vector<monitor::ConnectionSnapshot> ClosedConnections(bool with_subs) override;
  std::vector<monitor::AccountSnapshot> Accounts() override;
  std::vector<monitor::SubscriptionDetail> Subscriptions(const std::string& account) override;
  std::string HealthProblem() override;

 private:
  // Operator mode: the held account JWT's fields /accountz?acc= shows.
  void DescribeAccountJwt(monitor::AccountSnapshot* a) const;

  NodeServer& server_;
  CpuUsage cpu_;
};

}  // namespace lattice::server
