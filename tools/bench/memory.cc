// idle-conns and subs scenarios: build server-side state, then read the server's VmRSS.
#include "tools/bench/memory.h"

#include <poll.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"

#include "tools/bench/conn.h"
#include "tools/bench/proc_stats.h"
#include "tools/bench/util.h"

namespace lattice::bench {
namespace {

constexpr absl::Duration kConnectTimeout = absl::Seconds(10);
constexpr size_t kSubBatchBytes = 64 * 1024;

double MiB(std::optional<uint64_t> bytes) {
  return bytes ? static_cast<double>(*bytes) / (1 << 20) : std::nan("");
}

// RSS after holding for `hold_s`, sampled to let the server finish lazy work (e.g. Go's GC).
std::optional<uint64_t> SettledRss(pid_t pid, double hold_s) {
  int64_t until = NowNs() + static_cast<int64_t>(hold_s * 1e9);
  while (NowNs() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return ReadRssBytes(pid);
}

// Prints "[name round r] <done>/<total>" once a second until `done` reaches `total` or `stop`.
void ProgressLoop(const char* name, int round, const std::atomic<uint64_t>& done, uint64_t total,
                  const std::atomic<int>& running, bool enabled) {
  int64_t next = NowNs() + 1'000'000'000;
  while (running.load() > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (enabled && NowNs() >= next) {
      std::fprintf(stderr, "[%s round %d] %llu/%llu\n", name, round,
                   static_cast<unsigned long long>(done.load()),
                   static_cast<unsigned long long>(total));
      next += 1'000'000'000;
    }
  }
}

}  // namespace

uint64_t RaiseFdLimit() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) {
    return 0;
  }
  lim.rlim_cur = lim.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &lim);
  ::getrlimit(RLIMIT_NOFILE, &lim);
  return lim.rlim_cur;
}

absl::StatusOr<RoundResult> RunIdleConnsRound(const BenchConfig& cfg, int round) {
  uint64_t fd_limit = RaiseFdLimit();
  if (cfg.conns + 64 > fd_limit) {
    return absl::ResourceExhaustedError(
        absl::StrCat("--conns=", cfg.conns, " exceeds the open-file limit ", fd_limit));
  }
  const std::optional<uint64_t> rss_before = ReadRssBytes(cfg.server_pid);
  const int threads = static_cast<int>(std::min<uint64_t>(4, std::max<uint64_t>(1, cfg.conns)));
  std::vector<std::unique_ptr<Conn>> conns(cfg.conns);
  std::vector<std::string> errors(static_cast<size_t>(threads));
  std::atomic<uint64_t> opened{0};
  std::atomic<uint64_t> failed{0};
  std::atomic<int> running{threads};
  CpuMeter cpu(cfg.server_pid);
  const int64_t start_ns = NowNs();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (uint64_t i = static_cast<uint64_t>(t); i < cfg.conns; i += threads) {
        auto conn = std::make_unique<Conn>();
        ConnectOptions opts;
        opts.name = absl::StrCat("bench-idle-", i);
        absl::Status st = conn->Open(cfg.server, opts, kConnectTimeout);
        if (!st.ok()) {
          failed.fetch_add(1);
          if (errors[static_cast<size_t>(t)].empty()) {
            errors[static_cast<size_t>(t)] = std::string(st.message());
          }
          continue;
        }
        conns[i] = std::move(conn);
        opened.fetch_add(1);
      }
      running.fetch_sub(1);
    });
  }
  ProgressLoop("idle-conns", round, opened, cfg.conns, running, cfg.progress);
  for (auto& w : workers) {
    w.join();
  }
  const double open_s = static_cast<double>(NowNs() - start_ns) / 1e9;
  cpu.Stop();
  const std::optional<uint64_t> rss_after = SettledRss(cfg.server_pid, cfg.hold_s);

  RoundResult r;
  for (const std::string& e : errors) {
    if (!e.empty()) {
      r.notes.push_back(absl::StrCat("connect failed: ", e));
    }
  }
  const uint64_t ok = opened.load();
  r.Add("connections", static_cast<double>(ok));
  r.Add("failed", static_cast<double>(failed.load()));
  r.Add("open_seconds", open_s);
  r.Add("conns_per_s", static_cast<double>(ok) / open_s);
  r.Add("rss_before_mib", MiB(rss_before));
  r.Add("rss_after_mib", MiB(rss_after));
  double per_conn = std::nan("");
  if (rss_before && rss_after && ok > 0) {
    per_conn = (static_cast<double>(*rss_after) - static_cast<double>(*rss_before)) /
               static_cast<double>(ok);
  } else {
    r.notes.push_back("no RSS figures: pass --server-pid of a local server");
  }
  r.Add("rss_per_conn_bytes", per_conn);
  r.Add("bench_cpu_s", cpu.bench_seconds());
  r.Add("server_cpu_s", cpu.server_seconds() < 0 ? std::nan("") : cpu.server_seconds());
  return r;
}

absl::StatusOr<RoundResult> RunSubsRound(const BenchConfig& cfg, int round) {
  const int nconns = static_cast<int>(std::min<uint64_t>(
      static_cast<uint64_t>(std::max(1, cfg.sub_conns)), std::max<uint64_t>(1, cfg.sub_count)));
  std::vector<std::unique_ptr<Conn>> conns;
  for (int i = 0; i < nconns; ++i) {
    auto conn = std::make_unique<Conn>();
    ConnectOptions opts;
    opts.name = absl::StrCat("bench-subs-", i);
    absl::Status st = conn->Open(cfg.server, opts, kConnectTimeout);
    if (!st.ok()) {
      return st;
    }
    conns.push_back(std::move(conn));
  }
  const std::optional<uint64_t> rss_before = ReadRssBytes(cfg.server_pid);
  std::vector<std::string> errors(static_cast<size_t>(nconns));
  std::atomic<uint64_t> created{0};
  std::atomic<int> running{nconns};
  CpuMeter cpu(cfg.server_pid);
  const int64_t start_ns = NowNs();
  std::vector<std::thread> workers;
  for (int t = 0; t < nconns; ++t) {
    workers.emplace_back([&, t] {
      Conn* conn = conns[static_cast<size_t>(t)].get();
      std::string* error = &errors[static_cast<size_t>(t)];
      BasicSink sink(conn);
      uint64_t sid = 0;
      uint64_t reported = 0;  // sids already added to `created`
      for (uint64_t i = static_cast<uint64_t>(t); i < cfg.sub_count; i += nconns) {
        absl::StrAppend(&conn->out(), "SUB bench.subs.", i, " ", ++sid, "\r\n");
        if (conn->pending_out() < kSubBatchBytes) {
          continue;
        }
        created.fetch_add(sid - reported, std::memory_order_relaxed);
        reported = sid;
        while (conn->pending_out() > 0 && error->empty()) {
          if (conn->Flush() != IoResult::kOk) {
            *error = conn->last_error();
            break;
          }
          short ev = conn->pending_out() > 0 ? conn->Wait(100) : 0;
          if ((ev & (POLLIN | POLLERR | POLLHUP)) && conn->ReadAndParse(sink) != IoResult::kOk) {
            *error = conn->last_error();
          }
        }
        if (!error->empty()) {
          break;
        }
      }
      created.fetch_add(sid - reported, std::memory_order_relaxed);
      if (error->empty()) {
        absl::Status st = conn->RoundTrip(sink, sink.pongs(), absl::Seconds(120));
        if (!st.ok()) {
          *error = std::string(st.message());
        } else if (!sink.err().empty()) {
          *error = absl::StrCat("-ERR '", sink.err(), "'");
        }
      }
      running.fetch_sub(1);
    });
  }
  ProgressLoop("subs", round, created, cfg.sub_count, running, cfg.progress);
  for (auto& w : workers) {
    w.join();
  }
  const double sub_s = static_cast<double>(NowNs() - start_ns) / 1e9;
  cpu.Stop();
  const std::optional<uint64_t> rss_after = SettledRss(cfg.server_pid, cfg.hold_s);

  RoundResult r;
  bool all_ok = true;
  for (const std::string& e : errors) {
    if (!e.empty()) {
      all_ok = false;
      r.notes.push_back(absl::StrCat("subscriber connection: ", e));
    }
  }
  const double subs = all_ok ? static_cast<double>(cfg.sub_count) : std::nan("");
  r.Add("subscriptions", subs);
  r.Add("sub_seconds", sub_s);
  r.Add("subs_per_s", subs / sub_s);
  r.Add("rss_before_mib", MiB(rss_before));
  r.Add("rss_after_mib", MiB(rss_after));
  double per_sub = std::nan("");
  if (rss_before && rss_after && cfg.sub_count > 0) {
    per_sub = (static_cast<double>(*rss_after) - static_cast<double>(*rss_before)) /
              static_cast<double>(cfg.sub_count);
  } else {
    r.notes.push_back("no RSS figures: pass --server-pid of a local server");
  }
  r.Add("rss_per_sub_bytes", per_sub);
  r.Add("rss_per_1m_subs_mib", per_sub * 1e6 / (1 << 20));
  r.Add("bench_cpu_s", cpu.bench_seconds());
  r.Add("server_cpu_s", cpu.server_seconds() < 0 ? std::nan("") : cpu.server_seconds());
  return r;
}

}  // namespace lattice::bench
