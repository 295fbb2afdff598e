// OperatorAgentSink: applies pushed accounts bundles to an operator-mode node (OperatorMode).
//
//   OperatorAgentSink sink(mode.get());                  // mode: the node's OperatorMode
//   LATTICE_ASSIGN_OR_RETURN(auto agent, ControlAgent::Create(config, &sink));
//   ... sink.topology() for monitoring ...
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"

#include "common/base/mutex.h"
#include "dataplane/agent/agent_sink.h"
#include "dataplane/operator/operator_mode.h"

namespace lattice::agent {

// The key -> JWT map and tombstones OperatorMode::ApplySnapshot takes for `bundle`. When
// `keep_key` is not empty, not in the bundle and not tombstoned, `keep_jwt` is added under it
// (the node's system account, which a control plane need not push).
struct SnapshotInput {
  std::map<std::string, std::string> accounts;
  std::vector<std::string> deleted;
};
SnapshotInput SnapshotFromBundle(const AccountsBundle& bundle, const std::string& keep_key,
                                 const std::string& keep_jwt);

// Counters and versions, for monitoring and tests.
struct OperatorSinkStatus {
  std::string accounts_version;  // last bundle OperatorMode accepted
  std::string topology_version;  // last topology stored
  uint64_t accounts_applied = 0;
  uint64_t accounts_refused = 0;
  std::string last_refusal;
};

// The AgentSink of an operator-mode lattice-node: a bundle becomes one all-or-nothing
// OperatorMode::ApplySnapshot (every JWT verified again against the node's operators; the
// first error is the NACK reason and nothing changes). The topology is only stored (routes
// and gateways are not wired yet). Owned by main next to the OperatorMode it feeds, which must
// outlive it. Thread: Apply* on the agent thread; topology() and status() from any thread.
class OperatorAgentSink final : public AgentSink {
 public:
  explicit OperatorAgentSink(operator_mode::OperatorMode* mode);

  absl::Status ApplyAccounts(std::shared_ptr<const AccountsBundle> bundle) override;
  absl::Status ApplyTopology(std::shared_ptr<const v1::Topology> topology) override;

  std::shared_ptr<const v1::Topology> topology() const;
  OperatorSinkStatus status() const;

 private:
  operator_mode::OperatorMode* const mode_;
  mutable Mutex mu_;
  std::shared_ptr<const v1::Topology> topology_ ABSL_GUARDED_BY(mu_);
  OperatorSinkStatus status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace lattice::agent
