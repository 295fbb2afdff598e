// Memory scenarios: server RSS per idle connection (`idle-conns`) and per subscription (`subs`).
#pragma once

#include "absl/status/statusor.h"

#include "tools/bench/config.h"
#include "tools/bench/report.h"

namespace lattice::bench {

// Opens cfg.conns connections (CONNECT + PING/PONG each), holds them for cfg.hold_s, and reports
// the change in the server's VmRSS (needs cfg.server_pid) per connection.
absl::StatusOr<RoundResult> RunIdleConnsRound(const BenchConfig& cfg, int round);

// Creates cfg.sub_count subscriptions on distinct subjects over cfg.sub_conns connections,
// confirms them with PING/PONG, holds cfg.hold_s and reports the RSS change per subscription.
absl::StatusOr<RoundResult> RunSubsRound(const BenchConfig& cfg, int round);

// Raises this process's open-file soft limit to the hard limit; returns the new soft limit.
uint64_t RaiseFdLimit();

}  // namespace lattice::bench
