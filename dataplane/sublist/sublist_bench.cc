// Benchmarks for the subscription index: cached and uncached match, insert/remove, memory.
#include <malloc.h>

#include <cstdio>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"

#include "dataplane/sublist/sublist.h"

namespace lattice::sublist {
namespace {

SubscriptionRef Sub(std::string subject, std::string queue = "") {
  auto sub = std::make_shared<Subscription>();
  sub->subject = std::move(subject);
  sub->queue = std::move(queue);
  return sub;
}

// A mixed population: literal leaves, per-account wildcards and a few queue groups.
std::vector<SubscriptionRef> Population(int n) {
  std::vector<SubscriptionRef> subs;
  subs.reserve(n);
  for (int i = 0; i < n; ++i) {
    const std::string acct = "acct" + std::to_string(i % 100);
    switch (i % 10) {
      case 0:
        subs.push_back(Sub(acct + ".orders.*"));
        break;
      case 1:
        subs.push_back(Sub(acct + ".>", "workers"));
        break;
      default:
        subs.push_back(Sub(acct + ".orders." + std::to_string(i)));
    }
  }
  return subs;
}

void Fill(Sublist& sl, const std::vector<SubscriptionRef>& subs) {
  for (const auto& s : subs) {
    sl.Insert(s);
  }
}

// Cache hit: the publish hot path. Multi-threaded runs show shared-lock contention.
void BM_MatchCached(benchmark::State& state) {
  static Sublist* sl = nullptr;
  static std::vector<SubscriptionRef>* subs = nullptr;
  if (state.thread_index() == 0) {
    sl = new Sublist();
    subs = new std::vector<SubscriptionRef>(Population(10000));
    Fill(*sl, *subs);
  }
  const std::string subject = "acct7.orders.1007";
  for (auto _ : state) {
    SublistResultRef r = sl->Match(subject);
    benchmark::DoNotOptimize(r.get());
  }
  if (state.thread_index() == 0) {
    state.counters["matched"] = static_cast<double>(sl->Match(subject)->plain.size());
    delete sl;
    delete subs;
  }
}
BENCHMARK(BM_MatchCached)->Threads(1)->Threads(2);

// Cache disabled: every call walks the trie and builds a result.
void BM_MatchUncached(benchmark::State& state) {
  Sublist sl(0);
  auto subs = Population(static_cast<int>(state.range(0)));
  Fill(sl, subs);
  std::vector<std::string> subjects;
  for (int i = 0; i < 64; ++i) {
    subjects.push_back("acct" + std::to_string(i % 100) + ".orders." + std::to_string(i * 7));
  }
  size_t i = 0;
  for (auto _ : state) {
    SublistResultRef r = sl.Match(subjects[i++ % subjects.size()]);
    benchmark::DoNotOptimize(r.get());
  }
}
BENCHMARK(BM_MatchUncached)->Arg(1000)->Arg(100000);

// Subscribe + unsubscribe of one literal subject in a populated index. range(1) cached
// subjects must be scanned for invalidation on every change.
void BM_InsertRemove(benchmark::State& state) {
  Sublist sl(4096);
  auto subs = Population(static_cast<int>(state.range(0)));
  Fill(sl, subs);
  for (int i = 0; i < state.range(1); ++i) {
    sl.Match("acct" + std::to_string(i % 100) + ".orders." + std::to_string(i));
  }
  auto sub =
      Sub(state.range(2) ? "_INBOX.abcdefghijklmnopqrstuv.*" : "reply.abcdefghijklmnopqrstuv");
  for (auto _ : state) {
    sl.Insert(sub);
    sl.Remove(sub);
  }
  state.counters["cache"] = static_cast<double>(sl.cache_size());
}
// Args: population, cached subjects, wildcard (1) or literal (0) subscription.
BENCHMARK(BM_InsertRemove)->Args({100000, 0, 1})->Args({100000, 4096, 1})->Args({100000, 4096, 0});

size_t HeapInUse() {
  const struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;  // small chunks plus mmap'ed ones (large tables)
}

// One million subscriptions: bytes per subscription for the index alone (trie, sets, keys)
// and including the Subscription objects themselves (make_shared, subject string).
enum class SubjectStyle { kHierarchical, kInbox, kFlat };

void MemoryPerSub(benchmark::State& state, SubjectStyle style) {
  constexpr int kSubs = 1000000;
  for (auto _ : state) {
    const size_t base = HeapInUse();
    std::vector<SubscriptionRef> subs;
    subs.reserve(kSubs);
    for (int i = 0; i < kSubs; ++i) {
      if (style == SubjectStyle::kFlat) {
        // lattice-bench's `subs` scenario: one wide level of distinct numeric tokens.
        subs.push_back(Sub("bench.subs." + std::to_string(i)));
      } else if (style == SubjectStyle::kInbox) {
        // nats.go style: one `_INBOX.<22-char nuid>.*` per connection.
        char nuid[32];
        std::snprintf(nuid, sizeof(nuid), "%022d", i * 7919);
        subs.push_back(Sub(std::string("_INBOX.") + nuid + ".*"));
      } else {
        subs.push_back(Sub("acct" + std::to_string(i % 100) + ".svc" + std::to_string(i % 1000) +
                           ".item." + std::to_string(i)));
      }
    }
    const size_t with_subs = HeapInUse();
    Sublist sl;
    for (const auto& s : subs) {
      sl.Insert(s);
    }
    const size_t with_index = HeapInUse();
    for (const auto& s : subs) {
      sl.Remove(s);
    }
    const size_t after_remove = HeapInUse();
    state.counters["index_B_per_sub"] = static_cast<double>(with_index - with_subs) / kSubs;
    state.counters["total_B_per_sub"] = static_cast<double>(with_index - base) / kSubs;
    state.counters["left_after_remove_B"] =
        static_cast<double>(after_remove) - static_cast<double>(with_subs);
  }
}
void BM_MemoryPerSubHierarchical(benchmark::State& state) {
  MemoryPerSub(state, SubjectStyle::kHierarchical);
}
void BM_MemoryPerSubInbox(benchmark::State& state) {
  MemoryPerSub(state, SubjectStyle::kInbox);
}
void BM_MemoryPerSubFlat(benchmark::State& state) {
  MemoryPerSub(state, SubjectStyle::kFlat);
}
BENCHMARK(BM_MemoryPerSubHierarchical)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MemoryPerSubInbox)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MemoryPerSubFlat)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace lattice::sublist
