// nats-server's system-account events and $SYS request services for one Server.
//
// Events, published into the system account (only when the server has one):
//   $SYS.ACCOUNT.<acc>.CONNECT / .DISCONNECT     client advisories (not for $G, as nats-server)
//   $SYS.ACCOUNT.<acc>.SERVER.CONNS              account connection counts (and the old
//   $SYS.SERVER.ACCOUNT.<acc>.CONNS)             subject), on changes and every 30 s
//   $SYS.SERVER.<id>.CLIENT.AUTH.ERR             authentication failures
//   $SYS.SERVER.<id>.STATSZ                      statsz, 250 ms after start doubling to 30 s
//   $SYS.SERVER.<id>.SHUTDOWN                    the server info, when Shutdown begins
// Requests answered for system-account users (body = options + server filter):
//   $SYS.REQ.SERVER.PING, $SYS.REQ.SERVER.PING.<X>, $SYS.REQ.SERVER.<id>.<X>
//       X = STATSZ VARZ CONNZ SUBSZ ROUTEZ ACCOUNTZ HEALTHZ
//   $SYS.REQ.ACCOUNT.<acc>.<Y>   Y = CONNZ SUBSZ INFO STATZ CONNS;  $SYS.REQ.ACCOUNT.PING.STATZ
// And in every other account (nats-server's automatic system imports):
//   $SYS.REQ.ACCOUNT.PING.CONNZ, $SYS.REQ.SERVER.PING.CONNZ -> that account's connz
//   $SYS.REQ.ACCOUNT.PING.STATZ                             -> that account's statz
//
//   Server server(opts);  server.Start();
//   MonitorAdapter monitor(server);
//   SystemEvents events(server, monitor);  events.Start();
//   ...  events.Stop();  server.Shutdown();
//
// Nothing here runs per message: loops only copy a snapshot at connect/close or a request's
// bytes, and post them to the events thread, which renders and publishes.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"

#include "common/base/mutex.h"
#include "dataplane/monitor/monitor_source.h"
#include "dataplane/server/event_loop.h"
#include "dataplane/server/server.h"
#include "dataplane/server/system_events_json.h"

namespace lattice::server {

struct SystemEventsOptions {
  ClockDuration statsz_first = std::chrono::milliseconds(250);
  ClockDuration statsz_max = std::chrono::seconds(30);
  ClockDuration conns_heartbeat = std::chrono::seconds(30);
};

// Owned by main (or a test) next to the Server and the MonitorSource it reads, which must
// outlive Stop(). Thread: Start/Stop from the control thread; the ClientEventSink calls from
// the worker loops; everything else on its own events thread.
class SystemEvents final : public ClientEventSink {
 public:
  SystemEvents(Server& server, monitor::MonitorSource& monitor,
               SystemEventsOptions options = SystemEventsOptions());
  ~SystemEvents() override;
  SystemEvents(const SystemEvents&) = delete;
  SystemEvents& operator=(const SystemEvents&) = delete;

  // After Server::Start. Does nothing when the server has no system account
  // (no_system_account). Error when the handlers cannot subscribe.
  absl::Status Start();
  // Unsubscribes everything and joins the events thread; no call into this object runs after
  // it returns. Idempotent.
  void Stop();
  bool enabled() const { return system_account_ != nullptr; }

  // ClientEventSink (worker loops).
  void OnClientConnected(ClientSession& session) override;
  void OnClientClosed(const ConnectionSnapshot& snapshot, CloseReason reason) override;
  // Publishes $SYS.SERVER.<id>.SHUTDOWN and waits (at most 1 s) until it is on its way.
  void OnServerShutdown() override;

  // Waits until everything posted to the events thread so far has run.
  void SyncForTest();

 private:
  struct Gate;
  enum class RequestKind : uint8_t;
  struct Request;
  struct Totals {
    DataStats sent;
    DataStats received;
    int64_t slow_consumers = 0;
  };
  struct AccountImports {
    std::weak_ptr<Account> account;
    std::vector<std::shared_ptr<InternalSubscription>> subs;
  };

  // Installs nats-server's system imports in `account` once (any loop).
  void EnsureAccountImports(const std::shared_ptr<Account>& account);
  // A handler on `subject` in `account` that posts matching requests to the events thread;
  // answers go to `answer_in` (the account the request was published in).
  std::shared_ptr<InternalSubscription> Subscribe(Account& account, std::string subject,
                                                  RequestKind kind,
                                                  std::weak_ptr<Account> answer_in);

  // Events thread from here on.
  EventServerInfo NextServerInfo();
  void Publish(Account& account, const std::string& subject, const std::string& payload);
  // Whether the system account has a subscriber for `subject`. Thread: any.
  bool HasInterest(const std::string& subject) const;
  // `announce*`: someone was subscribed when the event happened (checked on the loop, so a
  // subscriber that arrives later does not get an older event).
  void HandleConnected(const ConnectionSnapshot& snapshot, bool announce);
  void HandleClosed(const ConnectionSnapshot& snapshot, CloseReason reason, bool announce_auth,
                    bool announce_disconnect);
  void HandleRequest(const Request& request);
  void AnswerMonitor(const Request& request, std::string_view endpoint_name,
                     const std::string& force_account);
  void AnswerStatsz(const Request& request);
  void AnswerAccountStatz(const Request& request, const std::string& only_account);
  void AnswerAccountInfo(const Request& request, const std::string& account);
  void AnswerConns(const Request& request, const std::string& account);
  void MarkConnsChanged(const std::string& account);
  void FlushConnsUpdates();
  void SendStatsz(Account& account, const std::string& subject);
  void OnStatszTimer();
  void OnHeartbeatTimer();
  // Account stats: counts from the registry, traffic of live (one snapshot) and closed clients.
  std::vector<AccountStat> AccountStats(const std::vector<std::string>& names);

  Server& server_;
  monitor::MonitorSource& monitor_;
  const SystemEventsOptions options_;
  EventLoop loop_;
  std::thread thread_;
  std::shared_ptr<Gate> gate_;
  std::shared_ptr<Account> system_account_;  // set by Start, null when disabled
  std::string server_name_;
  std::string server_host_;
  std::vector<std::shared_ptr<InternalSubscription>> system_subs_;  // control thread

  Mutex imports_mu_;
  absl::flat_hash_map<uint64_t, AccountImports> imports_ ABSL_GUARDED_BY(imports_mu_);

  // Events thread only.
  uint64_t seq_ = 0;
  absl::flat_hash_map<std::string, Totals> closed_totals_;
  absl::flat_hash_set<std::string> conns_changed_;
  ClockDuration statsz_interval_{0};
};

}  // namespace lattice::server
