// Concurrency e2e with libnats: many publishers and subscribers on separate connections at once
// (deliveries cross lattice-node's event loops), and connection churn; against both servers.
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"

#include "e2e/core/server_test.h"
#include "e2e/harness/eventually.h"
#include "e2e/harness/nats_client.h"

namespace lattice::e2e {
namespace {

using LoadTest = ServerTest;

int Pending(natsSubscription* sub) {
  int msgs = 0;
  int bytes = 0;
  natsSubscription_GetPending(sub, &msgs, &bytes);
  return msgs;
}

TEST_P(LoadTest, ConcurrentPublishersReachEverySubscriberInPublisherOrder) {
  START_SERVER_OR_FAIL(server);
  constexpr int kSubscribers = 40;
  constexpr int kPublishers = 8;
  constexpr int kPerPublisher = 250;
  constexpr int kTotal = kPublishers * kPerPublisher;

  std::vector<NatsConnection> sub_conns;
  std::vector<NatsSubscription> subs;
  for (int i = 0; i < kSubscribers; ++i) {
    ASSERT_OK_AND_ASSIGN(NatsConnection nc, ConnectNats(server->url()));
    natsSubscription* sub = nullptr;
    ASSERT_EQ(natsConnection_SubscribeSync(&sub, nc.get(), "load.>"), NATS_OK);
    subs.emplace_back(sub);
    ASSERT_EQ(natsConnection_Flush(nc.get()), NATS_OK);
    sub_conns.push_back(std::move(nc));
  }
  std::vector<NatsConnection> pub_conns;
  for (int p = 0; p < kPublishers; ++p) {
    ASSERT_OK_AND_ASSIGN(NatsConnection nc, ConnectNats(server->url()));
    pub_conns.push_back(std::move(nc));
  }
  std::vector<std::thread> publishers;
  std::vector<natsStatus> results(kPublishers, NATS_OK);
  for (int p = 0; p < kPublishers; ++p) {
    publishers.emplace_back([&, p] {
      std::string subject = absl::StrCat("load.p", p);
      for (int seq = 0; seq < kPerPublisher && results[p] == NATS_OK; ++seq) {
        std::string body = absl::StrCat(p, ":", seq);
        results[p] =
            natsConnection_PublishString(pub_conns[p].get(), subject.c_str(), body.c_str());
      }
      if (results[p] == NATS_OK) {
        results[p] = natsConnection_Flush(pub_conns[p].get());
      }
    });
  }
  for (std::thread& t : publishers) {
    t.join();
  }
  for (int p = 0; p < kPublishers; ++p) {
    ASSERT_EQ(results[p], NATS_OK) << "publisher " << p << ": " << natsStatus_GetText(results[p]);
  }
  EXPECT_TRUE(Eventually([&] {
    for (auto& sub : subs) {
      if (Pending(sub.get()) < kTotal) {
        return false;
      }
    }
    return true;
  }));
  for (int i = 0; i < kSubscribers; ++i) {
    ASSERT_EQ(natsConnection_Flush(sub_conns[i].get()), NATS_OK);
    ASSERT_EQ(Pending(subs[i].get()), kTotal) << "subscriber " << i;
    std::vector<int> next_seq(kPublishers, 0);
    for (int m = 0; m < kTotal; ++m) {
      natsMsg* raw = nullptr;
      ASSERT_EQ(natsSubscription_NextMsg(&raw, subs[i].get(), 5000), NATS_OK);
      NatsMsg msg(raw);
      std::string body(natsMsg_GetData(raw), static_cast<size_t>(natsMsg_GetDataLength(raw)));
      size_t colon = body.find(':');
      ASSERT_NE(colon, std::string::npos) << body;
      int p = std::stoi(body.substr(0, colon));
      int seq = std::stoi(body.substr(colon + 1));
      ASSERT_TRUE(p >= 0 && p < kPublishers) << body;
      ASSERT_EQ(seq, next_seq[p]) << "subscriber " << i << " got publisher " << p
                                  << " out of order";
      EXPECT_STREQ(natsMsg_GetSubject(raw), absl::StrCat("load.p", p).c_str());
      ++next_seq[p];
    }
  }
}

TEST_P(LoadTest, ConnectionChurnLeavesTheServerServing) {
  START_SERVER_OR_FAIL(server);
  ASSERT_OK_AND_ASSIGN(NatsConnection steady, ConnectNats(server->url()));
  natsSubscription* raw_sub = nullptr;
  ASSERT_EQ(natsConnection_SubscribeSync(&raw_sub, steady.get(), "churn"), NATS_OK);
  NatsSubscription sub(raw_sub);
  ASSERT_EQ(natsConnection_Flush(steady.get()), NATS_OK);
  constexpr int kCycles = 150;
  for (int i = 0; i < kCycles; ++i) {
    // Alternate clean closes and abrupt ones (a raw socket dropped mid-message).
    if (i % 2 == 0) {
      ASSERT_OK_AND_ASSIGN(NatsConnection nc, ConnectNats(server->url()));
      ASSERT_EQ(natsConnection_PublishString(nc.get(), "churn", "x"), NATS_OK);
      ASSERT_EQ(natsConnection_Flush(nc.get()), NATS_OK);
    } else {
      ASSERT_OK_AND_ASSIGN(auto raw, RawClient::ConnectAndHandshake(server->port()));
      ASSERT_OK(raw->Send("SUB churn 1\r\nPUB churn 10\r\nhalf"));
    }
  }
  EXPECT_TRUE(Eventually([&] { return Pending(sub.get()) >= kCycles / 2; }));
  ASSERT_EQ(natsConnection_Flush(steady.get()), NATS_OK);
  EXPECT_EQ(Pending(sub.get()), kCycles / 2);
  ASSERT_OK_AND_ASSIGN(auto probe, RawClient::ConnectAndHandshake(server->port()));
  ASSERT_OK(probe->Send("SUB ok 1\r\nPUB ok 2\r\nok\r\n"));
  ASSERT_OK_AND_ASSIGN(std::vector<RawOp> ops, probe->Sync());
  ASSERT_EQ(ops.size(), 1u) << DescribeOps(ops);
  EXPECT_EQ(ops[0].line, "MSG ok 1 2");
}

}  // namespace

LATTICE_E2E_INSTANTIATE(LoadTest);

}  // namespace lattice::e2e
