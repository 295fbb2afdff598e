// Loopback helpers for e2e tests: temp dirs, TCP connections, a tiny HTTP GET.
#pragma once

#include <chrono>
#include <string>

#include "absl/status/statusor.h"

#include "common/testing/ports.h"

namespace lattice::e2e {

// Free loopback ports, connections and TCP readiness come from common/testing. Another process may
// take a free port before the caller binds it; ServerProcess retries on that.
using ::lattice::testutil::ConnectTcp;
using ::lattice::testutil::FreePort;
using ::lattice::testutil::WaitForTcp;

// Creates a fresh directory under $TEST_TMPDIR (or /tmp) named `<prefix>.XXXXXX`.
absl::StatusOr<std::string> MakeTempDir(const std::string& prefix);

// Output directory for logs kept after the test: $TEST_UNDECLARED_OUTPUTS_DIR, else $TEST_TMPDIR,
// else /tmp.
std::string OutputDir();

// HTTP/1.0 GET http://127.0.0.1:`port``path`; returns the body of a 200 response.
absl::StatusOr<std::string> HttpGet(int port, const std::string& path,
                                    std::chrono::milliseconds timeout);

// Writes `contents` to `path` (replacing it).
absl::Status WriteFile(const std::string& path, const std::string& contents);

// Reads a whole file; empty string when it cannot be read.
std::string ReadFileOrEmpty(const std::string& path);

}  // namespace lattice::e2e
