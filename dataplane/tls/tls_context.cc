// TlsContext: loading certificates, keys and trust anchors with errors that name the file.
#include "dataplane/tls/tls_context.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "common/base/status_macros.h"

namespace lattice::tls {

namespace {

// nats-server's defaults for TLS 1.2 (ECDHE with AEAD only); TLS 1.3 keeps OpenSSL's suites.
constexpr char kTls12Ciphers[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384";
constexpr char kGroups[] = "X25519:P-256:P-384:P-521";
// TLS 1.3 suites in Go's server preference order (with AES hardware), so a client is given the
// same suite by lattice-node as by nats-server (OpenSSL's default would prefer AES-256).
constexpr char kTls13Suites[] =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";
constexpr unsigned char kSessionIdContext[] = "lattice-node";

// Why OpenSSL failed, preferring a missing or unreadable file's errno text to its own.
absl::Status FileError(const std::string& what, const std::string& path) {
  if (access(path.c_str(), R_OK) != 0) {
    int err = errno;
    ERR_clear_error();
    return absl::InvalidArgumentError(
        absl::StrCat("tls: cannot read ", what, " '", path, "': ", std::strerror(err)));
  }
  std::string reason = DrainOpenSslErrors();
  return absl::InvalidArgumentError(absl::StrCat("tls: cannot load ", what, " '", path,
                                                 "': ", reason.empty() ? "unknown" : reason));
}

struct CtxDeleter {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
using CtxPtr = std::unique_ptr<SSL_CTX, CtxDeleter>;

absl::StatusOr<CtxPtr> NewBaseContext(bool server) {
  ERR_clear_error();
  CtxPtr ctx(SSL_CTX_new(server ? TLS_server_method() : TLS_client_method()));
  if (ctx == nullptr) {
    return absl::InternalError(absl::StrCat("tls: SSL_CTX_new: ", DrainOpenSslErrors()));
  }
  if (SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(ctx.get(), kTls12Ciphers) != 1 ||
      SSL_CTX_set_ciphersuites(ctx.get(), kTls13Suites) != 1 ||
      SSL_CTX_set1_groups_list(ctx.get(), kGroups) != 1) {
    return absl::InternalError(absl::StrCat("tls: default settings: ", DrainOpenSslErrors()));
  }
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
                                     (server ? SSL_OP_CIPHER_SERVER_PREFERENCE : 0));
  return ctx;
}

absl::Status LoadKeyPair(SSL_CTX* ctx, const std::string& cert_file, const std::string& key_file) {
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1) {
    return FileError("certificate file", cert_file);
  }
  bool loaded = SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) == 1;
  unsigned long last = ERR_peek_last_error();
  bool mismatch =
      ERR_GET_LIB(last) == ERR_LIB_X509 && ERR_GET_REASON(last) == X509_R_KEY_VALUES_MISMATCH;
  if (!loaded && !mismatch) {
    return FileError("key file", key_file);
  }
  if (mismatch || SSL_CTX_check_private_key(ctx) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("tls: key file '", key_file,
                                                   "' does not match certificate file '", cert_file,
                                                   "': ", DrainOpenSslErrors()));
  }
  return absl::OkStatus();
}

absl::Status LoadTrust(SSL_CTX* ctx, const std::string& ca_file) {
  if (ca_file.empty()) {
    if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
      return absl::InternalError(absl::StrCat("tls: system roots: ", DrainOpenSslErrors()));
    }
    return absl::OkStatus();
  }
  if (SSL_CTX_load_verify_locations(ctx, ca_file.c_str(), nullptr) != 1) {
    return FileError("ca file", ca_file);
  }
  return absl::OkStatus();
}

}  // namespace

std::string DrainOpenSslErrors() {
  std::string out;
  char buf[256];
  while (unsigned long code = ERR_get_error()) {
    ERR_error_string_n(code, buf, sizeof(buf));
    if (!out.empty()) {
      out += "; ";
    }
    out += buf;
  }
  return out;
}

absl::StatusOr<std::shared_ptr<const TlsContext>> TlsContext::CreateServer(
    const options::TlsOptions& options) {
  if (options.cert_file.empty()) {
    return absl::InvalidArgumentError("tls: missing 'cert_file' in TLS configuration");
  }
  if (options.key_file.empty()) {
    return absl::InvalidArgumentError("tls: missing 'key_file' in TLS configuration");
  }
  if (options.timeout <= std::chrono::milliseconds::zero()) {
    return absl::InvalidArgumentError("tls: 'timeout' must be positive");
  }
  LATTICE_ASSIGN_OR_RETURN(CtxPtr ctx, NewBaseContext(/*server=*/true));
  LATTICE_RETURN_IF_ERROR(LoadKeyPair(ctx.get(), options.cert_file, options.key_file));
  bool verify = options.verify || options.verify_and_map;
  if (!options.ca_file.empty() || verify) {
    LATTICE_RETURN_IF_ERROR(LoadTrust(ctx.get(), options.ca_file));
  }
  if (!options.ca_file.empty()) {
    // Tell clients which CAs we accept, so one holding several certificates picks right.
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(options.ca_file.c_str());
    if (names == nullptr) {
      return FileError("ca file", options.ca_file);
    }
    SSL_CTX_set_client_CA_list(ctx.get(), names);
  }
  SSL_CTX_set_verify(ctx.get(),
                     verify ? SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT : SSL_VERIFY_NONE,
                     nullptr);
  // Resumed sessions with client certificates need a context id (else OpenSSL refuses them).
  SSL_CTX_set_session_id_context(ctx.get(), kSessionIdContext, sizeof(kSessionIdContext) - 1);
  // Resumption works through stateless tickets only (one per connection, as Go's server
  // sends): no server-side session cache growing with the connection count.
  SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(ctx.get(), 1);

  std::shared_ptr<TlsContext> result(new TlsContext(ctx.release(), /*is_server=*/true));
  result->verify_peer_ = verify;
  result->map_identities_ = options.verify_and_map;
  result->handshake_timeout_ = options.timeout;
  return std::shared_ptr<const TlsContext>(std::move(result));
}

absl::StatusOr<std::shared_ptr<const TlsContext>> TlsContext::CreateClient(
    const ClientTlsConfig& config) {
  if (config.cert_file.empty() != config.key_file.empty()) {
    return absl::InvalidArgumentError("tls: client 'cert_file' and 'key_file' go together");
  }
  LATTICE_ASSIGN_OR_RETURN(CtxPtr ctx, NewBaseContext(/*server=*/false));
  if (!config.cert_file.empty()) {
    LATTICE_RETURN_IF_ERROR(LoadKeyPair(ctx.get(), config.cert_file, config.key_file));
  }
  if (config.verify_server) {
    LATTICE_RETURN_IF_ERROR(LoadTrust(ctx.get(), config.ca_file));
  }
  SSL_CTX_set_verify(ctx.get(), config.verify_server ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
  std::shared_ptr<TlsContext> result(new TlsContext(ctx.release(), /*is_server=*/false));
  result->verify_peer_ = config.verify_server;
  result->handshake_timeout_ = config.timeout;
  return std::shared_ptr<const TlsContext>(std::move(result));
}

TlsContext::~TlsContext() {
  SSL_CTX_free(ctx_);
}

}  // namespace lattice::tls
