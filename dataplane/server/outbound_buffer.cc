// OutboundBuffer: chunked append under a mutex, lock-free writev on the owning loop.
#include "dataplane/server/outbound_buffer.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

namespace lattice::server {

namespace {
constexpr size_t kMaxFreeChunks = 8;
constexpr size_t kMaxIov = 64;
}  // namespace

OutboundBuffer::Chunk OutboundBuffer::TakeFreeChunk(bool small_ok) {
  while (!free_.empty()) {
    Chunk chunk = std::move(free_.back());
    free_.pop_back();
    if (chunk.cap < kChunkSize && !small_ok) {
      continue;  // traffic picked up: small chunks would only mean more iovecs
    }
    chunk.begin = chunk.end = 0;
    return chunk;
  }
  Chunk chunk;
  chunk.cap = small_ok ? kSmallChunkSize : kChunkSize;
  chunk.data.reset(new char[chunk.cap]);
  return chunk;
}

AppendResult OutboundBuffer::Append(std::initializer_list<std::string_view> pieces) {
  size_t total = 0;
  for (std::string_view piece : pieces) {
    total += piece.size();
  }
  MutexLock lock(&mu_);
  if (closed_) {
    return AppendResult::kOk;  // dropped silently: the connection is going away
  }
  int64_t limit = max_pending_.load(std::memory_order_relaxed);
  int64_t now_pending = pending_bytes_.load(std::memory_order_relaxed);
  if (limit > 0 && now_pending + static_cast<int64_t>(total) > limit) {
    return AppendResult::kOverLimit;
  }
  bool small_ok =
      now_pending + static_cast<int64_t>(total) <= static_cast<int64_t>(kSmallChunkSize);
  for (std::string_view piece : pieces) {
    while (!piece.empty()) {
      if (pending_.empty() || pending_.back().end == pending_.back().cap) {
        pending_.push_back(TakeFreeChunk(small_ok));
      }
      Chunk& tail = pending_.back();
      size_t n = std::min(piece.size(), tail.cap - tail.end);
      std::memcpy(tail.data.get() + tail.end, piece.data(), n);
      tail.end += n;
      piece.remove_prefix(n);
    }
  }
  pending_bytes_.fetch_add(static_cast<int64_t>(total), std::memory_order_relaxed);
  if (limit > 0 && now_pending + static_cast<int64_t>(total) > limit / 2) {
    return AppendResult::kOkOverHalf;
  }
  return AppendResult::kOk;
}

void OutboundBuffer::TakePending() {
  MutexLock lock(&mu_);
  // Return emptied chunks for reuse, keeping the free list small.
  for (Chunk& chunk : written_) {
    if (free_.size() < kMaxFreeChunks) {
      free_.push_back(std::move(chunk));
    }
  }
  written_.clear();
  // Take every chunk, including a partly filled tail: appenders then start a new chunk.
  while (!pending_.empty()) {
    writing_.push_back(std::move(pending_.front()));
    pending_.pop_front();
  }
}

size_t OutboundBuffer::DrainTo(absl::FunctionRef<void(const iovec* iov, size_t count)> consume) {
  TakePending();
  if (writing_.empty()) {
    return 0;
  }
  iov_.clear();
  size_t total = 0;
  for (size_t i = 0; i < writing_.size() && i < kMaxIov; ++i) {
    Chunk& chunk = writing_[i];
    iov_.push_back(iovec{chunk.data.get() + chunk.begin, chunk.end - chunk.begin});
    total += chunk.end - chunk.begin;
  }
  consume(iov_.data(), iov_.size());
  for (size_t i = 0; i < iov_.size(); ++i) {
    written_.push_back(std::move(writing_.front()));
    writing_.pop_front();
  }
  pending_bytes_.fetch_sub(static_cast<int64_t>(total), std::memory_order_relaxed);
  return total;
}

FlushResult OutboundBuffer::WriteTo(int fd, size_t* written) {
  *written = 0;
  TakePending();
  while (!writing_.empty()) {
    iov_.clear();
    for (size_t i = 0; i < writing_.size() && i < kMaxIov; ++i) {
      Chunk& chunk = writing_[i];
      iov_.push_back(iovec{chunk.data.get() + chunk.begin, chunk.end - chunk.begin});
    }
    // sendmsg = writev plus MSG_NOSIGNAL: a peer that reset the connection must not SIGPIPE
    // the whole process (embedding programs and tests do not ignore the signal).
    msghdr msg{};
    msg.msg_iov = iov_.data();
    msg.msg_iovlen = iov_.size();
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
    size_t left = static_cast<size_t>(n);
    *written += left;
    pending_bytes_.fetch_sub(n, std::memory_order_relaxed);
    while (left > 0) {
      Chunk& front = writing_.front();
      size_t in_chunk = front.end - front.begin;
      if (left < in_chunk) {
        front.begin += left;
        left = 0;
        break;
      }
      left -= in_chunk;
      written_.push_back(std::move(front));
      writing_.pop_front();
    }
  }
  return FlushResult::kDrained;
}

void OutboundBuffer::Close() {
  MutexLock lock(&mu_);
  closed_ = true;
  pending_.clear();
  free_.clear();
  writing_.clear();
  written_.clear();
  pending_bytes_.store(0, std::memory_order_relaxed);
}

}  // namespace lattice::server
