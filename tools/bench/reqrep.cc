// Request/reply latency scenario: requesters with per-slot inboxes, queue-group responders.
#include "tools/bench/reqrep.h"

#include <poll.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"

#include "common/base/status_macros.h"
#include "tools/bench/conn.h"
#include "tools/bench/histogram.h"
#include "tools/bench/proc_stats.h"
#include "tools/bench/util.h"

namespace lattice::bench {
namespace {

constexpr absl::Duration kConnectTimeout = absl::Seconds(5);

// Echoes every request to its reply subject. Thread: the responder's thread.
class ResponderSink : public BasicSink {
 public:
  explicit ResponderSink(Conn* conn) : BasicSink(conn) {}
  void OnMsg(const MsgView& msg) override {
    ++msgs_;
    if (msg.reply.empty()) {
      return;
    }
    std::string& out = conn_->out();
    out += "PUB ";
    out.append(msg.reply.data(), msg.reply.size());
    out += ' ';
    absl::StrAppend(&out, msg.payload.size());
    out += "\r\n";
    out.append(msg.payload.data(), msg.payload.size());
    out += "\r\n";
  }
};

// Tracks outstanding request slots of one requester and records reply latencies.
// Thread: the requester's thread.
class RequesterSink : public BasicSink {
 public:
  RequesterSink(Conn* conn, size_t slots) : BasicSink(conn), sent_ns_(slots, 0) {}
  void OnMsg(const MsgView& msg) override {
    size_t dot = msg.subject.rfind('.');
    uint64_t slot = 0;
    bool ok = dot != std::string_view::npos && dot + 1 < msg.subject.size() &&
              msg.subject.size() - dot <= 10;
    for (size_t i = dot + 1; ok && i < msg.subject.size(); ++i) {
      char c = msg.subject[i];
      ok = c >= '0' && c <= '9';
      slot = slot * 10 + static_cast<uint64_t>(c - '0');
    }
    if (!ok || slot >= sent_ns_.size() || sent_ns_[slot] == 0) {
      ++unexpected_;
      return;
    }
    ++msgs_;
    hist_.Record(static_cast<uint64_t>(NowNs() - sent_ns_[slot]));
    sent_ns_[slot] = 0;
    free_.push_back(static_cast<uint32_t>(slot));
  }

  std::vector<int64_t> sent_ns_;  // 0 = slot idle
  std::vector<uint32_t> free_;
  Histogram hist_;
  uint64_t unexpected_ = 0;
};

struct RequesterOutcome {
  uint64_t sent = 0;
  uint64_t outstanding = 0;
  Histogram hist;
  std::string error;
};

void RunRequester(const BenchConfig& cfg, Conn* conn, size_t id, uint64_t quota,
                  int64_t deadline_ns, PaddedCounter* replies, RequesterOutcome* out) {
  const size_t slots = static_cast<size_t>(std::max(1, cfg.concurrency));
  RequesterSink sink(conn, slots);
  const std::string payload(cfg.size, 'r');
  const std::string inbox = absl::StrCat("_INBOX.bench.", id, ".");
  for (size_t s = slots; s > 0; --s) {
    sink.free_.push_back(static_cast<uint32_t>(s - 1));
  }
  uint64_t sent = 0;
  int64_t drain_deadline = deadline_ns + static_cast<int64_t>(cfg.drain_s * 1e9);
  while (true) {
    int64_t now = NowNs();
    bool sending = sent < quota && now < deadline_ns;
    while (sending && !sink.free_.empty() && sent < quota) {
      uint32_t slot = sink.free_.back();
      sink.free_.pop_back();
      std::string& o = conn->out();
      absl::StrAppend(&o, "PUB ", cfg.subject, " ", inbox, slot, " ", cfg.size, "\r\n");
      o += payload;
      o += "\r\n";
      sink.sent_ns_[slot] = NowNs();
      ++sent;
    }
    if (sink.free_.size() == slots && !sending) {
      break;  // nothing outstanding and nothing more to send
    }
    if (now >= drain_deadline) {
      break;
    }
    if (conn->Flush() != IoResult::kOk) {
      out->error = conn->last_error();
      break;
    }
    short ev = conn->Wait(10);
    if (ev & (POLLIN | POLLERR | POLLHUP)) {
      if (conn->ReadAndParse(sink) != IoResult::kOk) {
        out->error = conn->last_error();
        break;
      }
      replies->value.store(sink.hist_.count(), std::memory_order_relaxed);
    }
  }
  out->sent = sent;
  out->outstanding = slots - sink.free_.size();
  out->hist = sink.hist_;
  if (!sink.err().empty()) {
    out->error = absl::StrCat("-ERR '", sink.err(), "'");
  }
}

void RunResponder(Conn* conn, ResponderSink* sink, const std::atomic<bool>* stop,
                  std::string* error) {
  while (!stop->load(std::memory_order_relaxed)) {
    short ev = conn->Wait(20);
    if (ev & (POLLIN | POLLERR | POLLHUP)) {
      if (conn->ReadAndParse(*sink) != IoResult::kOk) {
        *error = conn->last_error();
        return;
      }
    }
    if (conn->Flush() != IoResult::kOk) {
      *error = conn->last_error();
      return;
    }
  }
}

}  // namespace

absl::StatusOr<RoundResult> RunReqRepRound(const BenchConfig& cfg, int round) {
  const int requesters = std::max(1, cfg.pubs);
  const int responders = std::max(1, cfg.subs);
  std::vector<std::unique_ptr<Conn>> rconns;
  std::vector<std::unique_ptr<ResponderSink>> rsinks;
  for (int i = 0; i < responders; ++i) {
    auto conn = std::make_unique<Conn>();
    ConnectOptions opts;
    opts.name = absl::StrCat("bench-responder-", i);
    LATTICE_RETURN_IF_ERROR(conn->Open(cfg.sub_server, opts, kConnectTimeout));
    conn->Append(absl::StrCat("SUB ", cfg.sub_subject, " bench-responders 1\r\n"));
    auto sink = std::make_unique<ResponderSink>(conn.get());
    LATTICE_RETURN_IF_ERROR(conn->RoundTrip(*sink, sink->pongs(), kConnectTimeout));
    rconns.push_back(std::move(conn));
    rsinks.push_back(std::move(sink));
  }
  std::vector<std::unique_ptr<Conn>> qconns;
  for (int i = 0; i < requesters; ++i) {
    auto conn = std::make_unique<Conn>();
    ConnectOptions opts;
    opts.name = absl::StrCat("bench-requester-", i);
    LATTICE_RETURN_IF_ERROR(conn->Open(cfg.pub_server, opts, kConnectTimeout));
    conn->Append(absl::StrCat("SUB _INBOX.bench.", i, ".* 1\r\n"));
    BasicSink sink(conn.get());
    LATTICE_RETURN_IF_ERROR(conn->RoundTrip(sink, sink.pongs(), kConnectTimeout));
    qconns.push_back(std::move(conn));
  }

  std::atomic<bool> stop{false};
  std::vector<std::string> responder_errors(static_cast<size_t>(responders));
  std::vector<RequesterOutcome> outcomes(static_cast<size_t>(requesters));
  CpuMeter cpu(cfg.server_pid);
  const int64_t start_ns = NowNs();
  const int64_t deadline_ns = start_ns + static_cast<int64_t>(cfg.duration_s * 1e9);
  std::vector<std::thread> responder_threads;
  for (size_t i = 0; i < rconns.size(); ++i) {
    responder_threads.emplace_back(RunResponder, rconns[i].get(), rsinks[i].get(), &stop,
                                   &responder_errors[i]);
  }
  std::atomic<int> running{requesters};
  std::vector<PaddedCounter> progress(static_cast<size_t>(requesters));
  std::vector<std::thread> requester_threads;
  for (size_t i = 0; i < qconns.size(); ++i) {
    uint64_t quota = cfg.msgs / static_cast<uint64_t>(requesters) +
                     (i < cfg.msgs % static_cast<uint64_t>(requesters) ? 1 : 0);
    requester_threads.emplace_back([&, i, quota] {
      RunRequester(cfg, qconns[i].get(), i, quota, deadline_ns, &progress[i], &outcomes[i]);
      running.fetch_sub(1);
    });
  }
  int64_t next_progress = start_ns + 1'000'000'000;
  while (running.load() > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (cfg.progress && NowNs() >= next_progress) {
      uint64_t replies = 0;
      for (const PaddedCounter& c : progress) {
        replies += c.value.load(std::memory_order_relaxed);
      }
      std::fprintf(stderr, "[reqrep round %d] %.1fs replies %llu\n", round,
                   static_cast<double>(NowNs() - start_ns) / 1e9,
                   static_cast<unsigned long long>(replies));
      next_progress += 1'000'000'000;
    }
  }
  const int64_t end_ns = NowNs();
  for (auto& t : requester_threads) {
    t.join();
  }
  stop.store(true);
  for (auto& t : responder_threads) {
    t.join();
  }
  cpu.Stop();

  RoundResult r;
  Histogram all;
  uint64_t sent = 0;
  uint64_t outstanding = 0;
  for (const RequesterOutcome& o : outcomes) {
    all.Merge(o.hist);
    sent += o.sent;
    outstanding += o.outstanding;
    if (!o.error.empty()) {
      r.notes.push_back(absl::StrCat("requester: ", o.error));
    }
  }
  for (const std::string& e : responder_errors) {
    if (!e.empty()) {
      r.notes.push_back(absl::StrCat("responder: ", e));
    }
  }
  if (outstanding > 0) {
    r.notes.push_back(absl::StrCat(outstanding, " requests got no reply"));
  }
  const double secs = static_cast<double>(end_ns - start_ns) / 1e9;
  auto us = [](uint64_t ns) { return static_cast<double>(ns) / 1000.0; };
  r.Add("requests", static_cast<double>(sent));
  r.Add("replies", static_cast<double>(all.count()));
  r.Add("no_reply", static_cast<double>(outstanding));
  r.Add("seconds", secs);
  r.Add("req_per_s", static_cast<double>(all.count()) / secs);
  r.Add("p50_us", us(all.Percentile(50)));
  r.Add("p90_us", us(all.Percentile(90)));
  r.Add("p99_us", us(all.Percentile(99)));
  r.Add("p99.9_us", us(all.Percentile(99.9)));
  r.Add("max_us", us(all.max()));
  r.Add("mean_us", all.Mean() / 1000.0);
  r.Add("bench_cpu_s", cpu.bench_seconds());
  r.Add("server_cpu_s", cpu.server_seconds() < 0 ? std::nan("") : cpu.server_seconds());
  return r;
}

}  // namespace lattice::bench
