// libFuzzer target: ClientParser never crashes, keeps its contract, and yields the same ops
// and outcome however the input is split into reads or stopped by the sink.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "dataplane/protocol/client_parser.h"
#include "dataplane/protocol/client_parser_testing.h"

namespace {

using lattice::protocol::ParserLimits;
using lattice::protocol::testing::Feed;
using lattice::protocol::testing::FeedResult;

void Require(bool ok, const char* what, size_t cut) {
  if (!ok) {
    std::fprintf(stderr, "invariant broken: %s (cut %zu)\n", what, cut);
    std::abort();
  }
}

void RequireSame(const FeedResult& a, const FeedResult& b, const char* what, size_t cut) {
  Require(a.ops == b.ops, what, cut);
  Require(a.last_status == b.last_status, what, cut);
  Require(a.error == b.error, what, cut);
  Require(a.buffered == b.buffered, what, cut);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  // The first byte picks limits small enough that the limit paths are reachable.
  ParserLimits limits;
  limits.max_control_line = 16 + (data[0] & 0x3f);
  limits.max_payload = (data[0] & 0x40) ? -1 : 64;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);

  const FeedResult whole = Feed(input, {}, limits);
  for (const std::string& op : whole.ops) {
    Require(op.rfind("INVARIANT", 0) != 0, "Parse contract", 0);
  }

  // Every split position for short inputs, a spread of them for long ones.
  const size_t step = input.size() <= 512 ? 1 : input.size() / 256;
  for (size_t cut = 0; cut <= input.size(); cut += step) {
    RequireSame(whole, Feed(input, {cut}, limits), "single split differs", cut);
  }
  if (input.size() <= 4096) {
    std::vector<size_t> every;
    for (size_t i = 1; i < input.size(); ++i) {
      every.push_back(i);
    }
    RequireSame(whole, Feed(input, every, limits), "byte-by-byte differs", 0);
  }
  RequireSame(whole, Feed(input, {}, limits, /*stop_after_every_op=*/true), "stop differs", 0);
  return 0;
}
