// Throughput scenarios: `pub` (publishers only), `pubsub` (1:1 and fan-out) and `queue`.
#pragma once

#include "absl/status/statusor.h"

#include "tools/bench/config.h"
#include "tools/bench/report.h"

namespace lattice::bench {

enum class ThroughputMode : uint8_t {
  kPubOnly,  // nobody subscribes; measures ingest
  kFanOut,   // every subscriber receives every message
  kQueue,    // subscribers form one queue group; each message goes to exactly one member
};

// Runs one round: opens the connections, publishes cfg.msgs messages (or until cfg.duration_s),
// waits for receivers to drain (up to cfg.drain_s without progress) and verifies delivery by the
// (publisher, sequence) stamp carried in payloads of 12 bytes or more.
absl::StatusOr<RoundResult> RunThroughputRound(const BenchConfig& cfg, ThroughputMode mode,
                                               int round);

}  // namespace lattice::bench
