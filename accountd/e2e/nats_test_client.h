// NatsTestClient: a libnats connection for accountd's e2e tests.
#pragma once

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include <nats/nats.h>

namespace lattice::accountd::testing {

// A libnats connection that does not reconnect, so a server-side close is final. Owned by one
// test. Thread: the test's thread.
class NatsTestClient {
 public:
  static std::unique_ptr<NatsTestClient> Connect(const std::string& url, const std::string& creds,
                                                 natsStatus* status) {
    natsOptions* opts = nullptr;
    natsOptions_Create(&opts);
    natsOptions_SetURL(opts, url.c_str());
    natsOptions_SetUserCredentialsFromFiles(opts, creds.c_str(), nullptr);
    natsOptions_SetAllowReconnect(opts, false);
    natsConnection* nc = nullptr;
    // Under load libnats 3.4.1 now and then sends CONNECT without the nonce signature
    // (nats-server: "Signature missing"); retry authentication failures a few times. A user
    // that is really refused fails every attempt.
    *status = NATS_ERR;
    for (int attempt = 0; attempt < 3 && *status != NATS_OK; ++attempt) {
      *status = natsConnection_Connect(&nc, opts);
      if (*status != NATS_CONNECTION_AUTH_FAILED)
        break;
    }
    natsOptions_Destroy(opts);
    if (*status != NATS_OK)
      return nullptr;
    return std::unique_ptr<NatsTestClient>(new NatsTestClient(nc));
  }
  ~NatsTestClient() {
    if (sub_ != nullptr)
      natsSubscription_Destroy(sub_);
    natsConnection_Destroy(nc_);
  }
  natsConnection* nc() { return nc_; }
  bool Closed() { return natsConnection_IsClosed(nc_); }
  void Subscribe(const std::string& subject) {
    ASSERT_EQ(natsConnection_SubscribeSync(&sub_, nc_, subject.c_str()), NATS_OK);
    ASSERT_EQ(natsConnection_Flush(nc_), NATS_OK);
  }
  // Publishes `subject` and waits briefly for the subscription to receive something.
  bool PublishAndReceive(const std::string& subject) {
    natsConnection_PublishString(nc_, subject.c_str(), "x");
    natsConnection_Flush(nc_);
    natsMsg* msg = nullptr;
    if (natsSubscription_NextMsg(&msg, sub_, 200) != NATS_OK)
      return false;
    natsMsg_Destroy(msg);
    return true;
  }

 private:
  explicit NatsTestClient(natsConnection* nc) : nc_(nc) {}
  natsConnection* nc_;
  natsSubscription* sub_ = nullptr;
};

}  // namespace lattice::accountd::testing
