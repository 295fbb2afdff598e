// Benchmarks for the publish permission check: cache hit, cache miss and no rules.
#include <string>
#include <vector>

#include "benchmark/benchmark.h"

#include "dataplane/auth/permissions.h"

namespace lattice::auth {
namespace {

options::Permissions TypicalRules(int n) {
  options::Permissions p;
  for (int i = 0; i < n; ++i) {
    p.publish.allow.push_back("svc" + std::to_string(i) + ".*.requests");
  }
  p.publish.allow.push_back("metrics.>");
  p.publish.deny = {"metrics.secret.>", "$SYS.>"};
  return p;
}

void BM_CanPublishCacheHit(benchmark::State& state) {
  ConnectionPermissions perms(CompiledPermissions::Compile(TypicalRules(state.range(0))));
  const PermTime now{};
  perms.CanPublish("metrics.cpu.host1", now);
  for (auto _ : state) {
    benchmark::DoNotOptimize(perms.CanPublish("metrics.cpu.host1", now));
  }
}
BENCHMARK(BM_CanPublishCacheHit)->Arg(4)->Arg(64);

void BM_CanPublishCacheMiss(benchmark::State& state) {
  auto compiled = CompiledPermissions::Compile(TypicalRules(state.range(0)));
  std::vector<std::string> subjects;
  for (int i = 0; i < 4096; ++i) {
    subjects.push_back("metrics.cpu.host" + std::to_string(i));
  }
  const PermTime now{};
  ConnectionPermissions perms(compiled);
  size_t i = 0;
  for (auto _ : state) {
    // More distinct subjects than the cache holds: mostly misses plus pruning.
    benchmark::DoNotOptimize(perms.CanPublish(subjects[i++ & 4095], now));
  }
}
BENCHMARK(BM_CanPublishCacheMiss)->Arg(4)->Arg(64);

void BM_CanPublishNoRules(benchmark::State& state) {
  ConnectionPermissions perms;
  const PermTime now{};
  for (auto _ : state) {
    benchmark::DoNotOptimize(perms.CanPublish("metrics.cpu.host1", now));
  }
}
BENCHMARK(BM_CanPublishNoRules);

}  // namespace
}  // namespace lattice::auth
