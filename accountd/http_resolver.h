// The HTTP account resolver (nats-account-server's /jwt/v1 API) that nats-server's
// `resolver: URL(http://host:port/jwt/v1/accounts/)` fetches from.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"

#include "accountd/resolver.h"

namespace httplib {
class Server;
}

namespace lattice::accountd {

// Routes:
//   GET  /jwt/v1/accounts[/]          200, empty body (nats-server's startup probe)
//   GET  /jwt/v1/accounts/<key>       200 application/jwt, ETag "<jti>"; 304 on If-None-Match;
//                                     404 unknown; ?check=true 404 when expired; ?notify=true
//                                     re-announces on NATS; ?decode=true JSON; ?text=true plain
//   POST /jwt/v1/accounts/<key>       body = JWT; 400 bad/untrusted/stale, 503 when the source
//                                     cannot take it, 200 saved (then announced)
//   GET  /jwt/v1/operator             the operator JWT
//   GET  /jwt/v1/help, /healthz
// Errors are text/plain. Owned by main; `resolver` must outlive it.
// Thread: Start/Stop from the owner; handlers run on cpp-httplib's pool threads.
class HttpResolver {
 public:
  explicit HttpResolver(Resolver& resolver);
  ~HttpResolver();
  HttpResolver(const HttpResolver&) = delete;
  HttpResolver& operator=(const HttpResolver&) = delete;

  // Binds host:port (0 = any free port) and serves on a background thread.
  absl::Status Start(const std::string& host, int port);
  int port() const { return port_; }
  void Stop();

 private:
  void Routes();

  Resolver& resolver_;
  std::unique_ptr<httplib::Server> http_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace lattice::accountd
