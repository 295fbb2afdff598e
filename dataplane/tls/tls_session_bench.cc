// TlsSession costs: a full in-memory handshake, and encrypt+decrypt of batched NATS frames.
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"

#include "dataplane/tls/test_pki.h"
#include "dataplane/tls/tls_session.h"

namespace lattice::tls {
namespace {

struct Contexts {
  std::shared_ptr<const TlsContext> server;
  std::shared_ptr<const TlsContext> client;
};

const Contexts& GetContexts() {
  static const Contexts contexts = [] {
    std::string dir = testing::MakeTempDir();
    auto ca = testing::TestCa::Create(dir, "bench");
    testing::CertSpec spec;
    spec.subject = {{"CN", "localhost"}};
    spec.subject_alt_names = "DNS:localhost";
    auto leaf = (*ca)->Issue("server", spec);
    options::TlsOptions o;
    o.cert_file = leaf->cert_file;
    o.key_file = leaf->key_file;
    ClientTlsConfig c;
    c.ca_file = (*ca)->ca_file();
    return Contexts{*TlsContext::CreateServer(o), *TlsContext::CreateClient(c)};
  }();
  return contexts;
}

void Move(TlsSession& from, TlsSession& to) {
  std::string_view out = from.PendingCiphertext();
  if (!out.empty()) {
    std::memcpy(to.InputBuffer(out.size()), out.data(), out.size());
    to.CommitInput(out.size());
    from.ConsumeCiphertext(out.size());
  }
}

void Handshake(TlsSession& client, TlsSession& server) {
  for (int i = 0; i < 10 && !(server.HandshakeDone() && client.HandshakeDone()); ++i) {
    client.Handshake();
    Move(client, server);
    server.Handshake();
    Move(server, client);
  }
}

// Both sides' work for one TLS 1.3 connection (ECDHE P-256/X25519, ECDSA P-256 certificate).
void BM_Handshake(benchmark::State& state) {
  const Contexts& ctx = GetContexts();
  for (auto _ : state) {
    auto server = std::move(*TlsSession::Create(ctx.server, TlsSession::Role::kServer));
    auto client =
        std::move(*TlsSession::Create(ctx.client, TlsSession::Role::kClient, "localhost"));
    Handshake(*client, *server);
    benchmark::DoNotOptimize(server->HandshakeDone());
  }
}
BENCHMARK(BM_Handshake);

// Server encrypts `batch` MSG frames of `size` payload bytes as one flush; client decrypts.
void BM_EncryptDecrypt(benchmark::State& state) {
  const Contexts& ctx = GetContexts();
  auto server = std::move(*TlsSession::Create(ctx.server, TlsSession::Role::kServer));
  auto client = std::move(*TlsSession::Create(ctx.client, TlsSession::Role::kClient, "localhost"));
  Handshake(*client, *server);
  std::string frame = "MSG orders.created 1 " + std::to_string(state.range(0)) + "\r\n" +
                      std::string(static_cast<size_t>(state.range(0)), 'x') + "\r\n";
  std::vector<iovec> iov(static_cast<size_t>(state.range(1)), iovec{frame.data(), frame.size()});
  std::vector<char> buf(64 * 1024);
  for (auto _ : state) {
    server->WritePlaintext(iov.data(), iov.size());
    Move(*server, *client);
    size_t n = 0;
    while (client->ReadPlaintext(buf.data(), buf.size(), &n) == TlsResult::kOk) {
    }
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(frame.size() * iov.size()));
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(iov.size()));
}
BENCHMARK(BM_EncryptDecrypt)->Args({16, 1})->Args({16, 64})->Args({128, 64})->Args({4096, 16});

}  // namespace
}  // namespace lattice::tls
