// Bounded outbound byte queue of a connection: any loop appends frames, the owning loop
// writes them to the socket with writev, and no lock is held during the system call.
#pragma once

#include <sys/uio.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <initializer_list>
#include <memory>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"

#include "common/base/mutex.h"

namespace lattice::server {

// kOkOverHalf: appended, and more than half of max_pending is now waiting (the point where
// nats-server starts stalling fast producers).
enum class AppendResult : uint8_t { kOk, kOkOverHalf, kOverLimit };
enum class FlushResult : uint8_t { kDrained, kWouldBlock, kError };

// Bytes are kept in chunks recycled through a free list, so steady traffic does not allocate.
// A quiet connection (nothing pending) gets a small chunk, so an idle client costs about a
// kilobyte here instead of a 32 KiB chunk; busy ones use kChunkSize chunks. Appends go to the
// `pending` side under a mutex; the writer moves whole chunks to its private `writing` side
// under the same mutex and then calls writev without it.
// Owned by its Connection. Thread: Append/pending_bytes from any thread; WriteTo, Clear and
// has_unwritten from the owning loop only.
class OutboundBuffer {
 public:
  static constexpr size_t kChunkSize = 32 * 1024;
  static constexpr size_t kSmallChunkSize = 1024;

  explicit OutboundBuffer(int64_t max_pending) : max_pending_(max_pending) {}
  OutboundBuffer(const OutboundBuffer&) = delete;
  OutboundBuffer& operator=(const OutboundBuffer&) = delete;

  // Appends the pieces as one frame (all or nothing). kOverLimit when the total pending bytes
  // would exceed max_pending: nothing is appended and the connection is a slow consumer.
  AppendResult Append(std::initializer_list<std::string_view> pieces);
  AppendResult Append(std::string_view bytes) { return Append({bytes}); }

  // Writes as much as the socket takes.
  FlushResult WriteTo(int fd, size_t* written);

  // For TLS: hands the oldest pending frames (at most kMaxIov chunks) to `consume` as iovecs,
  // which must copy them (encrypt), then releases them. Returns the bytes handed over; 0 when
  // nothing is pending. Owning loop.
  size_t DrainTo(absl::FunctionRef<void(const iovec* iov, size_t count)> consume);

  // Bytes appended but not yet written (both sides). Thread: any.
  int64_t pending_bytes() const { return pending_bytes_.load(std::memory_order_relaxed); }
  int64_t max_pending() const { return max_pending_.load(std::memory_order_relaxed); }
  void set_max_pending(int64_t max_pending) {
    max_pending_.store(max_pending, std::memory_order_relaxed);
  }
  // Drops everything (the connection is closing); later Appends are ignored. Owning loop.
  void Close();

 private:
  struct Chunk {
    std::unique_ptr<char[]> data;
    size_t cap = 0;
    size_t begin = 0;  // first unwritten byte
    size_t end = 0;    // one past the last appended byte
  };
  // Moves every pending chunk to the writer side and recycles written ones (under mu_).
  void TakePending();
  // A recycled or new chunk; small only when `small_ok` (a trickle of traffic).
  Chunk TakeFreeChunk(bool small_ok) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  std::atomic<int64_t> max_pending_;
  std::atomic<int64_t> pending_bytes_{0};

  Mutex mu_;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  std::deque<Chunk> pending_ ABSL_GUARDED_BY(mu_);
  std::vector<Chunk> free_ ABSL_GUARDED_BY(mu_);

  // Writer-private (owning loop).
  std::deque<Chunk> writing_;
  std::vector<Chunk> written_;  // emptied chunks waiting to go back to free_
  std::vector<iovec> iov_;
};

}  // namespace lattice::server
