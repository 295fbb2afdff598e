// The NATS-based resolver: accountd as a system-account client answering $SYS claim requests.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "nlohmann/json.hpp"

#include "accountd/resolver.h"
#include "common/base/mutex.h"

struct __natsConnection;
struct __natsSubscription;
struct __natsMsg;

namespace lattice::accountd {

struct SysResolverOptions {
  std::string urls;        // "nats://h1:4222,nats://h2:4222"
  std::string creds_file;  // system-account user creds
  std::string name = "accountd";
};

// Joins a NATS deployment (Lattice or nats-server) as a system-account user and
//   answers `$SYS.REQ.ACCOUNT.<id>.CLAIMS.LOOKUP` with the raw JWT (unknown: no reply),
//   answers `$SYS.REQ.CLAIMS.LIST` with `{"data":[ids...],"server":{...}}`,
//   takes `$SYS.REQ.CLAIMS.UPDATE` (account JWT; validated and written like an HTTP POST) and
//     replies as nats-server's resolvers do (`{"data":{"account","code":200,"message"}}` or
//     `{"error":{"account","code":500,"description"}}`),
//   publishes `$SYS.ACCOUNT.<id>.CLAIMS.UPDATE` (Announce) on every change.
// Requests are taken in the queue group "accountd", so replicas answer once between them.
// Owned by main; `resolver` outlives it. Thread: Start/Stop from the owner; Announce from any
// thread; request handlers run on libnats' delivery threads.
class SysResolver {
 public:
  static constexpr char kQueue[] = "accountd";

  SysResolver(Resolver& resolver, SysResolverOptions options);
  ~SysResolver();
  SysResolver(const SysResolver&) = delete;
  SysResolver& operator=(const SysResolver&) = delete;

  // Connects (retrying in the background when no server answers yet) and subscribes. Errors only
  // for bad options (URL, unreadable creds).
  absl::Status Start();
  // Waits for handlers in flight, then closes the connection.
  void Stop();
  bool connected() const { return connected_.load(); }

  // Publishes `$SYS.ACCOUNT.<id>.CLAIMS.UPDATE` with the JWT (libnats buffers it while
  // reconnecting). Must not race Stop: stop the callers (HTTP, source) first.
  void Announce(const AccountEntry& entry);

 private:
  static void OnMessage(__natsConnection* nc, __natsSubscription* sub, __natsMsg* msg,
                        void* closure);
  static void OnConnected(__natsConnection* nc, void* closure);
  static void OnDisconnected(__natsConnection* nc, void* closure);
  // libnats' last callback for the connection; after it no callback references `this`.
  static void OnClosed(__natsConnection* nc, void* closure);
  // A subscription's handler will not be called again.
  static void OnSubscriptionComplete(void* closure);
  void Handle(const std::string& subject, const std::string& reply, const std::string& data);
  void HandleLookup(const std::string& subject, const std::string& reply);
  void HandleList(const std::string& reply);
  void HandleUpdate(const std::string& reply, const std::string& data);
  void Respond(const std::string& reply, const std::string& body);
  // The `server` object of replies (nats-server's ServerInfo shape).
  nlohmann::json ServerJson();

  Resolver& resolver_;
  const SysResolverOptions options_;
  const std::string id_;
  std::atomic<bool> connected_{false};
  std::atomic<uint64_t> seq_{0};
  __natsConnection* nc_ = nullptr;
  std::vector<__natsSubscription*> subs_;

  Mutex mu_;
  std::condition_variable idle_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  size_t subs_complete_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace lattice::accountd
