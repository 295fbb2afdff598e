// A tiny NATS server loop that speaks TLS through TlsSession on a real loopback socket, driven
// by libnats (nats.c) with natsOptions_SetSecure: proves the plaintext-INFO-then-handshake
// sequence, record framing and identities against an independent TLS client.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nats/nats.h"

#include "common/base/mutex.h"
#include "dataplane/tls/test_pki.h"
#include "dataplane/tls/tls_session.h"

namespace lattice::tls {
namespace {

using ::testing::HasSubstr;

// What the loop saw, for the test thread. Thread: any (guarded).
struct Observed {
  Mutex mu;
  bool handshake_done ABSL_GUARDED_BY(mu) = false;
  std::string version ABSL_GUARDED_BY(mu);
  std::string cipher ABSL_GUARDED_BY(mu);
  std::string error ABSL_GUARDED_BY(mu);
  std::string connect_json ABSL_GUARDED_BY(mu);
  std::vector<PeerIdentity> identities ABSL_GUARDED_BY(mu);
  std::condition_variable error_cv;  // signalled when `error` is set
};

// Serves one client at a time on 127.0.0.1:<port>: INFO in clear, then TLS; answers PING and
// echoes PUBs to matching SUBs (literal subjects only). Owned by a test. Thread: its own.
class TinyTlsServer {
 public:
  explicit TinyTlsServer(std::shared_ptr<const TlsContext> ctx) : ctx_(std::move(ctx)) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(listen(listen_fd_, 8), 0);
    socklen_t len = sizeof(addr);
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Run(); });
  }
  ~TinyTlsServer() {
    stop_.store(true);
    thread_.join();
    close(listen_fd_);
  }
  std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }
  Observed& observed() { return observed_; }

 private:
  void Run() {
    while (!stop_.load()) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (poll(&p, 1, 20) <= 0) {
        continue;
      }
      int fd = accept(listen_fd_, nullptr, nullptr);
      if (fd >= 0) {
        Serve(fd);
        close(fd);
      }
    }
  }

  bool SendAll(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) {
        return false;
      }
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  bool Flush(int fd, TlsSession& session) {
    bool ok = SendAll(fd, session.PendingCiphertext());
    session.ConsumeCiphertext(session.pending_ciphertext_bytes());
    return ok;
  }

  void Serve(int fd) {
    auto created = TlsSession::Create(ctx_, TlsSession::Role::kServer);
    ASSERT_TRUE(created.ok());
    TlsSession& session = **created;
    std::string info = R"(INFO {"server_id":"NTEST","server_name":"tiny","version":"2.9.10",)"
                       R"("proto":1,"go":"go1.19","host":"127.0.0.1","port":4222,"headers":true,)"
                       R"("max_payload":1048576,"tls_required":true)";
    if (ctx_->verify_peer()) {
      info += R"(,"tls_verify":true)";
    }
    info += "} \r\n";
    if (!SendAll(fd, info)) {
      return;
    }
    auto deadline = std::chrono::steady_clock::now() + ctx_->handshake_timeout();
    std::string plain;
    std::map<std::string, std::string> subs;  // subject -> sid
    char buf[16 * 1024];
    while (!stop_.load()) {
      if (!session.HandshakeDone() && std::chrono::steady_clock::now() > deadline) {
        Record("handshake timeout");
        return;
      }
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 20) <= 0) {
        continue;
      }
      ssize_t n = read(fd, session.InputBuffer(16 * 1024), 16 * 1024);
      if (n <= 0) {
        return;
      }
      session.CommitInput(static_cast<size_t>(n));
      if (!session.HandshakeDone()) {
        TlsResult r = session.Handshake();
        Flush(fd, session);
        if (r == TlsResult::kError) {
          Record(session.error());
          return;
        }
        if (!session.HandshakeDone()) {
          continue;
        }
        MutexLock lock(&observed_.mu);
        observed_.handshake_done = true;
        observed_.version = session.version();
        observed_.cipher = session.cipher_suite();
        observed_.identities = session.PeerIdentities();
      }
      for (;;) {
        size_t got = 0;
        TlsResult r = session.ReadPlaintext(buf, sizeof(buf), &got);
        plain.append(buf, got);
        if (r == TlsResult::kError) {
          Record(session.error());
          return;
        }
        if (r != TlsResult::kOk) {
          break;
        }
      }
      std::string out = Handle(&plain, &subs);
      if (!out.empty() && session.WritePlaintext(out) != TlsResult::kOk) {
        return;
      }
      if (!Flush(fd, session)) {
        return;
      }
    }
  }

  // Consumes complete ops from `plain` and returns the replies.
  std::string Handle(std::string* plain, std::map<std::string, std::string>* subs) {
    std::string out;
    for (;;) {
      size_t eol = plain->find("\r\n");
      if (eol == std::string::npos) {
        return out;
      }
      std::string line = plain->substr(0, eol);
      std::vector<std::string> args = absl::StrSplit(line, ' ', absl::SkipEmpty());
      size_t used = eol + 2;
      if (args.empty()) {
        plain->erase(0, used);
        continue;
      }
      if (args[0] == "CONNECT") {
        MutexLock lock(&observed_.mu);
        observed_.connect_json = line.substr(8);
      } else if (args[0] == "PING") {
        out += "PONG\r\n";
      } else if (args[0] == "SUB" && args.size() >= 3) {
        (*subs)[args[1]] = args.back();
      } else if (args[0] == "PUB" && args.size() >= 3) {
        size_t size = 0;
        if (!absl::SimpleAtoi(args.back(), &size)) {
          return out;
        }
        if (plain->size() < used + size + 2) {
          return out;  // payload not all here yet
        }
        std::string payload = plain->substr(used, size);
        used += size + 2;
        auto it = subs->find(args[1]);
        if (it != subs->end()) {
          out += "MSG " + args[1] + " " + it->second + " " +
                 (args.size() == 4 ? args[2] + " " : "") + std::to_string(size) + "\r\n" + payload +
                 "\r\n";
        }
      }
      plain->erase(0, used);
    }
  }

  void Record(const std::string& error) {
    MutexLock lock(&observed_.mu);
    observed_.error = error;
    observed_.error_cv.notify_all();
  }

  std::shared_ptr<const TlsContext> ctx_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  Observed observed_;
};

class TlsSocketTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string dir = testing::MakeTempDir();
    auto ca = testing::TestCa::Create(dir, "sock");
    ASSERT_TRUE(ca.ok()) << ca.status();
    testing::CertSpec server;
    server.subject = {{"CN", "localhost"}};
    server.subject_alt_names = "DNS:localhost,IP:127.0.0.1";
    auto server_leaf = (*ca)->Issue("server", server);
    testing::CertSpec client;
    client.subject = {{"O", "Acme"}, {"CN", "bob"}};
    client.subject_alt_names = "email:bob@acme.io";
    auto client_leaf = (*ca)->Issue("client", client);
    ASSERT_TRUE(server_leaf.ok() && client_leaf.ok());
    ca_file_ = new std::string((*ca)->ca_file());
    server_ = new testing::TestCa::Leaf(*server_leaf);
    client_ = new testing::TestCa::Leaf(*client_leaf);
  }
  // No nats_Close(): libnats then tears OpenSSL down and its atexit cleanup crashes.

  static std::shared_ptr<const TlsContext> ServerContext(bool verify) {
    options::TlsOptions o;
    o.cert_file = server_->cert_file;
    o.key_file = server_->key_file;
    o.ca_file = *ca_file_;
    o.verify_and_map = verify;
    auto ctx = TlsContext::CreateServer(o);
    EXPECT_TRUE(ctx.ok()) << ctx.status();
    return *ctx;
  }

  // Connects with TLS; `with_cert` presents the client certificate.
  static natsStatus Connect(const std::string& url, bool with_cert, natsConnection** nc) {
    natsOptions* opts = nullptr;
    natsStatus s = natsOptions_Create(&opts);
    if (s == NATS_OK)
      s = natsOptions_SetURL(opts, url.c_str());
    if (s == NATS_OK)
      s = natsOptions_SetSecure(opts, true);
    if (s == NATS_OK)
      s = natsOptions_LoadCATrustedCertificates(opts, ca_file_->c_str());
    if (s == NATS_OK)
      s = natsOptions_SetExpectedHostname(opts, "localhost");
    if (s == NATS_OK)
      s = natsOptions_SetTimeout(opts, 5000);
    if (s == NATS_OK)
      s = natsOptions_SetAllowReconnect(opts, false);
    if (s == NATS_OK && with_cert) {
      s = natsOptions_LoadCertificatesChain(opts, client_->cert_file.c_str(),
                                            client_->key_file.c_str());
    }
    if (s == NATS_OK)
      s = natsConnection_Connect(nc, opts);
    natsOptions_Destroy(opts);
    return s;
  }

  static std::string* ca_file_;
  static testing::TestCa::Leaf* server_;
  static testing::TestCa::Leaf* client_;
};

std::string* TlsSocketTest::ca_file_;
testing::TestCa::Leaf* TlsSocketTest::server_;
testing::TestCa::Leaf* TlsSocketTest::client_;

TEST_F(TlsSocketTest, LibnatsPublishesAndReceivesOverTls) {
  TinyTlsServer server(ServerContext(/*verify=*/false));
  natsConnection* nc = nullptr;
  ASSERT_EQ(Connect(server.url(), /*with_cert=*/false, &nc), NATS_OK) << nats_GetLastError(nullptr);
  natsSubscription* sub = nullptr;
  ASSERT_EQ(natsConnection_SubscribeSync(&sub, nc, "greet"), NATS_OK);
  std::string big(200 * 1024, 'x');  // spans many TLS records
  ASSERT_EQ(natsConnection_PublishString(nc, "greet", "hello"), NATS_OK);
  ASSERT_EQ(natsConnection_Publish(nc, "greet", big.data(), static_cast<int>(big.size())), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(nc), NATS_OK);
  natsMsg* msg = nullptr;
  ASSERT_EQ(natsSubscription_NextMsg(&msg, sub, 5000), NATS_OK);
  EXPECT_EQ(std::string(natsMsg_GetData(msg), natsMsg_GetDataLength(msg)), "hello");
  natsMsg_Destroy(msg);
  ASSERT_EQ(natsSubscription_NextMsg(&msg, sub, 5000), NATS_OK);
  EXPECT_EQ(natsMsg_GetDataLength(msg), static_cast<int>(big.size()));
  natsMsg_Destroy(msg);
  natsSubscription_Destroy(sub);
  natsConnection_Destroy(nc);

  MutexLock lock(&server.observed().mu);
  EXPECT_TRUE(server.observed().handshake_done);
  EXPECT_EQ(server.observed().version, "1.3");
  EXPECT_THAT(server.observed().cipher, HasSubstr("TLS_"));
  EXPECT_THAT(server.observed().connect_json, HasSubstr("\"tls_required\":true"));
  EXPECT_TRUE(server.observed().identities.empty());
}

TEST_F(TlsSocketTest, VerifyAndMapSeesTheClientCertificate) {
  TinyTlsServer server(ServerContext(/*verify=*/true));
  natsConnection* nc = nullptr;
  ASSERT_EQ(Connect(server.url(), /*with_cert=*/true, &nc), NATS_OK) << nats_GetLastError(nullptr);
  natsConnection_Destroy(nc);
  MutexLock lock(&server.observed().mu);
  std::vector<PeerIdentity> expected = {{IdentityKind::kEmail, "bob@acme.io"},
                                        {IdentityKind::kSubjectDn, "CN=bob,O=Acme"}};
  EXPECT_EQ(server.observed().identities, expected);
}

TEST_F(TlsSocketTest, VerifyRejectsALibnatsClientWithoutCertificate) {
  TinyTlsServer server(ServerContext(/*verify=*/true));
  natsConnection* nc = nullptr;
  EXPECT_NE(Connect(server.url(), /*with_cert=*/false, &nc), NATS_OK);
  natsConnection_Destroy(nc);
  // The server loop records why; a hang here ends as a test timeout.
  MutexLock lock(&server.observed().mu);
  lock.Wait(server.observed().error_cv,
            [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return !server.observed().error.empty(); });
  EXPECT_THAT(server.observed().error, HasSubstr("certificate"));
  EXPECT_FALSE(server.observed().handshake_done);
}

}  // namespace
}  // namespace lattice::tls
