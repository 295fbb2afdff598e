// ManagedNode: lattice-node's start-up glue for `--control` (the node agent over operator mode).
//
//   LATTICE_ASSIGN_OR_RETURN(NodeArgs args, SplitNodeArgs(argc, argv));   // before parsing
//   options::ParseCommandLine(args.argc(), args.argv()) ...
//   if (args.managed) ApplyManagedOptions(args.agent, &opts);            // operator + MEMORY
//   PreloadSavedAccounts(*config, &opts);       // the saved bundle, before the port opens
//   server.EnableInterestReporting();           // before Start: sessions mark SUB/UNSUB
//   server.Start();
//   LATTICE_ASSIGN_OR_RETURN(auto managed, ManagedNode::Start(*config, server.operator_mode(),
//                                                              {"nats://host:port"},
//                                                              {server.interest_tracker(),
//                                                               server.interest_source()}));
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

#include "dataplane/agent/agent_config.h"
#include "dataplane/agent/control_agent.h"
#include "dataplane/agent/operator_sink.h"
#include "dataplane/operator/operator_mode.h"
#include "dataplane/options/options.h"

namespace lattice::agent {

// The command line split into the agent's flags and the rest (for options::ParseCommandLine).
// Value type. Thread: the caller's.
struct NodeArgs {
  bool managed = false;           // --control was given
  AgentFlags agent;               // the agent's flags (only when managed)
  std::vector<std::string> rest;  // argv[0] and every argument not taken by the agent

  int argc() const { return static_cast<int>(pointers_.size()) - 1; }
  const char* const* argv() const { return pointers_.data(); }
  void Finish();  // rebuilds argv() from rest

 private:
  std::vector<const char*> pointers_;
};

// Without `--control` (or `-control`, `--control=...`), returns the arguments untouched: the
// node is a plain nats-server and `--cluster nats://host:port` is nats-server's cluster listen
// URL. With `--control`, every agent flag (SetAgentFlag: `--name value` or `--name=value`;
// `--control_tls` may stand alone) is taken out, and so is `--cluster NAME` whose value has no
// "://" (the agent's cluster name); a `--cluster` URL stays for the server. Errors name a flag
// that lacks its value.
absl::StatusOr<NodeArgs> SplitNodeArgs(int argc, const char* const* argv);

// A managed node is an operator-mode server whose accounts come from the control plane:
// `--operator FILE` becomes the `operator` option when the config names none (they must agree
// otherwise), and the resolver defaults to MEMORY (pushed accounts are stored in it).
absl::Status ApplyManagedOptions(const AgentFlags& flags, options::Options* opts);

// Static stability from the first connection: the last-known-good accounts bundle in
// `config.state_dir`, verified against the operator `opts` names (the same checks the agent
// makes), becomes `opts->resolver_preload`, so the server holds those accounts when its listener
// opens instead of refusing their users until the agent has applied the bundle. Keys the
// configuration already preloads are kept. Accounts that expire within a minute are verified as
// expired (the whole bundle is then skipped and the agent decides, as before), so a preload
// never turns into a start-up error. A missing, corrupt or unverifiable bundle is logged and
// leaves `opts` unchanged; the returned count is the accounts added.
size_t PreloadSavedAccounts(const AgentConfig& config, options::Options* opts);

// The running agent of a managed node: an OperatorAgentSink over the server's OperatorMode and
// the ControlAgent feeding it. Owned by main; `mode` must outlive it. Thread: Start/Stop from
// main; status from any thread.
class ManagedNode {
 public:
  // Checks that the configured operator is the server's (the agent verifies bundles against
  // the same JWT), applies the last-known-good bundle from state_dir and starts the agent,
  // which reports the node's interest from `interest` (both null: no reporting).
  static absl::StatusOr<std::unique_ptr<ManagedNode>> Start(AgentConfig config,
                                                            operator_mode::OperatorMode* mode,
                                                            std::vector<std::string> client_urls,
                                                            InterestReporting interest = {});
  ~ManagedNode();
  void Stop();

  AgentStatus agent_status() const { return agent_->status(); }
  const OperatorAgentSink& sink() const { return *sink_; }
  const std::string& node_id() const { return agent_->node_id(); }

 private:
  ManagedNode() = default;
  std::unique_ptr<OperatorAgentSink> sink_;  // declared first: outlives the agent
  std::unique_ptr<ControlAgent> agent_;
};

}  // namespace lattice::agent
