// TlsContext: an immutable OpenSSL 3 SSL_CTX built from the node's `tls {}` options.
//
//   LATTICE_ASSIGN_OR_RETURN(auto ctx, tls::TlsContext::CreateServer(*options.tls));
//   auto session = tls::TlsSession::Create(ctx, tls::TlsSession::Role::kServer);
//
// On SIGHUP build a new context and swap the shared_ptr: sessions keep the one they began with.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

#include "dataplane/options/options.h"

typedef struct ssl_ctx_st SSL_CTX;

namespace lattice::tls {

// What a client-side context (outbound links, tests) trusts and presents.
struct ClientTlsConfig {
  std::string ca_file;    // trusted roots for the server's certificate; empty = system roots
  std::string cert_file;  // optional client certificate chain (PEM)
  std::string key_file;   // its private key (PEM)
  bool verify_server = true;
  std::chrono::milliseconds timeout{std::chrono::seconds(2)};
};

// Owns one SSL_CTX configured for TLS 1.2+ with nats-server's default cipher suites and curves.
// Immutable after creation, so it is shared by every loop through shared_ptr<const TlsContext>.
// Thread: any.
class TlsContext {
 public:
  // Server side of client connections: cert_file and key_file are required; ca_file is the
  // trust anchor for client certificates; verify / verify_and_map demand one.
  static absl::StatusOr<std::shared_ptr<const TlsContext>> CreateServer(
      const options::TlsOptions& options);
  static absl::StatusOr<std::shared_ptr<const TlsContext>> CreateClient(
      const ClientTlsConfig& config);

  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  bool is_server() const { return is_server_; }
  // INFO `tls_verify`: the peer must present a certificate that chains to ca_file.
  bool verify_peer() const { return verify_peer_; }
  // verify_and_map: the client's user comes from its certificate (TlsSession::PeerIdentities).
  bool map_identities() const { return map_identities_; }
  // How long the handshake may take before the connection is closed (tls.timeout).
  std::chrono::milliseconds handshake_timeout() const { return handshake_timeout_; }
  SSL_CTX* native() const { return ctx_; }

 private:
  TlsContext(SSL_CTX* ctx, bool is_server) : ctx_(ctx), is_server_(is_server) {}

  SSL_CTX* ctx_;
  bool is_server_;
  bool verify_peer_ = false;
  bool map_identities_ = false;
  std::chrono::milliseconds handshake_timeout_{std::chrono::seconds(2)};
};

// Drains OpenSSL's (thread-local) error queue into one readable line, e.g.
// "error:0A000086:SSL routines::certificate verify failed"; empty when the queue was empty.
std::string DrainOpenSslErrors();

}  // namespace lattice::tls
