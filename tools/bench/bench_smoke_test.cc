// End-to-end smoke test: runs the lattice-bench binary briefly against a real nats-server that
// the test starts on a free loopback port, and checks that the reported counts add up.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

#include "common/testing/child_process.h"
#include "common/testing/eventually.h"
#include "common/testing/ports.h"
#include "tools/bench/conn.h"

namespace lattice::bench {
namespace {

constexpr char kNatsServer[] = "/usr/sbin/nats-server";
constexpr char kBench[] = "tools/bench/lattice-bench";  // runfiles-relative

std::string LogPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + name + ".log";
}

// A nats-server child process, stopped by PID when the fixture ends.
class BenchSmokeTest : public ::testing::Test {
 protected:
  // Config file text for the server; empty = no config file.
  virtual std::string Config() const { return ""; }

  void SetUp() override {
    if (::access(kNatsServer, X_OK) != 0) {
      GTEST_SKIP() << "nats-server is not installed";
    }
    port_ = testutil::FreePortOrDie();
    ASSERT_GT(port_, 0);
    std::vector<std::string> argv = {kNatsServer, "-a", "127.0.0.1", "-p", std::to_string(port_)};
    if (!Config().empty()) {
      std::string path = LogPath("accounts") + ".conf";
      std::ofstream(path) << Config();
      argv.push_back("-c");
      argv.push_back(path);
    }
    absl::StatusOr<testutil::ChildProcess> server =
        testutil::ChildProcess::Spawn(argv, LogPath("nats-server"));
    ASSERT_TRUE(server.ok()) << server.status();
    server_.emplace(*std::move(server));
    // Eventually-ready: poll with a deadline until a full handshake succeeds.
    Endpoint ep{"127.0.0.1", static_cast<uint16_t>(port_), "a", "pa"};
    absl::Status st;
    ASSERT_TRUE(testutil::Eventually(
        [&] {
          Conn probe;
          st = probe.Open(ep, ConnectOptions{}, absl::Milliseconds(200));
          return st.ok();
        },
        std::chrono::seconds(20)))
        << st << "\n"
        << server_->Log();
    ASSERT_TRUE(st.ok()) << st;
  }

  void TearDown() override {
    if (server_.has_value())
      server_->Terminate(std::chrono::seconds(30));
  }

  // Runs lattice-bench with `args` plus --json/--quiet and this server; returns the parsed
  // report (null on failure).
  nlohmann::json RunBench(const std::string& args) {
    std::string cmd = std::string(kBench) + " " + args +
                      " --json --quiet --url=127.0.0.1:" + std::to_string(port_) +
                      " --server-pid=" + std::to_string(server_->pid());
    FILE* pipe = ::popen(cmd.c_str(), "r");
    if (pipe == nullptr) {
      return nullptr;
    }
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), pipe)) > 0) {
      out.append(buf, n);
    }
    int rc = ::pclose(pipe);
    EXPECT_EQ(rc, 0) << cmd << "\n" << out;
    return nlohmann::json::parse(out, nullptr, /*allow_exceptions=*/false);
  }

  int port_ = 0;
  std::optional<testutil::ChildProcess> server_;
};

TEST_F(BenchSmokeTest, FanOutDeliversEveryMessageToEverySubscriber) {
  nlohmann::json r = RunBench("pubsub --msgs=20000 --size=16 --pubs=2 --subs=3 --duration=10");
  ASSERT_TRUE(r.is_object());
  const nlohmann::json& m = r["rounds"][0];
  EXPECT_EQ(m["published"].get<double>(), 20000);
  EXPECT_EQ(m["delivered"].get<double>(), 60000);
  EXPECT_EQ(m["lost"].get<double>(), 0);
  EXPECT_EQ(m["duplicates"].get<double>(), 0);
  EXPECT_GT(m["recv_msgs_per_s"].get<double>(), 0);
  EXPECT_TRUE(m["server_cpu_s"].is_number());
}

TEST_F(BenchSmokeTest, QueueGroupDeliversEachMessageOnce) {
  nlohmann::json r = RunBench("queue --msgs=20000 --size=32 --subs=4 --rounds=2 --duration=10");
  ASSERT_TRUE(r.is_object());
  ASSERT_EQ(r["rounds"].size(), 2u);
  for (const nlohmann::json& m : r["rounds"]) {
    EXPECT_EQ(m["published"].get<double>(), 20000);
    EXPECT_EQ(m["delivered"].get<double>(), 20000);
    EXPECT_EQ(m["lost"].get<double>(), 0);
    EXPECT_EQ(m["duplicates"].get<double>(), 0);
  }
}

TEST_F(BenchSmokeTest, RequestReplyAnswersEveryRequest) {
  nlohmann::json r = RunBench("reqrep --msgs=2000 --concurrency=4 --subs=2 --duration=10");
  ASSERT_TRUE(r.is_object());
  const nlohmann::json& m = r["median"];
  EXPECT_EQ(m["requests"].get<double>(), 2000);
  EXPECT_EQ(m["replies"].get<double>(), 2000);
  EXPECT_EQ(m["no_reply"].get<double>(), 0);
  EXPECT_GT(m["p50_us"].get<double>(), 0);
  EXPECT_LE(m["p50_us"].get<double>(), m["p99_us"].get<double>());
  EXPECT_LE(m["p99_us"].get<double>(), m["max_us"].get<double>());
}

TEST_F(BenchSmokeTest, MemoryScenariosReportServerRss) {
  nlohmann::json c = RunBench("idle-conns --conns=50 --hold=0.1");
  ASSERT_TRUE(c.is_object());
  EXPECT_EQ(c["median"]["connections"].get<double>(), 50);
  EXPECT_TRUE(c["median"]["rss_per_conn_bytes"].is_number());
  nlohmann::json s = RunBench("subs --sub-count=5000 --sub-conns=2 --hold=0.1");
  ASSERT_TRUE(s.is_object());
  EXPECT_EQ(s["median"]["subscriptions"].get<double>(), 5000);
  EXPECT_TRUE(s["median"]["rss_per_sub_bytes"].is_number());
}

TEST_F(BenchSmokeTest, UnreachableServerFailsFast) {
  std::string cmd = std::string(kBench) +
                    " pub --quiet --url=127.0.0.1:" + std::to_string(testutil::FreePortOrDie()) +
                    " 2>/dev/null";
  EXPECT_NE(::system(cmd.c_str()), 0);
}

// Two accounts: A exports a service and a stream, B imports both under other names.
class CrossAccountBenchTest : public BenchSmokeTest {
 protected:
  std::string Config() const override {
    return R"(accounts {
  A {
    users: [{user: a, password: pa}, {user: a2, password: pa2}]
    exports: [{service: "bench.svc"}, {stream: "bench.stream"}]
  }
  B {
    users: [{user: b, password: pb}]
    imports: [
      {service: {account: A, subject: "bench.svc"}, to: "bench.req"}
      {stream: {account: A, subject: "bench.stream"}, to: "bench.imported"}
    ]
  }
}
)";
  }
};

TEST_F(CrossAccountBenchTest, ServiceImportAnswersEveryRequest) {
  nlohmann::json r = RunBench(
      "reqrep --msgs=2000 --concurrency=4 --duration=10 --pub-user=b --pub-pass=pb "
      "--sub-user=a --sub-pass=pa --subject=bench.req --sub-subject=bench.svc");
  ASSERT_TRUE(r.is_object());
  const nlohmann::json& m = r["median"];
  EXPECT_EQ(m["requests"].get<double>(), 2000);
  EXPECT_EQ(m["replies"].get<double>(), 2000);
  EXPECT_EQ(m["no_reply"].get<double>(), 0);
}

TEST_F(CrossAccountBenchTest, StreamImportDeliversEveryMessage) {
  nlohmann::json r = RunBench(
      "pubsub --msgs=20000 --size=64 --duration=10 --pub-user=a --pub-pass=pa "
      "--sub-user=b --sub-pass=pb --subject=bench.stream --sub-subject=bench.imported");
  ASSERT_TRUE(r.is_object());
  const nlohmann::json& m = r["rounds"][0];
  EXPECT_EQ(m["published"].get<double>(), 20000);
  EXPECT_EQ(m["delivered"].get<double>(), 20000);
  EXPECT_EQ(m["lost"].get<double>(), 0);
}

TEST_F(CrossAccountBenchTest, AccountsAreIsolatedWithoutAnImport) {
  // B subscribes to the exporter's own name: nothing crosses, so the bench reports everything
  // lost. Proves the cross-account rows above really cross accounts.
  std::string cmd = std::string(kBench) +
                    " pubsub --quiet --msgs=1000 --size=64 --duration=1 --drain=0.5 "
                    "--pub-user=a --pub-pass=pa --sub-user=b --sub-pass=pb "
                    "--subject=bench.stream --json --url=127.0.0.1:" +
                    std::to_string(port_);
  FILE* pipe = ::popen(cmd.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), pipe)) > 0) {
    out.append(buf, n);
  }
  EXPECT_EQ(::pclose(pipe), 0);
  nlohmann::json r = nlohmann::json::parse(out, nullptr, /*allow_exceptions=*/false);
  ASSERT_TRUE(r.is_object()) << out;
  EXPECT_EQ(r["rounds"][0]["delivered"].get<double>(), 0) << out;
  EXPECT_EQ(r["rounds"][0]["lost"].get<double>(), 1000) << out;
}

TEST_F(CrossAccountBenchTest, WrongPasswordIsRefused) {
  std::string cmd = std::string(kBench) + " pub --quiet --msgs=10 --user=a --pass=wrong --url=" +
                    "127.0.0.1:" + std::to_string(port_) + " 2>/dev/null";
  EXPECT_NE(::system(cmd.c_str()), 0);
}

}  // namespace
}  // namespace lattice::bench
