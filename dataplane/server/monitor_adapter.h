// Adapts Server's stats and snapshot API to monitor::MonitorSource, the interface the
// monitoring HTTP endpoints read (/varz /connz /subsz /accountz /healthz).
#pragma once

#include <string>
#include <vector>

#include "dataplane/monitor/monitor_source.h"
#include "dataplane/server/server.h"

namespace lattice::server {

// MonitorSource has a method named Server(); this alias names the class inside MonitorAdapter.
using NodeServer = Server;

// Owned by main next to the Server it reads (which must outlive it). Thread: any thread that
// is not a worker loop (the HTTP threads); every call copies plain data out of the Server.
class MonitorAdapter final : public monitor::MonitorSource {
 public:
  explicit MonitorAdapter(NodeServer& server) : server_(server) {}

  monitor::ServerSnapshot Server() override;
  std::vector<monitor::ConnectionSnapshot> Connections(bool with_subs) override;
  std::vector<monitor::AccountSnapshot> Accounts() override;
  std::vector<monitor::SubscriptionDetail> Subscriptions(const std::string& account) override;
  std::string HealthProblem() override;

 private:
  NodeServer& server_;
};

}  // namespace lattice::server
