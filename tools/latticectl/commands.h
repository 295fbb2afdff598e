// latticectl command implementations over a Store; each returns a Status for cli.cc to report.
#pragma once

#include <cstdint>
#include <ostream>

#include "absl/status/status.h"

#include "tools/latticectl/flags.h"
#include "tools/latticectl/store.h"

namespace lattice::latticectl {

// Shared context of one invocation. Thread: single thread.
struct Context {
  Store& store;
  const Flags& flags;
  std::ostream& out;
  int64_t now;
};

absl::Status AddOperator(Context& ctx);
absl::Status AddAccount(Context& ctx);
absl::Status EditAccount(Context& ctx);
absl::Status AddUser(Context& ctx);
absl::Status RevokeUser(Context& ctx);
absl::Status RevokeActivation(Context& ctx);
absl::Status GenerateActivation(Context& ctx);
absl::Status GenerateCreds(Context& ctx);
absl::Status GenerateConfig(Context& ctx);
absl::Status DescribeJwt(Context& ctx);

}  // namespace lattice::latticectl
