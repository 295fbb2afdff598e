// libFuzzer target: a server-side TlsSession fed untrusted bytes in fuzzer-chosen chunks never
// crashes, always ends in a defined state, and keeps failing once it has failed. The bytes go
// either to a fresh session (handshake parsing) or to one that has just completed a real
// handshake with a client session (record layer, alerts, post-handshake messages).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "dataplane/tls/test_pki.h"
#include "dataplane/tls/tls_session.h"

namespace {

using lattice::tls::TlsContext;
using lattice::tls::TlsResult;
using lattice::tls::TlsSession;

void Require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant broken: %s\n", what);
    std::abort();
  }
}

std::shared_ptr<const TlsContext>& ClientContextSlot();

// One server context for the whole run, with a certificate made at start-up. verify=true so
// client-certificate paths are reachable too.
std::shared_ptr<const TlsContext> Context() {
  static std::shared_ptr<const TlsContext> ctx = [] {
    std::string dir = lattice::tls::testing::MakeTempDir();
    auto ca = lattice::tls::testing::TestCa::Create(dir, "fuzz");
    Require(ca.ok(), "ca");
    lattice::tls::testing::CertSpec spec;
    spec.subject = {{"CN", "localhost"}};
    auto leaf = (*ca)->Issue("server", spec);
    Require(leaf.ok(), "leaf");
    lattice::options::TlsOptions options;
    options.cert_file = leaf->cert_file;
    options.key_file = leaf->key_file;
    options.ca_file = (*ca)->ca_file();
    options.verify = true;
    auto created = TlsContext::CreateServer(options);
    Require(created.ok(), "context");
    lattice::tls::ClientTlsConfig client;
    client.ca_file = (*ca)->ca_file();
    client.cert_file = leaf->cert_file;  // any certificate of this CA will do
    client.key_file = leaf->key_file;
    auto client_ctx = TlsContext::CreateClient(client);
    Require(client_ctx.ok(), "client context");
    ClientContextSlot() = *client_ctx;
    return *created;
  }();
  return ctx;
}

std::shared_ptr<const TlsContext>& ClientContextSlot() {
  static std::shared_ptr<const TlsContext> client;
  return client;
}

// Runs a real handshake between `server` and a new client session, all in memory.
void CompleteHandshake(TlsSession& server) {
  auto client = TlsSession::Create(ClientContextSlot(), TlsSession::Role::kClient, "localhost");
  Require(client.ok(), "client session");
  for (int i = 0; i < 10 && !(server.HandshakeDone() && (*client)->HandshakeDone()); ++i) {
    (*client)->Handshake();
    server.FeedCiphertext((*client)->PendingCiphertext());
    (*client)->ConsumeCiphertext((*client)->pending_ciphertext_bytes());
    server.Handshake();
    (*client)->FeedCiphertext(server.PendingCiphertext());
    server.ConsumeCiphertext(server.pending_ciphertext_bytes());
  }
  Require(server.HandshakeDone(), "in-memory handshake");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto created = TlsSession::Create(Context(), TlsSession::Role::kServer);
  Require(created.ok(), "session");
  TlsSession& session = **created;
  // The first byte: high bit = after a completed handshake; low 7 bits = chunk size - 1.
  uint8_t control = size > 0 ? data[0] : 0;
  size_t chunk = static_cast<size_t>(control & 0x7f) + 1;
  if (control & 0x80) {
    CompleteHandshake(session);
  }
  std::string_view input(reinterpret_cast<const char*>(data), size);
  if (!input.empty()) {
    input.remove_prefix(1);
  }
  char plain[4096];
  bool failed = false;
  while (!input.empty()) {
    size_t n = chunk < input.size() ? chunk : input.size();
    session.FeedCiphertext(input.substr(0, n));
    input.remove_prefix(n);
    TlsResult r = session.Handshake();
    if (session.HandshakeDone()) {
      size_t got = 0;
      r = session.ReadPlaintext(plain, sizeof(plain), &got);
      Require(got <= sizeof(plain), "read bound");
    }
    Require(!failed || r == TlsResult::kError, "an error is final");
    if (r == TlsResult::kError) {
      failed = true;
      Require(session.failed() && !session.error().empty(), "error has a reason");
    }
    session.ConsumeCiphertext(session.pending_ciphertext_bytes());
  }
  session.Shutdown();
  return 0;
}
