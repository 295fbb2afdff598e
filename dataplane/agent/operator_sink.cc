// OperatorAgentSink: pushed bundles -> OperatorMode::ApplySnapshot; topology kept for monitoring.
#include "dataplane/agent/operator_sink.h"

#include <utility>

#include "absl/strings/str_cat.h"

#include "common/base/log.h"

namespace lattice::agent {

SnapshotInput SnapshotFromBundle(const AccountsBundle& bundle, const std::string& keep_key,
                                 const std::string& keep_jwt) {
  SnapshotInput out;
  for (const auto& [key, account] : bundle.accounts)
    out.accounts.emplace(key, account.jwt);
  out.deleted.assign(bundle.deleted.begin(), bundle.deleted.end());
  if (!keep_key.empty() && !keep_jwt.empty() && bundle.accounts.count(keep_key) == 0 &&
      bundle.deleted.count(keep_key) == 0) {
    out.accounts.emplace(keep_key, keep_jwt);
  }
  return out;
}

OperatorAgentSink::OperatorAgentSink(operator_mode::OperatorMode* mode) : mode_(mode) {}

absl::Status OperatorAgentSink::ApplyAccounts(std::shared_ptr<const AccountsBundle> bundle) {
  if (bundle == nullptr)
    return absl::InvalidArgumentError("no accounts bundle");
  // The system account the node resolved from its own configuration stays unless the control
  // plane pushes its own JWT for it (or tombstones it).
  const std::string& system = mode_->system_account();
  SnapshotInput input =
      SnapshotFromBundle(*bundle, system, system.empty() ? std::string() : mode_->HeldJwt(system));
  absl::Status applied = mode_->ApplySnapshot(input.accounts, input.deleted);
  MutexLock lock(&mu_);
  if (!applied.ok()) {
    ++status_.accounts_refused;
    status_.last_refusal = absl::StrCat(bundle->version, ": ", applied.message());
    return applied;
  }
  ++status_.accounts_applied;
  status_.accounts_version = bundle->version;
  return absl::OkStatus();
}

absl::Status OperatorAgentSink::ApplyTopology(std::shared_ptr<const v1::Topology> topology) {
  if (topology == nullptr)
    return absl::InvalidArgumentError("no topology");
  if (topology->peers_size() > 0 || topology->gateways_size() > 0) {
    LATTICE_LOG(kInfo) << "topology " << topology->version() << ": " << topology->peers_size()
                       << " peers, " << topology->gateways_size()
                       << " gateways stored for monitoring (routes and gateways not wired)";
  }
  MutexLock lock(&mu_);
  status_.topology_version = topology->version();
  topology_ = std::move(topology);
  return absl::OkStatus();
}

std::shared_ptr<const v1::Topology> OperatorAgentSink::topology() const {
  MutexLock lock(&mu_);
  return topology_;
}

OperatorSinkStatus OperatorAgentSink::status() const {
  MutexLock lock(&mu_);
  return status_;
}

}  // namespace lattice::agent
