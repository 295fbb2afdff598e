// Fuzz target for the interest graph's untrusted input: sequences of node sessions opening and
// closing, InterestDelta bytes as a node would send them and QueryInterestRequest bytes as an
// admin would. Nothing may crash, and after every step the graph must agree with itself: the
// entries an unfiltered query returns are exactly the nodes' entry counts, each with a
// positive weight, in (account, subject, queue, node) order.
//
// Input: records of [op][node][len lo][len hi][len bytes]; op % 4: 0 Open, 1 Apply (payload is
// an InterestDelta), 2 Close, 3 Query (payload is a QueryInterestRequest).
#include <cstddef>
#include <cstdint>
#include <string>
#include <tuple>

#include "common/base/check.h"
#include "controlplane/interest/interest_graph.h"

namespace {

namespace v1 = ::lattice::control::v1;

void CheckConsistent(const lattice::interest::InterestGraph& graph) {
  v1::QueryInterestRequest all;
  all.set_limit(lattice::interest::kMaxQueryLimit);
  auto r = graph.Query(all);
  LATTICE_CHECK(r.ok());
  if (r->truncated())
    return;
  uint64_t counted = 0;
  for (const v1::NodeInterestState& n : r->nodes())
    counted += n.entries();
  LATTICE_CHECK(counted == static_cast<uint64_t>(r->entries_size()));
  for (int i = 0; i < r->entries_size(); ++i) {
    const v1::InterestEntry& e = r->entries(i);
    LATTICE_CHECK(e.weight() > 0);
    if (i > 0) {
      const v1::InterestEntry& p = r->entries(i - 1);
      LATTICE_CHECK(std::tie(p.account(), p.subject(), p.queue(), p.node_id()) <
                    std::tie(e.account(), e.subject(), e.queue(), e.node_id()));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  lattice::interest::InterestGraph graph([] { return int64_t{1}; });
  uint64_t sessions[4] = {0, 0, 0, 0};
  uint64_t next_session = 1;
  size_t at = 0;
  while (at + 4 <= size) {
    const uint8_t op = data[at] % 4;
    const int node = data[at + 1] % 4;
    const size_t len = data[at + 2] | (static_cast<size_t>(data[at + 3]) << 8);
    at += 4;
    const size_t take = len < size - at ? len : size - at;
    const std::string payload(reinterpret_cast<const char*>(data + at), take);
    at += take;
    const std::string node_id = "n" + std::to_string(node);
    switch (op) {
      case 0:
        sessions[node] = next_session++;
        graph.Open(node_id, "c" + std::to_string(node % 2), sessions[node]);
        break;
      case 1: {
        v1::InterestDelta delta;
        if (delta.ParseFromString(payload))
          (void)graph.Apply(node_id, sessions[node], delta);
        break;
      }
      case 2:
        graph.Close(node_id, sessions[node]);
        break;
      default: {
        v1::QueryInterestRequest req;
        if (req.ParseFromString(payload))
          (void)graph.Query(req);
        break;
      }
    }
    CheckConsistent(graph);
  }
  return 0;
}
