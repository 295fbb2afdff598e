// Loopback ports for tests: a free port to hand a child, and waiting until a port accepts TCP.
#pragma once

#include <chrono>

#include "absl/status/statusor.h"

namespace lattice::testutil {

// A loopback TCP port that was free a moment ago (bound to port 0, read back, released). Another
// process may take it before the caller binds it; callers that spawn servers retry on that.
absl::StatusOr<int> FreePort();

// FreePort() for fixtures that cannot fail gracefully: aborts the test binary on error.
int FreePortOrDie();

// Opens a blocking TCP connection to 127.0.0.1:`port` within `timeout`; returns the fd (the
// caller closes it) or kUnavailable.
absl::StatusOr<int> ConnectTcp(int port, std::chrono::milliseconds timeout);

// True when a TCP connection to 127.0.0.1:`port` succeeds within `timeout` (false otherwise).
// Each attempt is bounded by `timeout` too, so a black-holed port cannot stall it.
bool CanConnect(int port, std::chrono::milliseconds timeout);

// Polls until 127.0.0.1:`port` accepts TCP (true) or `timeout` passes (false).
bool WaitForTcp(int port, std::chrono::milliseconds timeout);

}  // namespace lattice::testutil
