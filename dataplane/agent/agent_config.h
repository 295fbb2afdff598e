// AgentConfig: what the node agent needs, and a helper turning lattice-node flags into it.
//
//   AgentFlags flags;                                 // main's parser routes agent flags here
//   if (!SetAgentFlag(name, value, &flags)) ... not an agent flag ...
//   LATTICE_ASSIGN_OR_RETURN(std::optional<AgentConfig> config, AgentConfigFromFlags(flags));
//   // nullopt: no --control given, the node runs without a control plane.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace lattice::agent {

// Client credentials for the NodeSync stream. lattice-control accepts a bearer token and/or a
// TLS client certificate signed by its --client-ca.
struct ControlCredentials {
  std::string bearer_token;    // sent as "authorization: Bearer <token>"
  bool tls = false;            // TLS to the control plane (required with a client certificate)
  std::string root_certs_pem;  // empty: the system roots
  std::string client_cert_chain_pem;  // mTLS
  std::string client_key_pem;
  std::string tls_server_name;  // overrides the name checked against the server certificate
};

struct AgentConfig {
  std::vector<std::string> control_addresses;  // host:port of each control-plane replica
  std::string cluster;
  std::string node_id;       // empty: the id stored in state_dir (created on first start)
  std::string operator_jwt;  // the operator this node trusts (nats-server's `operator:`)
  std::string state_dir;     // last-known-good bundles; empty: nothing persisted
  ControlCredentials credentials;
  std::vector<std::string> client_urls;  // advertised at registration
  std::vector<std::string> route_urls;
  std::vector<std::string> gateway_urls;
  std::vector<std::string> leaf_urls;
  std::string version = "lattice-node";
  // Reconnect backoff (ReconnectPolicy): every attempt moves to the next address (round
  // robin); failed attempts within one sweep of the list follow each other at once, and after
  // a whole sweep failed the pause doubles from initial to max; reset once registered.
  std::chrono::milliseconds initial_backoff{100};
  std::chrono::milliseconds max_backoff{5000};
  // A replica that accepts the connection but sends no Registered within this time is
  // abandoned for the next one.
  std::chrono::milliseconds register_timeout{10000};
  // While registered, the replica of the stream is asked for its replica view
  // (Admin.ListReplicas) every probe_interval. No answer within probe_timeout (a stopped or
  // cut-off replica, whose idle stream would otherwise look alive until gRPC keepalive notices,
  // up to 5 min), or a leader other than the one the first probe of the stream saw (the stream
  // is on, or relayed to, a deposed leader), ends the stream so the node registers again.
  std::chrono::milliseconds probe_interval{2000};
  std::chrono::milliseconds probe_timeout{3000};
  // A replica that answers but has known no leader for this many probes in a row is cut off
  // from its majority (or was deposed and can reach nobody): the stream's registration, ACKs
  // and reported interest would stay on it while the leader elsewhere counts the node missing,
  // so it ends too. An election takes about a second; 3 probes are 6 s.
  int leaderless_probes = 3;
};

// Raw flag values as given on the command line.
struct AgentFlags {
  std::string control;  // "host:port[,host:port...]"
  std::string cluster;
  std::string node_id;
  std::string operator_file;  // path to the operator JWT
  std::string control_token;
  std::string control_token_file;
  std::string control_tls_ca;    // PEM file; setting any control_tls flag enables TLS
  std::string control_tls_cert;  // PEM file (mTLS)
  std::string control_tls_key;   // PEM file (mTLS)
  std::string control_tls_server_name;
  std::string state_dir;
  bool control_tls = false;  // --control_tls: TLS with the system roots
};

// Stores `value` when `name` (with or without leading dashes, '-' or '_') is an agent flag:
// control, cluster, node_id, operator, control_token, control_token_file, control_tls,
// control_tls_ca, control_tls_cert, control_tls_key, control_tls_server_name, state_dir.
// Returns false for any other name.
bool SetAgentFlag(std::string_view name, std::string_view value, AgentFlags* flags);

// The usage lines for the agent flags.
std::string AgentFlagsUsage();

// Validates the flags and reads the files they name. nullopt when --control is absent (and no
// other agent flag is set). InvalidArgument for inconsistent flags (control without cluster or
// operator, a cert without a key, an empty address), NotFound/Internal for unreadable files.
absl::StatusOr<std::optional<AgentConfig>> AgentConfigFromFlags(const AgentFlags& flags);

// Splits "h1:p1,h2:p2" into addresses; each needs a host and a numeric port.
absl::StatusOr<std::vector<std::string>> ParseControlAddresses(std::string_view list);

}  // namespace lattice::agent
