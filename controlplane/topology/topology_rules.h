// Topology domain rules: keys and validation of clusters, nodes, gateways and leaf remotes, and
// the per-node view (peers, gateways, leaf remotes) that NodeSync pushes.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"

#include "lattice/control/v1/admin.pb.h"
#include "lattice/control/v1/node_sync.pb.h"

namespace lattice::topology {

// Every topology object, keyed as the store keys them. Value type.
struct TopologySet {
  std::map<std::string, control::v1::Cluster> clusters;
  std::map<std::string, control::v1::Node> nodes;
  std::map<std::string, control::v1::Gateway> gateways;  // "<from>/<to>"
  std::map<std::string, control::v1::LeafRemote> leaf_remotes;
};

// The store key of an object: cluster name, node id, "<from>/<to>", leaf remote name. Empty
// when the object is unset.
std::string TopologyKey(const control::v1::TopologyObject& object);
std::string GatewayKey(const std::string& from, const std::string& to);
// "cluster", "node", "gateway", "leaf_remote" (the store's kind names).
std::string TopologyKindName(control::v1::TopologyKind kind);
control::v1::TopologyKind KindOf(const control::v1::TopologyObject& object);

// Field checks on one object (names, URLs, keys); errors are human-readable.
std::vector<std::string> ValidateObject(const control::v1::TopologyObject& object);
// Cross-object checks on the whole set: nodes, gateways and leaf remotes point at clusters and
// nodes that exist, gateways join two different clusters.
std::vector<std::string> ValidateReferences(const TopologySet& set);

// Inserts or replaces (`object`) or removes (`kind`, `key`) in `set`.
void Upsert(TopologySet* set, const control::v1::TopologyObject& object);
void Erase(TopologySet* set, control::v1::TopologyKind kind, const std::string& key);
// The stored object for (kind, key), unset when absent.
control::v1::TopologyObject Find(const TopologySet& set, control::v1::TopologyKind kind,
                                 const std::string& key);

// The object as plans show it: JSON without meta, and without a node's runtime sync status.
// Null for an unset object.
nlohmann::json PlanView(const control::v1::TopologyObject& object);

// What node `node_id` of `cluster` should run: its cluster peers (other nodes, not DOWN), the
// gateways from its cluster with seed URLs (explicit, or the remote cluster's nodes' gateway
// URLs), and the leaf remotes assigned to it. `version` is a hash of the content, so it only
// changes when something the node acts on changes.
control::v1::Topology BuildNodeTopology(const TopologySet& set, const std::string& node_id,
                                        const std::string& cluster);

}  // namespace lattice::topology
