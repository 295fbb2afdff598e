// Interest-graph figures for a managed deployment: three real lattice-control replicas and one
// managed lattice-node with a libnats client (not run by the test suite: tagged manual).
//
//   bazel run --config=opt //e2e/managed:interest_bench -- [--subjects 10000] [--trials 10]
//
// Propagation: the client subscribes to N distinct subjects, then the time from the node
// holding the last one until the leader's graph holds all N for the node; the same for
// unsubscribing them all. Rebuild: the
// leader is killed (-9) and the time until the new leader's graph holds the node's N entries
// again (election, the node's re-registration and its snapshot). Polls QueryInterest every 2 ms.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include <nats/nats.h>

#include "common/jwt/claims.h"
#include "common/nkeys/nkeys.h"
#include "common/testing/child_process.h"
#include "common/testing/eventually.h"
#include "common/testing/ports.h"
#include "controlplane/e2e/ha_cluster.h"
#include "e2e/managed/managed_harness.h"

namespace lattice::managed_e2e {
namespace {

using Clock = std::chrono::steady_clock;
namespace v1 = ::lattice::control::v1;

constexpr char kNode[] = "n1";

double Ms(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

// The node's entry count in the graph of the replica at `address` (forwarded to the leader
// by followers); nullopt when it did not answer or the node has no session there.
std::optional<uint64_t> NodeEntries(const std::string& address) {
  // One channel per replica for the whole run: a poll every 2 ms must not dial each time.
  static std::map<std::string, std::unique_ptr<v1::Admin::Stub>> stubs;
  std::unique_ptr<v1::Admin::Stub>& stub = stubs[address];
  if (stub == nullptr)
    stub = v1::Admin::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", absl::StrCat("Bearer ", control_e2e::kHaToken));
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
  v1::QueryInterestRequest request;
  request.set_node_id(kNode);
  request.set_limit(1);
  v1::QueryInterestResponse response;
  if (!stub->QueryInterest(&ctx, request, &response).ok())
    return std::nullopt;
  for (const v1::NodeInterestState& node : response.nodes()) {
    if (node.node_id() == kNode)
      return node.entries();
  }
  return std::nullopt;
}

// Polls until one of `addresses` answers that the graph holds `want` entries for the node; the
// time it took from `since`, or a negative value after a minute.
double WaitEntries(const std::vector<std::string>& addresses, uint64_t want,
                   Clock::time_point since) {
  const auto deadline = Clock::now() + std::chrono::minutes(1);
  while (Clock::now() < deadline) {
    for (const std::string& address : addresses) {
      if (NodeEntries(address) == want)
        return Ms(Clock::now() - since);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return -1;
}

std::string Summary(std::vector<double> ms) {
  if (ms.empty())
    return "no samples";
  std::sort(ms.begin(), ms.end());
  return absl::StrCat("median ", static_cast<int>(ms[ms.size() / 2]), " ms, best ",
                      static_cast<int>(ms.front()), " ms, worst ", static_cast<int>(ms.back()),
                      " ms over ", ms.size());
}

int Run(int argc, char** argv) {
  int subjects = 10000;
  int trials = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--subjects")
      (void)absl::SimpleAtoi(argv[i + 1], &subjects);
    else if (flag == "--trials")
      (void)absl::SimpleAtoi(argv[i + 1], &trials);
  }
  const std::string root = absl::StrCat("/tmp/interest_bench_", getpid());
  std::filesystem::remove_all(root);
  std::filesystem::create_directories(root + "/deploy");
  const std::string dir = root + "/deploy";

  control_e2e::HaCluster cluster(Runfile("controlplane/lattice-control"), root + "/ha");
  if (absl::Status started = cluster.Start(); !started.ok()) {
    std::fprintf(stderr, "%s\n", std::string(started.message()).c_str());
    return 1;
  }
  std::vector<std::string> addresses;
  for (int i = 0; i < cluster.size(); ++i)
    addresses.push_back(cluster.admin_address(i));
  const std::string replicas = absl::StrJoin(addresses, ",");
  auto leader_index = [&]() -> std::optional<int> {
    std::optional<int> leader;
    testutil::Eventually([&] { return (leader = cluster.Leader()).has_value(); },
                         std::chrono::seconds(60));
    return leader;
  };
  if (!leader_index()) {
    std::fprintf(stderr, "no leader\n");
    return 1;
  }

  nkeys::KeyPair op_key = NewKey(nkeys::KeyType::kOperator);
  nkeys::KeyPair signer = NewKey(nkeys::KeyType::kOperator);
  nkeys::KeyPair sys_key = NewKey(nkeys::KeyType::kAccount);
  auto op = jwt::NewOperatorClaims(*nkeys::OperatorPublicKey::FromKey(op_key.public_key()));
  op.std.name = "bench-op";
  if (absl::Status pushed =
          PushManagedOperator(replicas, control_e2e::kHaToken, dir, op, op_key, signer, sys_key);
      !pushed.ok()) {
    std::fprintf(stderr, "%s\n", std::string(pushed.message()).c_str());
    return 1;
  }
  CtlResult r = RunLatticectl(replicas, control_e2e::kHaToken, {"account", "create", "team"},
                              dir + "/account.out");
  if (r.exit_code == 0)
    r = RunLatticectl(replicas, control_e2e::kHaToken,
                      {"user", "create", "--account", "team", "alice"}, dir + "/user.out");
  if (r.exit_code != 0) {
    std::fprintf(stderr, "setup: %s\n", r.output.c_str());
    return 1;
  }
  WriteText(dir + "/alice.creds", r.output);

  const int port = testutil::FreePortOrDie();
  auto node = testutil::ChildProcess::Spawn(ManagedNodeCommand(kNode, port, replicas, "east", dir),
                                            dir + "/node.log");
  if (!node.ok() || !testutil::WaitForLog(*node, "Server is ready", std::chrono::seconds(60))) {
    std::fprintf(stderr, "lattice-node did not start\n");
    return 1;
  }
  std::unique_ptr<Client> client;
  testutil::Eventually(
      [&] { return (client = Client::Connect(port, dir + "/alice.creds", nullptr)) != nullptr; },
      std::chrono::seconds(60));
  if (client == nullptr) {
    std::fprintf(stderr, "no client connection\n");
    return 1;
  }
  if (WaitEntries(addresses, 0, Clock::now()) < 0) {
    std::fprintf(stderr, "the node never reported to the leader\n");
    return 1;
  }

  std::vector<double> subscribe_ms, unsubscribe_ms;
  for (int round = 0; round < 3; ++round) {
    // Each call returns once the node has processed it (a flush), so the clock starts when
    // the node holds the last subscription: what is timed is the report, not the client.
    for (int i = 0; i < subjects; ++i) {
      if (!client->AddSubscription(absl::StrCat("s", i), absl::StrCat("bench.", round, ".", i)))
        return 1;
    }
    subscribe_ms.push_back(WaitEntries(addresses, subjects, Clock::now()));
    for (int i = 0; i < subjects; ++i) {
      if (!client->DropSubscription(absl::StrCat("s", i)))
        return 1;
    }
    unsubscribe_ms.push_back(WaitEntries(addresses, 0, Clock::now()));
    std::printf(
        "round %d: %d SUBs in the graph %.0f ms after the last, their UNSUBs %.0f ms after\n",
        round, subjects, subscribe_ms.back(), unsubscribe_ms.back());
    std::fflush(stdout);
  }

  for (int i = 0; i < subjects; ++i) {
    if (!client->AddSubscription(absl::StrCat("s", i), absl::StrCat("held.", i)))
      return 1;
  }
  if (WaitEntries(addresses, subjects, Clock::now()) < 0)
    return 1;
  std::vector<double> rebuild_ms;
  for (int t = 0; t < trials; ++t) {
    const std::optional<int> leader = leader_index();
    if (!leader)
      return 1;
    cluster.Kill(*leader, SIGKILL);
    const auto killed = Clock::now();
    std::vector<std::string> survivors;
    for (int i = 0; i < cluster.size(); ++i) {
      if (i != *leader)
        survivors.push_back(cluster.admin_address(i));
    }
    // Any survivor answers for the new leader once there is one.
    const double ms = WaitEntries(survivors, subjects, killed);
    rebuild_ms.push_back(ms);
    std::printf("trial %2d: leader %d killed, graph whole on the new leader after %.0f ms\n", t,
                *leader + 1, ms);
    std::fflush(stdout);
    if (ms < 0 || !cluster.Restart(*leader).ok())
      return 1;
  }

  std::printf("\ninterest propagation, %d distinct subjects from one client: SUB %s; UNSUB %s\n",
              subjects, Summary(subscribe_ms).c_str(), Summary(unsubscribe_ms).c_str());
  std::printf("graph rebuilt on the new leader (leader SIGKILL -> node's %d entries there): %s\n",
              subjects, Summary(rebuild_ms).c_str());
  node->Kill(SIGTERM);
  std::filesystem::remove_all(root);
  return 0;
}

}  // namespace
}  // namespace lattice::managed_e2e

int main(int argc, char** argv) {
  return lattice::managed_e2e::Run(argc, argv);
}
