// The socket side shared by every connection kind: a non-blocking fd on one loop, a read
// buffer the protocol parser consumes in place, and a bounded outbound buffer flushed with
// writev once per loop iteration.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/base/mutex.h"
#include "dataplane/server/event_loop.h"
#include "dataplane/server/outbound_buffer.h"
#include "dataplane/tls/peer_identity.h"

namespace lattice::tls {
class TlsContext;
class TlsSession;
}  // namespace lattice::tls

namespace lattice::server {

// Why a connection closed; the names follow nats-server's /connz reasons.
enum class CloseReason : uint8_t {
  kClientClosed,
  kAuthenticationTimeout,
  kAuthenticationViolation,
  kSlowConsumerPendingBytes,
  kSlowConsumerWriteDeadline,
  kStaleConnection,
  kProtocolViolation,
  kMaxPayloadExceeded,
  kMaxConnectionsExceeded,
  kMaxControlLineExceeded,
  kWriteError,
  kReadError,
  kServerShutdown,
  kLameDuck,
  kTlsHandshakeError,
  kAuthenticationExpired,  // user JWT expired, or its account was removed
  kRevocation,             // the user's credentials were revoked
  kMaxAccountConnectionsExceeded,
  kMaxSubscriptionsExceeded,  // a live limit change left it at or over its subscription limit
};
std::string_view CloseReasonText(CloseReason reason);

// Per-connection traffic counters, written by the owning loop (in_*) or by any delivering
// loop (out_*), read by monitoring. Thread: any.
struct ConnectionCounters {
  std::atomic<uint64_t> in_msgs{0};
  std::atomic<uint64_t> in_bytes{0};
  std::atomic<uint64_t> out_msgs{0};
  std::atomic<uint64_t> out_bytes{0};
};

// Owned through shared_ptr by its Worker's connection table (and, while messages are in
// flight, by subscriptions that deliver to it). Lives on one loop for its whole life.
// Thread: Send, RequestFlush, CloseFromAnyThread, closed() and counters from any thread;
// everything else on the owning loop.
class Connection : public IoHandler,
                   public LoopFlushable,
                   public std::enable_shared_from_this<Connection> {
 public:
  struct Limits {
    int64_t max_pending = 64 * 1024 * 1024;
    ClockDuration write_deadline = std::chrono::seconds(10);
  };

  Connection(EventLoop& loop, int fd, Limits limits);
  ~Connection() override;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Makes this a TLS connection; call before Start. INFO (appended by OnStart) then goes
  // out in clear, the handshake must finish within the context's timeout, and everything
  // after it is encrypted (tls_transport.cc). Plain connections never touch this path.
  void EnableTls(std::shared_ptr<const tls::TlsContext> context);

  // Registers the fd with the loop and calls OnStart. Owning loop.
  void Start();

  // Appends one frame and schedules a flush (batched per iteration). False when the
  // connection is over max_pending: it is then closed as a slow consumer.
  bool Send(std::initializer_list<std::string_view> pieces) { return SendFrom(nullptr, pieces); }
  bool Send(std::string_view bytes) { return SendFrom(nullptr, {bytes}); }
  // Send on behalf of `producer`, a connection of the calling loop (a publisher whose message
  // this is). When more than half of max_pending is now waiting here, the producer stops
  // reading after its current batch until this connection drains below half, for at most
  // 100 ms to 1 s (nats-server's fast-producer stall), instead of overrunning a consumer that
  // is merely slower than it. Thread: the producer's loop.
  bool SendFrom(Connection* producer, std::initializer_list<std::string_view> pieces);

  // Writes what is buffered now. Owning loop.
  void FlushNow() override;
  // Whether reading is held back by a stall (see SendFrom). Owning loop.
  bool stalled() const { return stall_timer_ != 0; }
  // Whether a delivery of the current op asked for a stall; the protocol should stop parsing
  // after this op. Owning loop.
  bool stall_requested() const { return stall_on_ != nullptr; }
  // Writes a small batch from another loop's thread when nobody else is writing; false when
  // the owning loop has to take over (a big batch, socket full, error). Thread: any loop.
  bool TryFlushFromOtherLoop() override;

  // Closes the socket after a best-effort flush of what is queued (so a final -ERR is seen).
  // Idempotent. Owning loop.
  void Close(CloseReason reason);
  void CloseFromAnyThread(CloseReason reason);

  bool closed() const { return closed_.load(std::memory_order_acquire); }
  EventLoop& loop() const { return loop_; }
  int fd() const { return fd_; }
  int64_t pending_bytes() const { return outbound_.pending_bytes(); }
  ConnectionCounters& counters() { return counters_; }
  const ConnectionCounters& counters() const { return counters_; }
  CloseReason close_reason() const { return close_reason_; }

  // Defined in tls_transport.h.
  struct TlsState;
  bool is_tls() const { return tls_ != nullptr; }
  // Once the handshake is done: "1.3" / "TLS_AES_128_GCM_SHA256" (nats-server's /connz
  // tls_version / tls_cipher_suite), else empty. Owning loop.
  const std::string& tls_version() const;
  const std::string& tls_cipher_suite() const;
  // verify_and_map: the client certificate's candidate user names, in match order; null for
  // plain connections or when the context does not map identities. Owning loop.
  const std::vector<tls::PeerIdentity>* tls_peer_identities() const;

 protected:
  // Consumes protocol bytes from the front of `data` (a view into the read buffer, valid for
  // the call only). Returns the bytes consumed; sets *bytes_needed when a pending op needs a
  // bigger buffer than `data`. May call Close().
  virtual size_t OnRead(std::string_view data, size_t* bytes_needed) = 0;
  virtual void OnStart() {}
  // After the socket is closed: drop subscriptions, update stats. Owning loop.
  virtual void OnClosed(CloseReason reason) {}

  void set_max_pending(int64_t max_pending) { outbound_.set_max_pending(max_pending); }

  // Stops parsing and reading (the socket's backpressure holds the client) until
  // ResumeReading, which parses what is buffered and reads on. For work finished elsewhere
  // (a CONNECT checked on the auth pool). Owning loop.
  void PauseReading() { read_paused_ = true; }
  void ResumeReading();

 private:
  void OnIoEvents(uint32_t events) override;
  void ReadAll();
  bool EnsureReadSpace(size_t needed);
  void ResizeEmptyReadBuffer(size_t cap);
  // Parses the buffered bytes and hands the output on; false when the connection closed or
  // paused meanwhile. *bytes_needed as in OnRead.
  bool ParseBuffered(size_t* bytes_needed);
  void OnWriteDeadline();
  // Runs WriteTo under the write token; kWouldBlock also when another thread holds it (that
  // writer then loops again, so nothing queued is left behind).
  FlushResult WriteWithToken(bool* token_busy);
  // Bytes waiting for the socket: plaintext frames plus, with TLS, unsent ciphertext.
  bool HasUnsentBytes() const;

  // --- Fast-producer stall. The producer side runs on its own loop; the consumer side keeps
  // the waiting producers and wakes them from whichever thread drained it.
  // After a parsed batch: if a delivery asked for a stall, pause reading and wait.
  void BeginStallIfRequested();
  void EndStall();
  // Consumer side: `producer` waits for this connection to drain below half of max_pending.
  // False when it already has (the producer then does not stall).
  bool AddStallWaiter(std::weak_ptr<Connection> producer);
  // Wakes the waiting producers once below half (or closed). Thread: any.
  void ReleaseStallWaiters(bool force);

  // --- TLS (tls_transport.cc). Owning loop only.
  // After OnStart: writes INFO in clear and arms the handshake timer; false if it closed.
  bool StartTls();
  void ReadAllTls();
  // Encrypts the outbound frames and writes the ciphertext (INFO-only clear writes before
  // the handshake completes).
  FlushResult WriteTls();
  FlushResult WriteCiphertext();
  void OnTlsHandshakeDone();
  void OnTlsHandshakeTimeout();
  // Best-effort: encrypt what is queued, add close_notify, one write. From Close.
  void FlushTlsForClose(bool send_pending);

  EventLoop& loop_;
  const int fd_;
  Limits limits_;

  std::unique_ptr<char[]> read_buf_;
  size_t read_cap_ = 0;
  size_t read_len_ = 0;
  int quiet_reads_ = 0;
  bool read_paused_ = false;  // consecutive read events that used under a quarter of the buffer

  OutboundBuffer outbound_;
  std::atomic<bool> flush_requested_{false};
  // Whoever holds the token may writev the fd and touch the buffer's writer side. Close takes
  // it for good, so the fd is never closed under a writer on another loop.
  std::atomic<bool> write_token_{false};
  std::atomic<bool> flush_again_{false};
  std::atomic<bool> closed_{false};
  bool registered_ = false;
  TimerId write_deadline_timer_ = 0;
  CloseReason close_reason_ = CloseReason::kClientClosed;
  ConnectionCounters counters_;
  // Set before Start and never changed, so other loops may test it without a lock.
  std::unique_ptr<TlsState> tls_;

  // Producer side (owning loop): the consumer a delivery found over half full, and the timer
  // that ends the stall at the latest.
  std::shared_ptr<Connection> stall_on_;
  TimerId stall_timer_ = 0;
  // Consumer side: producers stalled on this connection.
  std::atomic<bool> has_stall_waiters_{false};
  Mutex stall_mu_;
  std::vector<std::weak_ptr<Connection>> stall_waiters_ ABSL_GUARDED_BY(stall_mu_);
};

}  // namespace lattice::server
