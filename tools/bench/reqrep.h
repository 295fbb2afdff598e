// `reqrep` scenario: closed-loop request/reply latency percentiles and throughput.
#pragma once

#include "absl/status/statusor.h"

#include "tools/bench/config.h"
#include "tools/bench/report.h"

namespace lattice::bench {

// cfg.subs responders share a queue group on cfg.subject and echo each request to its reply
// subject; cfg.pubs requesters keep cfg.concurrency requests outstanding each, until cfg.msgs
// replies arrived in total or cfg.duration_s passed. Latency is send-to-reply per request.
absl::StatusOr<RoundResult> RunReqRepRound(const BenchConfig& cfg, int round);

}  // namespace lattice::bench
