// OutboundBuffer: framing across chunks, the max_pending bound, partial writes.
#include "dataplane/server/outbound_buffer.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace lattice::server {
namespace {

class SocketPair {
 public:
  SocketPair() { EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds_), 0); }
  ~SocketPair() {
    close(fds_[0]);
    close(fds_[1]);
  }
  int writer() const { return fds_[0]; }
  std::string ReadAvailable() {
    std::string out;
    char buf[65536];
    for (;;) {
      ssize_t n = read(fds_[1], buf, sizeof(buf));
      if (n <= 0) {
        break;
      }
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }

 private:
  int fds_[2];
};

TEST(OutboundBufferTest, FramesAreWrittenInOrder) {
  OutboundBuffer buffer(0);
  SocketPair pair;
  EXPECT_EQ(buffer.Append({"MSG a 1 ", "2", "\r\n"}), AppendResult::kOk);
  EXPECT_EQ(buffer.Append("hi\r\n"), AppendResult::kOk);
  EXPECT_EQ(buffer.pending_bytes(), 15);
  size_t written = 0;
  EXPECT_EQ(buffer.WriteTo(pair.writer(), &written), FlushResult::kDrained);
  EXPECT_EQ(written, 15u);
  EXPECT_EQ(buffer.pending_bytes(), 0);
  EXPECT_EQ(pair.ReadAvailable(), "MSG a 1 2\r\nhi\r\n");
}

TEST(OutboundBufferTest, LargeFrameSpansChunks) {
  OutboundBuffer buffer(0);
  SocketPair pair;
  std::string big(OutboundBuffer::kChunkSize * 2 + 123, 'x');
  for (size_t i = 0; i < big.size(); ++i) {
    big[i] = static_cast<char>('a' + i % 26);
  }
  ASSERT_EQ(buffer.Append({"<", big, ">"}), AppendResult::kOk);
  std::string received;
  while (buffer.pending_bytes() > 0) {
    size_t written = 0;
    FlushResult r = buffer.WriteTo(pair.writer(), &written);
    ASSERT_NE(r, FlushResult::kError);
    received += pair.ReadAvailable();
  }
  received += pair.ReadAvailable();
  EXPECT_EQ(received, "<" + big + ">");
}

TEST(OutboundBufferTest, RefusesFramesOverMaxPending) {
  OutboundBuffer buffer(10);
  EXPECT_EQ(buffer.Append("12345"), AppendResult::kOk);
  EXPECT_EQ(buffer.Append("123456"), AppendResult::kOverLimit);  // all or nothing
  EXPECT_EQ(buffer.pending_bytes(), 5);
  EXPECT_EQ(buffer.Append("12345"), AppendResult::kOkOverHalf);
  EXPECT_EQ(buffer.pending_bytes(), 10);
}

TEST(OutboundBufferTest, ReportsWhenMoreThanHalfIsPending) {
  OutboundBuffer buffer(100);
  EXPECT_EQ(buffer.Append(std::string(50, 'a')), AppendResult::kOk);  // exactly half
  EXPECT_EQ(buffer.Append("b"), AppendResult::kOkOverHalf);
  EXPECT_EQ(buffer.max_pending(), 100);
}

TEST(OutboundBufferTest, WouldBlockKeepsUnwrittenBytes) {
  OutboundBuffer buffer(0);
  SocketPair pair;
  int size = 4096;
  setsockopt(pair.writer(), SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
  std::string frame(1000, 'z');
  size_t total = 0;
  for (int i = 0; i < 2000; ++i) {
    ASSERT_EQ(buffer.Append(frame), AppendResult::kOk);
    total += frame.size();
  }
  size_t written = 0;
  EXPECT_EQ(buffer.WriteTo(pair.writer(), &written), FlushResult::kWouldBlock);
  EXPECT_LT(written, total);
  EXPECT_EQ(buffer.pending_bytes(), static_cast<int64_t>(total - written));
  std::string received = pair.ReadAvailable();
  while (buffer.pending_bytes() > 0) {
    ASSERT_NE(buffer.WriteTo(pair.writer(), &written), FlushResult::kError);
    received += pair.ReadAvailable();
  }
  EXPECT_EQ(received.size(), total);
  EXPECT_EQ(received, std::string(total, 'z'));
}

TEST(OutboundBufferTest, ClosedBufferDropsAppends) {
  OutboundBuffer buffer(0);
  buffer.Append("abc");
  buffer.Close();
  EXPECT_EQ(buffer.pending_bytes(), 0);
  EXPECT_EQ(buffer.Append("def"), AppendResult::kOk);
  EXPECT_EQ(buffer.pending_bytes(), 0);
}

TEST(OutboundBufferTest, ConcurrentAppendersKeepFramesWhole) {
  OutboundBuffer buffer(0);
  SocketPair pair;
  constexpr int kThreads = 4;
  constexpr int kFrames = 2000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&buffer, t] {
      std::string frame = "[" + std::string(50, static_cast<char>('A' + t)) + "]";
      for (int i = 0; i < kFrames; ++i) {
        buffer.Append({frame.substr(0, 10), frame.substr(10)});
      }
    });
  }
  std::string received;
  size_t expected = kThreads * kFrames * 52u;
  while (received.size() < expected) {
    size_t written = 0;
    ASSERT_NE(buffer.WriteTo(pair.writer(), &written), FlushResult::kError);
    received += pair.ReadAvailable();
  }
  for (auto& t : threads) {
    t.join();
  }
  ASSERT_EQ(received.size(), expected);
  for (size_t pos = 0; pos < received.size(); pos += 52) {
    ASSERT_EQ(received[pos], '[');
    char c = received[pos + 1];
    EXPECT_EQ(received.substr(pos + 1, 50), std::string(50, c));
    ASSERT_EQ(received[pos + 51], ']');
  }
}

TEST(OutboundBufferTest, DrainToHandsOverFramesInOrderAndReleasesThem) {
  OutboundBuffer buffer(0);
  EXPECT_EQ(buffer.DrainTo([](const iovec*, size_t) { FAIL() << "nothing pending"; }), 0u);
  // Enough bytes for more than 64 chunks, so draining takes several calls.
  std::string expected;
  for (int i = 0; i < 3000; ++i) {
    std::string frame = "MSG s 1 " + std::to_string(i) + "\r\n" + std::string(1000, 'a' + i % 26);
    expected += frame;
    ASSERT_EQ(buffer.Append(frame), AppendResult::kOk);
  }
  std::string got;
  int calls = 0;
  while (size_t n = buffer.DrainTo([&](const iovec* iov, size_t count) {
    EXPECT_LE(count, 64u);
    for (size_t i = 0; i < count; ++i) {
      got.append(static_cast<const char*>(iov[i].iov_base), iov[i].iov_len);
    }
  })) {
    EXPECT_GT(n, 0u);
    ++calls;
  }
  EXPECT_GT(calls, 1);
  EXPECT_EQ(got, expected);
  EXPECT_EQ(buffer.pending_bytes(), 0);
  // Released chunks are reused: appending and draining again still works.
  ASSERT_EQ(buffer.Append("PING\r\n"), AppendResult::kOk);
  std::string again;
  buffer.DrainTo([&](const iovec* iov, size_t count) {
    for (size_t i = 0; i < count; ++i) {
      again.append(static_cast<const char*>(iov[i].iov_base), iov[i].iov_len);
    }
  });
  EXPECT_EQ(again, "PING\r\n");
}

}  // namespace
}  // namespace lattice::server
