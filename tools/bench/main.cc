// lattice-bench: a load generator for any NATS server (nats-server, lattice-node).
#include <signal.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

#include "tools/bench/flags.h"
#include "tools/bench/memory.h"
#include "tools/bench/report.h"
#include "tools/bench/reqrep.h"
#include "tools/bench/throughput.h"

namespace lattice::bench {
namespace {

absl::StatusOr<RoundResult> RunRound(const BenchConfig& cfg, int round) {
  if (cfg.scenario == "pub") {
    return RunThroughputRound(cfg, ThroughputMode::kPubOnly, round);
  }
  if (cfg.scenario == "pubsub") {
    return RunThroughputRound(cfg, ThroughputMode::kFanOut, round);
  }
  if (cfg.scenario == "queue") {
    return RunThroughputRound(cfg, ThroughputMode::kQueue, round);
  }
  if (cfg.scenario == "reqrep") {
    return RunReqRepRound(cfg, round);
  }
  if (cfg.scenario == "idle-conns") {
    return RunIdleConnsRound(cfg, round);
  }
  return RunSubsRound(cfg, round);
}

int Main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h" || args[0] == "help")) {
    std::fputs(Usage().c_str(), stdout);
    return 0;
  }
  absl::StatusOr<BenchConfig> cfg = ParseArgs(args);
  if (!cfg.ok()) {
    std::fprintf(stderr, "lattice-bench: %s\n%s", std::string(cfg.status().message()).c_str(),
                 Usage().c_str());
    return 2;
  }
  ::signal(SIGPIPE, SIG_IGN);
  Report report(*cfg);
  for (int round = 1; round <= cfg->rounds; ++round) {
    absl::StatusOr<RoundResult> r = RunRound(*cfg, round);
    if (!r.ok()) {
      std::fprintf(stderr, "lattice-bench: %s round %d: %s\n", cfg->scenario.c_str(), round,
                   std::string(r.status().message()).c_str());
      return 1;
    }
    report.AddRound(*std::move(r));
  }
  std::string out = cfg->json ? report.Json() + "\n" : report.Table();
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace
}  // namespace lattice::bench

int main(int argc, char** argv) {
  return lattice::bench::Main(argc, argv);
}
