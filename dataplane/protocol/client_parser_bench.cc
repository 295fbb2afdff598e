// Parse throughput of pipelined PUBs (16 B and 1 KiB payloads) and MSG header encoding.
#include <string>
#include <string_view>

#include "benchmark/benchmark.h"

#include "dataplane/protocol/client_encoder.h"
#include "dataplane/protocol/client_parser.h"

namespace lattice::protocol {
namespace {

// Counts ops and touches the payload size so nothing is optimised away.
class CountingSink : public ClientOpSink {
 public:
  bool OnConnect(std::string_view) override { return true; }
  bool OnPub(const PubOp& op) override {
    ++pubs;
    bytes += op.payload.size();
    return true;
  }
  bool OnSub(const SubOp&) override { return true; }
  bool OnUnsub(const UnsubOp&) override { return true; }
  bool OnPing() override { return true; }
  bool OnPong() override { return true; }
  bool OnErr(std::string_view) override { return true; }

  size_t pubs = 0;
  size_t bytes = 0;
};

// A 64 KiB-ish read buffer full of pipelined PUBs, as one socket read would deliver them.
std::string PipelinedPubs(size_t payload_size, size_t* count) {
  const std::string payload(payload_size, 'x');
  const std::string one =
      "PUB bench.subject.foo " + std::to_string(payload_size) + "\r\n" + payload + "\r\n";
  std::string buffer;
  *count = 0;
  while (buffer.size() + one.size() <= 64 * 1024) {
    buffer += one;
    ++*count;
  }
  return buffer;
}

void BM_ParsePipelinedPub(benchmark::State& state) {
  size_t count = 0;
  const std::string buffer = PipelinedPubs(static_cast<size_t>(state.range(0)), &count);
  ClientParser parser;
  CountingSink sink;
  for (auto _ : state) {
    size_t consumed = 0;
    const ParseStatus status = parser.Parse(buffer, &consumed, sink);
    benchmark::DoNotOptimize(status);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * count));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * buffer.size()));
}
BENCHMARK(BM_ParsePipelinedPub)->Arg(16)->Arg(1024);

void BM_AppendMsg(benchmark::State& state) {
  const std::string payload(static_cast<size_t>(state.range(0)), 'x');
  std::string out;
  out.reserve(1 << 20);
  for (auto _ : state) {
    if (out.size() > (1 << 19)) {
      out.clear();
    }
    AppendMsg(&out, "bench.subject.foo", "12", "_INBOX.abcdef", payload);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_AppendMsg)->Arg(16)->Arg(1024);

}  // namespace
}  // namespace lattice::protocol
