// Traffic: continuous publish/subscribe and request/reply of one user on one server, counted
// exactly, for the failover e2e ("nodes keep serving clients throughout").
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include <nats/nats.h>

namespace lattice::managed_e2e {

// What a Traffic saw; `received == published` and no failures mean nothing was lost.
struct TrafficCounts {
  uint64_t published = 0;  // PUBs the client library accepted
  uint64_t publish_errors = 0;
  uint64_t received = 0;
  uint64_t out_of_order = 0;  // a sequence number other than the next expected one
  uint64_t requests_ok = 0;   // answered with the matching reply
  uint64_t requests_failed = 0;
};

// Three connections that never reconnect (so a lost server shows as a closed connection): a
// subscriber (also the responder), a publisher thread sending sequence numbers in small flushed
// batches, and a requester thread. Owned by the test. Thread: Start/Stop/counts/AllOpen from the
// test thread; the counters are written by libnats' delivery threads and the two workers.
class Traffic {
 public:
  // Connects with `creds` to 127.0.0.1:`port` and starts the workers; nullptr and `error` when
  // a connection or subscription fails. `tag` names the subjects (load.<tag>, svc.<tag>).
  static std::unique_ptr<Traffic> Start(int port, const std::string& creds, const std::string& tag,
                                        std::string* error);
  ~Traffic();
  Traffic(const Traffic&) = delete;
  Traffic& operator=(const Traffic&) = delete;

  // Stops the workers and flushes the publisher (so every accepted PUB has reached the server).
  void Stop();
  TrafficCounts counts() const;
  // True while none of the three connections is closed.
  bool AllOpen() const;

 private:
  Traffic() = default;
  static void OnMessage(natsConnection* nc, natsSubscription* sub, natsMsg* msg, void* self);
  static void OnRequest(natsConnection* nc, natsSubscription* sub, natsMsg* msg, void* self);
  static void OnComplete(void* self);  // a subscription's handler has returned for the last time
  void PublishLoop();
  void RequestLoop();

  std::string tag_;
  natsConnection* sub_nc_ = nullptr;
  natsConnection* pub_nc_ = nullptr;
  natsConnection* req_nc_ = nullptr;
  natsSubscription* sub_ = nullptr;
  natsSubscription* svc_ = nullptr;
  std::atomic<bool> stop_{false};
  std::thread publisher_;
  std::thread requester_;
  std::atomic<uint64_t> published_{0};
  std::atomic<uint64_t> publish_errors_{0};
  std::atomic<uint64_t> received_{0};
  std::atomic<uint64_t> next_expected_{0};  // the message handler runs on one libnats thread
  std::atomic<uint64_t> out_of_order_{0};
  std::atomic<uint64_t> requests_ok_{0};
  std::atomic<uint64_t> requests_failed_{0};
  std::atomic<int> completed_{0};  // subscriptions whose handler will not run again
};

}  // namespace lattice::managed_e2e
