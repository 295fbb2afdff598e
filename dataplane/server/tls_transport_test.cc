// Component tests of the server's TLS transport over real loopback sockets: clear INFO then
// handshake, payloads across record boundaries, slow TLS readers, handshake timeout, plain
// clients, client certificates, verify_and_map, reload, and /connz TLS fields.
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "dataplane/server/test_client.h"
#include "dataplane/server/tls_test_client.h"
#include "dataplane/tls/test_pki.h"

namespace lattice::server {
namespace {

using testing::Eventually;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::RawClient;
using testing::StartServer;
using ::testing::StartsWith;
using testing::TestOptions;
using testing::TlsTestClient;

class TlsTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tls::testing::MakeTempDir();
    auto pki = tls::testing::StandardPki::Create(dir_);
    ASSERT_TRUE(pki.ok()) << pki.status();
    ca_ = std::move(pki->ca);
    other_ca_ = std::move(pki->other_ca);
    server_leaf_ = pki->server;
    alice_ = pki->alice;
    bob_ = pki->bob;
    mallory_ = pki->mallory;
  }

  options::Options TlsServerOptions(bool verify = false, bool map = false) {
    options::Options opts = TestOptions();
    options::TlsOptions t;
    t.cert_file = server_leaf_.cert_file;
    t.key_file = server_leaf_.key_file;
    t.ca_file = ca_->ca_file();
    t.verify = verify || map;
    t.verify_and_map = map;
    opts.tls = t;
    return opts;
  }

  std::shared_ptr<const tls::TlsContext> ClientContext(
      const tls::testing::TestCa::Leaf* leaf = nullptr) {
    tls::ClientTlsConfig c;
    c.ca_file = ca_->ca_file();
    if (leaf != nullptr) {
      c.cert_file = leaf->cert_file;
      c.key_file = leaf->key_file;
    }
    auto ctx = tls::TlsContext::CreateClient(c);
    EXPECT_TRUE(ctx.ok()) << ctx.status();
    return ctx.ok() ? *ctx : nullptr;
  }

  std::string dir_;
  std::unique_ptr<tls::testing::TestCa> ca_;
  std::unique_ptr<tls::testing::TestCa> other_ca_;
  tls::testing::TestCa::Leaf server_leaf_;
  tls::testing::TestCa::Leaf alice_;
  tls::testing::TestCa::Leaf bob_;
  tls::testing::TestCa::Leaf mallory_;
};

TEST_F(TlsTransportTest, InfoInClearThenHandshakeAndProtocol) {
  auto server = StartServer(TlsServerOptions());
  TlsTestClient client(server->port(), ClientContext());
  std::string info;
  ASSERT_TRUE(client.Start(&info)) << client.error();
  EXPECT_THAT(info, StartsWith("INFO {"));
  EXPECT_THAT(info, HasSubstr("\"tls_required\":true"));
  EXPECT_THAT(info, Not(HasSubstr("tls_verify")));
  ASSERT_TRUE(client.Send("CONNECT {\"verbose\":true}\r\nSUB foo 1\r\nPUB foo 5\r\nhello\r\n"));
  std::string got = client.ReadUntil("hello\r\n");
  EXPECT_THAT(got, HasSubstr("+OK\r\n"));
  EXPECT_THAT(got, HasSubstr("MSG foo 1 5\r\nhello\r\n"));
  // /connz sees the negotiated version and suite.
  std::vector<ConnectionSnapshot> conns = server->Connections();
  ASSERT_EQ(conns.size(), 1u);
  EXPECT_EQ(conns[0].tls_version, "1.3");
  EXPECT_EQ(conns[0].tls_cipher_suite, client.session().cipher_suite());
  EXPECT_FALSE(conns[0].tls_cipher_suite.empty());
  // A TLS client that hangs up is recorded with its TLS details and reason.
  ASSERT_TRUE(client.Send("UNSUB 1\r\n"));
  client.session().Shutdown();
  ASSERT_TRUE(client.Send(""));
  EXPECT_TRUE(Eventually([&] { return server->RecentlyClosed().size() == 1; }));
  std::vector<ClosedConnection> closed = server->RecentlyClosed();
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].reason, CloseReason::kClientClosed);
  EXPECT_EQ(closed[0].snapshot.tls_version, "1.3");
  EXPECT_GT(closed[0].stop_unix_nanos, closed[0].snapshot.start_unix_nanos);
}

TEST_F(TlsTransportTest, BigPayloadsAcrossRecordBoundaries) {
  options::Options opts = TlsServerOptions();
  opts.max_payload = 8 * 1024 * 1024;
  auto server = StartServer(opts);
  TlsTestClient sub(server->port(), ClientContext());
  TlsTestClient pub(server->port(), ClientContext());
  sub.Connect();
  ASSERT_TRUE(sub.Send("SUB big 1\r\nPING\r\n"));
  ASSERT_THAT(sub.ReadUntil("PONG\r\n"), HasSubstr("PONG"));
  pub.Connect();
  for (size_t size : {size_t{1}, size_t{16383}, size_t{16384}, size_t{16385}, size_t{100000},
                      size_t{3 * 1024 * 1024 + 7}}) {
    std::string payload(size, 'x');
    for (size_t i = 0; i < size; ++i) {
      payload[i] = static_cast<char>('a' + (i * 7 + size) % 26);
    }
    ASSERT_TRUE(pub.Send("PUB big " + std::to_string(size) + "\r\n" + payload + "\r\n"));
    std::string header = "MSG big 1 " + std::to_string(size) + "\r\n";
    std::string got = sub.ReadUntil(payload + "\r\n");
    ASSERT_EQ(got, header + payload + "\r\n") << "size " << size;
  }
}

TEST_F(TlsTransportTest, SlowTlsReaderGetsEverythingOnceItReads) {
  auto server = StartServer(TlsServerOptions());
  TlsTestClient sub(server->port(), ClientContext(), /*rcvbuf=*/4096);
  sub.Connect();
  ASSERT_TRUE(sub.Send("SUB s 1\r\nPING\r\n"));
  ASSERT_THAT(sub.ReadUntil("PONG\r\n"), HasSubstr("PONG"));
  TlsTestClient pub(server->port(), ClientContext());
  pub.Connect();
  // ~4 MB while the subscriber does not read: the server must keep the rest (plaintext in
  // the outbound buffer, one batch of ciphertext in the session) and resume on EPOLLOUT.
  const int kMessages = 4000;
  std::string payload(1000, 'p');
  std::string batch;
  for (int i = 0; i < kMessages; ++i) {
    batch += "PUB s 1000\r\n" + payload + "\r\n";
  }
  ASSERT_TRUE(pub.Send(batch + "PING\r\n"));
  ASSERT_THAT(pub.ReadUntil("PONG\r\n"), HasSubstr("PONG"));
  int received = 0;
  for (;;) {
    std::string got = sub.ReadUntil("MSG s 1 1000\r\n" + payload + "\r\n");
    if (got.empty()) {
      break;
    }
    ++received;
    if (received == kMessages) {
      break;
    }
  }
  EXPECT_EQ(received, kMessages);
}

TEST_F(TlsTransportTest, SlowTlsConsumerOverMaxPendingIsClosed) {
  options::Options opts = TlsServerOptions();
  opts.max_pending = 256 * 1024;
  // The publisher is stalled while the subscriber is over half full, so the subscriber that
  // never reads is cut off by the write deadline, as nats-server does it.
  opts.write_deadline = std::chrono::milliseconds(500);
  auto server = StartServer(opts);
  TlsTestClient sub(server->port(), ClientContext(), /*rcvbuf=*/4096);
  sub.Connect();
  ASSERT_TRUE(sub.Send("SUB s 1\r\nPING\r\n"));
  ASSERT_THAT(sub.ReadUntil("PONG\r\n"), HasSubstr("PONG"));
  TlsTestClient pub(server->port(), ClientContext());
  pub.Connect();
  std::string payload(1000, 'p');
  std::string batch;
  for (int i = 0; i < 4000; ++i) {
    batch += "PUB s 1000\r\n" + payload + "\r\n";
  }
  ASSERT_TRUE(pub.Send(batch + "PING\r\n"));
  ASSERT_THAT(pub.ReadUntil("PONG\r\n", std::chrono::seconds(60)), HasSubstr("PONG"));
  EXPECT_TRUE(Eventually([&] { return server->Stats().slow_consumers == 1; }));
  EXPECT_TRUE(sub.WaitForClose());
}

TEST_F(TlsTransportTest, HandshakeTimeoutCloses) {
  options::Options opts = TlsServerOptions();
  opts.tls->timeout = std::chrono::milliseconds(200);
  auto server = StartServer(opts);
  RawClient raw(server->port());
  EXPECT_THAT(raw.ReadInfo(), HasSubstr("\"tls_required\":true"));
  std::string rest;
  EXPECT_TRUE(raw.WaitForClose(&rest));
  EXPECT_EQ(rest, "");
  EXPECT_TRUE(Eventually([&] { return server->Stats().connections == 0; }));
  std::vector<ClosedConnection> closed = server->RecentlyClosed();
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(CloseReasonText(closed[0].reason), "TLS Handshake Failure");
}

TEST_F(TlsTransportTest, AuthTimeoutDefaultsToTlsTimeoutPlusOneSecond) {
  options::Options opts = TlsServerOptions();
  opts.tls->timeout = std::chrono::milliseconds(1500);
  Server server(opts);
  EXPECT_EQ(server.options()->auth_timeout, std::chrono::milliseconds(2500));
  opts.auth_timeout = std::chrono::seconds(7);
  opts.auth_timeout_set = true;
  Server explicit_timeout(opts);
  EXPECT_EQ(explicit_timeout.options()->auth_timeout, std::chrono::seconds(7));
}

TEST_F(TlsTransportTest, PlainClientAgainstTlsServerIsClosedWithoutReply) {
  auto server = StartServer(TlsServerOptions());
  RawClient raw(server->port());
  EXPECT_THAT(raw.ReadInfo(), HasSubstr("\"tls_required\":true"));
  raw.Send("CONNECT {}\r\nPING\r\n");
  std::string rest;
  EXPECT_TRUE(raw.WaitForClose(&rest));
  EXPECT_EQ(rest, "");  // like nats-server: no PONG, no alert bytes
  EXPECT_TRUE(Eventually([&] { return server->Stats().connections == 0; }));
  std::vector<ClosedConnection> closed = server->RecentlyClosed();
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].reason, CloseReason::kTlsHandshakeError);
}

TEST_F(TlsTransportTest, MaxConnectionsRejectionIsSentInClear) {
  options::Options opts = TlsServerOptions();
  opts.max_connections = 1;
  auto server = StartServer(opts);
  TlsTestClient first(server->port(), ClientContext());
  first.Connect();
  RawClient second(server->port());
  EXPECT_THAT(second.ReadInfo(), HasSubstr("\"tls_required\":true"));
  std::string rest;
  EXPECT_TRUE(second.WaitForClose(&rest));
  EXPECT_EQ(rest, "-ERR 'maximum connections exceeded'\r\n");
}

TEST_F(TlsTransportTest, VerifyRequiresTrustedClientCertificate) {
  auto server = StartServer(TlsServerOptions(/*verify=*/true));
  {
    TlsTestClient with_cert(server->port(), ClientContext(&alice_));
    std::string info;
    ASSERT_TRUE(with_cert.Start(&info)) << with_cert.error();
    EXPECT_THAT(info, HasSubstr("\"tls_verify\":true"));
    ASSERT_TRUE(with_cert.Send("CONNECT {}\r\nPING\r\n"));
    EXPECT_THAT(with_cert.ReadUntil("PONG\r\n"), HasSubstr("PONG"));
  }
  {
    TlsTestClient no_cert(server->port(), ClientContext());
    // TLS 1.3: the client finishes first; the server's rejection arrives as an alert.
    bool started = no_cert.Start();
    if (started) {
      no_cert.Send("CONNECT {}\r\nPING\r\n");
      EXPECT_THAT(no_cert.ReadUntil("PONG\r\n"), Not(HasSubstr("PONG")));
    }
  }
  {
    TlsTestClient wrong_ca(server->port(), ClientContext(&mallory_));
    if (wrong_ca.Start()) {
      wrong_ca.Send("CONNECT {}\r\nPING\r\n");
      EXPECT_THAT(wrong_ca.ReadUntil("PONG\r\n"), Not(HasSubstr("PONG")));
    }
  }
  EXPECT_TRUE(Eventually([&] { return server->Stats().connections == 0; }));
}

TEST_F(TlsTransportTest, VerifyAndMapMapsCertificateToUser) {
  options::Options opts = TlsServerOptions(/*verify=*/true, /*map=*/true);
  options::User alice;
  alice.username = "alice@acme.test";
  alice.permissions.emplace();
  alice.permissions->publish.allow = {"allowed.>"};
  opts.users.push_back(alice);
  options::User bob;
  bob.username = "CN=bob,O=Acme";  // the DN in the other order still matches
  opts.users.push_back(bob);
  options::User carol;
  carol.username = "carol";
  opts.users.push_back(carol);
  auto server = StartServer(opts);

  TlsTestClient a(server->port(), ClientContext(&alice_));
  // The CONNECT user is ignored: the certificate decides.
  std::string got = a.Connect(R"({"user":"carol","verbose":false})");
  EXPECT_THAT(got, Not(HasSubstr("-ERR")));
  ASSERT_TRUE(a.Send("PUB denied 1\r\nx\r\nPING\r\n"));
  EXPECT_THAT(a.ReadUntil("PONG\r\n"),
              HasSubstr("-ERR 'Permissions Violation for Publish to \"denied\"'"));
  std::vector<ConnectionSnapshot> conns = server->Connections();
  ASSERT_EQ(conns.size(), 1u);
  EXPECT_EQ(conns[0].user, "alice@acme.test");

  TlsTestClient b(server->port(), ClientContext(&bob_));
  EXPECT_THAT(b.Connect(), Not(HasSubstr("-ERR")));

  // A certificate from the right CA that names nobody configured.
  auto dave_leaf = ca_->Issue("dave", {{{"CN", "dave"}}, ""});
  ASSERT_TRUE(dave_leaf.ok());
  TlsTestClient d(server->port(), ClientContext(&*dave_leaf));
  ASSERT_TRUE(d.Start()) << d.error();
  ASSERT_TRUE(d.Send("CONNECT {}\r\nPING\r\n"));
  EXPECT_THAT(d.ReadUntil("PONG\r\n"), HasSubstr("-ERR 'Authorization Violation'"));
  EXPECT_TRUE(d.WaitForClose());
}

TEST_F(TlsTransportTest, ReloadSwapsTheContext) {
  auto server = StartServer(TlsServerOptions());
  TlsTestClient before(server->port(), ClientContext());
  std::string info;
  ASSERT_TRUE(before.Start(&info));
  EXPECT_THAT(info, Not(HasSubstr("tls_verify")));
  ASSERT_TRUE(server->Reload(TlsServerOptions(/*verify=*/true)).ok());
  TlsTestClient after(server->port(), ClientContext(&alice_));
  ASSERT_TRUE(after.Start(&info)) << after.error();
  EXPECT_THAT(info, HasSubstr("\"tls_verify\":true"));
  // The old connection keeps working with its original session.
  ASSERT_TRUE(before.Send("CONNECT {}\r\nPING\r\n"));
  EXPECT_THAT(before.ReadUntil("PONG\r\n"), HasSubstr("PONG"));
  // A reload naming a missing file fails and keeps the running configuration.
  options::Options bad = TlsServerOptions();
  bad.tls->cert_file = dir_ + "/missing.pem";
  absl::Status status = server->Reload(bad);
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()), HasSubstr("missing.pem"));
}

TEST_F(TlsTransportTest, StartFailsNamingTheBadFile) {
  options::Options opts = TlsServerOptions();
  opts.tls->key_file = dir_ + "/nope-key.pem";
  Server server(opts);
  absl::Status status = server.Start();
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()), HasSubstr("nope-key.pem"));
}

}  // namespace
}  // namespace lattice::server
