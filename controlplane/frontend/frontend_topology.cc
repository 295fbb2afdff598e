// Frontend: clusters, nodes, gateways and leaf remotes, and node registration/ACK state.
#include <algorithm>

#include "absl/strings/str_cat.h"

#include "common/base/status_macros.h"
#include "controlplane/frontend/frontend.h"
#include "controlplane/frontend/stored.h"
#include "controlplane/plan/diff.h"

namespace lattice::frontend {
namespace {

using topology::TopologySet;
using v1::TopologyObject;

constexpr size_t kMaxNackErrorBytes = 1024;

std::optional<store::Kind> StoreKind(v1::TopologyKind kind) {
  switch (kind) {
    case v1::TOPOLOGY_KIND_CLUSTER:
      return store::Kind::kCluster;
    case v1::TOPOLOGY_KIND_NODE:
      return store::Kind::kNode;
    case v1::TOPOLOGY_KIND_GATEWAY:
      return store::Kind::kGateway;
    case v1::TOPOLOGY_KIND_LEAF_REMOTE:
      return store::Kind::kLeafRemote;
    default:
      break;
  }
  return std::nullopt;
}

v1::Meta* MutableMeta(TopologyObject* o) {
  switch (o->object_case()) {
    case TopologyObject::kCluster:
      return o->mutable_cluster()->mutable_meta();
    case TopologyObject::kNode:
      return o->mutable_node()->mutable_meta();
    case TopologyObject::kGateway:
      return o->mutable_gateway()->mutable_meta();
    case TopologyObject::kLeafRemote:
      return o->mutable_leaf_remote()->mutable_meta();
    case TopologyObject::OBJECT_NOT_SET:
      break;
  }
  return nullptr;
}

uint64_t RevisionOf(TopologyObject o) {
  v1::Meta* meta = MutableMeta(&o);
  return meta == nullptr ? 0 : meta->revision();
}

std::string SerializeInner(const TopologyObject& o) {
  switch (o.object_case()) {
    case TopologyObject::kCluster:
      return o.cluster().SerializeAsString();
    case TopologyObject::kNode:
      return o.node().SerializeAsString();
    case TopologyObject::kGateway:
      return o.gateway().SerializeAsString();
    case TopologyObject::kLeafRemote:
      return o.leaf_remote().SerializeAsString();
    case TopologyObject::OBJECT_NOT_SET:
      break;
  }
  return "";
}

std::vector<std::string> NewErrors(const std::vector<std::string>& before,
                                   const std::vector<std::string>& after) {
  std::vector<std::string> out;
  for (const auto& e : after) {
    if (std::find(before.begin(), before.end(), e) == before.end())
      out.push_back(e);
  }
  return out;
}

}  // namespace

absl::StatusOr<TopologySet> Frontend::LoadTopology() const {
  TopologySet set;
  LATTICE_ASSIGN_OR_RETURN(auto clusters, ListProto<v1::Cluster>(*store_, store::Kind::kCluster));
  for (auto& c : clusters)
    set.clusters[c.name()] = std::move(c);
  LATTICE_ASSIGN_OR_RETURN(auto nodes, ListProto<v1::Node>(*store_, store::Kind::kNode));
  for (auto& n : nodes)
    set.nodes[n.id()] = std::move(n);
  LATTICE_ASSIGN_OR_RETURN(auto gateways, ListProto<v1::Gateway>(*store_, store::Kind::kGateway));
  for (auto& g : gateways)
    set.gateways[topology::GatewayKey(g.from_cluster(), g.to_cluster())] = std::move(g);
  LATTICE_ASSIGN_OR_RETURN(auto leafs,
                           ListProto<v1::LeafRemote>(*store_, store::Kind::kLeafRemote));
  for (auto& l : leafs)
    set.leaf_remotes[l.name()] = std::move(l);
  return set;
}

absl::StatusOr<WriteResult> Frontend::WriteTopologyLocked(
    const std::string& actor, v1::TopologyKind kind, const std::string& key,
    const TopologyObject* object, uint64_t expected_revision, bool create_only, bool dry_run) {
  std::optional<store::Kind> store_kind = StoreKind(kind);
  if (!store_kind.has_value())
    return absl::InvalidArgumentError("topology kind is required");
  const std::string kind_name = topology::TopologyKindName(kind);
  LATTICE_ASSIGN_OR_RETURN(TopologySet set, LoadTopology());
  const TopologyObject existing = topology::Find(set, kind, key);
  const bool exists = existing.object_case() != TopologyObject::OBJECT_NOT_SET;
  WriteResult result;
  result.key = key;
  std::string conflict;
  if (create_only && exists)
    conflict = absl::StrCat(kind_name, " ", key, " already exists");
  if (expected_revision != 0 && RevisionOf(existing) != expected_revision) {
    conflict = absl::StrCat(kind_name, " ", key, ": expected revision ", expected_revision,
                            ", stored revision is ", RevisionOf(existing));
  }
  if (!conflict.empty()) {
    if (!dry_run)
      return create_only && exists ? absl::AlreadyExistsError(conflict)
                                   : absl::AbortedError(conflict);
    result.plan.add_errors(conflict);
  }
  if (object == nullptr && !exists)
    return absl::NotFoundError(absl::StrCat("no ", kind_name, " ", key));

  const std::vector<std::string> errors_before = topology::ValidateReferences(set);
  TopologyObject next;
  if (object != nullptr) {
    next = *object;
    for (auto& e : topology::ValidateObject(next))
      result.plan.add_errors(std::move(e));
    if (next.has_node() && existing.has_node()) {
      // Runtime state belongs to NodeSync: keep it unless the admin sets a state (drain).
      *next.mutable_node()->mutable_sync() = existing.node().sync();
      if (next.node().state() == v1::NODE_STATE_UNSPECIFIED)
        next.mutable_node()->set_state(existing.node().state());
    }
    topology::Upsert(&set, next);
  } else {
    topology::Erase(&set, kind, key);
  }
  for (auto& e : NewErrors(errors_before, topology::ValidateReferences(set)))
    result.plan.add_errors(std::move(e));
  v1::Change change;
  bool changed =
      plan::MakeChange(kind_name, key, topology::PlanView(existing),
                       object ? topology::PlanView(next) : nlohmann::json(nullptr), &change);
  if (changed)
    *result.plan.add_changes() = std::move(change);
  if (dry_run)
    return result;
  LATTICE_RETURN_IF_ERROR(RefuseOnErrors(result.plan));
  if (!changed)
    return result;
  store::Batch batch;
  batch.actor = actor;
  if (object != nullptr) {
    *MutableMeta(&next) = NextMeta(actor);
    batch.reason = absl::StrCat("Put ", kind_name);
    batch.mutations.push_back(store::Mutation::Put(*store_kind, key, SerializeInner(next)));
  } else {
    batch.reason = absl::StrCat("Delete ", kind_name);
    batch.mutations.push_back(store::Mutation::Delete(*store_kind, key));
  }
  LATTICE_ASSIGN_OR_RETURN(result.revision, Commit(std::move(batch)));
  result.applied = true;
  return result;
}

absl::StatusOr<WriteResult> Frontend::PutTopology(const std::string& actor,
                                                  const v1::PutTopologyRequest& req) {
  if (req.object().object_case() == TopologyObject::OBJECT_NOT_SET)
    return absl::InvalidArgumentError("no topology object given");
  MutexLock lock(&write_mu_);
  return WriteTopologyLocked(actor, topology::KindOf(req.object()),
                             topology::TopologyKey(req.object()), &req.object(),
                             req.expected_revision(), req.create_only(), req.dry_run());
}

absl::StatusOr<WriteResult> Frontend::DeleteTopology(const std::string& actor,
                                                     const v1::DeleteTopologyRequest& req) {
  MutexLock lock(&write_mu_);
  return WriteTopologyLocked(actor, req.kind(), req.key(), nullptr, req.expected_revision(), false,
                             req.dry_run());
}

absl::StatusOr<TopologyObject> Frontend::GetTopology(v1::TopologyKind kind,
                                                     const std::string& key) const {
  if (!StoreKind(kind).has_value())
    return absl::InvalidArgumentError("topology kind is required");
  LATTICE_ASSIGN_OR_RETURN(TopologySet set, LoadTopology());
  TopologyObject found = topology::Find(set, kind, key);
  if (found.object_case() == TopologyObject::OBJECT_NOT_SET)
    return absl::NotFoundError(absl::StrCat("no ", topology::TopologyKindName(kind), " ", key));
  return found;
}

absl::StatusOr<v1::ListTopologyResponse> Frontend::ListTopology(
    const v1::ListTopologyRequest& req) const {
  if (!StoreKind(req.kind()).has_value())
    return absl::InvalidArgumentError("topology kind is required");
  LATTICE_ASSIGN_OR_RETURN(TopologySet set, LoadTopology());
  const std::string& c = req.cluster();
  v1::ListTopologyResponse out;
  switch (req.kind()) {
    case v1::TOPOLOGY_KIND_CLUSTER:
      for (const auto& [k, v] : set.clusters) {
        if (c.empty() || k == c)
          *out.add_objects()->mutable_cluster() = v;
      }
      break;
    case v1::TOPOLOGY_KIND_NODE:
      for (const auto& [k, v] : set.nodes) {
        if (c.empty() || v.cluster() == c)
          *out.add_objects()->mutable_node() = v;
      }
      break;
    case v1::TOPOLOGY_KIND_GATEWAY:
      for (const auto& [k, v] : set.gateways) {
        if (c.empty() || v.from_cluster() == c || v.to_cluster() == c)
          *out.add_objects()->mutable_gateway() = v;
      }
      break;
    case v1::TOPOLOGY_KIND_LEAF_REMOTE:
      for (const auto& [k, v] : set.leaf_remotes) {
        auto node = set.nodes.find(v.node_id());
        if (c.empty() || (node != set.nodes.end() && node->second.cluster() == c))
          *out.add_objects()->mutable_leaf_remote() = v;
      }
      break;
    default:
      break;
  }
  return out;
}

// ---------------------------------------------------------------------------- NodeSync

absl::StatusOr<uint64_t> Frontend::RegisterNode(const v1::Register& reg) {
  TopologyObject object;
  v1::Node* node = object.mutable_node();
  node->set_id(reg.node_id());
  node->set_cluster(reg.cluster());
  *node->mutable_client_urls() = reg.client_urls();
  *node->mutable_route_urls() = reg.route_urls();
  *node->mutable_gateway_urls() = reg.gateway_urls();
  *node->mutable_leaf_urls() = reg.leaf_urls();
  node->set_version(reg.version().substr(0, 64));
  node->set_state(v1::NODE_STATE_UP);
  std::vector<std::string> errors = topology::ValidateObject(object);
  if (!errors.empty())
    return absl::InvalidArgumentError(absl::StrCat("register: ", errors.front()));
  const std::string actor = absl::StrCat("node:", reg.node_id());
  MutexLock lock(&write_mu_);
  LATTICE_ASSIGN_OR_RETURN(auto existing,
                           GetProto<v1::Node>(*store_, store::Kind::kNode, reg.node_id()));
  if (existing.has_value())
    *node->mutable_sync() = existing->sync();
  *node->mutable_meta() = NextMeta(actor);
  store::Batch batch;
  batch.actor = actor;
  batch.reason = "NodeSync register";
  LATTICE_ASSIGN_OR_RETURN(auto cluster,
                           GetProto<v1::Cluster>(*store_, store::Kind::kCluster, reg.cluster()));
  if (!cluster.has_value()) {
    v1::Cluster created;
    *created.mutable_meta() = NextMeta(actor);
    created.set_name(reg.cluster());
    batch.mutations.push_back(
        store::Mutation::Put(store::Kind::kCluster, reg.cluster(), created.SerializeAsString()));
  }
  batch.mutations.push_back(
      store::Mutation::Put(store::Kind::kNode, reg.node_id(), node->SerializeAsString()));
  return Commit(std::move(batch));
}

absl::Status Frontend::UpdateNodeLocked(const std::string& node_id, const std::string& reason,
                                        const std::function<void(v1::Node*)>& mutate) {
  LATTICE_ASSIGN_OR_RETURN(auto node, GetProto<v1::Node>(*store_, store::Kind::kNode, node_id));
  if (!node.has_value())
    return absl::NotFoundError(absl::StrCat("no node ", node_id));
  v1::Node next = *node;
  mutate(&next);
  next.clear_meta();
  node->clear_meta();
  if (next.SerializeAsString() == node->SerializeAsString())
    return absl::OkStatus();
  const std::string actor = absl::StrCat("node:", node_id);
  *next.mutable_meta() = NextMeta(actor);
  store::Batch batch;
  batch.actor = actor;
  batch.reason = reason;
  batch.mutations.push_back(
      store::Mutation::Put(store::Kind::kNode, node_id, next.SerializeAsString()));
  return Commit(std::move(batch)).status();
}

absl::Status Frontend::RecordAck(const std::string& node_id, const v1::Ack& ack) {
  if (ack.resource_type().empty() || ack.resource_type().size() > 64)
    return absl::InvalidArgumentError("ack: resource_type is required (at most 64 bytes)");
  MutexLock lock(&write_mu_);
  return UpdateNodeLocked(
      node_id, ack.error().empty() ? "NodeSync ack" : "NodeSync nack", [&](v1::Node* node) {
        v1::SyncStatus* status = nullptr;
        for (auto& s : *node->mutable_sync()) {
          if (s.resource_type() == ack.resource_type())
            status = &s;
        }
        if (status == nullptr) {
          status = node->add_sync();
          status->set_resource_type(ack.resource_type());
        }
        if (ack.error().empty()) {
          status->set_last_acked_version(ack.version().substr(0, 64));
          status->clear_last_nack_version();
          status->clear_last_nack_error();
        } else {
          status->set_last_nack_version(ack.version().substr(0, 64));
          status->set_last_nack_error(ack.error().substr(0, kMaxNackErrorBytes));
        }
      });
}

absl::Status Frontend::MarkNodeDown(const std::string& node_id) {
  MutexLock lock(&write_mu_);
  return UpdateNodeLocked(node_id, "NodeSync stream closed",
                          [](v1::Node* node) { node->set_state(v1::NODE_STATE_DOWN); });
}

}  // namespace lattice::frontend
