// Starts and stops a NATS server process (nats-server or lattice-node) for e2e tests.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include "common/testing/child_process.h"

namespace lattice::e2e {

// Which server binary a test runs against; every e2e scenario runs against both.
enum class ServerKind { kNatsServer, kLatticeNode };

// "nats_server" / "lattice_node": usable in gtest parameter names.
const char* ServerKindName(ServerKind kind);

// Path of the server binary: $NATS_SERVER_BIN or /usr/sbin/nats-server; $LATTICE_NODE_BIN or the
// Bazel runfile lattice/dataplane/lattice-node (under $TEST_SRCDIR or $RUNFILES_DIR).
absl::StatusOr<std::string> ServerBinary(ServerKind kind);

// What to start. Flags follow nats-server's CLI, which lattice-node shares.
struct ServerConfig {
  // When non-empty, written to <dir>/server.conf and passed as `-c`.
  std::string config_text;
  // Extra command-line flags, appended after the harness' own (-a, -p, -m, -c).
  std::vector<std::string> args;
  // Also allocate a monitoring port and pass `-m`.
  bool monitoring = false;
  // Bound on waiting for the client port (and the monitoring port, if any) to accept TCP.
  std::chrono::milliseconds ready_timeout{10000};
};

// One running server process on loopback ports chosen by the harness. Its stdout and stderr go to
// a log file in the test's output directory. The destructor stops it (SIGTERM, then SIGKILL).
// Owned by one test. Thread: the test's main thread.
class ServerProcess {
 public:
  // Allocates ports, writes the config, forks/execs the binary and waits until the client port
  // accepts TCP. Retries with new ports when the process died because a port was taken.
  static absl::StatusOr<std::unique_ptr<ServerProcess>> Start(ServerKind kind, ServerConfig config);
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  ServerKind kind() const { return kind_; }
  int port() const { return port_; }
  int http_port() const { return http_port_; }
  pid_t pid() const { return child_.has_value() ? child_->pid() : -1; }
  const std::string& dir() const { return dir_; }
  const std::string& config_path() const { return config_path_; }
  const std::string& log_path() const { return log_path_; }
  std::string ReadLog() const;
  // "nats://127.0.0.1:<port>".
  std::string url() const;

  // Replaces the config file's contents (for reload tests).
  absl::Status RewriteConfig(const std::string& text);
  absl::Status Signal(int signal_number);
  // True while the process has not exited.
  bool Running();

  // SIGTERM, wait up to `timeout`, then SIGKILL. Returns the raw wait status. Idempotent: a second
  // call returns the first status.
  absl::StatusOr<int> Stop(std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));
  // Waits up to `timeout` for the process to exit on its own; returns the raw wait status.
  absl::StatusOr<int> WaitExit(std::chrono::milliseconds timeout);
  // Starts the same binary and config again on the same ports (the previous run must have been
  // stopped) and waits until it accepts TCP.
  absl::Status Restart();

 private:
  ServerProcess(ServerKind kind, ServerConfig config) : kind_(kind), config_(std::move(config)) {}
  std::vector<std::string> Argv() const;
  // Forks/execs once and waits for readiness; kUnavailable when the process exited early.
  absl::Status Launch();

  ServerKind kind_;
  ServerConfig config_;
  std::string binary_;
  std::string dir_;
  std::string config_path_;
  std::string log_path_;
  int port_ = 0;
  int http_port_ = 0;
  // The current run; replaced by Restart().
  std::optional<testutil::ChildProcess> child_;
};

// Human-readable wait status ("exited 0", "killed by signal 9").
using ::lattice::testutil::DescribeWaitStatus;

}  // namespace lattice::e2e
