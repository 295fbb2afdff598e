// Benchmarks of InterestGraph at 100k entries: snapshot apply, filtered and unfiltered queries.
#include <string>

#include "benchmark/benchmark.h"

#include "controlplane/interest/interest_graph.h"

namespace lattice::interest {
namespace {

constexpr int kNodes = 10;
constexpr int kPerNode = 10000;
constexpr int kAccounts = 20;

v1::InterestDelta Snapshot() {
  v1::InterestDelta d;
  d.set_sequence(1);
  d.set_snapshot(true);
  for (int i = 0; i < kPerNode; ++i) {
    v1::InterestChange* c = d.add_changes();
    c->set_account("ACC" + std::to_string(i % kAccounts));
    c->set_subject("svc." + std::to_string(i) + (i % 100 == 0 ? ".>" : ".req"));
    c->set_weight(1);
  }
  return d;
}

void Fill(InterestGraph& graph) {
  const v1::InterestDelta snapshot = Snapshot();
  for (int n = 0; n < kNodes; ++n) {
    graph.Open("n" + std::to_string(n), "east", n + 1);
    graph.Apply("n" + std::to_string(n), n + 1, snapshot);
  }
}

void BM_SnapshotApply10k(benchmark::State& state) {
  const v1::InterestDelta snapshot = Snapshot();
  InterestGraph graph;
  graph.Open("n1", "east", 1);
  for (auto _ : state)
    benchmark::DoNotOptimize(graph.Apply("n1", 1, snapshot));
  state.SetItemsProcessed(state.iterations() * kPerNode);
}
BENCHMARK(BM_SnapshotApply10k);

// Queries `req` against the filled graph.
void RunQuery(benchmark::State& state, const v1::QueryInterestRequest& req) {
  InterestGraph graph;
  Fill(graph);
  for (auto _ : state)
    benchmark::DoNotOptimize(graph.Query(req));
}

void BM_QuerySubjectInOneAccount(benchmark::State& state) {
  v1::QueryInterestRequest req;
  req.set_account("ACC0");
  req.set_subject("svc.300.x");
  RunQuery(state, req);
}
BENCHMARK(BM_QuerySubjectInOneAccount);

void BM_QuerySubjectAllAccounts(benchmark::State& state) {
  v1::QueryInterestRequest req;
  req.set_subject("svc.300.x");
  RunQuery(state, req);
}
BENCHMARK(BM_QuerySubjectAllAccounts);

void BM_QueryFirstPage(benchmark::State& state) {
  RunQuery(state, v1::QueryInterestRequest());  // everything, default limit 1000
}
BENCHMARK(BM_QueryFirstPage);

}  // namespace
}  // namespace lattice::interest
