// Failover and write-throughput figures for the replicated control plane: three real
// lattice-control processes on loopback (not run by the test suite: tagged manual).
//
//   bazel run --config=opt //controlplane/e2e:failover_bench -- [--trials 20] [--writes 500]
//       [--election-timeout-ms N]
//
// Failover time: SIGKILL the leader, then time until a write is accepted by the new leader
// (the client follows leader hints and tries replicas in turn, 500 ms per call). Throughput:
// sequential admin writes (PutTopology) from 1 client and from 8 concurrent clients, against the
// 3-replica group and against one unreplicated lattice-control for reference. Spurious elections:
// the leader's term before and after the loaded runs (any change means an election under load).
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

#include "common/testing/child_process.h"
#include "common/testing/eventually.h"
#include "common/testing/ports.h"
#include "controlplane/e2e/ha_cluster.h"

namespace lattice::control_e2e {
namespace {

using Clock = std::chrono::steady_clock;

double Ms(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

// `clients` threads each writing `per_client` distinct clusters to `address`; writes/s.
double Throughput(const std::string& address, int clients, int per_client, const std::string& tag) {
  std::atomic<int> failures{0};
  auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      auto stub =
          v1::Admin::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
      for (int i = 0; i < per_client; ++i) {
        grpc::ClientContext ctx;
        ctx.AddMetadata("authorization", absl::StrCat("Bearer ", kHaToken));
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
        v1::PutTopologyRequest req;
        req.mutable_object()->mutable_cluster()->set_name(absl::StrCat(tag, "-", c, "-", i));
        v1::WriteResponse resp;
        if (!stub->PutTopology(&ctx, req, &resp).ok())
          ++failures;
      }
    });
  }
  for (auto& t : threads)
    t.join();
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (failures > 0)
    std::fprintf(stderr, "%s: %d writes failed\n", tag.c_str(), failures.load());
  return (clients * per_client - failures) / seconds;
}

int Run(int argc, char** argv) {
  int trials = 20;
  int writes = 500;
  std::string binary = "controlplane/lattice-control";
  std::string election_timeout_ms;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--trials")
      (void)absl::SimpleAtoi(argv[i + 1], &trials);
    else if (flag == "--writes")
      (void)absl::SimpleAtoi(argv[i + 1], &writes);
    else if (flag == "--control")
      binary = argv[i + 1];
    else if (flag == "--election-timeout-ms")
      election_timeout_ms = argv[i + 1];
  }
  const std::string root = absl::StrCat("/tmp/failover_bench_", getpid());
  std::filesystem::remove_all(root);

  // Reference: one unreplicated lattice-control.
  double single_1 = 0, single_8 = 0;
  {
    std::filesystem::create_directories(root + "/single");
    std::ofstream(root + "/single/tokens") << "admin " << kHaToken << "\n";
    const int port = testutil::FreePortOrDie();
    auto child = testutil::ChildProcess::Spawn(
        {binary, "--data-dir", root + "/single/db", "--listen", absl::StrCat("127.0.0.1:", port),
         "--tokens-file", root + "/single/tokens", "--key-file", root + "/single/master.key"},
        root + "/single/log");
    if (!child.ok() || !testutil::WaitForTcp(port, std::chrono::seconds(30))) {
      std::fprintf(stderr, "single lattice-control did not start\n");
      return 1;
    }
    const std::string address = absl::StrCat("127.0.0.1:", port);
    single_1 = Throughput(address, 1, writes, "s1");
    single_8 = Throughput(address, 8, writes / 8, "s8");
    child->Kill(SIGTERM);
  }

  HaCluster cluster(binary, root + "/ha");
  if (!election_timeout_ms.empty())
    cluster.set_extra_args({"--election-timeout-ms", election_timeout_ms});
  if (absl::Status started = cluster.Start(); !started.ok()) {
    std::fprintf(stderr, "%s\n", std::string(started.message()).c_str());
    return 1;
  }
  std::optional<int> leader;
  testutil::Eventually([&] { return (leader = cluster.Leader()).has_value(); },
                       std::chrono::seconds(60));
  if (!leader) {
    std::fprintf(stderr, "no leader\n");
    return 1;
  }
  const std::string leader_address = cluster.admin_address(*leader);
  auto term_of = [&](int i) -> uint64_t {
    auto replicas = cluster.Replicas(i);
    return replicas.ok() ? replicas->term() : 0;
  };
  const int first_leader = *leader;
  const uint64_t term_before = term_of(first_leader);
  const double ha_1 = Throughput(leader_address, 1, writes, "h1");
  const double ha_8 = Throughput(leader_address, 8, writes / 8, "h8");
  // Terms seen by every replica after the loaded runs: equal to term_before when no election ran.
  std::string terms_after;
  for (int i = 0; i < cluster.size(); ++i)
    absl::StrAppend(&terms_after, i == 0 ? "" : " ", term_of(i));
  const std::optional<int> leader_after = cluster.Leader();

  std::vector<double> failover_ms;
  uint64_t last = 0;
  for (int t = 0; t < trials; ++t) {
    leader.reset();
    testutil::Eventually([&] { return (leader = cluster.Leader()).has_value(); },
                         std::chrono::seconds(60));
    if (!leader) {
      std::fprintf(stderr, "trial %d: no leader\n", t);
      return 1;
    }
    cluster.Kill(*leader, SIGKILL);
    auto killed = Clock::now();
    auto revision = cluster.Put(absl::StrCat("failover-", t), killed + std::chrono::seconds(60),
                                std::chrono::milliseconds(500));
    auto accepted = Clock::now();
    if (!revision.ok()) {
      std::fprintf(stderr, "trial %d: %s\n", t, std::string(revision.status().message()).c_str());
      return 1;
    }
    failover_ms.push_back(Ms(accepted - killed));
    std::printf("trial %2d: leader %d killed, write accepted after %.0f ms\n", t, *leader + 1,
                failover_ms.back());
    std::fflush(stdout);
    last = *revision;
    if (!cluster.Restart(*leader).ok())
      return 1;
    // The restarted replica catches up before the next trial kills anyone.
    testutil::Eventually(
        [&] {
          auto r = cluster.Revision(*leader);
          return r.ok() && *r >= last;
        },
        std::chrono::seconds(60));
  }
  std::sort(failover_ms.begin(), failover_ms.end());
  const double median = failover_ms.empty() ? 0 : failover_ms[failover_ms.size() / 2];
  const double worst = failover_ms.empty() ? 0 : failover_ms.back();
  std::printf(
      "\nfailover (leader SIGKILL -> first accepted write), %zu trials: median %.0f ms, "
      "best %.0f ms, worst %.0f ms\n",
      failover_ms.size(), median, failover_ms.empty() ? 0 : failover_ms.front(), worst);
  std::printf("election timeout: %s ms\n",
              election_timeout_ms.empty() ? "default" : election_timeout_ms.c_str());
  std::printf("terms under load: leader %d term %llu before; terms after %s; leader after %d\n",
              first_leader + 1, static_cast<unsigned long long>(term_before), terms_after.c_str(),
              leader_after ? *leader_after + 1 : 0);
  std::printf("admin writes/s, 3 replicas: %.0f (1 client), %.0f (8 clients)\n", ha_1, ha_8);
  std::printf("admin writes/s, single lattice-control: %.0f (1 client), %.0f (8 clients)\n",
              single_1, single_8);
  std::filesystem::remove_all(root);
  return 0;
}

}  // namespace
}  // namespace lattice::control_e2e

int main(int argc, char** argv) {
  return lattice::control_e2e::Run(argc, argv);
}
