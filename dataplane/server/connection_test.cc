// Connection: in-place consumption of the read buffer, growth for big frames, batched output.
#include "dataplane/server/connection.h"

#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "gtest/gtest.h"

namespace lattice::server {
namespace {

// A line protocol: "<n>\n" announces an n-byte frame; each frame is echoed back upper-cased.
class FrameEcho : public Connection {
 public:
  using Connection::Connection;
  std::string frames;
  bool closed_hook = false;
  size_t max_view = 0;

 protected:
  size_t OnRead(std::string_view data, size_t* bytes_needed) override {
    max_view = std::max(max_view, data.size());
    size_t consumed = 0;
    for (;;) {
      std::string_view rest = data.substr(consumed);
      size_t nl = rest.find('\n');
      if (nl == std::string_view::npos) {
        return consumed;
      }
      if (rest.substr(0, nl) == "quit") {
        Send("bye\n");
        Close(CloseReason::kClientClosed);
        return consumed + nl + 1;
      }
      size_t n = std::stoul(std::string(rest.substr(0, nl)));
      if (rest.size() < nl + 1 + n) {
        *bytes_needed = nl + 1 + n;
        return consumed;
      }
      std::string frame(rest.substr(nl + 1, n));
      frames += frame;
      for (char& c : frame) {
        c = static_cast<char>(toupper(c));
      }
      Send({frame, "|"});
      consumed += nl + 1 + n;
    }
  }
  void OnClosed(CloseReason reason) override { closed_hook = true; }
};

class ConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds_), 0);
    conn_ = std::make_shared<FrameEcho>(loop_, fds_[0], Connection::Limits{});
    conn_->Start();
  }
  void TearDown() override { close(fds_[1]); }
  void Write(const std::string& bytes) {
    ASSERT_EQ(write(fds_[1], bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  }
  std::string ReadPeer() {
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = read(fds_[1], buf, sizeof(buf))) > 0) {
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }

  FakeClock clock_;
  EventLoop loop_{clock_};
  int fds_[2];
  std::shared_ptr<FrameEcho> conn_;
};

TEST_F(ConnectionTest, SplitFramesAreReassembled) {
  Write("5\nhel");
  loop_.RunOnce(0);
  EXPECT_EQ(conn_->frames, "");
  Write("lo3\nabc");
  loop_.RunOnce(0);
  EXPECT_EQ(conn_->frames, "helloabc");
  EXPECT_EQ(ReadPeer(), "HELLO|ABC|");
}

TEST_F(ConnectionTest, BufferGrowsForLargeFrame) {
  std::string big(200 * 1024, 'q');
  std::string msg = std::to_string(big.size()) + "\n" + big;
  // Write in pieces: the socketpair buffer is smaller than the frame.
  size_t off = 0;
  while (off < msg.size()) {
    ssize_t n = write(fds_[1], msg.data() + off, msg.size() - off);
    if (n > 0) {
      off += static_cast<size_t>(n);
    }
    loop_.RunOnce(0);
    ReadPeer();
  }
  loop_.RunOnce(0);
  EXPECT_EQ(conn_->frames.size(), big.size());
  EXPECT_GE(conn_->max_view, msg.size());
}

TEST_F(ConnectionTest, FinalFrameIsFlushedBeforeClose) {
  Write("2\nok");
  Write("quit\n");
  loop_.RunOnce(0);
  EXPECT_TRUE(conn_->closed());
  EXPECT_TRUE(conn_->closed_hook);
  EXPECT_EQ(ReadPeer(), "OK|bye\n");
}

TEST_F(ConnectionTest, PeerCloseClosesConnection) {
  shutdown(fds_[1], SHUT_WR);
  loop_.RunOnce(0);
  EXPECT_TRUE(conn_->closed());
  EXPECT_EQ(conn_->close_reason(), CloseReason::kClientClosed);
}

TEST(ConnectionLimitTest, OverMaxPendingIsSlowConsumer) {
  FakeClock clock;
  EventLoop loop(clock);
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
  auto conn = std::make_shared<FrameEcho>(loop, fds[0], Connection::Limits{1000, {}});
  conn->Start();
  std::string chunk(400, 'x');
  bool ok = true;
  // The peer never reads: once the socket is full, the buffer fills up to the limit.
  for (int i = 0; i < 10000 && ok; ++i) {
    ok = conn->Send(chunk);
    loop.RunOnce(0);
  }
  EXPECT_FALSE(ok);
  loop.RunOnce(0);
  EXPECT_TRUE(conn->closed());
  EXPECT_EQ(conn->close_reason(), CloseReason::kSlowConsumerPendingBytes);
  close(fds[1]);
}

TEST(ConnectionLimitTest, WriteDeadlineClosesStalledConnection) {
  FakeClock clock;
  EventLoop loop(clock);
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
  auto conn =
      std::make_shared<FrameEcho>(loop, fds[0], Connection::Limits{0, std::chrono::seconds(1)});
  conn->Start();
  std::string chunk(64 * 1024, 'x');
  for (int i = 0; i < 64; ++i) {
    conn->Send(chunk);
  }
  loop.RunOnce(0);
  ASSERT_GT(conn->pending_bytes(), 0);
  EXPECT_FALSE(conn->closed());
  clock.Advance(std::chrono::milliseconds(1001));
  loop.RunOnce(0);
  EXPECT_TRUE(conn->closed());
  EXPECT_EQ(conn->close_reason(), CloseReason::kSlowConsumerWriteDeadline);
  close(fds[1]);
}

}  // namespace
}  // namespace lattice::server
