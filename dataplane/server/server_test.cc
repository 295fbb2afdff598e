// Component tests: a real in-process Server on an ephemeral port, driven over raw sockets so
// the exact bytes nats-server 2.9.10 sends are checked.
#include "dataplane/server/server.h"

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "dataplane/server/test_client.h"

namespace lattice::server {
namespace {

using testing::Eventually;
using ::testing::HasSubstr;
using testing::RawClient;
using testing::StartServer;
using ::testing::StartsWith;
using testing::TestOptions;

size_t Count(const std::string& haystack, std::string_view needle) {
  size_t n = 0;
  for (size_t pos = haystack.find(needle); pos != std::string::npos;
       pos = haystack.find(needle, pos + needle.size())) {
    ++n;
  }
  return n;
}

TEST(ServerTest, InfoIsFirstWithTheFieldsClientsRead) {
  auto server = StartServer();
  RawClient c(server->port());
  std::string info = c.ReadInfo();
  EXPECT_THAT(info, StartsWith("INFO {\"server_id\":\"N"));
  EXPECT_THAT(info, ::testing::EndsWith("} \r\n"));
  EXPECT_THAT(info, HasSubstr("\"version\":\"2.9.10\""));
  EXPECT_THAT(info, HasSubstr("\"proto\":1"));
  EXPECT_THAT(info, HasSubstr("\"headers\":true"));
  EXPECT_THAT(info, HasSubstr("\"max_payload\":1048576"));
  EXPECT_THAT(info, HasSubstr("\"client_id\":1"));
  EXPECT_THAT(info, HasSubstr("\"client_ip\":\"127.0.0.1\""));
  EXPECT_THAT(info, HasSubstr("\"port\":" + std::to_string(server->port())));
  EXPECT_THAT(info, ::testing::Not(HasSubstr("auth_required")));
  size_t id = info.find("\"server_id\":\"") + 13;
  EXPECT_EQ(info.find('"', id) - id, 56u);
}

TEST(ServerTest, DefaultsAreVerboseAndPingGetsPong) {
  auto server = StartServer();
  RawClient c(server->port());
  c.ReadInfo();
  c.Send("CONNECT {}\r\nPING\r\n");
  EXPECT_EQ(c.ReadUntil("PONG\r\n"), "+OK\r\nPONG\r\n");
  // Without auth, CONNECT may be skipped entirely.
  RawClient d(server->port());
  d.ReadInfo();
  d.Send("ping\r\n");
  EXPECT_EQ(d.ReadUntil("PONG\r\n"), "PONG\r\n");
}

TEST(ServerTest, PubSubExactBytesAcrossConnections) {
  auto server = StartServer();
  RawClient sub(server->port());
  sub.Handshake();
  sub.Send("SUB foo 1\r\nSUB foo 2\r\n");
  sub.Sync();
  RawClient pub(server->port());
  pub.Handshake();
  pub.Send("PUB foo reply.x 5\r\nhello\r\nPUB bar 1\r\nx\r\n");
  pub.Sync();
  EXPECT_EQ(sub.Sync(), "MSG foo 1 reply.x 5\r\nhello\r\nMSG foo 2 reply.x 5\r\nhello\r\n");
  ServerStats stats = server->Stats();
  EXPECT_EQ(stats.in_msgs, 2u);
  EXPECT_EQ(stats.out_msgs, 2u);
  EXPECT_EQ(stats.subscriptions, 2u);
}

TEST(ServerTest, WildcardsEachGetACopy) {
  auto server = StartServer();
  RawClient c(server->port());
  c.Handshake();
  c.Send("SUB foo.* 1\r\nSUB foo.> 2\r\nSUB > 3\r\nSUB foo.bar.* 4\r\nSUB bar.* 5\r\n");
  c.Send("PUB foo.bar 2\r\nhi\r\n");
  std::string got = c.Sync();
  EXPECT_EQ(Count(got, "MSG foo.bar"), 3u);
  EXPECT_THAT(got, HasSubstr("MSG foo.bar 1 2\r\nhi\r\n"));
  EXPECT_THAT(got, HasSubstr("MSG foo.bar 2 2\r\nhi\r\n"));
  EXPECT_THAT(got, HasSubstr("MSG foo.bar 3 2\r\nhi\r\n"));
}

TEST(ServerTest, HeadersAreRelayedAndStrippedForNonHeaderClients) {
  auto server = StartServer();
  RawClient hdr(server->port());
  hdr.Handshake(R"({"verbose":false,"headers":true})");
  hdr.Send("SUB h 1\r\n");
  RawClient plain(server->port());
  plain.Handshake();
  plain.Send("SUB h 9\r\n");
  plain.Sync();
  hdr.Send("HPUB h 12 14\r\nNATS/1.0\r\n\r\nhi\r\n");
  EXPECT_EQ(hdr.Sync(), "HMSG h 1 12 14\r\nNATS/1.0\r\n\r\nhi\r\n");
  EXPECT_EQ(plain.Sync(), "MSG h 9 2\r\nhi\r\n");
}

TEST(ServerTest, HpubWithoutHeadersNegotiatedClosesSilently) {
  auto server = StartServer();
  RawClient c(server->port());
  c.Handshake();
  c.Send("HPUB h 12 14\r\nNATS/1.0\r\n\r\nhi\r\n");
  std::string rest;
  EXPECT_TRUE(c.WaitForClose(&rest));
  EXPECT_EQ(rest, "");
}

TEST(ServerTest, QueueGroupsDeliverExactlyOncePerGroup) {
  auto server = StartServer();
  std::vector<std::unique_ptr<RawClient>> members;
  for (int i = 0; i < 3; ++i) {
    members.push_back(std::make_unique<RawClient>(server->port()));
    members.back()->Handshake();
    members.back()->Send("SUB work q1 1\r\nSUB work q2 2\r\n");
    members.back()->Sync();
  }
  RawClient plain(server->port());
  plain.Handshake();
  plain.Send("SUB work 7\r\n");
  plain.Sync();
  RawClient pub(server->port());
  pub.Handshake();
  constexpr int kMessages = 300;
  std::string batch;
  for (int i = 0; i < kMessages; ++i) {
    batch += "PUB work 1\r\nx\r\n";
  }
  pub.Send(batch);
  pub.Sync();
  size_t q1 = 0, q2 = 0;
  size_t members_with_q1 = 0;
  for (auto& m : members) {
    std::string got = m->Sync();
    size_t n1 = Count(got, "MSG work 1 1");
    q1 += n1;
    q2 += Count(got, "MSG work 2 1");
    members_with_q1 += n1 > 0 ? 1 : 0;
  }
  EXPECT_EQ(q1, static_cast<size_t>(kMessages));
  EXPECT_EQ(q2, static_cast<size_t>(kMessages));
  EXPECT_EQ(members_with_q1, 3u);  // random choice spreads over every member
  EXPECT_EQ(Count(plain.Sync(), "MSG work 7 1"), static_cast<size_t>(kMessages));
}

TEST(ServerTest, NoRespondersExactBytes) {
  auto server = StartServer();
  RawClient c(server->port());
  c.Handshake(R"({"verbose":false,"headers":true,"no_responders":true})");
  c.Send("SUB _INBOX.abc.* 5\r\nPUB svc _INBOX.abc.1 2\r\nhi\r\n");
  EXPECT_EQ(c.Sync(), "HMSG _INBOX.abc.1 5 16 16\r\nNATS/1.0 503\r\n\r\n\r\n");
  // With a responder there is no 503.
  RawClient svc(server->port());
  svc.Handshake();
  svc.Send("SUB svc 1\r\n");
  svc.Sync();
  c.Send("PUB svc _INBOX.abc.2 2\r\nhi\r\n");
  EXPECT_EQ(c.Sync(), "");
  EXPECT_EQ(svc.Sync(), "MSG svc 1 _INBOX.abc.2 2\r\nhi\r\n");
}

TEST(ServerTest, NoRespondersRequiresHeaders) {
  auto server = StartServer();
  RawClient c(server->port());
  c.ReadInfo();
  c.Send("CONNECT {\"no_responders\":true}\r\n");
  std::string rest;
  EXPECT_TRUE(c.WaitForClose(&rest));
  EXPECT_EQ(rest, "-ERR 'no responders requires headers support'\r\n");
}

TEST(ServerTest, InvalidProtocolVersionCloses) {
  auto server = StartServer();
  RawClient c(server->port());
  c.ReadInfo();
  c.Send("CONNECT {\"protocol\":2}\r\n");
  std::string rest;
  EXPECT_TRUE(c.WaitForClose(&rest));
  EXPECT_EQ(rest, "-ERR 'invalid client protocol'\r\n");
}

TEST(ServerTest, MalformedConnectClosesWithoutErr) {
  auto server = StartServer();
  RawClient c(server->port());
  c.ReadInfo();
  c.Send("CONNECT {\"verbose\":\r\n");
  std::string rest;
  EXPECT_TRUE(c.WaitForClose(&rest));
  EXPECT_EQ(rest, "");
}

TEST(ServerTest, EchoOffSkipsOwnMessages) {
  auto server = StartServer();
  RawClient c(server->port());
  c.Handshake(R"({"verbose":false,"echo":false})");
  c.Send("SUB foo 1\r\nPUB foo 1\r\na\r\n");
  EXPECT_EQ(c.Sync(), "");
  RawClient other(server->port());
  other.Handshake();
  other.Send("PUB foo 1\r\nb\r\n");
  other.Sync();
  EXPECT_EQ(c.Sync(), "MSG foo 1 1\r\nb\r\n");
}

TEST(ServerTest, AutoUnsubscribeAfterMax) {
  auto server = StartServer();
  RawClient c(server->port());
  c.Handshake();
  c.Send("SUB foo 1\r\nUNSUB 1 2\r\n");
  for (int i = 0; i < 5; ++i) {
    c.Send("PUB foo 1\r\nx\r\n");
  }
  EXPECT_EQ(c.Sync(), "MSG foo 1 1\r\nx\r\nMSG foo 1 1\r\nx\r\n");
  EXPECT_TRUE(Eventually([&] { return server->Stats().subscriptions == 0; }));
  // A max already reached removes the subscription at once.
  c.Send("SUB bar 2\r\nPUB bar 1\r\ny\r\nUNSUB 2 1\r\nPUB bar 1\r\nz\r\n");
  EXPECT_EQ(c.Sync(), "MSG bar 2 1\r\ny\r\n");
}

TEST(ServerTest, VerboseAcknowledgesEveryOp) {
  auto server = StartServer();
  RawClient c(server->port());
  c.ReadInfo();
  c.Send("CONNECT {\"verbose\":true}\r\nSUB foo 1\r\nPUB foo 2\r\nok\r\nUNSUB 1\r\nUNSUB 99\r\n");
  EXPECT_EQ(c.Sync(), "+OK\r\n+OK\r\n+OK\r\nMSG foo 1 2\r\nok\r\n+OK\r\n+OK\r\n");
}

TEST(ServerTest, DuplicateSidKeepsFirstSubscription) {
  auto server = StartServer();
  RawClient c(server->port());
  c.Handshake();
  c.Send("SUB foo 1\r\nSUB bar 1\r\nPUB bar 1\r\nb\r\nPUB foo 1\r\nf\r\n");
  EXPECT_EQ(c.Sync(), "MSG foo 1 1\r\nf\r\n");
}

TEST(ServerTest, InvalidSubjectKeepsConnectionOpen) {
  auto server = StartServer();
  RawClient c(server->port());
  c.Handshake();
  c.Send("SUB foo..bar 1\r\nSUB foo.>.x 2\r\n");
  EXPECT_EQ(c.Sync(), "-ERR 'Invalid Subject'\r\n-ERR 'Invalid Subject'\r\n");
}

TEST(ServerTest, PedanticPublishSubjectIsReportedButDelivered) {
  auto server = StartServer();
  RawClient c(server->port());
  c.Handshake(R"({"verbose":false,"pedantic":true})");
  c.Send("SUB foo.* 1\r\nPUB foo.* 1\r\nx\r\n");
  EXPECT_EQ(c.Sync(), "-ERR 'Invalid Publish Subject'\r\nMSG foo.* 1 1\r\nx\r\n");
}

TEST(ServerTest, MaxPayloadViolationCloses) {
  options::Options opts = TestOptions();
  opts.max_payload = 10;
  auto server = StartServer(opts);
  RawClient c(server->port());
  EXPECT_THAT(c.ReadInfo(), HasSubstr("\"max_payload\":10"));
  c.Send("CONNECT {\"verbose\":false}\r\nPUB foo 11\r\n");
  std::string rest;
  EXPECT_TRUE(c.WaitForClose(&rest));
  EXPECT_EQ(rest, "-ERR 'Maximum Payload Violation'\r\n");
}

TEST(ServerTest, MaxControlLineCloses) {
  options::Options opts = TestOptions();
  opts.max_control_line = 32;
  auto server = StartServer(opts);
  RawClient c(server->port());
  c.Handshake();
  c.Send("SUB " + std::string(64, 'a') + " 1\r\n");
  std::string rest;
  EXPECT_TRUE(c.WaitForClose(&rest));
  EXPECT_EQ(rest, "-ERR 'maximum control line exceeded'\r\n");
}

TEST(ServerTest, UnknownOperationCloses) {
  auto server = StartServer();
  RawClient c(server->port());
  c.Handshake();
  c.Send("FOO bar\r\n");
  std::string rest;
  EXPECT_TRUE(c.WaitForClose(&rest));
  EXPECT_EQ(rest, "-ERR 'Unknown Protocol Operation'\r\n");
}

TEST(ServerTest, ClientErrCloses) {
  auto server = StartServer();
  RawClient c(server->port());
  c.Handshake();
  c.Send("-ERR 'boom'\r\n");
  EXPECT_TRUE(c.WaitForClose());
  EXPECT_TRUE(Eventually([&] { return server->Stats().connections == 0; }));
}

TEST(ServerTest, MaxSubscriptionsKeepsConnectionOpen) {
  options::Options opts = TestOptions();
  opts.max_subscriptions = 2;
  auto server = StartServer(opts);
  RawClient c(server->port());
  c.Handshake();
  c.Send("SUB a 1\r\nSUB b 2\r\nSUB c 3\r\nPUB b 1\r\nx\r\n");
  EXPECT_EQ(c.Sync(), "-ERR 'maximum subscriptions exceeded'\r\nMSG b 2 1\r\nx\r\n");
}

TEST(ServerTest, MaxConnectionsSendsInfoThenErr) {
  options::Options opts = TestOptions();
  opts.max_connections = 2;
  auto server = StartServer(opts);
  RawClient a(server->port());
  a.Handshake();
  RawClient b(server->port());
  b.Handshake();
  RawClient c(server->port());
  std::string rest;
  EXPECT_TRUE(c.WaitForClose(&rest));
  EXPECT_THAT(rest, StartsWith("INFO {"));
  EXPECT_THAT(rest, ::testing::EndsWith("} \r\n-ERR 'maximum connections exceeded'\r\n"));
  // A slot frees up when a client leaves.
  a.Send("-ERR 'bye'\r\n");
  EXPECT_TRUE(a.WaitForClose());
  EXPECT_TRUE(Eventually([&] { return server->Stats().connections == 1; }));
  RawClient d(server->port());
  d.Handshake();
  EXPECT_EQ(d.Sync(), "");
  EXPECT_FALSE(d.WaitForClose(nullptr, std::chrono::milliseconds(50)));
}

TEST(ServerTest, SlowConsumerIsClosedAndCounted) {
  options::Options opts = TestOptions();
  opts.max_pending = 256 * 1024;
  // The publisher is stalled while the subscriber is over half full; a subscriber that never
  // reads is then cut off by the write deadline or, past the stalls, by max_pending.
  opts.write_deadline = std::chrono::seconds(1);
  auto server = StartServer(opts);
  RawClient slow(server->port(), 4096);
  slow.Handshake();
  slow.Send("SUB firehose 1\r\n");
  slow.Sync();
  RawClient pub(server->port());
  pub.Handshake();
  std::string payload(1024, 'p');
  std::string frame = "PUB firehose 1024\r\n" + payload + "\r\n";
  std::string batch;
  for (int i = 0; i < 64; ++i) {
    batch += frame;
  }
  // The subscriber never reads: its socket fills, then its pending bytes pass max_pending.
  EXPECT_TRUE(Eventually(
      [&] {
        pub.Send(batch);
        return server->Stats().slow_consumers >= 1;
      },
      std::chrono::seconds(20)));
  EXPECT_TRUE(Eventually([&] { return server->Stats().connections == 1; }));
  EXPECT_EQ(pub.Sync().find("-ERR"), std::string::npos);  // the publisher is unaffected
}

// Reads everything a subscriber socket gets, 2 KiB at a time with a pause between reads, until
// `marker` arrives or the server closes. A consumer far slower than the publisher.
std::string ReadSlowlyUntil(int port, std::string_view subscribe, std::string_view marker,
                            std::atomic<bool>* subscribed) {
  int fd = testing::ConnectLoopback(port, /*rcvbuf=*/4096);
  if (fd < 0) {
    return "";
  }
  std::string request = "CONNECT {\"verbose\":false}\r\n" + std::string(subscribe) + "PING\r\n";
  send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string got;
  char buf[2048];
  while (got.find(marker) == std::string::npos) {
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) {
      break;
    }
    got.append(buf, static_cast<size_t>(n));
    if (!subscribed->load() && got.find("PONG\r\n") != std::string::npos) {
      subscribed->store(true);
    }
    std::this_thread::sleep_for(std::chrono::microseconds(500));  // pacing, not a timing check
  }
  close(fd);
  return got;
}

TEST(ServerTest, FastProducerIsStalledInsteadOfOverrunningASlowerConsumer) {
  // nats-server holds a publisher back (100 ms to 1 s) while a subscriber has more than half
  // of max_pending queued; the subscriber then gets everything instead of being cut off.
  options::Options opts = TestOptions();
  opts.max_pending = 256 * 1024;
  auto server = StartServer(opts);
  std::atomic<bool> subscribed{false};
  std::string received;
  std::thread reader([&] {
    received = ReadSlowlyUntil(server->port(), "SUB firehose 1\r\nSUB done 2\r\n", "MSG done 2",
                               &subscribed);
  });
  ASSERT_TRUE(Eventually([&] { return subscribed.load(); }));
  RawClient pub(server->port());
  pub.Handshake();
  std::string frame = "PUB firehose 1024\r\n" + std::string(1024, 'p') + "\r\n";
  constexpr int kMessages = 4096;  // 16x max_pending
  std::string batch;
  for (int i = 0; i < 256; ++i) {
    batch += frame;
  }
  for (int i = 0; i < kMessages / 256; ++i) {
    pub.Send(batch);
  }
  pub.Send("PUB done 0\r\n\r\n");
  reader.join();
  EXPECT_EQ(Count(received, "MSG firehose 1 1024\r\n"), static_cast<size_t>(kMessages));
  EXPECT_EQ(server->Stats().slow_consumers, 0u);
  EXPECT_EQ(pub.Sync().find("-ERR"), std::string::npos);
}

TEST(ServerTest, PublisherThatIsItsOwnSlowConsumerIsClosedSafely) {
  options::Options opts = TestOptions();
  opts.max_pending = 64 * 1024;
  auto server = StartServer(opts);
  RawClient loop(server->port(), 4096);
  loop.Handshake();
  loop.Send("SUB self 1\r\nSUB self 2\r\n");
  std::string frame = "PUB self 1024\r\n" + std::string(1024, 's') + "\r\n";
  std::string batch;
  for (int i = 0; i < 64; ++i) {
    batch += frame;
  }
  // It never reads: its own deliveries fill its buffer while it is publishing.
  EXPECT_TRUE(Eventually(
      [&] {
        loop.Send(batch);
        return server->Stats().slow_consumers >= 1;
      },
      std::chrono::seconds(20)));
  EXPECT_TRUE(Eventually([&] { return server->Stats().connections == 0; }));
  EXPECT_TRUE(Eventually([&] { return server->Stats().subscriptions == 0; }));
}

TEST(ServerTest, SnapshotListsConnectionsWithStats) {
  auto server = StartServer();
  RawClient c(server->port());
  c.Handshake(R"({"verbose":false,"name":"snap","lang":"raw","version":"9.9"})");
  c.Send("SUB a 1\r\nSUB b.> 2\r\nPUB a 3\r\nabc\r\n");
  c.Sync();
  std::vector<ConnectionSnapshot> conns = server->Connections();
  ASSERT_EQ(conns.size(), 1u);
  const ConnectionSnapshot& s = conns[0];
  EXPECT_EQ(s.cid, 1u);
  EXPECT_EQ(s.ip, "127.0.0.1");
  EXPECT_GT(s.port, 0);
  EXPECT_EQ(s.name, "snap");
  EXPECT_EQ(s.lang, "raw");
  EXPECT_EQ(s.version, "9.9");
  EXPECT_EQ(s.account, "$G");
  EXPECT_EQ(s.in_msgs, 1u);
  EXPECT_EQ(s.in_bytes, 3u);
  EXPECT_EQ(s.out_msgs, 1u);
  EXPECT_EQ(s.subscription_count, 2u);
  EXPECT_THAT(s.subscriptions, ::testing::UnorderedElementsAre("a", "b.>"));
  EXPECT_GT(s.start_unix_nanos, 0);
}

// /connz?state=closed shows what the connection had when it closed (nats-server keeps a
// closed client's subscriptions), not what was left after they were dropped.
TEST(ServerTest, ClosedConnectionKeepsItsSubscriptions) {
  auto server = StartServer();
  {
    RawClient c(server->port());
    c.Handshake();
    c.Send("SUB a 1\r\nSUB b.> 2\r\nSUB c q 3\r\n");
    c.Sync();
  }
  ASSERT_TRUE(Eventually([&] { return server->RecentlyClosed().size() == 1; }));
  const ConnectionSnapshot s = server->RecentlyClosed()[0].snapshot;
  EXPECT_EQ(s.subscription_count, 3u);
  EXPECT_THAT(s.subscriptions, ::testing::UnorderedElementsAre("a", "b.>", "c"));
  EXPECT_EQ(s.subscription_details.size(), 3u);
}

TEST(ServerTest, ShutdownClosesClients) {
  auto server = StartServer();
  RawClient c(server->port());
  c.Handshake();
  server->Shutdown();
  EXPECT_TRUE(c.WaitForClose());
  EXPECT_FALSE(RawClient(server->port()).connected());
}

TEST(ServerTest, ThousandConcurrentConnections) {
  auto server = StartServer();
  constexpr int kClients = 1000;
  std::vector<std::unique_ptr<RawClient>> clients;
  clients.reserve(kClients);
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<RawClient>(server->port()));
    ASSERT_TRUE(clients.back()->connected());
    clients.back()->Send("CONNECT {\"verbose\":false}\r\nSUB all " + std::to_string(i) + "\r\n");
  }
  for (auto& c : clients) {
    c->ReadInfo();
    ASSERT_EQ(c->Sync(), "");
  }
  EXPECT_EQ(server->Stats().connections, kClients);
  EXPECT_EQ(server->Stats().subscriptions, static_cast<uint64_t>(kClients));
  RawClient pub(server->port());
  pub.Handshake();
  pub.Send("PUB all 2\r\nhi\r\n");
  pub.Sync();
  for (int i = 0; i < kClients; ++i) {
    ASSERT_EQ(clients[i]->Sync(), "MSG all " + std::to_string(i) + " 2\r\nhi\r\n");
  }
  EXPECT_EQ(server->Stats().out_msgs, static_cast<uint64_t>(kClients));
  clients.clear();
  EXPECT_TRUE(Eventually([&] { return server->Stats().connections == 1; }));
}

}  // namespace
}  // namespace lattice::server
