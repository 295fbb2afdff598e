// AgentSink: the seam between the control agent and the server that applies pushed state.
#pragma once

#include <memory>

#include "absl/status/status.h"

#include "dataplane/agent/bundle.h"

namespace lattice::agent {

// Implemented by the server (or a test). The agent calls it with resources that already passed
// verification; a non-OK status is sent to the control plane as a NACK of that version and the
// node keeps what it had. Implementations must not block for long: they build or swap
// immutable snapshots and post them to the loops (DESIGN.md §4), then return.
// Owned by main, outlives the ControlAgent. Thread: called on the agent thread only.
class AgentSink {
 public:
  virtual ~AgentSink() = default;

  // A new accounts bundle (also at start from the last-known-good store). Accounts missing
  // from it or in `deleted` are gone: their clients are disconnected.
  virtual absl::Status ApplyAccounts(std::shared_ptr<const AccountsBundle> bundle) = 0;
  // A new topology view (peers to route to, gateways, leaf remotes of this node).
  virtual absl::Status ApplyTopology(std::shared_ptr<const v1::Topology> topology) = 0;
};

}  // namespace lattice::agent
