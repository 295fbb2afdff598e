// Connection: non-blocking reads into a parser-consumed buffer, batched writev output.
#include "dataplane/server/connection.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

#include "common/base/check.h"
#include "dataplane/server/tls_transport.h"

namespace lattice::server {

namespace {
// Like nats-server: an idle connection reads into 512 bytes; a busy one doubles its buffer per
// full read up to 64 KiB and halves it again after a few quiet reads.
constexpr size_t kInitialReadBuffer = 512;
constexpr size_t kMaxIdleReadBuffer = 64 * 1024;
constexpr int kQuietReadsBeforeShrink = 4;
// Another loop writes a batch itself only when it is small (a request, a reply, a trickle):
// that saves a wakeup and keeps latency low. Bigger batches (a streaming subscriber) go to
// the owning loop with one Post, so two threads share the work of a stream: measured on the
// shared 2-core box, pub->sub 1:1 then ran with one more runnable thread instead of one
// thread doing read, parse, copy and every writev alone.
constexpr int64_t kMaxDirectWrite = 16 * 1024;
}  // namespace

std::string_view CloseReasonText(CloseReason reason) {
  switch (reason) {
    case CloseReason::kClientClosed:
      return "Client Closed";
    case CloseReason::kAuthenticationTimeout:
      return "Authentication Timeout";
    case CloseReason::kAuthenticationViolation:
      return "Authentication Failure";
    case CloseReason::kSlowConsumerPendingBytes:
      return "Slow Consumer (Pending Bytes)";
    case CloseReason::kSlowConsumerWriteDeadline:
      return "Slow Consumer (Write Deadline)";
    case CloseReason::kStaleConnection:
      return "Stale Connection";
    case CloseReason::kProtocolViolation:
      return "Protocol Violation";
    case CloseReason::kMaxPayloadExceeded:
      return "Maximum Message Payload Exceeded";
    case CloseReason::kMaxConnectionsExceeded:
      return "Maximum Connections Exceeded";
    case CloseReason::kMaxControlLineExceeded:
      return "Maximum Control Line Exceeded";
    case CloseReason::kWriteError:
      return "Write Error";
    case CloseReason::kReadError:
      return "Read Error";
    case CloseReason::kServerShutdown:
      return "Server Shutdown";
    case CloseReason::kLameDuck:
      return "Lame Duck Mode";
    case CloseReason::kTlsHandshakeError:
      return "TLS Handshake Failure";
    case CloseReason::kAuthenticationExpired:
      return "Authentication Expired";
    case CloseReason::kRevocation:
      return "Credentials Revoked";
    case CloseReason::kMaxAccountConnectionsExceeded:
      return "Maximum Account Connections Exceeded";
    case CloseReason::kMaxSubscriptionsExceeded:
      return "Maximum Subscriptions Exceeded";
  }
  return "Unknown";
}

Connection::Connection(EventLoop& loop, int fd, Limits limits)
    : loop_(loop), fd_(fd), limits_(limits), outbound_(limits.max_pending) {}

Connection::~Connection() {
  if (!closed()) {
    // Only reached when a connection is dropped before Start (e.g. server teardown).
    close(fd_);
  }
}

void Connection::Start() {
  LATTICE_DCHECK(loop_.IsInLoopThread());
  read_buf_.reset(new char[kInitialReadBuffer]);
  read_cap_ = kInitialReadBuffer;
  registered_ = loop_.Register(fd_, this, EPOLLIN | EPOLLOUT | EPOLLRDHUP);
  if (!registered_) {
    Close(CloseReason::kReadError);
    return;
  }
  OnStart();
  if (tls_ != nullptr && !closed()) {
    StartTls();
  }
}

bool Connection::HasUnsentBytes() const {
  return outbound_.pending_bytes() > 0 || (tls_ != nullptr && TlsHasUnsentCiphertext(*tls_));
}

bool Connection::SendFrom(Connection* producer, std::initializer_list<std::string_view> pieces) {
  if (closed()) {
    return true;
  }
  AppendResult appended = outbound_.Append(pieces);
  if (appended == AppendResult::kOverLimit) {
    CloseFromAnyThread(CloseReason::kSlowConsumerPendingBytes);
    return false;
  }
  if (appended == AppendResult::kOkOverHalf && producer != nullptr && producer != this &&
      producer->stall_on_ == nullptr) {
    producer->stall_on_ = shared_from_this();  // acted on after the producer's current batch
  }
  // A plain load first: while a flush is already requested (the common case in a burst) no
  // locked exchange is needed. A flusher clears the flag before it takes the buffer under the
  // buffer's mutex, so an Append that missed that flush sees the cleared flag here.
  if (!flush_requested_.load(std::memory_order_acquire) &&
      !flush_requested_.exchange(true, std::memory_order_acq_rel)) {
    EventLoop::RequestFlush(loop_, shared_from_this());
  }
  return true;
}

namespace {

// How long a producer waits for a consumer with `pending` of `max_pending` bytes queued:
// 100 ms just over half, 100 ms more per further twentieth, 1 s once full (nats-server's
// stall schedule).
ClockDuration StallDuration(int64_t pending, int64_t max_pending) {
  constexpr ClockDuration kMin = std::chrono::milliseconds(100);
  constexpr ClockDuration kMax = std::chrono::seconds(1);
  if (pending >= max_pending) {
    return kMax;
  }
  int64_t half = max_pending / 2;
  int64_t step = std::max<int64_t>(half / 10, 1);
  return kMin * (1 + std::max<int64_t>(pending - half, 0) / step);
}

}  // namespace

void Connection::BeginStallIfRequested() {
  std::shared_ptr<Connection> consumer = std::move(stall_on_);
  stall_on_ = nullptr;
  if (consumer == nullptr || stall_timer_ != 0 || closed()) {
    return;
  }
  if (!consumer->AddStallWaiter(weak_from_this())) {
    return;  // drained meanwhile (or closed)
  }
  read_paused_ = true;
  std::weak_ptr<Connection> weak = weak_from_this();
  stall_timer_ = loop_.AddTimer(
      StallDuration(consumer->pending_bytes(), consumer->outbound_.max_pending()), [weak] {
        if (auto self = weak.lock()) {
          self->stall_timer_ = 0;  // fired: nothing to cancel
          self->ResumeReading();
        }
      });
}

void Connection::EndStall() {
  if (stall_timer_ == 0) {
    return;  // the timer ended it already
  }
  loop_.CancelTimer(stall_timer_);
  stall_timer_ = 0;
  ResumeReading();
}

bool Connection::AddStallWaiter(std::weak_ptr<Connection> producer) {
  MutexLock lock(&stall_mu_);
  if (closed() || outbound_.pending_bytes() <= outbound_.max_pending() / 2) {
    return false;
  }
  stall_waiters_.push_back(std::move(producer));
  has_stall_waiters_.store(true, std::memory_order_seq_cst);
  return true;
}

void Connection::ReleaseStallWaiters(bool force) {
  // A wake-up lost to a race with AddStallWaiter only makes the producer wait for its timer.
  if (!has_stall_waiters_.load(std::memory_order_seq_cst)) {
    return;
  }
  if (!force && outbound_.pending_bytes() > outbound_.max_pending() / 2) {
    return;
  }
  std::vector<std::weak_ptr<Connection>> waiters;
  {
    MutexLock lock(&stall_mu_);
    waiters.swap(stall_waiters_);
    has_stall_waiters_.store(false, std::memory_order_seq_cst);
  }
  for (const std::weak_ptr<Connection>& weak : waiters) {
    if (std::shared_ptr<Connection> producer = weak.lock()) {
      producer->loop_.Post([producer] { producer->EndStall(); });
    }
  }
}

FlushResult Connection::WriteWithToken(bool* token_busy) {
  *token_busy = false;
  for (;;) {
    if (write_token_.exchange(true, std::memory_order_seq_cst)) {
      // Another thread is writing: ask it to go round once more, unless it just finished.
      flush_again_.store(true, std::memory_order_seq_cst);
      if (write_token_.load(std::memory_order_seq_cst)) {
        *token_busy = true;
        return FlushResult::kWouldBlock;
      }
      continue;
    }
    flush_again_.store(false, std::memory_order_seq_cst);
    FlushResult result = FlushResult::kDrained;
    if (!closed()) {
      if (tls_ == nullptr) {
        size_t written = 0;
        result = outbound_.WriteTo(fd_, &written);
      } else {
        result = WriteTls();
      }
    }
    write_token_.store(false, std::memory_order_seq_cst);
    if (result != FlushResult::kDrained || !flush_again_.load(std::memory_order_seq_cst)) {
      ReleaseStallWaiters(/*force=*/false);
      return result;
    }
  }
}

bool Connection::TryFlushFromOtherLoop() {
  flush_requested_.store(false, std::memory_order_seq_cst);
  if (closed()) {
    return true;
  }
  if (tls_ != nullptr) {
    return false;  // the TLS session has one owner: its loop encrypts and writes
  }
  if (outbound_.pending_bytes() > kMaxDirectWrite) {
    return false;  // a bulk stream: let the owning loop write it, in parallel with our reads
  }
  bool busy = false;
  FlushResult result = WriteWithToken(&busy);
  if (busy) {
    return true;  // the current writer loops again and takes our bytes along
  }
  // Socket full or failed: the owning loop arms the write deadline or closes.
  return result == FlushResult::kDrained;
}

void Connection::FlushNow() {
  LATTICE_DCHECK(loop_.IsInLoopThread());
  flush_requested_.store(false, std::memory_order_seq_cst);
  if (closed()) {
    return;
  }
  bool busy = false;
  FlushResult result = WriteWithToken(&busy);
  if (busy) {
    return;
  }
  switch (result) {
    case FlushResult::kDrained:
      if (write_deadline_timer_ != 0) {
        loop_.CancelTimer(write_deadline_timer_);
        write_deadline_timer_ = 0;
      }
      break;
    case FlushResult::kWouldBlock:
      // EPOLLOUT (edge-triggered) calls FlushNow again when the socket drains.
      if (write_deadline_timer_ == 0 && limits_.write_deadline > ClockDuration::zero()) {
        std::weak_ptr<Connection> weak = weak_from_this();
        write_deadline_timer_ = loop_.AddTimer(limits_.write_deadline, [weak] {
          if (auto self = weak.lock()) {
            self->OnWriteDeadline();
          }
        });
      }
      break;
    case FlushResult::kError:
      Close(CloseReason::kWriteError);
      break;
  }
}

void Connection::OnWriteDeadline() {
  write_deadline_timer_ = 0;
  if (!closed() && HasUnsentBytes()) {
    Close(CloseReason::kSlowConsumerWriteDeadline);
  }
}

void Connection::CloseFromAnyThread(CloseReason reason) {
  if (closed()) {
    return;
  }
  if (loop_.IsInLoopThread()) {
    Close(reason);
    return;
  }
  loop_.Post([self = shared_from_this(), reason] { self->Close(reason); });
}

void Connection::Close(CloseReason reason) {
  LATTICE_DCHECK(loop_.IsInLoopThread());
  if (closed()) {
    return;
  }
  // Take the write token for good: a writer on another loop finishes its (non-blocking)
  // writev first, and none starts after, so the fd is never closed or reused under a writer.
  while (write_token_.exchange(true, std::memory_order_seq_cst)) {
    std::this_thread::yield();
  }
  // Best effort: let a final -ERR reach the peer (not for slow consumers: they are not reading).
  bool send_pending = reason != CloseReason::kSlowConsumerPendingBytes &&
                      reason != CloseReason::kSlowConsumerWriteDeadline &&
                      reason != CloseReason::kWriteError;
  if (tls_ != nullptr) {
    FlushTlsForClose(send_pending);  // plus close_notify
  } else if (send_pending) {
    size_t written = 0;
    outbound_.WriteTo(fd_, &written);
  }
  closed_.store(true, std::memory_order_release);
  close_reason_ = reason;
  if (write_deadline_timer_ != 0) {
    loop_.CancelTimer(write_deadline_timer_);
    write_deadline_timer_ = 0;
  }
  if (stall_timer_ != 0) {
    loop_.CancelTimer(stall_timer_);
    stall_timer_ = 0;
  }
  stall_on_ = nullptr;
  ReleaseStallWaiters(/*force=*/true);  // nobody waits for a closed consumer
  if (registered_) {
    loop_.Unregister(fd_);
  }
  shutdown(fd_, SHUT_RDWR);
  close(fd_);
  outbound_.Close();
  OnClosed(reason);
}

void Connection::OnIoEvents(uint32_t events) {
  if (closed()) {
    return;
  }
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
    if (tls_ == nullptr) {
      ReadAll();
    } else {
      ReadAllTls();
    }
  }
  if (!closed() && (events & EPOLLOUT) && HasUnsentBytes()) {
    FlushNow();
  }
}

bool Connection::EnsureReadSpace(size_t needed) {
  if (needed <= read_cap_) {
    return true;
  }
  size_t cap = std::max(needed, read_cap_ * 2);
  std::unique_ptr<char[]> bigger(new char[cap]);
  std::memcpy(bigger.get(), read_buf_.get(), read_len_);
  read_buf_ = std::move(bigger);
  read_cap_ = cap;
  return true;
}

void Connection::ResizeEmptyReadBuffer(size_t cap) {
  LATTICE_DCHECK(read_len_ == 0);
  read_buf_.reset(new char[cap]);
  read_cap_ = cap;
}

bool Connection::ParseBuffered(size_t* bytes_needed) {
  for (;;) {
    *bytes_needed = 0;
    size_t consumed = OnRead(std::string_view(read_buf_.get(), read_len_), bytes_needed);
    if (closed()) {
      return false;
    }
    LATTICE_DCHECK(consumed <= read_len_);
    if (consumed > 0) {
      std::memmove(read_buf_.get(), read_buf_.get() + consumed, read_len_ - consumed);
      read_len_ -= consumed;
    }
    // Hand what this read produced to the subscribers now, like nats-server flushes after each
    // read: they work while we read on, instead of getting everything once the socket is dry.
    if (EventLoop::Current() == &loop_) {
      loop_.FlushRequested();
      if (closed()) {
        return false;
      }
    }
    if (stall_on_ == nullptr) {
      return !read_paused_;
    }
    // The parse stopped early because a delivery asked for a stall.
    BeginStallIfRequested();
    if (read_paused_ || consumed == 0 || read_len_ == 0) {
      return !read_paused_;
    }
    // The consumer drained meanwhile, so no stall: parse the rest now, since the socket may
    // hold nothing more that would bring us back here.
  }
}

void Connection::ResumeReading() {
  LATTICE_DCHECK(loop_.IsInLoopThread());
  if (!read_paused_ || closed()) {
    return;
  }
  read_paused_ = false;
  if (read_len_ > 0) {
    size_t bytes_needed = 0;
    if (!ParseBuffered(&bytes_needed)) {
      return;
    }
    EnsureReadSpace(bytes_needed);
  }
  // Edge-triggered: whatever arrived while paused raised no new event, so read it now.
  if (tls_ == nullptr) {
    ReadAll();
  } else {
    ReadAllTls();
  }
}

void Connection::ReadAll() {
  size_t total_read = 0;
  for (;;) {
    if (read_paused_) {
      return;
    }
    if (read_len_ == read_cap_) {
      EnsureReadSpace(read_cap_ * 2);
    }
    ssize_t n = read(fd_, read_buf_.get() + read_len_, read_cap_ - read_len_);
    if (n == 0) {
      Close(CloseReason::kClientClosed);
      return;
    }
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        break;
      }
      Close(CloseReason::kReadError);
      return;
    }
    // A read that fills the buffer means a busy sender: read in bigger gulps (up to 64 KiB)
    // so that more ops share one pass and one flush.
    bool filled = static_cast<size_t>(n) == read_cap_ - read_len_;
    total_read += static_cast<size_t>(n);
    read_len_ += static_cast<size_t>(n);
    size_t bytes_needed = 0;
    if (!ParseBuffered(&bytes_needed)) {
      return;
    }
    if (bytes_needed > read_cap_) {
      EnsureReadSpace(bytes_needed);
    } else if (filled && read_cap_ < kMaxIdleReadBuffer) {
      EnsureReadSpace(std::min(read_cap_ * 2, kMaxIdleReadBuffer));
    }
  }
  if (read_len_ != 0) {
    return;
  }
  if (read_cap_ > kMaxIdleReadBuffer) {
    // A big payload grew the buffer: give the memory back once it has been consumed.
    ResizeEmptyReadBuffer(kMaxIdleReadBuffer);
    quiet_reads_ = 0;
  } else if (read_cap_ > kInitialReadBuffer && total_read < read_cap_ / 4) {
    // Traffic slowed down: halve the buffer after a few small reads in a row.
    if (++quiet_reads_ >= kQuietReadsBeforeShrink) {
      ResizeEmptyReadBuffer(read_cap_ / 2);
      quiet_reads_ = 0;
    }
  } else {
    quiet_reads_ = 0;
  }
}

}  // namespace lattice::server
