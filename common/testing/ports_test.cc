// Tests for FreePort, CanConnect and WaitForTcp against real loopback sockets.
#include "common/testing/ports.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gtest/gtest.h"

namespace lattice::testutil {
namespace {

// Listens on 127.0.0.1:`port`; returns the fd or -1.
int Listen(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(fd, 4) != 0) {
    if (fd >= 0)
      close(fd);
    return -1;
  }
  return fd;
}

TEST(PortsTest, FreePortCanBeBoundAndAccepts) {
  absl::StatusOr<int> port = FreePort();
  ASSERT_TRUE(port.ok()) << port.status();
  EXPECT_GT(*port, 0);
  EXPECT_LT(*port, 65536);
  const int fd = Listen(*port);
  ASSERT_GE(fd, 0);
  EXPECT_TRUE(CanConnect(*port, std::chrono::seconds(5)));
  EXPECT_TRUE(WaitForTcp(*port, std::chrono::seconds(5)));
  absl::StatusOr<int> client = ConnectTcp(*port, std::chrono::seconds(5));
  ASSERT_TRUE(client.ok()) << client.status();
  // The returned fd is blocking: a read with nothing sent would block, so check the flag.
  EXPECT_EQ(fcntl(*client, F_GETFL) & O_NONBLOCK, 0);
  close(*client);
  close(fd);
}

TEST(PortsTest, ClosedPortIsRefused) {
  const int port = FreePortOrDie();
  EXPECT_FALSE(CanConnect(port, std::chrono::seconds(5)));
  EXPECT_FALSE(WaitForTcp(port, std::chrono::milliseconds(0)));
  EXPECT_EQ(ConnectTcp(port, std::chrono::seconds(5)).status().code(),
            absl::StatusCode::kUnavailable);
}

TEST(PortsTest, FreePortsDifferWhileOneIsHeld) {
  const int first = FreePortOrDie();
  const int fd = Listen(first);
  ASSERT_GE(fd, 0);
  EXPECT_NE(FreePortOrDie(), first);
  close(fd);
}

}  // namespace
}  // namespace lattice::testutil
