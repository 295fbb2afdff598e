// e2e: 10,000 concurrent client connections to one server, each handshaken, counted in /varz,
// carrying messages and all closed again. Runs against nats-server and lattice-node.
#include <signal.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

#include "e2e/core/server_test.h"
#include "e2e/harness/eventually.h"
#include "e2e/harness/net.h"
#include "e2e/harness/raw_client.h"
#include "e2e/harness/status_matchers.h"
#include "e2e/scale/swarm.h"

namespace lattice::e2e {
namespace {

constexpr size_t kWantedConnections = 10000;
// Descriptors the test process needs besides the swarm (gtest, logs, HTTP, the extra client).
constexpr size_t kSpareFds = 64;
constexpr int kPublishers = 100;
constexpr std::chrono::milliseconds kLongWait{120000};

// The `connections` field of /varz, or -1 when it cannot be read.
int64_t VarzConnections(int http_port) {
  auto body = HttpGet(http_port, "/varz", std::chrono::milliseconds(10000));
  if (!body.ok()) {
    return -1;
  }
  const nlohmann::json varz = nlohmann::json::parse(*body, nullptr, /*allow_exceptions=*/false);
  if (!varz.is_object() || !varz.contains("connections") || !varz["connections"].is_number()) {
    return -1;
  }
  return varz["connections"].get<int64_t>();
}

// VmRSS of `pid` in bytes (0 when unreadable).
uint64_t RssBytes(pid_t pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      std::vector<std::string> parts = absl::StrSplit(line, ' ', absl::SkipEmpty());
      uint64_t kib = 0;
      if (parts.size() >= 2 && absl::SimpleAtoi(parts[1], &kib)) {
        return kib * 1024;
      }
    }
  }
  return 0;
}

class ManyConnectionsTest : public ServerTest {};

TEST_P(ManyConnectionsTest, TenThousandClientsHandshakeCarryMessagesAndCloseCleanly) {
  // The server inherits the raised limit; it needs one descriptor per client, as we do.
  ASSERT_OK_AND_ASSIGN(const size_t fd_limit, RaiseFileLimit());
  size_t count = kWantedConnections;
  if (fd_limit < kWantedConnections + kSpareFds) {
    count = fd_limit - kSpareFds;
    std::fprintf(stderr, "RLIMIT_NOFILE hard limit %zu: opening %zu connections instead of %zu\n",
                 fd_limit, count, kWantedConnections);
  }
  RecordProperty("connections", static_cast<int>(count));

  ServerConfig config;
  config.monitoring = true;
  // No server PINGs to idle clients while the swarm is open (the default is 2 minutes).
  config.config_text = "ping_interval: \"30m\"\n";
  START_SERVER_OR_FAIL(server, config);
  const uint64_t rss_before = RssBytes(server->pid());

  ConnectionSwarm::Options options;
  options.port = server->port();
  options.count = count;
  ASSERT_OK_AND_ASSIGN(auto swarm, ConnectionSwarm::Open(options));
  ASSERT_EQ(swarm->size(), count);

  // Every client got its PONG; the server counts all of them.
  EXPECT_TRUE(Eventually(
      [&] { return VarzConnections(server->http_port()) == static_cast<int64_t>(count); },
      kLongWait))
      << "varz connections: " << VarzConnections(server->http_port());
  const uint64_t rss_after = RssBytes(server->pid());
  if (rss_before > 0 && rss_after > rss_before) {
    const uint64_t per_conn = (rss_after - rss_before) / count;
    std::fprintf(stderr, "%s: RSS %llu -> %llu bytes, %llu per idle connection\n",
                 ServerKindName(kind()), static_cast<unsigned long long>(rss_before),
                 static_cast<unsigned long long>(rss_after),
                 static_cast<unsigned long long>(per_conn));
    RecordProperty("rss_per_idle_conn_bytes", static_cast<int>(per_conn));
  }

  // Messages flow among them: the first connection subscribes, 100 others spread over the
  // whole swarm publish one message each, each confirmed by its own PONG.
  const size_t subscriber = 0;
  ASSERT_OK(swarm->Send(subscriber, "SUB scale.> 1\r\nPING\r\n"));
  ASSERT_OK(swarm->ReadUntil(subscriber, "PONG\r\n").status());
  for (int k = 0; k < kPublishers; ++k) {
    const size_t pub = 1 + static_cast<size_t>(k) * (count - 1) / kPublishers;
    const std::string payload = absl::StrCat("m", k, "-from-", pub);
    ASSERT_OK(swarm->Send(
        pub, absl::StrCat("PUB scale.", k, " ", payload.size(), "\r\n", payload, "\r\nPING\r\n")));
    ASSERT_OK(swarm->ReadUntil(pub, "PONG\r\n").status()) << "publisher #" << pub;
  }
  std::set<std::string> received;
  while (received.size() < static_cast<size_t>(kPublishers)) {
    ASSERT_OK_AND_ASSIGN(std::string header, swarm->ReadUntil(subscriber, "\r\n"));
    ASSERT_EQ(header.rfind("MSG scale.", 0), 0u) << header;
    ASSERT_OK_AND_ASSIGN(std::string payload, swarm->ReadUntil(subscriber, "\r\n"));
    received.insert(payload.substr(0, payload.size() - 2));
  }
  EXPECT_EQ(received.size(), static_cast<size_t>(kPublishers));
  EXPECT_EQ(received.count(absl::StrCat("m0-from-1")), 1u);
  // A connection in the middle that has been idle all along still answers.
  ASSERT_OK(swarm->Send(count / 2, "PING\r\n"));
  EXPECT_OK(swarm->ReadUntil(count / 2, "PONG\r\n").status());

  // All close; the server notices every one and still serves new clients afterwards.
  swarm->CloseAll();
  EXPECT_TRUE(Eventually([&] { return VarzConnections(server->http_port()) == 0; }, kLongWait))
      << "varz connections after closing: " << VarzConnections(server->http_port());
  {
    ASSERT_OK_AND_ASSIGN(auto late, RawClient::ConnectAndHandshake(server->port()));
    EXPECT_OK(late->Sync().status());
  }
  ASSERT_OK_AND_ASSIGN(const int status, server->Stop(kLongWait));
  // Exited by itself on SIGTERM, no crash and no SIGKILL (nats-server's code is 1, not compared).
  EXPECT_TRUE(WIFEXITED(status)) << "wait status " << status;
}

LATTICE_E2E_INSTANTIATE(ManyConnectionsTest);

}  // namespace
}  // namespace lattice::e2e
