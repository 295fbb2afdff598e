// Steady-state traffic through a TlsSession: our code allocates nothing (global operator new is
// counted), and OpenSSL only its small per-record bookkeeping (counted through
// CRYPTO_set_mem_functions), which coalescing keeps per record rather than per message.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include <openssl/crypto.h>

#include "dataplane/tls/test_pki.h"
#include "dataplane/tls/tls_session.h"

namespace {

std::atomic<long> g_new{0};   // operator new: our code (and gtest)
std::atomic<long> g_ossl{0};  // OpenSSL's allocator

void* CountedMalloc(size_t n, const char*, int) {
  g_ossl.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n);
}
void* CountedRealloc(void* p, size_t n, const char*, int) {
  g_ossl.fetch_add(1, std::memory_order_relaxed);
  return std::realloc(p, n);
}
void CountedFree(void* p, const char*, int) {
  std::free(p);
}

// Before main: OpenSSL accepts new allocator functions only before its first allocation.
const bool g_installed = CRYPTO_set_mem_functions(CountedMalloc, CountedRealloc, CountedFree);

}  // namespace

void* operator new(size_t n) {
  g_new.fetch_add(1, std::memory_order_relaxed);
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) {
    std::abort();  // OOM is fatal
  }
  return p;
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, size_t) noexcept {
  std::free(p);
}

namespace lattice::tls {
namespace {

TEST(TlsAllocTest, SteadyStateMessagesDoNotAllocateInOurCode) {
  ASSERT_TRUE(g_installed);
  std::string dir = testing::MakeTempDir();
  auto ca = testing::TestCa::Create(dir, "alloc");
  ASSERT_TRUE(ca.ok());
  testing::CertSpec spec;
  spec.subject = {{"CN", "localhost"}};
  auto leaf = (*ca)->Issue("server", spec);
  ASSERT_TRUE(leaf.ok());
  options::TlsOptions o;
  o.cert_file = leaf->cert_file;
  o.key_file = leaf->key_file;
  auto server_ctx = TlsContext::CreateServer(o);
  ClientTlsConfig c;
  c.ca_file = (*ca)->ca_file();
  auto client_ctx = TlsContext::CreateClient(c);
  ASSERT_TRUE(server_ctx.ok() && client_ctx.ok());
  auto server = std::move(*TlsSession::Create(*server_ctx, TlsSession::Role::kServer));
  auto client = std::move(*TlsSession::Create(*client_ctx, TlsSession::Role::kClient));

  std::vector<char> buf(64 * 1024);
  auto pump = [&](TlsSession& from, TlsSession& to) {
    std::string_view out = from.PendingCiphertext();
    if (!out.empty()) {
      std::memcpy(to.InputBuffer(out.size()), out.data(), out.size());
      to.CommitInput(out.size());
      from.ConsumeCiphertext(out.size());
    }
  };
  for (int i = 0; i < 20 && !(server->HandshakeDone() && client->HandshakeDone()); ++i) {
    client->Handshake();
    pump(*client, *server);
    server->Handshake();
    pump(*server, *client);
  }
  ASSERT_TRUE(server->HandshakeDone() && client->HandshakeDone());

  const std::string msg =
      "MSG orders.eu.created 17 _INBOX.abc 128\r\n" + std::string(128, 'p') + "\r\n";
  size_t received = 0;
  auto round = [&]() {
    // Server -> client: a batch of MSGs as one iovec flush, then client -> server: a PUB.
    iovec iov[8];
    for (iovec& v : iov) {
      v = {const_cast<char*>(msg.data()), msg.size()};
    }
    EXPECT_EQ(server->WritePlaintext(iov, 8), TlsResult::kOk);
    pump(*server, *client);
    size_t n = 0;
    while (client->ReadPlaintext(buf.data(), buf.size(), &n) == TlsResult::kOk) {
      received += n;
    }
    EXPECT_EQ(client->WritePlaintext(std::string_view(msg)), TlsResult::kOk);
    pump(*client, *server);
    while (server->ReadPlaintext(buf.data(), buf.size(), &n) == TlsResult::kOk) {
      received += n;
    }
  };
  for (int i = 0; i < 50; ++i) {
    round();  // warm-up: tickets, first records, buffers reach their high-water mark
  }
  constexpr int kRounds = 1000;
  long new_before = g_new.load();
  long ossl_before = g_ossl.load();
  for (int i = 0; i < kRounds; ++i) {
    round();
  }
  long ours = g_new.load() - new_before;
  long openssl = g_ossl.load() - ossl_before;
  EXPECT_EQ(received, (50 + kRounds) * 9 * msg.size());
  EXPECT_EQ(ours, 0) << "operator new calls over " << kRounds << " rounds (9 messages each)";
  // Each round writes two records (8 MSGs coalesced into one, and one PUB). OpenSSL 3.0's
  // record writer mallocs a few 40-byte WPACKET pieces per record (measured: 4); allow that,
  // and fail if it ever grows per message (it would be >= 9 per round).
  std::printf("OpenSSL allocations per round: %.2f\n", static_cast<double>(openssl) / kRounds);
  EXPECT_LE(openssl, 4L * 2 * kRounds);
}

}  // namespace
}  // namespace lattice::tls
