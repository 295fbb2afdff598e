// Cross-loop delivery under concurrency (meant for --config=tsan): publishers and subscribers
// spread over four worker loops, with subscription churn and a subscriber that disconnects
// mid-stream. Stable subscribers must get every message, in per-publisher order.
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

#include "dataplane/server/server.h"
#include "dataplane/server/test_client.h"

namespace lattice::server {
namespace {

using testing::RawClient;
using testing::StartServer;
using testing::TestOptions;

constexpr int kPublishers = 4;
constexpr int kMessagesEach = 500;
constexpr int kSubscribers = 4;

TEST(ServerStressTest, CrossLoopDeliveryIsCompleteAndOrderedUnderChurn) {
  options::Options opts = TestOptions();
  opts.worker_threads = 4;
  auto server = StartServer(opts);

  std::vector<std::unique_ptr<RawClient>> subs;
  for (int i = 0; i < kSubscribers; ++i) {
    subs.push_back(std::make_unique<RawClient>(server->port()));
    subs.back()->Handshake();
    subs.back()->Send("SUB load.* 1\r\n");
    subs.back()->Sync();
  }
  auto leaver = std::make_unique<RawClient>(server->port());
  leaver->Handshake();
  leaver->Send("SUB load.* 1\r\n");
  leaver->Sync();

  std::atomic<bool> stop_churn{false};
  std::thread churn([&] {
    RawClient c(server->port());
    c.Handshake();
    for (int i = 0; !stop_churn.load(); ++i) {
      std::string sid = std::to_string(i);
      c.Send("SUB load.* " + sid + "\r\nSUB load.> q" + sid + "\r\nUNSUB " + sid + "\r\nUNSUB q" +
             sid + " 1\r\n");
      if (i % 16 == 0) {
        c.Sync();
      }
    }
  });

  std::vector<std::thread> publishers;
  for (int p = 0; p < kPublishers; ++p) {
    publishers.emplace_back([&, p] {
      RawClient c(server->port());
      c.Handshake();
      for (int i = 0; i < kMessagesEach; ++i) {
        std::string body = std::to_string(i);
        c.Send("PUB load." + std::to_string(p) + " " + std::to_string(body.size()) + "\r\n" + body +
               "\r\n");
        if (i == kMessagesEach / 2 && p == 0) {
          leaver.reset();  // a subscriber vanishes while messages are in flight
        }
      }
      c.Sync();
    });
  }
  for (auto& t : publishers) {
    t.join();
  }
  stop_churn = true;
  churn.join();

  for (auto& sub : subs) {
    std::string got = sub->Sync();
    std::vector<int> next(kPublishers, 0);
    int total = 0;
    // Frames: "MSG load.<p> 1 <n>\r\n<i>\r\n"
    std::vector<absl::string_view> lines = absl::StrSplit(got, "\r\n", absl::SkipEmpty());
    for (size_t i = 0; i + 1 < lines.size(); i += 2) {
      ASSERT_TRUE(absl::StartsWith(lines[i], "MSG load.")) << lines[i];
      int publisher = lines[i][9] - '0';
      int value = -1;
      ASSERT_TRUE(absl::SimpleAtoi(lines[i + 1], &value));
      ASSERT_EQ(value, next[publisher]) << "publisher " << publisher << " out of order";
      ++next[publisher];
      ++total;
    }
    EXPECT_EQ(total, kPublishers * kMessagesEach);
  }
  EXPECT_EQ(server->Stats().in_msgs, static_cast<uint64_t>(kPublishers * kMessagesEach));
}

}  // namespace
}  // namespace lattice::server
