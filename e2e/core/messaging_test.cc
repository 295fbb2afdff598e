// Messaging e2e with libnats against both servers: pub/sub, wildcards, queue groups,
// request/reply, no responders, echo, auto-unsubscribe, headers, large payloads, many subs.
#include <atomic>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

#include "e2e/core/server_test.h"
#include "e2e/harness/eventually.h"
#include "e2e/harness/nats_client.h"

namespace lattice::e2e {
namespace {

using MessagingTest = ServerTest;

constexpr int64_t kReceiveTimeoutMs = 5000;

// Subscribes synchronously or fails the test.
NatsSubscription SubscribeSync(natsConnection* nc, const std::string& subject,
                               const std::string& queue = "") {
  natsSubscription* sub = nullptr;
  natsStatus s = queue.empty()
                     ? natsConnection_SubscribeSync(&sub, nc, subject.c_str())
                     : natsConnection_QueueSubscribeSync(&sub, nc, subject.c_str(), queue.c_str());
  EXPECT_EQ(s, NATS_OK) << NatsError(s);
  return NatsSubscription(sub);
}

// Next message or nullptr (with a test failure) on timeout.
NatsMsg Next(natsSubscription* sub) {
  natsMsg* msg = nullptr;
  natsStatus s = natsSubscription_NextMsg(&msg, sub, kReceiveTimeoutMs);
  EXPECT_EQ(s, NATS_OK) << NatsError(s);
  return NatsMsg(msg);
}

std::string Data(natsMsg* msg) {
  return std::string(natsMsg_GetData(msg), static_cast<size_t>(natsMsg_GetDataLength(msg)));
}

int Pending(natsSubscription* sub) {
  int msgs = 0;
  int bytes = 0;
  natsSubscription_GetPending(sub, &msgs, &bytes);
  return msgs;
}

TEST_P(MessagingTest, PublishReachesSubscriberWithSubjectReplyAndPayload) {
  START_SERVER_OR_FAIL(server);
  ASSERT_OK_AND_ASSIGN(NatsConnection sub_nc, ConnectNats(server->url()));
  ASSERT_OK_AND_ASSIGN(NatsConnection pub_nc, ConnectNats(server->url()));
  NatsSubscription sub = SubscribeSync(sub_nc.get(), "greet.joe");
  ASSERT_EQ(natsConnection_Flush(sub_nc.get()), NATS_OK);
  ASSERT_EQ(natsConnection_PublishRequestString(pub_nc.get(), "greet.joe", "inbox.1", "hello"),
            NATS_OK);
  ASSERT_EQ(natsConnection_PublishString(pub_nc.get(), "greet.bob", "not for joe"), NATS_OK);
  ASSERT_EQ(natsConnection_PublishString(pub_nc.get(), "greet.joe", ""), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(pub_nc.get()), NATS_OK);
  NatsMsg first = Next(sub.get());
  ASSERT_NE(first, nullptr);
  EXPECT_STREQ(natsMsg_GetSubject(first.get()), "greet.joe");
  EXPECT_STREQ(natsMsg_GetReply(first.get()), "inbox.1");
  EXPECT_EQ(Data(first.get()), "hello");
  NatsMsg empty = Next(sub.get());
  ASSERT_NE(empty, nullptr);
  EXPECT_EQ(Data(empty.get()), "");
  ASSERT_EQ(natsConnection_Flush(sub_nc.get()), NATS_OK);
  EXPECT_EQ(Pending(sub.get()), 0);
}

TEST_P(MessagingTest, WildcardsMatchTokensAndEveryMatchingSubGetsACopy) {
  START_SERVER_OR_FAIL(server);
  ASSERT_OK_AND_ASSIGN(NatsConnection nc, ConnectNats(server->url()));
  ASSERT_OK_AND_ASSIGN(NatsConnection pub_nc, ConnectNats(server->url()));
  std::map<std::string, NatsSubscription> subs;
  for (const char* subject : {"a.*", "a.>", "a.*.c", ">", "a.b", "*.b.>"}) {
    subs[subject] = SubscribeSync(nc.get(), subject);
  }
  ASSERT_EQ(natsConnection_Flush(nc.get()), NATS_OK);
  for (const char* subject : {"a.b", "a.b.c", "a.x.y.z", "z"}) {
    ASSERT_EQ(natsConnection_PublishString(pub_nc.get(), subject, subject), NATS_OK);
  }
  ASSERT_EQ(natsConnection_Flush(pub_nc.get()), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(nc.get()), NATS_OK);
  const std::map<std::string, std::vector<std::string>> expected = {
      {"a.*", {"a.b"}},     {"a.>", {"a.b", "a.b.c", "a.x.y.z"}},
      {"a.*.c", {"a.b.c"}}, {">", {"a.b", "a.b.c", "a.x.y.z", "z"}},
      {"a.b", {"a.b"}},     {"*.b.>", {"a.b.c"}},
  };
  for (const auto& [pattern, subjects] : expected) {
    std::vector<std::string> got;
    for (size_t i = 0; i < subjects.size(); ++i) {
      NatsMsg msg = Next(subs[pattern].get());
      ASSERT_NE(msg, nullptr) << pattern;
      got.push_back(natsMsg_GetSubject(msg.get()));
    }
    EXPECT_EQ(got, subjects) << pattern;
    EXPECT_EQ(Pending(subs[pattern].get()), 0) << pattern;
  }
}

TEST_P(MessagingTest, QueueGroupDeliversEachMessageToExactlyOneMember) {
  START_SERVER_OR_FAIL(server);
  constexpr int kMessages = 300;
  constexpr int kMembers = 3;
  std::vector<NatsConnection> conns;
  std::vector<NatsSubscription> members;
  for (int i = 0; i < kMembers; ++i) {
    ASSERT_OK_AND_ASSIGN(NatsConnection nc, ConnectNats(server->url()));
    members.push_back(SubscribeSync(nc.get(), "jobs", "workers"));
    ASSERT_EQ(natsConnection_Flush(nc.get()), NATS_OK);
    conns.push_back(std::move(nc));
  }
  ASSERT_OK_AND_ASSIGN(NatsConnection observer, ConnectNats(server->url()));
  NatsSubscription plain = SubscribeSync(observer.get(), "jobs");
  NatsSubscription other_group = SubscribeSync(observer.get(), "jobs", "auditors");
  ASSERT_EQ(natsConnection_Flush(observer.get()), NATS_OK);
  ASSERT_OK_AND_ASSIGN(NatsConnection pub, ConnectNats(server->url()));
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_EQ(natsConnection_PublishString(pub.get(), "jobs", absl::StrCat(i).c_str()), NATS_OK);
  }
  ASSERT_EQ(natsConnection_Flush(pub.get()), NATS_OK);
  // Wait until every copy has arrived: the group total, the plain sub and the second group.
  auto group_total = [&] {
    int total = 0;
    for (auto& member : members) {
      total += Pending(member.get());
    }
    return total;
  };
  EXPECT_TRUE(Eventually([&] {
    return group_total() >= kMessages && Pending(plain.get()) >= kMessages &&
           Pending(other_group.get()) >= kMessages;
  }));
  // No duplicates: flush every member so anything still in flight has arrived.
  for (auto& nc : conns) {
    ASSERT_EQ(natsConnection_Flush(nc.get()), NATS_OK);
  }
  EXPECT_EQ(group_total(), kMessages);
  EXPECT_EQ(Pending(plain.get()), kMessages);
  EXPECT_EQ(Pending(other_group.get()), kMessages);
  std::vector<bool> seen(kMessages, false);
  for (auto& member : members) {
    int count = Pending(member.get());
    EXPECT_GT(count, 0) << "queue members should share the load";
    for (int i = 0; i < count; ++i) {
      NatsMsg msg = Next(member.get());
      ASSERT_NE(msg, nullptr);
      int index = std::stoi(Data(msg.get()));
      ASSERT_TRUE(index >= 0 && index < kMessages);
      EXPECT_FALSE(seen[index]) << "message " << index << " delivered twice";
      seen[index] = true;
    }
  }
}

void Responder(natsConnection* nc, natsSubscription* sub, natsMsg* msg, void* closure) {
  std::string answer = "re:" + Data(msg);
  if (natsMsg_GetReply(msg) != nullptr) {
    natsConnection_PublishString(nc, natsMsg_GetReply(msg), answer.c_str());
  }
  natsMsg_Destroy(msg);
}

TEST_P(MessagingTest, RequestGetsTheResponderReply) {
  START_SERVER_OR_FAIL(server);
  ASSERT_OK_AND_ASSIGN(NatsConnection service, ConnectNats(server->url()));
  natsSubscription* raw_sub = nullptr;
  ASSERT_EQ(natsConnection_Subscribe(&raw_sub, service.get(), "svc.echo", Responder, nullptr),
            NATS_OK);
  NatsSubscription sub(raw_sub);
  ASSERT_EQ(natsConnection_Flush(service.get()), NATS_OK);
  ASSERT_OK_AND_ASSIGN(NatsConnection client, ConnectNats(server->url()));
  for (int i = 0; i < 20; ++i) {
    natsMsg* reply = nullptr;
    std::string body = absl::StrCat("ping-", i);
    natsStatus s =
        natsConnection_RequestString(&reply, client.get(), "svc.echo", body.c_str(), 5000);
    ASSERT_EQ(s, NATS_OK) << NatsError(s);
    NatsMsg owned(reply);
    EXPECT_EQ(Data(reply), "re:" + body);
  }
}

TEST_P(MessagingTest, RequestWithoutRespondersFailsFastWithNoResponders) {
  START_SERVER_OR_FAIL(server);
  ASSERT_OK_AND_ASSIGN(NatsConnection client, ConnectNats(server->url()));
  natsMsg* reply = nullptr;
  // The timeout is far above the expected answer: no responders must not wait for it.
  natsStatus s = natsConnection_RequestString(&reply, client.get(), "nobody.here", "x", 30000);
  NatsMsg owned(reply);
  EXPECT_EQ(s, NATS_NO_RESPONDERS) << NatsError(s);
  // The connection is still fine.
  EXPECT_EQ(natsConnection_Flush(client.get()), NATS_OK);
}

TEST_P(MessagingTest, EchoOffHidesOwnMessagesOnly) {
  START_SERVER_OR_FAIL(server);
  ASSERT_OK_AND_ASSIGN(NatsConnection quiet, ConnectNats(server->url(), [](natsOptions* o) {
                         natsOptions_SetNoEcho(o, true);
                       }));
  ASSERT_OK_AND_ASSIGN(NatsConnection loud, ConnectNats(server->url()));
  NatsSubscription quiet_sub = SubscribeSync(quiet.get(), "echo");
  NatsSubscription loud_sub = SubscribeSync(loud.get(), "echo");
  ASSERT_EQ(natsConnection_Flush(quiet.get()), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(loud.get()), NATS_OK);
  ASSERT_EQ(natsConnection_PublishString(quiet.get(), "echo", "from-quiet"), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(quiet.get()), NATS_OK);
  ASSERT_EQ(natsConnection_PublishString(loud.get(), "echo", "from-loud"), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(loud.get()), NATS_OK);
  NatsMsg got = Next(quiet_sub.get());
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(Data(got.get()), "from-loud");
  EXPECT_EQ(Pending(quiet_sub.get()), 0);
  NatsMsg a = Next(loud_sub.get());
  NatsMsg b = Next(loud_sub.get());
  ASSERT_TRUE(a && b);
  EXPECT_EQ(Data(a.get()), "from-quiet");
  EXPECT_EQ(Data(b.get()), "from-loud");
}

TEST_P(MessagingTest, AutoUnsubscribeStopsAfterMax) {
  START_SERVER_OR_FAIL(server);
  ASSERT_OK_AND_ASSIGN(NatsConnection nc, ConnectNats(server->url()));
  NatsSubscription sub = SubscribeSync(nc.get(), "auto");
  ASSERT_EQ(natsSubscription_AutoUnsubscribe(sub.get(), 3), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(nc.get()), NATS_OK);
  ASSERT_OK_AND_ASSIGN(NatsConnection pub, ConnectNats(server->url()));
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(natsConnection_PublishString(pub.get(), "auto", "x"), NATS_OK);
  }
  ASSERT_EQ(natsConnection_Flush(pub.get()), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(nc.get()), NATS_OK);
  int64_t delivered = 0;
  EXPECT_TRUE(Eventually([&] {
    natsSubscription_GetDelivered(sub.get(), &delivered);
    return Pending(sub.get()) + delivered >= 3;
  }));
  EXPECT_EQ(Pending(sub.get()), 3);
  // The server dropped the interest: a raw subscriber-count check via a fresh request.
  natsMsg* reply = nullptr;
  natsStatus s = natsConnection_RequestString(&reply, pub.get(), "auto", "x", 30000);
  NatsMsg owned(reply);
  EXPECT_EQ(s, NATS_NO_RESPONDERS) << NatsError(s);
}

TEST_P(MessagingTest, HeadersRoundTrip) {
  START_SERVER_OR_FAIL(server);
  ASSERT_OK_AND_ASSIGN(NatsConnection nc, ConnectNats(server->url()));
  NatsSubscription sub = SubscribeSync(nc.get(), "hdr");
  ASSERT_EQ(natsConnection_Flush(nc.get()), NATS_OK);
  natsMsg* raw = nullptr;
  ASSERT_EQ(natsMsg_Create(&raw, "hdr", "reply.here", "body", 4), NATS_OK);
  NatsMsg out(raw);
  ASSERT_EQ(natsMsgHeader_Set(out.get(), "Trace-Id", "abc123"), NATS_OK);
  ASSERT_EQ(natsMsgHeader_Add(out.get(), "Multi", "one"), NATS_OK);
  ASSERT_EQ(natsMsgHeader_Add(out.get(), "Multi", "two"), NATS_OK);
  ASSERT_EQ(natsConnection_PublishMsg(nc.get(), out.get()), NATS_OK);
  NatsMsg in = Next(sub.get());
  ASSERT_NE(in, nullptr);
  EXPECT_EQ(Data(in.get()), "body");
  EXPECT_STREQ(natsMsg_GetReply(in.get()), "reply.here");
  const char* value = nullptr;
  ASSERT_EQ(natsMsgHeader_Get(in.get(), "Trace-Id", &value), NATS_OK);
  EXPECT_STREQ(value, "abc123");
  const char** values = nullptr;
  int count = 0;
  ASSERT_EQ(natsMsgHeader_Values(in.get(), "Multi", &values, &count), NATS_OK);
  ASSERT_EQ(count, 2);
  EXPECT_STREQ(values[0], "one");
  EXPECT_STREQ(values[1], "two");
  free(values);
}

TEST_P(MessagingTest, PayloadsUpToMaxPayloadArriveIntact) {
  START_SERVER_OR_FAIL(server);
  ASSERT_OK_AND_ASSIGN(NatsConnection nc, ConnectNats(server->url()));
  NatsSubscription sub = SubscribeSync(nc.get(), "big");
  ASSERT_EQ(natsConnection_Flush(nc.get()), NATS_OK);
  for (int size : {65536, 1048576 - 1, 1048576}) {
    std::string payload(static_cast<size_t>(size), '\0');
    for (int i = 0; i < size; ++i) {
      payload[static_cast<size_t>(i)] = static_cast<char>('a' + (i * 7 + size) % 26);
    }
    ASSERT_EQ(natsConnection_Publish(nc.get(), "big", payload.data(), size), NATS_OK);
    NatsMsg msg = Next(sub.get());
    ASSERT_NE(msg, nullptr) << size;
    EXPECT_TRUE(Data(msg.get()) == payload) << "payload of " << size << " bytes corrupted";
  }
  // One byte over: the client refuses it locally, using the server's advertised max_payload.
  std::string too_big(1048577, 'x');
  EXPECT_EQ(natsConnection_Publish(nc.get(), "big", too_big.data(), 1048577), NATS_MAX_PAYLOAD);
  EXPECT_EQ(natsConnection_Flush(nc.get()), NATS_OK);
}

TEST_P(MessagingTest, ThousandsOfSubscriptionsEachGetTheirMessage) {
  START_SERVER_OR_FAIL(server);
  constexpr int kSubs = 2000;
  ASSERT_OK_AND_ASSIGN(NatsConnection nc, ConnectNats(server->url()));
  std::vector<NatsSubscription> subs;
  for (int i = 0; i < kSubs; ++i) {
    subs.push_back(SubscribeSync(nc.get(), absl::StrCat("many.", i)));
  }
  NatsSubscription all = SubscribeSync(nc.get(), "many.*");
  ASSERT_EQ(natsConnection_Flush(nc.get()), NATS_OK);
  ASSERT_OK_AND_ASSIGN(NatsConnection pub, ConnectNats(server->url()));
  for (int i = 0; i < kSubs; ++i) {
    std::string subject = absl::StrCat("many.", i);
    ASSERT_EQ(natsConnection_PublishString(pub.get(), subject.c_str(), subject.c_str()), NATS_OK);
  }
  ASSERT_EQ(natsConnection_Flush(pub.get()), NATS_OK);
  EXPECT_TRUE(Eventually([&] { return Pending(all.get()) >= kSubs; }));
  ASSERT_EQ(natsConnection_Flush(nc.get()), NATS_OK);
  EXPECT_EQ(Pending(all.get()), kSubs);
  for (int i = 0; i < kSubs; ++i) {
    ASSERT_EQ(Pending(subs[i].get()), 1) << "many." << i;
    NatsMsg msg = Next(subs[i].get());
    ASSERT_NE(msg, nullptr);
    EXPECT_EQ(Data(msg.get()), absl::StrCat("many.", i));
  }
}

}  // namespace

LATTICE_E2E_INSTANTIATE(MessagingTest);

}  // namespace lattice::e2e
