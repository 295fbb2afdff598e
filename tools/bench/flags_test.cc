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

TEST(FlagsTest, SidesDefaultToUrlAndSubject) {
  absl::StatusOr<BenchConfig> cfg = ParseArgs({"reqrep", "--url=nats://u:p@127.0.0.1:5000"});
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  for (const Endpoint* ep : {&cfg->server, &cfg->pub_server, &cfg->sub_server}) {
    EXPECT_EQ(ep->port, 5000);
    EXPECT_EQ(ep->user, "u");
    EXPECT_EQ(ep->pass, "p");
  }
  EXPECT_EQ(cfg->subject, "bench.subject");
  EXPECT_EQ(cfg->sub_subject, "bench.subject");
}

TEST(FlagsTest, CrossAccountSidesFromUrls) {
  absl::StatusOr<BenchConfig> cfg = ParseArgs(
      {"reqrep", "--url=127.0.0.1:5000", "--pub-url=nats://b:pb@127.0.0.1:5001", "--sub-url",
       "nats://a:pa@localhost:5002", "--subject=bench.req", "--sub-subject=bench.svc"});
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->server.user, "");
  EXPECT_EQ(cfg->pub_server.port, 5001);
  EXPECT_EQ(cfg->pub_server.user, "b");
  EXPECT_EQ(cfg->pub_server.pass, "pb");
  EXPECT_EQ(cfg->sub_server.host, "127.0.0.1");
  EXPECT_EQ(cfg->sub_server.port, 5002);
  EXPECT_EQ(cfg->sub_server.user, "a");
  EXPECT_EQ(cfg->sub_server.pass, "pa");
  EXPECT_EQ(cfg->subject, "bench.req");
  EXPECT_EQ(cfg->sub_subject, "bench.svc");
}

TEST(FlagsTest, PerSideCredentialsOverrideCommonOnes) {
  absl::StatusOr<BenchConfig> cfg =
      ParseArgs({"pubsub", "--url=127.0.0.1:6000", "--user=c", "--pass=pc", "--pub-user=a",
                 "--pub-pass=pa", "--sub-url=nats://127.0.0.1:6001"});
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->server.user, "c");
  EXPECT_EQ(cfg->pub_server.user, "a");
  EXPECT_EQ(cfg->pub_server.pass, "pa");
  EXPECT_EQ(cfg->pub_server.port, 6000);
  // The sub side has its own URL without credentials: it keeps --user/--pass.
  EXPECT_EQ(cfg->sub_server.port, 6001);
  EXPECT_EQ(cfg->sub_server.user, "c");
  EXPECT_EQ(cfg->sub_server.pass, "pc");
  // A user without password is allowed (token-less user auth with an empty password).
  absl::StatusOr<BenchConfig> no_pass = ParseArgs({"pub", "--sub-user=x"});
  ASSERT_TRUE(no_pass.ok()) << no_pass.status();
  EXPECT_EQ(no_pass->sub_server.user, "x");
  EXPECT_EQ(no_pass->sub_server.pass, "");
  EXPECT_EQ(no_pass->pub_server.user, "");
}

TEST(FlagsTest, RejectsBadSideFlags) {
  EXPECT_FALSE(ParseArgs({"pub", "--pass=p"}).ok());
  EXPECT_FALSE(ParseArgs({"pub", "--pub-pass=p"}).ok());
  EXPECT_FALSE(ParseArgs({"pub", "--sub-url=nats://@127.0.0.1:1"}).ok());
  EXPECT_FALSE(ParseArgs({"pub", "--pub-url=nats://127.0.0.1:0"}).ok());
  EXPECT_FALSE(ParseArgs({"pub", "--sub-subject="}).ok());
  EXPECT_FALSE(ParseArgs({"pub", "--subject="}).ok());
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
