// Tests for lattice-bench's command-line parsing and result medians.
#include "tools/bench/flags.h"

#include <cmath>

#include "gtest/gtest.h"

#include "tools/bench/report.h"

namespace lattice::bench {
namespace {

TEST(FlagsTest, ParsesScenarioAndFlags) {
  absl::StatusOr<BenchConfig> cfg =
      ParseArgs({"pubsub", "--url=nats://127.0.0.1:14222", "--msgs", "2m", "--size=1k", "--subs=4",
                 "--duration=1.5s", "--json", "--quiet", "--server-pid=42"});
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->scenario, "pubsub");
  EXPECT_EQ(cfg->server.host, "127.0.0.1");
  EXPECT_EQ(cfg->server.port, 14222);
  EXPECT_EQ(cfg->msgs, 2'000'000u);
  EXPECT_EQ(cfg->size, 1024u);
  EXPECT_EQ(cfg->subs, 4);
  EXPECT_DOUBLE_EQ(cfg->duration_s, 1.5);
  EXPECT_TRUE(cfg->json);
  EXPECT_FALSE(cfg->progress);
  EXPECT_EQ(cfg->server_pid, 42);
}

TEST(FlagsTest, RejectsBadInput) {
  EXPECT_FALSE(ParseArgs({}).ok());
  EXPECT_FALSE(ParseArgs({"fly"}).ok());
  EXPECT_FALSE(ParseArgs({"pub", "--msgs=lots"}).ok());
  EXPECT_FALSE(ParseArgs({"pub", "--nope=1"}).ok());
  EXPECT_FALSE(ParseArgs({"pub", "--msgs"}).ok());
  EXPECT_FALSE(ParseArgs({"pub", "--url=nats://h:99999"}).ok());
  EXPECT_FALSE(ParseArgs({"pub", "--pubs=0"}).ok());
  EXPECT_FALSE(ParseArgs({"pub", "--duration=-1"}).ok());
  EXPECT_FALSE(ParseArgs({"pub", "positional"}).ok());
}

TEST(ReportTest, MedianOfRounds) {
  EXPECT_EQ(MedianOf({3, 1, 2}), 2);
  EXPECT_EQ(MedianOf({4, 1, 2, 3}), 2.5);
  EXPECT_EQ(MedianOf({std::nan(""), 5}), 5);
  EXPECT_TRUE(std::isnan(MedianOf({})));
  BenchConfig cfg;
  Report report(cfg);
  for (double v : {10.0, 30.0, 20.0}) {
    RoundResult r;
    r.Add("rate", v);
    report.AddRound(r);
  }
  EXPECT_EQ(report.Median().Get("rate"), 20);
  EXPECT_NE(report.Json().find("\"median\""), std::string::npos);
  EXPECT_NE(report.Table().find("rate"), std::string::npos);
}

}  // namespace
}  // namespace lattice::bench
