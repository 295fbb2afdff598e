// TlsSession: a per-connection TLS engine over in-memory buffers, for an epoll event loop.
//
// The session never touches a socket. The connection moves bytes in both directions:
//
//   socket --read--> FeedCiphertext / InputBuffer+CommitInput --> ReadPlaintext --> parser
//   parser output --> WritePlaintext --> PendingCiphertext --writev--> ConsumeCiphertext
//
// After every call (Handshake, ReadPlaintext, WritePlaintext, Shutdown) there may be new
// ciphertext to send (handshake records, alerts, session tickets): check PendingCiphertext().
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

#include "dataplane/tls/byte_queue.h"
#include "dataplane/tls/peer_identity.h"
#include "dataplane/tls/tls_context.h"

typedef struct ssl_st SSL;
typedef struct bio_st BIO;
typedef struct bio_method_st BIO_METHOD;

namespace lattice::tls {

enum class TlsResult : uint8_t {
  kOk,         // progress was made (handshake finished, bytes read or written)
  kWantInput,  // nothing more to do until more ciphertext arrives
  kClosed,     // the peer sent close_notify: no more plaintext will come
  kError,      // fatal (bad record, failed verification, ...): see error(); close the socket
};

// One TLS connection's state machine (OpenSSL SSL object) with its own ciphertext queues.
// Owned by its Connection. Thread: single owner (the connection's loop); the strings returned
// by version() and cipher_suite() are fixed at handshake completion, so a copy can be handed
// to monitoring.
class TlsSession {
 public:
  enum class Role : uint8_t { kServer, kClient };

  // `server_name` (clients only) is sent as SNI and, when the context verifies the server,
  // checked against the certificate's names.
  static absl::StatusOr<std::unique_ptr<TlsSession>> Create(
      std::shared_ptr<const TlsContext> context, Role role, std::string_view server_name = {});
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  // --- Ciphertext in.
  // Copies received bytes into the session.
  void FeedCiphertext(std::string_view bytes);
  // Zero-copy alternative: read(2) into InputBuffer(n) (room for n bytes), then CommitInput.
  char* InputBuffer(size_t n) { return in_.Reserve(n); }
  void CommitInput(size_t n) { in_.Commit(n); }

  // --- Handshake.
  // Advances the handshake with the input fed so far. kOk once it is complete.
  TlsResult Handshake();
  bool HandshakeDone() const { return handshake_done_; }
  // The last call stopped because it needs more ciphertext from the peer.
  bool WantsMoreInput() const { return wants_input_; }

  // --- Plaintext.
  // Decrypts into [buf, buf+cap); *n bytes were produced. kOk with *n > 0 while data comes;
  // kWantInput when all fed ciphertext is consumed. Drives the handshake if it is not done.
  TlsResult ReadPlaintext(char* buf, size_t cap, size_t* n);
  // Encrypts all of `bytes` (kOk), coalescing pieces into full records. Before the handshake
  // completes nothing is written and kWantInput is returned; after an error, kError.
  TlsResult WritePlaintext(std::string_view bytes);
  TlsResult WritePlaintext(const iovec* iov, size_t count);

  // --- Ciphertext out.
  std::string_view PendingCiphertext() const { return out_.View(); }
  size_t pending_ciphertext_bytes() const { return out_.size(); }
  void ConsumeCiphertext(size_t n);
  // Copies and consumes up to `cap` bytes; returns how many.
  size_t TakeCiphertext(char* buf, size_t cap);
  // Fills at most `max` iovecs describing the pending ciphertext (today one); returns count.
  size_t CiphertextIovecs(iovec* iov, size_t max) const;

  // Queues close_notify (after a completed handshake). The socket can be closed once sent.
  void Shutdown();

  // --- What was negotiated (valid once HandshakeDone()).
  // "1.2" / "1.3", as nats-server reports /connz tls_version.
  const std::string& version() const { return version_; }
  // IANA/Go name such as "TLS_AES_128_GCM_SHA256", as nats-server reports tls_cipher_suite.
  const std::string& cipher_suite() const { return cipher_suite_; }
  bool has_peer_certificate() const;
  // Candidate user names from the peer's leaf certificate for verify_and_map, in match order.
  std::vector<PeerIdentity> PeerIdentities() const;

  // Why the session failed (OpenSSL reason and verification result); empty before an error.
  const std::string& error() const { return error_; }
  bool failed() const { return failed_; }
  const TlsContext& context() const { return *context_; }

 private:
  TlsSession(std::shared_ptr<const TlsContext> context, SSL* ssl, BIO* bio);
  // Maps an OpenSSL return to TlsResult, recording errors and handshake completion.
  TlsResult Map(int ret);
  void OnHandshakeComplete();
  TlsResult WriteRecord(const char* data, size_t n);

  static int BioWrite(BIO* bio, const char* data, size_t n, size_t* written);
  static int BioRead(BIO* bio, char* data, size_t n, size_t* read);
  static long BioCtrl(BIO* bio, int cmd, long num, void* ptr);
  static const BIO_METHOD* BioMethod();

  std::shared_ptr<const TlsContext> context_;
  SSL* ssl_;
  internal::ByteQueue in_;           // ciphertext from the peer, not yet consumed by OpenSSL
  internal::ByteQueue out_;          // ciphertext for the peer, not yet taken by the connection
  std::unique_ptr<char[]> staging_;  // coalesces small plaintext pieces into one record
  size_t staged_ = 0;
  bool handshake_done_ = false;
  bool wants_input_ = false;
  bool failed_ = false;
  bool closed_ = false;
  std::string version_;
  std::string cipher_suite_;
  std::string error_;
};

std::string_view TlsResultName(TlsResult result);

// For `allow_non_tls` (INFO `tls_available`): a TLS client's first byte is a handshake record
// (0x16); a plaintext NATS client starts with a verb. Needs at least one byte.
inline bool StartsLikeTlsHandshake(std::string_view first_bytes) {
  return !first_bytes.empty() && static_cast<unsigned char>(first_bytes[0]) == 0x16;
}

}  // namespace lattice::tls
