// A growable FIFO of bytes with a contiguous readable view, reused across messages.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

namespace lattice::tls::internal {

// Bytes live in one buffer between begin_ and end_. The buffer only grows (to the high-water
// mark of what was pending at once), so steady traffic does not allocate; Shrink() gives a
// large idle buffer back. Owned by its TlsSession. Thread: single owner.
class ByteQueue {
 public:
  ByteQueue() = default;
  ByteQueue(const ByteQueue&) = delete;
  ByteQueue& operator=(const ByteQueue&) = delete;

  size_t size() const { return end_ - begin_; }
  bool empty() const { return end_ == begin_; }
  size_t capacity() const { return cap_; }
  std::string_view View() const { return std::string_view(data_.get() + begin_, size()); }

  void Append(const char* bytes, size_t n) {
    if (n == 0) {
      return;
    }
    char* dst = Reserve(n);
    std::memcpy(dst, bytes, n);
    end_ += n;
  }

  // Returns space for at least `n` more bytes after the pending ones; Commit says how many
  // of them were filled. Lets a caller read(2) straight into the queue.
  char* Reserve(size_t n) {
    if (begin_ == end_) {
      begin_ = end_ = 0;
    }
    if (cap_ - end_ >= n) {
      return data_.get() + end_;
    }
    size_t pending = size();
    if (begin_ > 0 && cap_ - pending >= n) {
      std::memmove(data_.get(), data_.get() + begin_, pending);
    } else {
      size_t cap = cap_ == 0 ? kInitialCapacity : cap_;
      while (cap - pending < n) {
        cap *= 2;
      }
      std::unique_ptr<char[]> bigger(new char[cap]);
      if (pending > 0) {
        std::memcpy(bigger.get(), data_.get() + begin_, pending);
      }
      data_ = std::move(bigger);
      cap_ = cap;
    }
    begin_ = 0;
    end_ = pending;
    return data_.get() + end_;
  }
  void Commit(size_t n) { end_ += n; }

  // Copies up to `n` bytes out and consumes them; returns how many.
  size_t Read(char* out, size_t n) {
    size_t take = n < size() ? n : size();
    if (take > 0) {
      std::memcpy(out, data_.get() + begin_, take);
      Consume(take);
    }
    return take;
  }
  void Consume(size_t n) {
    begin_ += n < size() ? n : size();
    if (begin_ == end_) {
      begin_ = end_ = 0;
    }
  }

  // Frees the buffer when it is empty and bigger than `keep` bytes.
  void Shrink(size_t keep) {
    if (empty() && cap_ > keep) {
      data_.reset();
      cap_ = 0;
      begin_ = end_ = 0;
    }
  }

 private:
  static constexpr size_t kInitialCapacity = 16 * 1024;

  std::unique_ptr<char[]> data_;
  size_t cap_ = 0;
  size_t begin_ = 0;
  size_t end_ = 0;
};

}  // namespace lattice::tls::internal
