// Throughput of committed proposals on a 3-replica group over loopback TCP (one process):
// sequential (one in flight: commit latency) and pipelined (a window of 256 in flight), into an
// in-memory machine and into RocksDB (StoreStateMachine: one synced write per command).
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <deque>
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>

#include "common/base/check.h"
#include "common/base/log.h"
#include "common/testing/ports.h"
#include "controlplane/raft/batch_codec.h"
#include "controlplane/raft/replica.h"
#include "controlplane/raft/store_state_machine.h"

namespace lattice::raft {
namespace {

class CountingMachine : public StateMachine {
 public:
  absl::Status Apply(uint64_t, std::string_view) override { return absl::OkStatus(); }
  absl::StatusOr<std::string> Snapshot(uint64_t) override { return std::string(); }
  absl::Status Restore(uint64_t, std::string_view) override { return absl::OkStatus(); }
};

// Three replicas in temp dirs; `leader()` once elected.
class Group {
 public:
  explicit Group(bool rocks) {
    root_ = std::filesystem::temp_directory_path() / ("replica_bench_" + std::to_string(getpid()));
    std::filesystem::remove_all(root_);
    std::vector<Peer> peers;
    for (uint64_t id = 1; id <= 3; ++id) {
      peers.push_back({id, "127.0.0.1:" + std::to_string(testutil::FreePortOrDie())});
    }
    for (uint64_t id = 1; id <= 3; ++id) {
      if (rocks) {
        auto store = StoreStateMachine::Open((root_ / ("store" + std::to_string(id))).string());
        LATTICE_CHECK(store.ok());
        stores_.push_back(std::move(store).value());
        replicas_.push_back(std::make_unique<Replica>(*stores_.back()));
      } else {
        machines_.push_back(std::make_unique<CountingMachine>());
        replicas_.push_back(std::make_unique<Replica>(*machines_.back()));
      }
      ReplicaConfig config;
      config.id = id;
      config.address = peers[id - 1].address;
      config.data_dir = (root_ / ("raft" + std::to_string(id))).string();
      config.bootstrap = peers;
      config.election_timeout_ms = 1000;
      config.heartbeat_timeout_ms = 100;
      config.snapshot_threshold = 1u << 30;  // measure replication, not snapshots
      LATTICE_CHECK(replicas_.back()->Start(config).ok());
    }
    while (leader() == nullptr) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  ~Group() {
    for (auto& replica : replicas_) {
      replica->Stop();
    }
    replicas_.clear();
    stores_.clear();
    std::filesystem::remove_all(root_);
  }
  Replica* leader() {
    for (auto& replica : replicas_) {
      if (replica->IsLeader()) {
        return replica.get();
      }
    }
    return nullptr;
  }

 private:
  std::filesystem::path root_;
  std::vector<std::unique_ptr<CountingMachine>> machines_;
  std::vector<std::unique_ptr<StoreStateMachine>> stores_;
  std::vector<std::unique_ptr<Replica>> replicas_;
};

std::string Command(bool rocks, int64_t n) {
  store::Batch batch;
  batch.actor = "bench";
  batch.reason = "put";
  batch.mutations.push_back(store::Mutation::Put(store::Kind::kAccount, "key" + std::to_string(n),
                                                 std::string(200, 'v')));
  return rocks ? EncodeBatch(batch) : std::string(256, 'c');
}

void BM_Propose(benchmark::State& state) {
  const bool rocks = state.range(0) != 0;
  const size_t window = static_cast<size_t>(state.range(1));
  log::SetLevel(log::Level::kWarn);
  Group group(rocks);
  Replica* leader = group.leader();
  std::deque<std::future<ProposeResult>> in_flight;
  int64_t n = 0;
  int64_t failed = 0;
  for (auto _ : state) {
    in_flight.push_back(leader->Propose(Command(rocks, n++)));
    while (in_flight.size() >= window) {
      failed += in_flight.front().get().code != ProposeCode::kCommitted;
      in_flight.pop_front();
    }
  }
  while (!in_flight.empty()) {
    failed += in_flight.front().get().code != ProposeCode::kCommitted;
    in_flight.pop_front();
  }
  state.SetItemsProcessed(n);
  state.counters["failed"] = static_cast<double>(failed);
}
BENCHMARK(BM_Propose)
    ->ArgNames({"rocks", "window"})
    ->Args({0, 1})
    ->Args({0, 256})
    ->Args({1, 1})
    ->Args({1, 256})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace lattice::raft
