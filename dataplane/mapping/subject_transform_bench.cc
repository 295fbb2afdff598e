// Benchmarks of SubjectTransform::Apply and MappingTable::Map on typical and unmapped subjects.
#include <string>

#include "benchmark/benchmark.h"

#include "dataplane/mapping/mapping_table.h"
#include "dataplane/mapping/subject_transform.h"

namespace lattice::mapping {
namespace {

void BM_ApplyWildcards(benchmark::State& state) {
  auto t = SubjectTransform::Create("orders.*.*.>", "shard.$2.$1.>");
  std::string out;
  for (auto _ : state) {
    benchmark::DoNotOptimize(t->Apply("orders.acme.eu.created.v1", &out));
  }
}
BENCHMARK(BM_ApplyWildcards);

void BM_ApplyPartition(benchmark::State& state) {
  auto t = SubjectTransform::Create("orders.*.*", "orders.{{partition(16,1,2)}}.$1.$2");
  std::string out;
  for (auto _ : state) {
    benchmark::DoNotOptimize(t->Apply("orders.customer-12345.created", &out));
  }
}
BENCHMARK(BM_ApplyPartition);

void BM_ApplySlices(benchmark::State& state) {
  auto t = SubjectTransform::Create("id.*", "id.{{sliceFromLeft(1,2)}}.{{split(1,-)}}");
  std::string out;
  for (auto _ : state) {
    benchmark::DoNotOptimize(t->Apply("id.ab12-cd34-ef56", &out));
  }
}
BENCHMARK(BM_ApplySlices);

void BM_ApplyLiteral(benchmark::State& state) {
  auto t = SubjectTransform::Create("a.b.c", "x.y.z");
  std::string out;
  for (auto _ : state) {
    benchmark::DoNotOptimize(t->Apply("a.b.c", &out));
  }
}
BENCHMARK(BM_ApplyLiteral);

// An account with `n` mappings on distinct first tokens; the subject hits the last one or none.
MappingTable Table(int n) {
  MappingTable table;
  for (int i = 0; i < n; ++i) {
    (void)table.Add("svc" + std::to_string(i) + ".*.>", "mapped" + std::to_string(i) + ".$1.>");
  }
  return table;
}

void BM_TableMapHit(benchmark::State& state) {
  MappingTable table = Table(static_cast<int>(state.range(0)));
  const std::string subject = "svc" + std::to_string(state.range(0) - 1) + ".x.y";
  std::string out;
  uint32_t roll = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(table.Map(subject, ++roll, &out));
  }
}
BENCHMARK(BM_TableMapHit)->Arg(1)->Arg(10)->Arg(100);

void BM_TableMapMissFirstToken(benchmark::State& state) {
  MappingTable table = Table(static_cast<int>(state.range(0)));
  std::string out;
  for (auto _ : state) {
    benchmark::DoNotOptimize(table.Map("unrelated.subject.here", 0, &out));
  }
}
BENCHMARK(BM_TableMapMissFirstToken)->Arg(1)->Arg(100);

void BM_TableMapEmpty(benchmark::State& state) {
  MappingTable table;
  std::string out;
  for (auto _ : state) {
    benchmark::DoNotOptimize(table.Map("unrelated.subject.here", 0, &out));
  }
}
BENCHMARK(BM_TableMapEmpty);

}  // namespace
}  // namespace lattice::mapping
