// Child processes for accountd's component and e2e tests: nats-server, accountd itself.
#pragma once

#include <string>

#include "absl/status/statusor.h"

#include "common/testing/child_process.h"
#include "common/testing/eventually.h"
#include "common/testing/ports.h"

namespace lattice::accountd::testing {

// The shared pieces, under the names accountd's tests already use.
using ::lattice::testutil::ChildProcess;
using ::lattice::testutil::Eventually;
using ::lattice::testutil::FreePort;
using ::lattice::testutil::WaitForLog;
using ::lattice::testutil::WaitForTcp;

// A nats-server child on a loopback port.
struct NatsServer {
  ChildProcess process;
  int port = 0;
  std::string url() const { return "nats://127.0.0.1:" + std::to_string(port); }
};
// Writes `<dir>/nats.conf` ("port: P" plus `config`), starts `nats-server -c` and waits until it
// accepts TCP; retries with another port when the process dies early (port taken). A non-zero
// `port` is used as is (no retry).
absl::StatusOr<NatsServer> StartNatsServer(const std::string& dir, const std::string& config,
                                           int port = 0);

// $NATS_SERVER_BIN or /usr/sbin/nats-server.
std::string NatsServerBinary();
// An executable from the test's runfiles, by workspace-relative path ("accountd/accountd").
absl::StatusOr<std::string> RunfileBinary(const std::string& path);
// The accountd binary from the test's runfiles.
absl::StatusOr<std::string> AccountdBinary();

}  // namespace lattice::accountd::testing
