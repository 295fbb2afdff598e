// The monitoring HTTP listener (-m/--http_port): /varz /connz /subsz /routez /accountz /healthz
// /metrics, served on its own thread from MonitorSource snapshots.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"

#include "common/base/mutex.h"
#include "dataplane/monitor/monitor_source.h"
#include "dataplane/monitor/render.h"

namespace httplib {
class Server;
}

namespace lattice::monitor {

// Owned by main; `source` must outlive it. Thread: Start/Stop from the owner; requests are
// answered on the listener's own threads, which only call MonitorSource.
class HttpServer {
 public:
  explicit HttpServer(MonitorSource& source);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds host:port (0 = any free port) and starts serving. Error when the port is taken.
  absl::Status Start(const std::string& host, int port);
  int port() const { return port_; }
  void Stop();

 private:
  void Count(const std::string& path);
  HttpRequestStats RequestStats();

  MonitorSource& source_;
  std::unique_ptr<httplib::Server> http_;
  std::thread thread_;
  int port_ = 0;
  Mutex stats_mu_;
  HttpRequestStats request_stats_ ABSL_GUARDED_BY(stats_mu_);
};

}  // namespace lattice::monitor
