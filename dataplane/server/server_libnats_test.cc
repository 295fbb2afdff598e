// Component tests with the official NATS C client (libnats) against an in-process Server.
#include <atomic>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include <nats/nats.h>

#include "dataplane/server/server.h"
#include "dataplane/server/test_client.h"

namespace lattice::server {
namespace {

using testing::Eventually;
using testing::StartServer;

class LibnatsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = StartServer();
    url_ = "nats://127.0.0.1:" + std::to_string(server_->port());
  }
  void TearDown() override {
    for (natsConnection* nc : conns_) {
      natsConnection_Destroy(nc);
    }
    server_->Shutdown();
  }
  natsConnection* Connect() {
    natsConnection* nc = nullptr;
    natsStatus s = natsConnection_ConnectTo(&nc, url_.c_str());
    EXPECT_EQ(s, NATS_OK) << natsStatus_GetText(s);
    conns_.push_back(nc);
    return nc;
  }

  std::unique_ptr<Server> server_;
  std::string url_;
  std::vector<natsConnection*> conns_;
};

TEST_F(LibnatsTest, PublishSubscribe) {
  natsConnection* sub_nc = Connect();
  natsConnection* pub_nc = Connect();
  natsSubscription* sub = nullptr;
  ASSERT_EQ(natsConnection_SubscribeSync(&sub, sub_nc, "greet.*"), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(sub_nc), NATS_OK);
  ASSERT_EQ(natsConnection_PublishString(pub_nc, "greet.joe", "hello"), NATS_OK);
  natsMsg* msg = nullptr;
  ASSERT_EQ(natsSubscription_NextMsg(&msg, sub, 5000), NATS_OK);
  EXPECT_STREQ(natsMsg_GetSubject(msg), "greet.joe");
  EXPECT_EQ(std::string(natsMsg_GetData(msg), natsMsg_GetDataLength(msg)), "hello");
  natsMsg_Destroy(msg);
  natsSubscription_Destroy(sub);
}

void Respond(natsConnection* nc, natsSubscription* sub, natsMsg* msg, void* closure) {
  std::string reply = "re:" + std::string(natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
  natsConnection_Publish(nc, natsMsg_GetReply(msg), reply.data(), static_cast<int>(reply.size()));
  natsMsg_Destroy(msg);
}

TEST_F(LibnatsTest, RequestReplyAndNoResponders) {
  natsConnection* svc_nc = Connect();
  natsConnection* req_nc = Connect();
  natsSubscription* svc = nullptr;
  ASSERT_EQ(natsConnection_Subscribe(&svc, svc_nc, "svc.echo", Respond, nullptr), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(svc_nc), NATS_OK);
  for (int i = 0; i < 20; ++i) {
    natsMsg* reply = nullptr;
    std::string body = "ping" + std::to_string(i);
    ASSERT_EQ(natsConnection_RequestString(&reply, req_nc, "svc.echo", body.c_str(), 5000),
              NATS_OK);
    EXPECT_EQ(std::string(natsMsg_GetData(reply), natsMsg_GetDataLength(reply)), "re:" + body);
    natsMsg_Destroy(reply);
  }
  natsMsg* none = nullptr;
  EXPECT_EQ(natsConnection_RequestString(&none, req_nc, "svc.nobody", "x", 5000),
            NATS_NO_RESPONDERS);
  natsSubscription_Destroy(svc);
}

TEST_F(LibnatsTest, QueueSubscribersShareTheWork) {
  natsConnection* a = Connect();
  natsConnection* b = Connect();
  natsConnection* pub = Connect();
  natsSubscription* qa = nullptr;
  natsSubscription* qb = nullptr;
  ASSERT_EQ(natsConnection_QueueSubscribeSync(&qa, a, "jobs", "workers"), NATS_OK);
  ASSERT_EQ(natsConnection_QueueSubscribeSync(&qb, b, "jobs", "workers"), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(a), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(b), NATS_OK);
  constexpr int kJobs = 200;
  for (int i = 0; i < kJobs; ++i) {
    ASSERT_EQ(natsConnection_PublishString(pub, "jobs", "j"), NATS_OK);
  }
  ASSERT_EQ(natsConnection_Flush(pub), NATS_OK);
  int got_a = 0, got_b = 0;
  auto drain = [](natsSubscription* s, int* count) {
    natsMsg* m = nullptr;
    while (natsSubscription_NextMsg(&m, s, 200) == NATS_OK) {
      ++*count;
      natsMsg_Destroy(m);
    }
  };
  drain(qa, &got_a);
  drain(qb, &got_b);
  EXPECT_EQ(got_a + got_b, kJobs);
  EXPECT_GT(got_a, 0);
  EXPECT_GT(got_b, 0);
  natsSubscription_Destroy(qa);
  natsSubscription_Destroy(qb);
}

TEST_F(LibnatsTest, HeadersRoundTrip) {
  natsConnection* nc = Connect();
  natsSubscription* sub = nullptr;
  ASSERT_EQ(natsConnection_SubscribeSync(&sub, nc, "h"), NATS_OK);
  natsMsg* out = nullptr;
  ASSERT_EQ(natsMsg_Create(&out, "h", nullptr, "body", 4), NATS_OK);
  ASSERT_EQ(natsMsgHeader_Set(out, "Trace-Id", "abc123"), NATS_OK);
  ASSERT_EQ(natsConnection_PublishMsg(nc, out), NATS_OK);
  natsMsg_Destroy(out);
  natsMsg* in = nullptr;
  ASSERT_EQ(natsSubscription_NextMsg(&in, sub, 5000), NATS_OK);
  const char* value = nullptr;
  ASSERT_EQ(natsMsgHeader_Get(in, "Trace-Id", &value), NATS_OK);
  EXPECT_STREQ(value, "abc123");
  EXPECT_EQ(std::string(natsMsg_GetData(in), natsMsg_GetDataLength(in)), "body");
  natsMsg_Destroy(in);
  natsSubscription_Destroy(sub);
}

TEST_F(LibnatsTest, AutoUnsubscribe) {
  natsConnection* nc = Connect();
  natsSubscription* sub = nullptr;
  ASSERT_EQ(natsConnection_SubscribeSync(&sub, nc, "limited"), NATS_OK);
  ASSERT_EQ(natsSubscription_AutoUnsubscribe(sub, 3), NATS_OK);
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(natsConnection_PublishString(nc, "limited", "x"), NATS_OK);
  }
  ASSERT_EQ(natsConnection_Flush(nc), NATS_OK);
  int got = 0;
  natsMsg* m = nullptr;
  while (natsSubscription_NextMsg(&m, sub, 200) == NATS_OK) {
    ++got;
    natsMsg_Destroy(m);
  }
  EXPECT_EQ(got, 3);
  natsSubscription_Destroy(sub);
  EXPECT_TRUE(Eventually([&] { return server_->Stats().subscriptions == 0; }));
}

}  // namespace
}  // namespace lattice::server
