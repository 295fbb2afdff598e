// Topology keys, validation and per-node views.
#include "controlplane/topology/topology_rules.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"

#include "common/nkeys/nkeys.h"

namespace lattice::topology {
namespace {

using control::v1::TopologyKind;
using control::v1::TopologyObject;

bool IsValidName(const std::string& name) {
  if (name.empty() || name.size() > 128)
    return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    if (!ok)
      return false;
  }
  return true;
}

// scheme://host:port with a known scheme and a numeric port.
bool IsValidUrl(const std::string& url) {
  static const char* kSchemes[] = {"nats://", "tls://", "nats-leaf://", "ws://", "wss://"};
  std::string rest;
  for (const char* scheme : kSchemes) {
    if (url.rfind(scheme, 0) == 0) {
      rest = url.substr(std::string(scheme).size());
      break;
    }
  }
  size_t at = rest.rfind('@');
  if (at != std::string::npos)
    rest = rest.substr(at + 1);
  size_t colon = rest.rfind(':');
  if (rest.empty() || colon == std::string::npos || colon == 0 || colon + 1 == rest.size())
    return false;
  for (size_t i = colon + 1; i < rest.size(); ++i) {
    if (rest[i] < '0' || rest[i] > '9')
      return false;
  }
  return rest.size() - colon - 1 <= 5 && std::stoi(rest.substr(colon + 1)) <= 65535;
}

void CheckName(const std::string& what, const std::string& name, std::vector<std::string>* out) {
  if (!IsValidName(name))
    out->push_back(absl::StrCat(what, " \"", name, "\": names are 1-128 of [A-Za-z0-9._-]"));
}

void CheckUrls(const std::string& what, const google::protobuf::RepeatedPtrField<std::string>& urls,
               std::vector<std::string>* out) {
  for (const std::string& url : urls) {
    if (!IsValidUrl(url))
      out->push_back(absl::StrCat(what, ": bad URL \"", url, "\" (want scheme://host:port)"));
  }
}

uint64_t Fnv1a(const std::string& bytes) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace

std::string GatewayKey(const std::string& from, const std::string& to) {
  return absl::StrCat(from, "/", to);
}

std::string TopologyKey(const TopologyObject& object) {
  switch (object.object_case()) {
    case TopologyObject::kCluster:
      return object.cluster().name();
    case TopologyObject::kNode:
      return object.node().id();
    case TopologyObject::kGateway:
      return GatewayKey(object.gateway().from_cluster(), object.gateway().to_cluster());
    case TopologyObject::kLeafRemote:
      return object.leaf_remote().name();
    case TopologyObject::OBJECT_NOT_SET:
      break;
  }
  return "";
}

std::string TopologyKindName(TopologyKind kind) {
  switch (kind) {
    case control::v1::TOPOLOGY_KIND_CLUSTER:
      return "cluster";
    case control::v1::TOPOLOGY_KIND_NODE:
      return "node";
    case control::v1::TOPOLOGY_KIND_GATEWAY:
      return "gateway";
    case control::v1::TOPOLOGY_KIND_LEAF_REMOTE:
      return "leaf_remote";
    default:
      break;
  }
  return "unknown";
}

TopologyKind KindOf(const TopologyObject& object) {
  switch (object.object_case()) {
    case TopologyObject::kCluster:
      return control::v1::TOPOLOGY_KIND_CLUSTER;
    case TopologyObject::kNode:
      return control::v1::TOPOLOGY_KIND_NODE;
    case TopologyObject::kGateway:
      return control::v1::TOPOLOGY_KIND_GATEWAY;
    case TopologyObject::kLeafRemote:
      return control::v1::TOPOLOGY_KIND_LEAF_REMOTE;
    case TopologyObject::OBJECT_NOT_SET:
      break;
  }
  return control::v1::TOPOLOGY_KIND_UNSPECIFIED;
}

std::vector<std::string> ValidateObject(const TopologyObject& object) {
  std::vector<std::string> errors;
  switch (object.object_case()) {
    case TopologyObject::kCluster:
      CheckName("cluster", object.cluster().name(), &errors);
      break;
    case TopologyObject::kNode: {
      const auto& node = object.node();
      CheckName("node", node.id(), &errors);
      CheckName("node " + node.id() + " cluster", node.cluster(), &errors);
      std::string what = "node " + node.id();
      CheckUrls(what, node.client_urls(), &errors);
      CheckUrls(what, node.route_urls(), &errors);
      CheckUrls(what, node.gateway_urls(), &errors);
      CheckUrls(what, node.leaf_urls(), &errors);
      break;
    }
    case TopologyObject::kGateway: {
      const auto& gw = object.gateway();
      CheckName("gateway from", gw.from_cluster(), &errors);
      CheckName("gateway to", gw.to_cluster(), &errors);
      if (gw.from_cluster() == gw.to_cluster())
        errors.push_back("gateway " + gw.from_cluster() + ": a cluster cannot gateway to itself");
      CheckUrls("gateway " + GatewayKey(gw.from_cluster(), gw.to_cluster()), gw.urls(), &errors);
      break;
    }
    case TopologyObject::kLeafRemote: {
      const auto& leaf = object.leaf_remote();
      CheckName("leaf remote", leaf.name(), &errors);
      CheckName("leaf remote " + leaf.name() + " node", leaf.node_id(), &errors);
      if (leaf.urls().empty())
        errors.push_back("leaf remote " + leaf.name() + ": at least one URL is required");
      CheckUrls("leaf remote " + leaf.name(), leaf.urls(), &errors);
      if (!leaf.account().empty() &&
          !nkeys::IsValidPublicKey(leaf.account(), nkeys::KeyType::kAccount)) {
        errors.push_back("leaf remote " + leaf.name() + ": account is not an account public key");
      }
      break;
    }
    case TopologyObject::OBJECT_NOT_SET:
      errors.push_back("no object given");
      break;
  }
  return errors;
}

std::vector<std::string> ValidateReferences(const TopologySet& set) {
  std::vector<std::string> errors;
  for (const auto& [id, node] : set.nodes) {
    if (set.clusters.count(node.cluster()) == 0)
      errors.push_back(
          absl::StrCat("node ", id, ": cluster \"", node.cluster(), "\" does not exist"));
  }
  for (const auto& [key, gw] : set.gateways) {
    for (const std::string& c : {gw.from_cluster(), gw.to_cluster()}) {
      if (set.clusters.count(c) == 0)
        errors.push_back(absl::StrCat("gateway ", key, ": cluster \"", c, "\" does not exist"));
    }
  }
  for (const auto& [name, leaf] : set.leaf_remotes) {
    if (set.nodes.count(leaf.node_id()) == 0) {
      errors.push_back(
          absl::StrCat("leaf remote ", name, ": node \"", leaf.node_id(), "\" does not exist"));
    }
  }
  return errors;
}

void Upsert(TopologySet* set, const TopologyObject& object) {
  std::string key = TopologyKey(object);
  switch (object.object_case()) {
    case TopologyObject::kCluster:
      set->clusters[key] = object.cluster();
      break;
    case TopologyObject::kNode:
      set->nodes[key] = object.node();
      break;
    case TopologyObject::kGateway:
      set->gateways[key] = object.gateway();
      break;
    case TopologyObject::kLeafRemote:
      set->leaf_remotes[key] = object.leaf_remote();
      break;
    case TopologyObject::OBJECT_NOT_SET:
      break;
  }
}

void Erase(TopologySet* set, TopologyKind kind, const std::string& key) {
  switch (kind) {
    case control::v1::TOPOLOGY_KIND_CLUSTER:
      set->clusters.erase(key);
      break;
    case control::v1::TOPOLOGY_KIND_NODE:
      set->nodes.erase(key);
      break;
    case control::v1::TOPOLOGY_KIND_GATEWAY:
      set->gateways.erase(key);
      break;
    case control::v1::TOPOLOGY_KIND_LEAF_REMOTE:
      set->leaf_remotes.erase(key);
      break;
    default:
      break;
  }
}

TopologyObject Find(const TopologySet& set, TopologyKind kind, const std::string& key) {
  TopologyObject out;
  switch (kind) {
    case control::v1::TOPOLOGY_KIND_CLUSTER:
      if (auto it = set.clusters.find(key); it != set.clusters.end())
        *out.mutable_cluster() = it->second;
      break;
    case control::v1::TOPOLOGY_KIND_NODE:
      if (auto it = set.nodes.find(key); it != set.nodes.end())
        *out.mutable_node() = it->second;
      break;
    case control::v1::TOPOLOGY_KIND_GATEWAY:
      if (auto it = set.gateways.find(key); it != set.gateways.end())
        *out.mutable_gateway() = it->second;
      break;
    case control::v1::TOPOLOGY_KIND_LEAF_REMOTE:
      if (auto it = set.leaf_remotes.find(key); it != set.leaf_remotes.end())
        *out.mutable_leaf_remote() = it->second;
      break;
    default:
      break;
  }
  return out;
}

nlohmann::json PlanView(const TopologyObject& object) {
  if (object.object_case() == TopologyObject::OBJECT_NOT_SET)
    return nullptr;
  TopologyObject copy = object;
  switch (copy.object_case()) {
    case TopologyObject::kCluster:
      copy.mutable_cluster()->clear_meta();
      break;
    case TopologyObject::kNode:
      copy.mutable_node()->clear_meta();
      copy.mutable_node()->clear_sync();
      break;
    case TopologyObject::kGateway:
      copy.mutable_gateway()->clear_meta();
      break;
    case TopologyObject::kLeafRemote:
      copy.mutable_leaf_remote()->clear_meta();
      if (!copy.leaf_remote().credentials().empty())
        copy.mutable_leaf_remote()->set_credentials("(redacted)");
      break;
    case TopologyObject::OBJECT_NOT_SET:
      break;
  }
  std::string text;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  if (!google::protobuf::util::MessageToJsonString(copy, &text, options).ok())
    return nullptr;
  nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded() || !json.is_object() || json.empty())
    return nlohmann::json::object();
  return json.begin().value();  // unwrap the oneof: {"cluster": {...}} -> {...}
}

control::v1::Topology BuildNodeTopology(const TopologySet& set, const std::string& node_id,
                                        const std::string& cluster) {
  control::v1::Topology topo;
  topo.set_cluster(cluster);
  for (const auto& [id, node] : set.nodes) {
    if (id == node_id || node.cluster() != cluster || node.state() == control::v1::NODE_STATE_DOWN)
      continue;
    control::v1::Node* peer = topo.add_peers();
    peer->set_id(id);
    peer->set_cluster(node.cluster());
    *peer->mutable_client_urls() = node.client_urls();
    *peer->mutable_route_urls() = node.route_urls();
    *peer->mutable_gateway_urls() = node.gateway_urls();
    *peer->mutable_leaf_urls() = node.leaf_urls();
    peer->set_state(node.state());
  }
  for (const auto& [key, gw] : set.gateways) {
    if (gw.from_cluster() != cluster)
      continue;
    control::v1::GatewayTarget* target = topo.add_gateways();
    target->set_cluster(gw.to_cluster());
    if (!gw.urls().empty()) {
      *target->mutable_urls() = gw.urls();
      continue;
    }
    for (const auto& [id, node] : set.nodes) {
      if (node.cluster() == gw.to_cluster() && node.state() != control::v1::NODE_STATE_DOWN) {
        for (const auto& url : node.gateway_urls())
          target->add_urls(url);
      }
    }
  }
  for (const auto& [name, leaf] : set.leaf_remotes) {
    if (leaf.node_id() == node_id) {
      *topo.add_leaf_remotes() = leaf;
      topo.mutable_leaf_remotes(topo.leaf_remotes_size() - 1)->clear_meta();
    }
  }
  char version[24];
  std::snprintf(version, sizeof(version), "t-%016llx",
                static_cast<unsigned long long>(Fnv1a(topo.SerializeAsString())));
  topo.set_version(version);
  return topo;
}

}  // namespace lattice::topology
