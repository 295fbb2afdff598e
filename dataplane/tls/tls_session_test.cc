// TlsSession tests: two sessions talking over memory, fed in every chunk size that matters.
#include "dataplane/tls/tls_session.h"

#include <random>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include <openssl/ssl.h>

#include "dataplane/tls/test_pki.h"

namespace lattice::tls {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class TlsSessionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(testing::MakeTempDir());
    ASSERT_FALSE(dir_->empty());
    auto ca = testing::TestCa::Create(*dir_, "good");
    ASSERT_TRUE(ca.ok()) << ca.status();
    auto other = testing::TestCa::Create(*dir_, "other");
    ASSERT_TRUE(other.ok()) << other.status();
    testing::CertSpec server;
    server.subject = {{"O", "Lattice"}, {"CN", "localhost"}};
    server.subject_alt_names = "DNS:localhost,IP:127.0.0.1";
    auto server_leaf = (*ca)->Issue("server", server);
    ASSERT_TRUE(server_leaf.ok()) << server_leaf.status();
    testing::CertSpec client;
    client.subject = {{"C", "US"}, {"O", "Acme"}, {"CN", "alice"}};
    client.subject_alt_names =
        "URI:nats://alice.example,DNS:alice.acme.io,email:alice@acme.io,email:a@acme.io";
    auto client_leaf = (*ca)->Issue("client", client);
    ASSERT_TRUE(client_leaf.ok()) << client_leaf.status();
    auto rogue_leaf = (*other)->Issue("rogue", client);
    ASSERT_TRUE(rogue_leaf.ok()) << rogue_leaf.status();
    ca_file_ = new std::string((*ca)->ca_file());
    other_ca_file_ = new std::string((*other)->ca_file());
    server_ = new testing::TestCa::Leaf(*server_leaf);
    client_ = new testing::TestCa::Leaf(*client_leaf);
    rogue_ = new testing::TestCa::Leaf(*rogue_leaf);
  }

  static std::shared_ptr<const TlsContext> ServerContext(bool verify, bool map = false) {
    options::TlsOptions options;
    options.cert_file = server_->cert_file;
    options.key_file = server_->key_file;
    options.ca_file = *ca_file_;
    options.verify = verify;
    options.verify_and_map = map;
    auto ctx = TlsContext::CreateServer(options);
    EXPECT_TRUE(ctx.ok()) << ctx.status();
    return ctx.ok() ? *ctx : nullptr;
  }

  static std::shared_ptr<const TlsContext> ClientContext(const testing::TestCa::Leaf* leaf,
                                                         const std::string* ca = nullptr) {
    ClientTlsConfig config;
    config.ca_file = ca != nullptr ? *ca : *ca_file_;
    if (leaf != nullptr) {
      config.cert_file = leaf->cert_file;
      config.key_file = leaf->key_file;
    }
    auto ctx = TlsContext::CreateClient(config);
    EXPECT_TRUE(ctx.ok()) << ctx.status();
    return ctx.ok() ? *ctx : nullptr;
  }

  static std::unique_ptr<TlsSession> NewSession(std::shared_ptr<const TlsContext> ctx,
                                                std::string_view server_name = "localhost") {
    bool server = ctx->is_server();
    auto session = TlsSession::Create(
        std::move(ctx), server ? TlsSession::Role::kServer : TlsSession::Role::kClient,
        server ? std::string_view() : server_name);
    EXPECT_TRUE(session.ok()) << session.status();
    return session.ok() ? std::move(*session) : nullptr;
  }

  // Moves at most `chunk` bytes at a time from one session's output to the other's input.
  static bool Move(TlsSession& from, TlsSession& to, size_t chunk) {
    std::string_view pending = from.PendingCiphertext();
    if (pending.empty()) {
      return false;
    }
    size_t n = std::min(chunk, pending.size());
    to.FeedCiphertext(pending.substr(0, n));
    from.ConsumeCiphertext(n);
    return true;
  }

  // Runs both handshakes to completion (or failure), exchanging `chunk`-sized pieces.
  static void Handshake(TlsSession& client, TlsSession& server, size_t chunk) {
    for (int i = 0; i < 100000; ++i) {
      TlsResult c = client.Handshake();
      TlsResult s = server.Handshake();
      bool moved = Move(client, server, chunk);
      moved = Move(server, client, chunk) || moved;
      if (c == TlsResult::kError || s == TlsResult::kError) {
        return;
      }
      if (!moved && client.HandshakeDone() && server.HandshakeDone()) {
        return;
      }
      if (!moved && c == TlsResult::kWantInput && s == TlsResult::kWantInput) {
        return;  // stuck: the test's assertions will say so
      }
    }
  }

  // Sends `data` from one session and pumps until the other has read all of it.
  static std::string Transfer(TlsSession& from, TlsSession& to, const std::string& data,
                              size_t chunk) {
    EXPECT_EQ(from.WritePlaintext(data), TlsResult::kOk) << from.error();
    std::string received;
    std::vector<char> buf(7919);  // odd size: plaintext straddles records
    for (int i = 0; i < 1000000 && received.size() < data.size(); ++i) {
      Move(from, to, chunk);
      size_t n = 0;
      TlsResult r = to.ReadPlaintext(buf.data(), buf.size(), &n);
      received.append(buf.data(), n);
      if (r == TlsResult::kError) {
        ADD_FAILURE() << to.error();
        break;
      }
      // Post-handshake messages (TLS 1.3 tickets) may flow back.
      Move(to, from, chunk);
    }
    return received;
  }

  static std::string RandomBytes(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::string out(n, '\0');
    for (char& c : out) {
      c = static_cast<char>(rng());
    }
    return out;
  }

  static std::string* dir_;
  static std::string* ca_file_;
  static std::string* other_ca_file_;
  static testing::TestCa::Leaf* server_;
  static testing::TestCa::Leaf* client_;
  static testing::TestCa::Leaf* rogue_;
};

std::string* TlsSessionTest::dir_;
std::string* TlsSessionTest::ca_file_;
std::string* TlsSessionTest::other_ca_file_;
testing::TestCa::Leaf* TlsSessionTest::server_;
testing::TestCa::Leaf* TlsSessionTest::client_;
testing::TestCa::Leaf* TlsSessionTest::rogue_;

TEST_F(TlsSessionTest, HandshakeCompletesWhateverTheChunkSize) {
  for (size_t chunk :
       {size_t{1}, size_t{2}, size_t{5}, size_t{13}, size_t{100}, size_t{1000}, size_t{1} << 20}) {
    SCOPED_TRACE(chunk);
    auto server = NewSession(ServerContext(/*verify=*/false));
    auto client = NewSession(ClientContext(nullptr));
    EXPECT_FALSE(server->HandshakeDone());
    Handshake(*client, *server, chunk);
    ASSERT_TRUE(server->HandshakeDone()) << server->error();
    ASSERT_TRUE(client->HandshakeDone()) << client->error();
    EXPECT_EQ(server->version(), "1.3");
    EXPECT_EQ(client->version(), "1.3");
    EXPECT_THAT(server->cipher_suite(), StartsWith("TLS_AES_"));
    EXPECT_EQ(server->cipher_suite(), client->cipher_suite());
    EXPECT_FALSE(server->has_peer_certificate());
    EXPECT_EQ(Transfer(*client, *server, "CONNECT {}\r\nPING\r\n", chunk),
              "CONNECT {}\r\nPING\r\n");
    EXPECT_EQ(Transfer(*server, *client, "PONG\r\n", chunk), "PONG\r\n");
  }
}

TEST_F(TlsSessionTest, ServerWaitsForInputBeforeTheClientSpeaks) {
  auto server = NewSession(ServerContext(false));
  EXPECT_EQ(server->Handshake(), TlsResult::kWantInput);
  EXPECT_TRUE(server->WantsMoreInput());
  EXPECT_TRUE(server->PendingCiphertext().empty());
  EXPECT_EQ(server->WritePlaintext("INFO {}\r\n"), TlsResult::kWantInput);
  EXPECT_TRUE(server->PendingCiphertext().empty());
}

TEST_F(TlsSessionTest, Tls12ReportsGoCipherNames) {
  auto client_ctx = ClientContext(nullptr);
  ASSERT_EQ(SSL_CTX_set_max_proto_version(client_ctx->native(), TLS1_2_VERSION), 1);
  auto server = NewSession(ServerContext(false));
  auto client = NewSession(client_ctx);
  Handshake(*client, *server, 64);
  ASSERT_TRUE(server->HandshakeDone()) << server->error();
  EXPECT_EQ(server->version(), "1.2");
  // The server key is P-256, and AES-128-GCM is nats-server's first choice.
  EXPECT_EQ(server->cipher_suite(), "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");

  ASSERT_EQ(SSL_CTX_set_cipher_list(client_ctx->native(), "ECDHE-ECDSA-CHACHA20-POLY1305"), 1);
  server = NewSession(ServerContext(false));
  client = NewSession(client_ctx);
  Handshake(*client, *server, 64);
  ASSERT_TRUE(server->HandshakeDone()) << server->error();
  EXPECT_EQ(server->cipher_suite(), "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305");
}

TEST_F(TlsSessionTest, Tls11IsRefused) {
  auto client_ctx = ClientContext(nullptr);
  SSL_CTX_set_min_proto_version(client_ctx->native(), TLS1_VERSION);
  SSL_CTX_set_max_proto_version(client_ctx->native(), TLS1_1_VERSION);
  auto server = NewSession(ServerContext(false));
  auto client = NewSession(client_ctx);
  Handshake(*client, *server, 1 << 20);
  EXPECT_FALSE(server->HandshakeDone());
  EXPECT_TRUE(server->failed() || client->failed());
}

TEST_F(TlsSessionTest, LargeBuffersBothWays) {
  auto server = NewSession(ServerContext(false));
  auto client = NewSession(ClientContext(nullptr));
  Handshake(*client, *server, 4096);
  ASSERT_TRUE(server->HandshakeDone());
  std::string up = RandomBytes(3 << 20, 1);
  std::string down = RandomBytes((2 << 20) + 17, 2);
  EXPECT_EQ(Transfer(*client, *server, up, 65536), up);
  EXPECT_EQ(Transfer(*server, *client, down, 1500), down);
}

TEST_F(TlsSessionTest, IovecPiecesAreCoalescedIntoFewRecords) {
  auto server = NewSession(ServerContext(false));
  auto client = NewSession(ClientContext(nullptr));
  Handshake(*client, *server, 4096);
  ASSERT_TRUE(server->HandshakeDone());
  while (!server->PendingCiphertext().empty()) {
    Move(*server, *client, 1 << 20);
  }
  std::string expected;
  std::vector<std::string> pieces;
  for (int i = 0; i < 2000; ++i) {
    pieces.push_back("MSG foo 1 " + std::to_string(i) + "\r\n");
    expected += pieces.back();
  }
  pieces.push_back(RandomBytes(40000, 3));  // a big one goes through unstaged
  expected += pieces.back();
  std::vector<iovec> iov;
  for (std::string& p : pieces) {
    iov.push_back({p.data(), p.size()});
  }
  ASSERT_EQ(server->WritePlaintext(iov.data(), iov.size()), TlsResult::kOk);
  // One record per piece would cost 22+ bytes each; coalesced it is a handful of records.
  EXPECT_LT(server->pending_ciphertext_bytes(), expected.size() + 20 * 22);
  iovec out[2];
  ASSERT_EQ(server->CiphertextIovecs(out, 2), 1u);
  EXPECT_EQ(out[0].iov_len, server->pending_ciphertext_bytes());
  std::string received;
  std::vector<char> buf(1 << 16);
  while (size_t moved = server->TakeCiphertext(buf.data(), 3000)) {
    client->FeedCiphertext(std::string_view(buf.data(), moved));
  }
  size_t n = 0;
  while (client->ReadPlaintext(buf.data(), buf.size(), &n) == TlsResult::kOk) {
    received.append(buf.data(), n);
  }
  EXPECT_EQ(received, expected);
}

TEST_F(TlsSessionTest, ZeroCopyInputPath) {
  auto server = NewSession(ServerContext(false));
  auto client = NewSession(ClientContext(nullptr));
  for (int i = 0; i < 50 && !(server->HandshakeDone() && client->HandshakeDone()); ++i) {
    client->Handshake();
    std::string_view hello = client->PendingCiphertext();
    char* space = server->InputBuffer(hello.size());
    std::memcpy(space, hello.data(), hello.size());
    server->CommitInput(hello.size());
    client->ConsumeCiphertext(hello.size());
    server->Handshake();
    Move(*server, *client, 1 << 20);
  }
  ASSERT_TRUE(server->HandshakeDone());
  EXPECT_EQ(Transfer(*client, *server, "SUB a 1\r\n", 3), "SUB a 1\r\n");
}

TEST_F(TlsSessionTest, VerifyRequiresAClientCertificate) {
  auto server = NewSession(ServerContext(/*verify=*/true));
  auto client = NewSession(ClientContext(nullptr));
  Handshake(*client, *server, 1 << 20);
  EXPECT_FALSE(server->HandshakeDone());
  EXPECT_TRUE(server->failed());
  EXPECT_THAT(server->error(), HasSubstr("certificate"));
  // The server's alert reaches the client as an error too (TLS 1.3 clients learn it late).
  Move(*server, *client, 1 << 20);
  char buf[16];
  size_t n = 0;
  EXPECT_EQ(client->ReadPlaintext(buf, sizeof(buf), &n), TlsResult::kError);
}

TEST_F(TlsSessionTest, VerifyAcceptsCertificateFromTheConfiguredCa) {
  auto ctx = ServerContext(/*verify=*/true);
  EXPECT_TRUE(ctx->verify_peer());
  auto server = NewSession(ctx);
  auto client = NewSession(ClientContext(client_));
  Handshake(*client, *server, 300);
  ASSERT_TRUE(server->HandshakeDone()) << server->error();
  EXPECT_TRUE(server->has_peer_certificate());
  EXPECT_EQ(Transfer(*client, *server, "PING\r\n", 300), "PING\r\n");
}

TEST_F(TlsSessionTest, ClientCertificateFromAnotherCaFails) {
  auto server = NewSession(ServerContext(/*verify=*/true));
  auto client = NewSession(ClientContext(rogue_));
  Handshake(*client, *server, 1 << 20);
  EXPECT_FALSE(server->HandshakeDone());
  EXPECT_THAT(server->error(), HasSubstr("unable to get local issuer certificate"));
}

TEST_F(TlsSessionTest, ServerCertificateFromAnUntrustedCaFails) {
  auto server = NewSession(ServerContext(false));
  auto client = NewSession(ClientContext(nullptr, other_ca_file_));
  Handshake(*client, *server, 1 << 20);
  EXPECT_FALSE(client->HandshakeDone());
  EXPECT_TRUE(client->failed());
  EXPECT_THAT(client->error(), HasSubstr("certificate verif"));
}

TEST_F(TlsSessionTest, ServerNameMismatchFails) {
  auto server = NewSession(ServerContext(false));
  auto client = NewSession(ClientContext(nullptr), "nats.example.com");
  Handshake(*client, *server, 1 << 20);
  EXPECT_TRUE(client->failed());
  EXPECT_THAT(client->error(), HasSubstr("hostname mismatch"));
}

TEST_F(TlsSessionTest, WithoutVerifyNoCertificateIsAskedFor) {
  auto server = NewSession(ServerContext(/*verify=*/false));
  auto client = NewSession(ClientContext(client_));
  Handshake(*client, *server, 1 << 20);
  ASSERT_TRUE(server->HandshakeDone());
  EXPECT_FALSE(server->has_peer_certificate());
  EXPECT_TRUE(server->PeerIdentities().empty());
}

TEST_F(TlsSessionTest, PeerIdentitiesInMappingOrder) {
  auto ctx = ServerContext(/*verify=*/true, /*map=*/true);
  EXPECT_TRUE(ctx->map_identities());
  auto server = NewSession(ctx);
  auto client = NewSession(ClientContext(client_));
  EXPECT_TRUE(server->PeerIdentities().empty());
  Handshake(*client, *server, 1 << 20);
  ASSERT_TRUE(server->HandshakeDone()) << server->error();
  std::vector<PeerIdentity> expected = {
      {IdentityKind::kEmail, "alice@acme.io"},
      {IdentityKind::kEmail, "a@acme.io"},
      {IdentityKind::kDns, "alice.acme.io"},
      {IdentityKind::kUri, "nats://alice.example"},
      {IdentityKind::kSubjectDn, "CN=alice,O=Acme,C=US"},
  };
  EXPECT_EQ(server->PeerIdentities(), expected);
}

TEST_F(TlsSessionTest, CloseNotifyEndsTheStream) {
  auto server = NewSession(ServerContext(false));
  auto client = NewSession(ClientContext(nullptr));
  Handshake(*client, *server, 1 << 20);
  ASSERT_TRUE(server->HandshakeDone());
  ASSERT_EQ(client->WritePlaintext("PUB a 0\r\n\r\n"), TlsResult::kOk);
  client->Shutdown();
  Move(*client, *server, 1 << 20);
  char buf[64];
  size_t n = 0;
  ASSERT_EQ(server->ReadPlaintext(buf, sizeof(buf), &n), TlsResult::kOk);
  EXPECT_EQ(std::string(buf, n), "PUB a 0\r\n\r\n");
  EXPECT_EQ(server->ReadPlaintext(buf, sizeof(buf), &n), TlsResult::kClosed);
  EXPECT_EQ(n, 0u);
}

TEST_F(TlsSessionTest, PlaintextNatsClientIsACleanError) {
  auto server = NewSession(ServerContext(false));
  server->FeedCiphertext("CONNECT {\"verbose\":false}\r\nPING\r\n");
  EXPECT_EQ(server->Handshake(), TlsResult::kError);
  EXPECT_TRUE(server->failed());
  EXPECT_FALSE(server->error().empty());
  // Everything after a failure is an error, and the session stays usable to destroy.
  char buf[8];
  size_t n = 0;
  EXPECT_EQ(server->ReadPlaintext(buf, sizeof(buf), &n), TlsResult::kError);
  EXPECT_EQ(server->WritePlaintext("x"), TlsResult::kError);
  EXPECT_EQ(server->Handshake(), TlsResult::kError);
}

TEST_F(TlsSessionTest, RandomGarbageNeverCrashes) {
  auto ctx = ServerContext(false);
  for (uint32_t seed = 0; seed < 200; ++seed) {
    auto server = NewSession(ctx);
    std::string garbage = RandomBytes(1 + seed * 37 % 3000, seed);
    if (seed % 2 == 0) {
      garbage[0] = 0x16;  // looks like a handshake record
      garbage[1] = 0x03;
    }
    server->FeedCiphertext(garbage);
    TlsResult r = server->Handshake();
    EXPECT_NE(r, TlsResult::kOk);
    server->Shutdown();
  }
}

TEST_F(TlsSessionTest, CorruptedApplicationDataIsAnError) {
  auto server = NewSession(ServerContext(false));
  auto client = NewSession(ClientContext(nullptr));
  Handshake(*client, *server, 1 << 20);
  ASSERT_TRUE(server->HandshakeDone());
  ASSERT_EQ(client->WritePlaintext("PUB a 5\r\nhello\r\n"), TlsResult::kOk);
  std::string record(client->PendingCiphertext());
  client->ConsumeCiphertext(record.size());
  record[record.size() - 3] ^= 0x40;  // breaks the AEAD tag
  server->FeedCiphertext(record);
  char buf[64];
  size_t n = 0;
  EXPECT_EQ(server->ReadPlaintext(buf, sizeof(buf), &n), TlsResult::kError);
  EXPECT_THAT(server->error(), HasSubstr("bad record mac"));
}

TEST_F(TlsSessionTest, FirstByteSniffingForAllowNonTls) {
  auto client = NewSession(ClientContext(nullptr));
  client->Handshake();
  EXPECT_TRUE(StartsLikeTlsHandshake(client->PendingCiphertext()));
  EXPECT_FALSE(StartsLikeTlsHandshake("CONNECT {}\r\n"));
  EXPECT_FALSE(StartsLikeTlsHandshake(""));
}

TEST_F(TlsSessionTest, SessionRoleMustMatchContext) {
  auto session = TlsSession::Create(ServerContext(false), TlsSession::Role::kClient);
  EXPECT_FALSE(session.ok());
  EXPECT_FALSE(TlsSession::Create(nullptr, TlsSession::Role::kServer).ok());
}

}  // namespace
}  // namespace lattice::tls
