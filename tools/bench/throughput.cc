// pub / pubsub / queue scenarios: batched publishers, verifying receivers, one thread per
// connection.
#include "tools/bench/throughput.h"

#include <poll.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

#include "common/base/status_macros.h"
#include "tools/bench/conn.h"
#include "tools/bench/proc_stats.h"
#include "tools/bench/util.h"

namespace lattice::bench {
namespace {

constexpr size_t kStampBytes = 12;         // uint32 publisher id + uint64 sequence
constexpr size_t kBatchBytes = 64 * 1024;  // bytes of PUB frames queued per step
constexpr size_t kHighWater = 256 * 1024;  // stop queueing while this much is unsent
constexpr absl::Duration kConnectTimeout = absl::Seconds(5);

// State shared by the threads of one round. Counters are written by one thread each.
struct RoundState {
  RoundState(int pubs, int receivers) : published(pubs), received(receivers) {}
  ThroughputMode mode = ThroughputMode::kPubOnly;
  std::atomic<bool> stop{false};
  std::vector<PaddedCounter> published;
  std::vector<PaddedCounter> received;
  std::atomic<int64_t> last_recv_ns{0};

  uint64_t TotalPublished() const {
    uint64_t sum = 0;
    for (const auto& c : published) {
      sum += c.value.load(std::memory_order_relaxed);
    }
    return sum;
  }
  // Messages the slowest receiver side has taken: the minimum for fan-out, the sum for a
  // queue group. Publishers keep their lead over this below the window.
  uint64_t Consumed() const {
    if (mode == ThroughputMode::kQueue) {
      uint64_t sum = 0;
      for (const auto& c : received) {
        sum += c.value.load(std::memory_order_relaxed);
      }
      return sum;
    }
    uint64_t low = UINT64_MAX;
    for (const auto& c : received) {
      low = std::min(low, c.value.load(std::memory_order_relaxed));
    }
    return low;
  }
};

struct PubOutcome {
  uint64_t sent = 0;
  int64_t end_ns = 0;
  std::string error;
};

// Receiver bookkeeping: which (publisher, sequence) stamps arrived, and how often. Owned by the
// round; Thread: the receiver thread while it runs, then the round's thread after join().
class ReceiverSink : public BasicSink {
 public:
  ReceiverSink(Conn* conn, const std::vector<uint64_t>& quotas, bool verify)
      : BasicSink(conn), verify_(verify), seen_(quotas.size()) {
    if (verify_) {
      for (size_t i = 0; i < quotas.size(); ++i) {
        seen_[i].assign((quotas[i] + 63) / 64, 0);
      }
    }
  }

  void OnMsg(const MsgView& msg) override {
    ++msgs_;
    if (!verify_) {
      return;
    }
    if (msg.payload.size() < kStampBytes) {
      ++corrupt_;
      return;
    }
    uint32_t pub = 0;
    uint64_t seq = 0;
    std::memcpy(&pub, msg.payload.data(), sizeof(pub));
    std::memcpy(&seq, msg.payload.data() + sizeof(pub), sizeof(seq));
    if (pub >= seen_.size() || seq / 64 >= seen_[pub].size()) {
      ++corrupt_;
      return;
    }
    uint64_t& word = seen_[pub][seq / 64];
    uint64_t bit = uint64_t{1} << (seq % 64);
    if (word & bit) {
      ++duplicates_;
    }
    word |= bit;
  }

  bool verify_;
  std::vector<std::vector<uint64_t>> seen_;
  uint64_t duplicates_ = 0;
  uint64_t corrupt_ = 0;
};

void RunPublisher(const BenchConfig& cfg, Conn* conn, uint32_t id, uint64_t quota,
                  int64_t deadline_ns, RoundState* state, PubOutcome* out) {
  BasicSink sink(conn);
  const std::string header = absl::StrCat("PUB ", cfg.subject, " ", cfg.size, "\r\n");
  const size_t frame = header.size() + cfg.size + 2;
  const size_t per_batch = std::max<size_t>(1, kBatchBytes / frame);
  std::string batch;
  batch.reserve(per_batch * frame);
  for (size_t i = 0; i < per_batch; ++i) {
    batch += header;
    batch.append(cfg.size, 'x');
    batch += "\r\n";
  }
  const bool stamp = cfg.size >= kStampBytes;
  const bool windowed = state->mode != ThroughputMode::kPubOnly;
  const uint64_t window = std::max<uint64_t>(1000, cfg.window_bytes / frame);
  PaddedCounter& published = state->published[id];

  uint64_t sent = 0;
  while (sent < quota && !state->stop.load(std::memory_order_relaxed)) {
    if (NowNs() >= deadline_ns) {
      break;
    }
    uint64_t n = std::min<uint64_t>(per_batch, quota - sent);
    if (windowed && state->TotalPublished() + n > state->Consumed() + window) {
      if (conn->ReadAndParse(sink) != IoResult::kOk || conn->Flush() != IoResult::kOk) {
        out->error = conn->last_error();
        break;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(20));
      continue;
    }
    if (conn->pending_out() < kHighWater) {
      if (stamp) {
        for (uint64_t i = 0; i < n; ++i) {
          char* p = batch.data() + i * frame + header.size();
          uint64_t seq = sent + i;
          std::memcpy(p, &id, sizeof(id));
          std::memcpy(p + sizeof(id), &seq, sizeof(seq));
        }
      }
      conn->Append(std::string_view(batch.data(), n * frame));
      sent += n;
      published.value.store(sent, std::memory_order_relaxed);
    }
    if (conn->Flush() != IoResult::kOk) {
      out->error = conn->last_error();
      break;
    }
    short ev = conn->pending_out() >= kHighWater ? conn->Wait(50) : 0;
    if ((ev & (POLLIN | POLLERR | POLLHUP)) || (sent / per_batch) % 64 == 0) {
      if (conn->ReadAndParse(sink) != IoResult::kOk) {
        out->error = conn->last_error();
        break;
      }
    }
  }
  out->sent = sent;
  if (out->error.empty()) {
    // The PONG proves the server has read (and routed) everything published before it.
    absl::Status st = conn->RoundTrip(sink, sink.pongs(), absl::Seconds(cfg.drain_s + 10));
    if (!st.ok()) {
      out->error = std::string(st.message());
    }
  }
  if (!sink.err().empty()) {
    out->error = absl::StrCat("-ERR '", sink.err(), "'");
  }
  out->end_ns = NowNs();
}

// Reads until the round stops. Polls only when a read found nothing new, so a busy receiver
// costs one recv() per buffer instead of poll() + recv(). A receiver that loses its connection
// stops the whole round: its losses are then reported instead of stalling the publishers.
void RunReceiver(Conn* conn, ReceiverSink* sink, size_t index, RoundState* state,
                 std::string* error) {
  PaddedCounter& received = state->received[index];
  bool idle = true;
  while (!state->stop.load(std::memory_order_relaxed)) {
    if (idle && conn->Wait(20) == 0) {
      continue;
    }
    uint64_t before = sink->msgs();
    if (conn->ReadAndParse(*sink) != IoResult::kOk || conn->Flush() != IoResult::kOk) {
      *error = conn->last_error();
      state->stop.store(true);
      break;
    }
    idle = sink->msgs() == before;
    if (!idle) {
      received.value.store(sink->msgs(), std::memory_order_relaxed);
      state->last_recv_ns.store(NowNs(), std::memory_order_relaxed);
    }
  }
}

uint64_t PopCount(const std::vector<uint64_t>& words) {
  uint64_t n = 0;
  for (uint64_t w : words) {
    n += static_cast<uint64_t>(__builtin_popcountll(w));
  }
  return n;
}

const char* ModeName(ThroughputMode mode) {
  switch (mode) {
    case ThroughputMode::kPubOnly:
      return "pub";
    case ThroughputMode::kFanOut:
      return "pubsub";
    case ThroughputMode::kQueue:
      return "queue";
  }
  return "?";
}

}  // namespace

absl::StatusOr<RoundResult> RunThroughputRound(const BenchConfig& cfg, ThroughputMode mode,
                                               int round) {
  const int pubs = std::max(1, cfg.pubs);
  const int receivers = mode == ThroughputMode::kPubOnly ? 0 : std::max(1, cfg.subs);
  RoundState state(pubs, receivers);
  state.mode = mode;
  std::vector<uint64_t> quotas(static_cast<size_t>(pubs), cfg.msgs / static_cast<uint64_t>(pubs));
  for (uint64_t i = 0; i < cfg.msgs % static_cast<uint64_t>(pubs); ++i) {
    ++quotas[i];
  }
  const bool verify = cfg.size >= kStampBytes;

  // Receivers subscribe (and the server confirms with PONG) before anyone publishes.
  std::vector<std::unique_ptr<Conn>> rconns;
  std::vector<std::unique_ptr<ReceiverSink>> sinks;
  for (int i = 0; i < receivers; ++i) {
    auto conn = std::make_unique<Conn>();
    ConnectOptions opts;
    opts.name = absl::StrCat("bench-sub-", i);
    LATTICE_RETURN_IF_ERROR(conn->Open(cfg.sub_server, opts, kConnectTimeout));
    conn->ReserveReadBuffer(4u << 20);
    conn->Append(mode == ThroughputMode::kQueue
                     ? absl::StrCat("SUB ", cfg.sub_subject, " bench-queue 1\r\n")
                     : absl::StrCat("SUB ", cfg.sub_subject, " 1\r\n"));
    auto sink = std::make_unique<ReceiverSink>(conn.get(), quotas, verify);
    LATTICE_RETURN_IF_ERROR(conn->RoundTrip(*sink, sink->pongs(), kConnectTimeout));
    rconns.push_back(std::move(conn));
    sinks.push_back(std::move(sink));
  }
  std::vector<std::unique_ptr<Conn>> pconns;
  for (int i = 0; i < pubs; ++i) {
    auto conn = std::make_unique<Conn>();
    ConnectOptions opts;
    opts.name = absl::StrCat("bench-pub-", i);
    LATTICE_RETURN_IF_ERROR(conn->Open(cfg.pub_server, opts, kConnectTimeout));
    pconns.push_back(std::move(conn));
  }

  CpuMeter cpu(cfg.server_pid);
  const int64_t start_ns = NowNs();
  const int64_t deadline_ns = start_ns + static_cast<int64_t>(cfg.duration_s * 1e9);
  std::vector<std::string> recv_errors(static_cast<size_t>(receivers));
  std::vector<PubOutcome> outcomes(static_cast<size_t>(pubs));
  std::vector<std::thread> rthreads;
  for (int i = 0; i < receivers; ++i) {
    size_t k = static_cast<size_t>(i);
    rthreads.emplace_back(RunReceiver, rconns[k].get(), sinks[k].get(), k, &state, &recv_errors[k]);
  }
  std::atomic<int> pubs_running{pubs};
  std::vector<std::thread> pthreads;
  for (int i = 0; i < pubs; ++i) {
    size_t k = static_cast<size_t>(i);
    pthreads.emplace_back([&, k] {
      RunPublisher(cfg, pconns[k].get(), static_cast<uint32_t>(k), quotas[k], deadline_ns, &state,
                   &outcomes[k]);
      pubs_running.fetch_sub(1);
    });
  }

  // Monitor: progress once a second; after the publishers finish, wait until every receiver
  // has everything or nothing arrived for drain_s.
  int64_t next_progress = start_ns + 1'000'000'000;
  int64_t last_progress_ns = NowNs();
  uint64_t last_consumed = 0;
  while (true) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    int64_t now = NowNs();
    uint64_t published = state.TotalPublished();
    uint64_t consumed = receivers > 0 ? state.Consumed() : published;
    if (consumed != last_consumed) {
      last_consumed = consumed;
      last_progress_ns = now;
    }
    if (cfg.progress && now >= next_progress) {
      std::fprintf(stderr, "[%s round %d] %.1fs published %llu received(min/sum) %llu\n",
                   ModeName(mode), round, static_cast<double>(now - start_ns) / 1e9,
                   static_cast<unsigned long long>(published),
                   static_cast<unsigned long long>(consumed));
      next_progress = now + 1'000'000'000;
    }
    if (state.stop.load()) {
      break;  // a receiver failed
    }
    if (pubs_running.load() == 0) {
      if (consumed >= published) {
        break;
      }
      if (now - last_progress_ns > static_cast<int64_t>(cfg.drain_s * 1e9)) {
        break;
      }
    }
  }
  state.stop.store(true);
  for (auto& t : pthreads) {
    t.join();
  }
  for (auto& t : rthreads) {
    t.join();
  }
  cpu.Stop();

  RoundResult r;
  uint64_t sent = 0;
  int64_t pub_end = start_ns;
  for (const PubOutcome& o : outcomes) {
    sent += o.sent;
    pub_end = std::max(pub_end, o.end_ns);
    if (!o.error.empty()) {
      r.notes.push_back(absl::StrCat("publisher: ", o.error));
    }
  }
  for (const std::string& e : recv_errors) {
    if (!e.empty()) {
      r.notes.push_back(absl::StrCat("receiver: ", e));
    }
  }
  if (sent < cfg.msgs) {
    r.notes.push_back(absl::StrFormat(
        "stopped early (duration limit or a failure): published %d of %d", sent, cfg.msgs));
  }
  const double pub_s = static_cast<double>(pub_end - start_ns) / 1e9;
  r.Add("published", static_cast<double>(sent));
  r.Add("pub_seconds", pub_s);
  r.Add("pub_msgs_per_s", static_cast<double>(sent) / pub_s);
  r.Add("pub_mib_per_s", static_cast<double>(sent * cfg.size) / pub_s / (1 << 20));

  if (receivers > 0) {
    uint64_t delivered = 0;
    uint64_t dups = 0;
    uint64_t corrupt = 0;
    uint64_t lost = 0;
    for (const auto& s : sinks) {
      delivered += s->msgs();
      dups += s->duplicates_;
      corrupt += s->corrupt_;
    }
    if (verify) {
      std::vector<std::vector<uint64_t>> all = sinks[0]->seen_;
      uint64_t distinct_sum = 0;
      for (const auto& s : sinks) {
        for (size_t p = 0; p < s->seen_.size(); ++p) {
          distinct_sum += PopCount(s->seen_[p]);
          for (size_t w = 0; w < s->seen_[p].size(); ++w) {
            all[p][w] |= s->seen_[p][w];
          }
        }
      }
      if (mode == ThroughputMode::kQueue) {
        uint64_t distinct_union = 0;
        for (const auto& words : all) {
          distinct_union += PopCount(words);
        }
        dups += distinct_sum - distinct_union;  // delivered to two members
        lost = sent - std::min(sent, distinct_union);
      } else {
        const uint64_t expected = sent * static_cast<uint64_t>(receivers);
        lost = expected - std::min(expected, distinct_sum);
      }
    } else {
      uint64_t expected =
          mode == ThroughputMode::kQueue ? sent : sent * static_cast<uint64_t>(receivers);
      lost = expected - std::min(expected, delivered);
    }
    int64_t last = std::max(state.last_recv_ns.load(), start_ns + 1);
    const double recv_s = static_cast<double>(last - start_ns) / 1e9;
    r.Add("delivered", static_cast<double>(delivered));
    r.Add("recv_seconds", recv_s);
    r.Add("recv_msgs_per_s", static_cast<double>(delivered) / recv_s);
    r.Add("recv_mib_per_s", static_cast<double>(delivered * cfg.size) / recv_s / (1 << 20));
    r.Add("lost", static_cast<double>(lost));
    r.Add("duplicates", static_cast<double>(dups));
    r.Add("corrupt", static_cast<double>(corrupt));
    if (lost + dups + corrupt > 0) {
      r.notes.push_back(absl::StrFormat("delivery check failed: lost=%d duplicates=%d corrupt=%d",
                                        lost, dups, corrupt));
    }
    if (!verify) {
      r.notes.push_back("payload under 12 bytes: counts checked, not per-message identity");
    }
  }
  r.Add("bench_cpu_s", cpu.bench_seconds());
  r.Add("server_cpu_s", cpu.server_seconds() < 0 ? std::nan("") : cpu.server_seconds());
  return r;
}

}  // namespace lattice::bench
