// Connection's TLS path: INFO in clear, handshake under a timer, decryption straight into the
// parser's read buffer, encryption of the outbound frames at flush time, close_notify.
#include "dataplane/server/tls_transport.h"

#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "common/base/check.h"
#include "common/base/log.h"
#include "dataplane/server/connection.h"

namespace lattice::server {

namespace {
// Ciphertext is read in gulps of this size (a TLS record is at most ~16.6 KiB).
constexpr size_t kTlsReadChunk = 32 * 1024;
constexpr size_t kMaxPlainReadBuffer = 64 * 1024;
const std::string kEmpty;

// One sendmsg of the session's pending ciphertext; kDrained when all of it went out.
FlushResult SendCiphertext(int fd, tls::TlsSession& session) {
  while (session.pending_ciphertext_bytes() > 0) {
    iovec iov[4];
    size_t count = session.CiphertextIovecs(iov, 4);
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = count;
    ssize_t n = sendmsg(fd, &msg, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        return FlushResult::kWouldBlock;
      }
      return FlushResult::kError;
    }
    session.ConsumeCiphertext(static_cast<size_t>(n));
  }
  return FlushResult::kDrained;
}
}  // namespace

void Connection::EnableTls(std::shared_ptr<const tls::TlsContext> context) {
  LATTICE_CHECK(!registered_ && context != nullptr);
  tls_ = std::make_unique<TlsState>();
  tls_->map_identities = context->map_identities();
  tls_->context = std::move(context);
}

const std::string& Connection::tls_version() const {
  return tls_ != nullptr ? tls_->version : kEmpty;
}

const std::string& Connection::tls_cipher_suite() const {
  return tls_ != nullptr ? tls_->cipher_suite : kEmpty;
}

const std::vector<tls::PeerIdentity>* Connection::tls_peer_identities() const {
  if (tls_ == nullptr || !tls_->map_identities || !tls_->handshake_done) {
    return nullptr;
  }
  return &tls_->identities;
}

bool Connection::StartTls() {
  auto session = tls::TlsSession::Create(tls_->context, tls::TlsSession::Role::kServer);
  if (!session.ok()) {
    LATTICE_LOG(kError) << "fd " << fd_ << " TLS session: " << session.status().message();
    Close(CloseReason::kTlsHandshakeError);
    return false;
  }
  tls_->session = *std::move(session);
  // INFO goes out in clear before the handshake, as nats-server sends it (tls_required tells
  // the client to start TLS). A fresh socket always takes these few hundred bytes.
  size_t written = 0;
  if (outbound_.WriteTo(fd_, &written) != FlushResult::kDrained) {
    Close(CloseReason::kWriteError);
    return false;
  }
  std::weak_ptr<Connection> weak = weak_from_this();
  tls_->handshake_timer = loop_.AddTimer(tls_->context->handshake_timeout(), [weak] {
    if (auto self = weak.lock()) {
      self->OnTlsHandshakeTimeout();
    }
  });
  return true;
}

void Connection::OnTlsHandshakeTimeout() {
  tls_->handshake_timer = 0;
  if (!closed() && !tls_->handshake_done) {
    LATTICE_LOG(kError) << "fd " << fd_ << " TLS handshake timeout";
    Close(CloseReason::kTlsHandshakeError);
  }
}

void Connection::OnTlsHandshakeDone() {
  TlsState& t = *tls_;
  t.handshake_done = true;
  if (t.handshake_timer != 0) {
    loop_.CancelTimer(t.handshake_timer);
    t.handshake_timer = 0;
  }
  t.version = t.session->version();
  t.cipher_suite = t.session->cipher_suite();
  if (t.map_identities) {
    t.identities = t.session->PeerIdentities();
  }
  LATTICE_LOG(kDebug) << "fd " << fd_ << " TLS handshake complete: TLS " << t.version << " "
                      << t.cipher_suite;
}

void Connection::ReadAllTls() {
  tls::TlsSession& session = *tls_->session;
  for (;;) {
    if (read_paused_ || closed()) {
      return;
    }
    // 1. Use what the session holds: finish the handshake, then decrypt into the read buffer.
    if (!tls_->handshake_done) {
      tls::TlsResult r = session.Handshake();
      if (r == tls::TlsResult::kError || r == tls::TlsResult::kClosed) {
        LATTICE_LOG(kError) << "fd " << fd_ << " TLS handshake error: " << session.error();
        Close(CloseReason::kTlsHandshakeError);
        return;
      }
      if (session.HandshakeDone()) {
        OnTlsHandshakeDone();
      }
    }
    if (tls_->handshake_done) {
      for (;;) {
        if (read_len_ == read_cap_) {
          EnsureReadSpace(read_cap_ * 2);
        }
        size_t n = 0;
        tls::TlsResult r =
            session.ReadPlaintext(read_buf_.get() + read_len_, read_cap_ - read_len_, &n);
        if (n > 0) {
          bool filled = n == read_cap_ - read_len_;
          read_len_ += n;
          size_t bytes_needed = 0;
          if (!ParseBuffered(&bytes_needed)) {
            if (!closed() && session.pending_ciphertext_bytes() > 0) {
              FlushNow();
            }
            return;
          }
          if (bytes_needed > read_cap_) {
            EnsureReadSpace(bytes_needed);
          } else if (filled && read_cap_ < kMaxPlainReadBuffer) {
            EnsureReadSpace(std::min(read_cap_ * 2, kMaxPlainReadBuffer));
          }
          continue;
        }
        if (r == tls::TlsResult::kClosed) {
          Close(CloseReason::kClientClosed);
          return;
        }
        if (r == tls::TlsResult::kError) {
          LATTICE_LOG(kDebug) << "fd " << fd_ << " TLS read error: " << session.error();
          Close(CloseReason::kReadError);
          return;
        }
        if (r == tls::TlsResult::kWantInput) {
          break;
        }
        // kOk without plaintext: a non-data record (session ticket, key update); go on.
      }
    }
    // Handshake records, alerts and tickets appear without any plaintext write.
    if (session.pending_ciphertext_bytes() > 0 ||
        (tls_->handshake_done && outbound_.pending_bytes() > 0)) {
      FlushNow();
      if (closed()) {
        return;
      }
    }
    // 2. Read more ciphertext from the socket, straight into the session's input queue.
    char* in = session.InputBuffer(kTlsReadChunk);
    ssize_t n = read(fd_, in, kTlsReadChunk);
    if (n == 0) {
      Close(tls_->handshake_done ? CloseReason::kClientClosed : CloseReason::kTlsHandshakeError);
      return;
    }
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        break;
      }
      // nats-server reports any failure before the handshake completes as a handshake error.
      Close(tls_->handshake_done ? CloseReason::kReadError : CloseReason::kTlsHandshakeError);
      return;
    }
    if (tls_->first_read) {
      tls_->first_read = false;
      tls_->plain_client = !tls::StartsLikeTlsHandshake(std::string_view(in, 1));
    }
    session.CommitInput(static_cast<size_t>(n));
  }
  if (read_len_ == 0 && read_cap_ > kMaxPlainReadBuffer) {
    ResizeEmptyReadBuffer(kMaxPlainReadBuffer);  // a big payload grew it: give it back
  }
}

FlushResult Connection::WriteCiphertext() {
  return SendCiphertext(fd_, *tls_->session);
}

FlushResult Connection::WriteTls() {
  tls::TlsSession& session = *tls_->session;
  for (;;) {
    FlushResult r = WriteCiphertext();
    if (r != FlushResult::kDrained) {
      return r;
    }
    // Before the handshake completes, frames wait in the outbound buffer (INFO already went
    // out in clear at start); they are encrypted as soon as it is done.
    if (!tls_->handshake_done || outbound_.pending_bytes() == 0) {
      return FlushResult::kDrained;
    }
    // Encrypt only once the previous ciphertext is gone, so the bytes not yet sent stay in
    // the bounded outbound buffer, where max_pending counts them.
    tls::TlsResult encrypted = tls::TlsResult::kOk;
    outbound_.DrainTo(
        [&](const iovec* iov, size_t count) { encrypted = session.WritePlaintext(iov, count); });
    if (encrypted == tls::TlsResult::kError) {
      LATTICE_LOG(kDebug) << "fd " << fd_ << " TLS write error: " << session.error();
      return FlushResult::kError;
    }
  }
}

void Connection::FlushTlsForClose(bool send_pending) {
  TlsState& t = *tls_;
  if (t.handshake_timer != 0) {
    loop_.CancelTimer(t.handshake_timer);
    t.handshake_timer = 0;
  }
  if (!t.handshake_done) {
    if (send_pending) {
      // Still in clear (e.g. INFO and -ERR 'maximum connections exceeded' for a rejected
      // connection, which nats-server also sends before any handshake).
      size_t written = 0;
      outbound_.WriteTo(fd_, &written);
      if (t.session != nullptr && !t.plain_client) {
        SendCiphertext(fd_, *t.session);  // a handshake failure alert, if any
      }
    }
    return;
  }
  if (send_pending) {
    while (outbound_.pending_bytes() > 0) {
      outbound_.DrainTo(
          [&](const iovec* iov, size_t count) { t.session->WritePlaintext(iov, count); });
    }
  } else {
    t.session->ConsumeCiphertext(t.session->pending_ciphertext_bytes());
  }
  t.session->Shutdown();  // close_notify
  SendCiphertext(fd_, *t.session);
}

}  // namespace lattice::server
