// Parameterized gtest base for differential e2e suites: each test runs against nats-server and
// lattice-node, and lattice-node cases listed in kKnownLatticeGaps are skipped with their reason.
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"

#include "e2e/harness/raw_client.h"
#include "e2e/harness/server_process.h"
#include "e2e/harness/status_matchers.h"

namespace lattice::e2e {

// Prints the parameter by name in gtest failure messages.
inline void PrintTo(ServerKind kind, std::ostream* os) {
  *os << ServerKindName(kind);
}

// A lattice-node behaviour that does not match nats-server yet. `id` is "Suite.Test" (without
// the instantiation prefix or the /server suffix), or "*" for every test.
struct KnownGap {
  std::string id;
  std::string reason;
};

// Parses `<id> <reason>` lines ('#' comments and blank lines skipped).
std::vector<KnownGap> ParseKnownGaps(const std::string& text);

// The single list of lattice-node gaps, e2e/known_lattice_gaps.txt (shared with e2e/js), read
// from the runfiles ($LATTICE_GAPS_FILE overrides). An error when the file cannot be read.
absl::StatusOr<std::vector<KnownGap>> KnownLatticeGaps();

// The reason when gtest's `suite`/`test` names are listed in `gaps`, else nullptr.
const std::string* FindKnownGap(const std::vector<KnownGap>& gaps, const std::string& suite,
                                const std::string& test);

// Base fixture: GetParam() is the server under test. Servers started through StartServer are
// stopped at teardown, and their logs are printed when the test failed.
// Owned by gtest. Thread: the test's main thread.
class ServerTest : public ::testing::TestWithParam<ServerKind> {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Starts a server of the parameter's kind; fails the test (returns nullptr) when it cannot.
  ServerProcess* StartServer(ServerConfig config = {});
  ServerKind kind() const { return GetParam(); }
  bool is_lattice() const { return GetParam() == ServerKind::kLatticeNode; }

 private:
  std::vector<std::unique_ptr<ServerProcess>> servers_;
};

}  // namespace lattice::e2e

// Instantiates `suite` once per server kind, named .../nats_server and .../lattice_node.
#define LATTICE_E2E_INSTANTIATE(suite)                                                         \
  INSTANTIATE_TEST_SUITE_P(Servers, suite,                                                     \
                           ::testing::Values(::lattice::e2e::ServerKind::kNatsServer,          \
                                             ::lattice::e2e::ServerKind::kLatticeNode),        \
                           [](const ::testing::TestParamInfo<::lattice::e2e::ServerKind>& i) { \
                             return std::string(::lattice::e2e::ServerKindName(i.param));      \
                           })

// Inside a ServerTest: starts a server or fails the test.
#define START_SERVER_OR_FAIL(var, ...)           \
  ServerProcess* var = StartServer(__VA_ARGS__); \
  ASSERT_NE(var, nullptr)
