// TlsSession: OpenSSL driven through a custom BIO that reads and writes our byte queues.
#include "dataplane/tls/tls_session.h"

#include <cstdio>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "common/base/check.h"

namespace lattice::tls {

namespace {

// The largest plaintext a TLS record carries; staging up to it makes one record per flush.
constexpr size_t kMaxRecordPlaintext = 16 * 1024;
// An idle session keeps at most this much buffer memory per direction.
constexpr size_t kIdleBufferBytes = 64 * 1024;

std::string VersionName(int version) {
  switch (version) {
    case TLS1_VERSION:
      return "1.0";
    case TLS1_1_VERSION:
      return "1.1";
    case TLS1_2_VERSION:
      return "1.2";
    case TLS1_3_VERSION:
      return "1.3";
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), "Unknown [0x%x]", static_cast<unsigned>(version));
  return buf;
}

// Go (and so nats-server) names suites by their IANA names, except that the TLS 1.2 ChaCha20
// suites drop the trailing "_SHA256".
std::string CipherName(const SSL_CIPHER* cipher) {
  if (cipher == nullptr) {
    return "";
  }
  std::string_view name = SSL_CIPHER_standard_name(cipher);
  if (name == "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256" ||
      name == "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256") {
    name.remove_suffix(sizeof("_SHA256") - 1);
  }
  if (name.empty() || name == "(NONE)") {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "Unknown [0x%x]", SSL_CIPHER_get_protocol_id(cipher));
    return buf;
  }
  return std::string(name);
}

}  // namespace

std::string_view TlsResultName(TlsResult result) {
  switch (result) {
    case TlsResult::kOk:
      return "ok";
    case TlsResult::kWantInput:
      return "want_input";
    case TlsResult::kClosed:
      return "closed";
    case TlsResult::kError:
      return "error";
  }
  return "unknown";
}

// --- The BIO: OpenSSL's only view of the network is our two queues.

const BIO_METHOD* TlsSession::BioMethod() {
  static const BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "lattice-tls");
    LATTICE_CHECK(m != nullptr);
    BIO_meth_set_write_ex(m, &TlsSession::BioWrite);
    BIO_meth_set_read_ex(m, &TlsSession::BioRead);
    BIO_meth_set_ctrl(m, &TlsSession::BioCtrl);
    return m;
  }();
  return method;
}

int TlsSession::BioWrite(BIO* bio, const char* data, size_t n, size_t* written) {
  auto* self = static_cast<TlsSession*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  self->out_.Append(data, n);
  *written = n;
  return 1;
}

int TlsSession::BioRead(BIO* bio, char* data, size_t n, size_t* read) {
  auto* self = static_cast<TlsSession*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  if (self->in_.empty()) {
    BIO_set_retry_read(bio);
    *read = 0;
    return 0;
  }
  *read = self->in_.Read(data, n);
  return 1;
}

long TlsSession::BioCtrl(BIO* bio, int cmd, long num, void* ptr) {
  auto* self = static_cast<TlsSession*>(BIO_get_data(bio));
  switch (cmd) {
    case BIO_CTRL_FLUSH:
      return 1;
    case BIO_CTRL_PENDING:
      return static_cast<long>(self->in_.size());
    case BIO_CTRL_WPENDING:
      return static_cast<long>(self->out_.size());
    default:
      return 0;
  }
}

// --- Session.

absl::StatusOr<std::unique_ptr<TlsSession>> TlsSession::Create(
    std::shared_ptr<const TlsContext> context, Role role, std::string_view server_name) {
  if (context == nullptr) {
    return absl::InvalidArgumentError("tls: no context");
  }
  if ((role == Role::kServer) != context->is_server()) {
    return absl::InvalidArgumentError("tls: session role does not match its context");
  }
  ERR_clear_error();
  SSL* ssl = SSL_new(context->native());
  BIO* bio = ssl == nullptr ? nullptr : BIO_new(BioMethod());
  if (bio == nullptr) {
    SSL_free(ssl);
    return absl::InternalError(absl::StrCat("tls: SSL_new: ", DrainOpenSslErrors()));
  }
  if (role == Role::kServer) {
    SSL_set_accept_state(ssl);
  } else {
    SSL_set_connect_state(ssl);
    if (!server_name.empty()) {
      std::string name(server_name);
      bool ok = SSL_set_tlsext_host_name(ssl, name.c_str()) == 1;
      if (ok && context->verify_peer()) {
        ok = SSL_set1_host(ssl, name.c_str()) == 1;
      }
      if (!ok) {
        BIO_free(bio);
        SSL_free(ssl);
        return absl::InvalidArgumentError(
            absl::StrCat("tls: bad server name '", name, "': ", DrainOpenSslErrors()));
      }
    }
  }
  return std::unique_ptr<TlsSession>(new TlsSession(std::move(context), ssl, bio));
}

TlsSession::TlsSession(std::shared_ptr<const TlsContext> context, SSL* ssl, BIO* bio)
    : context_(std::move(context)), ssl_(ssl) {
  BIO_set_data(bio, this);
  BIO_set_init(bio, 1);
  SSL_set_bio(ssl_, bio, bio);  // the SSL now owns the BIO's one reference
}

TlsSession::~TlsSession() {
  SSL_free(ssl_);
}

void TlsSession::FeedCiphertext(std::string_view bytes) {
  in_.Append(bytes.data(), bytes.size());
}

TlsResult TlsSession::Map(int ret) {
  wants_input_ = false;
  int error = ret > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl_, ret);
  // A read can finish the handshake and then stop for want of application data.
  if (!handshake_done_ && (error == SSL_ERROR_NONE || error == SSL_ERROR_WANT_READ) &&
      SSL_is_init_finished(ssl_)) {
    OnHandshakeComplete();
  }
  switch (error) {
    case SSL_ERROR_NONE:
      return TlsResult::kOk;
    case SSL_ERROR_WANT_READ:
      wants_input_ = true;
      return TlsResult::kWantInput;
    case SSL_ERROR_ZERO_RETURN:
      closed_ = true;
      return TlsResult::kClosed;
    default:
      break;
  }
  failed_ = true;
  error_ = DrainOpenSslErrors();
  long verify = SSL_get_verify_result(ssl_);
  if (verify != X509_V_OK) {
    absl::StrAppend(&error_, error_.empty() ? "" : "; ",
                    "certificate verification: ", X509_verify_cert_error_string(verify));
  }
  if (error_.empty()) {
    error_ = "tls: protocol error";
  }
  return TlsResult::kError;
}

void TlsSession::OnHandshakeComplete() {
  handshake_done_ = true;
  version_ = VersionName(SSL_version(ssl_));
  cipher_suite_ = CipherName(SSL_get_current_cipher(ssl_));
}

TlsResult TlsSession::Handshake() {
  if (failed_) {
    return TlsResult::kError;
  }
  if (handshake_done_) {
    return TlsResult::kOk;
  }
  ERR_clear_error();
  return Map(SSL_do_handshake(ssl_));
}

TlsResult TlsSession::ReadPlaintext(char* buf, size_t cap, size_t* n) {
  *n = 0;
  if (failed_) {
    return TlsResult::kError;
  }
  if (closed_) {
    return TlsResult::kClosed;
  }
  if (cap == 0) {
    return TlsResult::kOk;
  }
  ERR_clear_error();
  TlsResult result = Map(SSL_read_ex(ssl_, buf, cap, n) == 1 ? 1 : 0);
  if (result == TlsResult::kWantInput) {
    in_.Shrink(kIdleBufferBytes);
  }
  return result;
}

TlsResult TlsSession::WriteRecord(const char* data, size_t n) {
  ERR_clear_error();
  size_t written = 0;
  TlsResult result = Map(SSL_write_ex(ssl_, data, n, &written) == 1 ? 1 : 0);
  // Our BIO takes every byte, so a successful write is always complete.
  LATTICE_DCHECK(result != TlsResult::kOk || written == n);
  return result;
}

TlsResult TlsSession::WritePlaintext(std::string_view bytes) {
  iovec iov{const_cast<char*>(bytes.data()), bytes.size()};
  return WritePlaintext(&iov, 1);
}

TlsResult TlsSession::WritePlaintext(const iovec* iov, size_t count) {
  if (failed_) {
    return TlsResult::kError;
  }
  if (!handshake_done_) {
    return TlsResult::kWantInput;
  }
  staged_ = 0;
  for (size_t i = 0; i < count; ++i) {
    const char* data = static_cast<const char*>(iov[i].iov_base);
    size_t len = iov[i].iov_len;
    if (len >= kMaxRecordPlaintext) {
      // Big pieces go straight through (OpenSSL splits them into full records).
      if (staged_ > 0) {
        TlsResult r = WriteRecord(staging_.get(), staged_);
        staged_ = 0;
        if (r != TlsResult::kOk) {
          return r;
        }
      }
      TlsResult r = WriteRecord(data, len);
      if (r != TlsResult::kOk) {
        return r;
      }
      continue;
    }
    if (staging_ == nullptr) {
      staging_.reset(new char[kMaxRecordPlaintext]);
    }
    while (len > 0) {
      size_t take = std::min(len, kMaxRecordPlaintext - staged_);
      std::memcpy(staging_.get() + staged_, data, take);
      staged_ += take;
      data += take;
      len -= take;
      if (staged_ == kMaxRecordPlaintext) {
        TlsResult r = WriteRecord(staging_.get(), staged_);
        staged_ = 0;
        if (r != TlsResult::kOk) {
          return r;
        }
      }
    }
  }
  if (staged_ > 0) {
    TlsResult r = WriteRecord(staging_.get(), staged_);
    staged_ = 0;
    return r;
  }
  return TlsResult::kOk;
}

void TlsSession::ConsumeCiphertext(size_t n) {
  out_.Consume(n);
  out_.Shrink(kIdleBufferBytes);
}

size_t TlsSession::TakeCiphertext(char* buf, size_t cap) {
  size_t n = out_.Read(buf, cap);
  out_.Shrink(kIdleBufferBytes);
  return n;
}

size_t TlsSession::CiphertextIovecs(iovec* iov, size_t max) const {
  if (max == 0 || out_.empty()) {
    return 0;
  }
  std::string_view view = out_.View();
  iov[0].iov_base = const_cast<char*>(view.data());
  iov[0].iov_len = view.size();
  return 1;
}

void TlsSession::Shutdown() {
  if (failed_ || !handshake_done_) {
    return;
  }
  ERR_clear_error();
  SSL_shutdown(ssl_);  // queues close_notify; we do not wait for the peer's
  ERR_clear_error();
}

bool TlsSession::has_peer_certificate() const {
  return SSL_get0_peer_certificate(ssl_) != nullptr;
}

std::vector<PeerIdentity> TlsSession::PeerIdentities() const {
  if (!handshake_done_) {
    return {};
  }
  return CertificateIdentities(SSL_get0_peer_certificate(ssl_));
}

}  // namespace lattice::tls
