// Topology commands: cluster|node|gateway|leaf list|get|put|delete.
#include <fstream>
#include <iterator>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

#include "tools/latticectl_admin/session.h"
#include "tools/latticectl_admin/table.h"

namespace lattice::latticectl_admin {
namespace {

v1::TopologyKind KindOf(const std::string& noun) {
  if (noun == "cluster")
    return v1::TOPOLOGY_KIND_CLUSTER;
  if (noun == "node")
    return v1::TOPOLOGY_KIND_NODE;
  if (noun == "gateway")
    return v1::TOPOLOGY_KIND_GATEWAY;
  return v1::TOPOLOGY_KIND_LEAF_REMOTE;
}

std::string Join(const google::protobuf::RepeatedPtrField<std::string>& items) {
  return items.empty() ? "-" : absl::StrJoin(items, ",");
}

const char* StateName(v1::NodeState state) {
  switch (state) {
    case v1::NODE_STATE_UP:
      return "up";
    case v1::NODE_STATE_DRAINING:
      return "draining";
    case v1::NODE_STATE_DOWN:
      return "down";
    default:
      return "-";
  }
}

void PrintObjects(Session& s, v1::TopologyKind kind,
                  const google::protobuf::RepeatedPtrField<v1::TopologyObject>& objects) {
  switch (kind) {
    case v1::TOPOLOGY_KIND_CLUSTER: {
      Table t({"NAME", "DESCRIPTION", "REVISION", "UPDATED BY"});
      for (const auto& o : objects) {
        const auto& c = o.cluster();
        t.Add({c.name(), c.description().empty() ? "-" : c.description(),
               std::to_string(c.meta().revision()), c.meta().updated_by()});
      }
      t.Print(*s.out);
      break;
    }
    case v1::TOPOLOGY_KIND_NODE: {
      Table t({"ID", "CLUSTER", "STATE", "VERSION", "CLIENT URLS", "ACKED", "NACKED", "REVISION"});
      for (const auto& o : objects) {
        const auto& n = o.node();
        std::string acked;
        std::string nacked;
        for (const auto& sync : n.sync()) {
          if (!sync.last_acked_version().empty())
            absl::StrAppend(&acked, acked.empty() ? "" : " ", sync.resource_type(), "=",
                            sync.last_acked_version());
          if (!sync.last_nack_version().empty())
            absl::StrAppend(&nacked, nacked.empty() ? "" : " ", sync.resource_type(), "=",
                            sync.last_nack_version(), " (", sync.last_nack_error(), ")");
        }
        t.Add({n.id(), n.cluster(), StateName(n.state()), n.version().empty() ? "-" : n.version(),
               Join(n.client_urls()), acked.empty() ? "-" : acked, nacked.empty() ? "-" : nacked,
               std::to_string(n.meta().revision())});
      }
      t.Print(*s.out);
      break;
    }
    case v1::TOPOLOGY_KIND_GATEWAY: {
      Table t({"FROM", "TO", "URLS", "REVISION"});
      for (const auto& o : objects) {
        const auto& g = o.gateway();
        t.Add({g.from_cluster(), g.to_cluster(), Join(g.urls()),
               std::to_string(g.meta().revision())});
      }
      t.Print(*s.out);
      break;
    }
    default: {
      Table t({"NAME", "NODE", "ACCOUNT", "URLS", "REVISION"});
      for (const auto& o : objects) {
        const auto& l = o.leaf_remote();
        t.Add({l.name(), l.node_id(), l.account().empty() ? "-" : l.account(), Join(l.urls()),
               std::to_string(l.meta().revision())});
      }
      t.Print(*s.out);
      break;
    }
  }
}

// Builds the object for `put` from positionals and flags; returns false after printing usage.
bool BuildObject(Session& s, const std::string& noun, v1::TopologyObject* o) {
  const auto& pos = s.args.positional();
  if (noun == "cluster") {
    if (pos.size() < 3)
      return s.Error("usage: cluster put NAME [--description D]", 2), false;
    o->mutable_cluster()->set_name(pos[2]);
    o->mutable_cluster()->set_description(s.args.GetOr("--description", ""));
    return true;
  }
  if (noun == "node") {
    auto cluster = s.args.Get("--cluster");
    if (pos.size() < 3 || !cluster.has_value())
      return s.Error(
                 "usage: node put ID --cluster C [--client-url U]... [--route-url U]... "
                 "[--gateway-url U]... [--leaf-url U]... [--state up|draining|down]",
                 2),
             false;
    v1::Node* n = o->mutable_node();
    n->set_id(pos[2]);
    n->set_cluster(*cluster);
    for (const auto& u : s.args.GetAll("--client-url"))
      n->add_client_urls(u);
    for (const auto& u : s.args.GetAll("--route-url"))
      n->add_route_urls(u);
    for (const auto& u : s.args.GetAll("--gateway-url"))
      n->add_gateway_urls(u);
    for (const auto& u : s.args.GetAll("--leaf-url"))
      n->add_leaf_urls(u);
    if (auto state = s.args.Get("--state"); state.has_value()) {
      if (*state == "up")
        n->set_state(v1::NODE_STATE_UP);
      else if (*state == "draining")
        n->set_state(v1::NODE_STATE_DRAINING);
      else if (*state == "down")
        n->set_state(v1::NODE_STATE_DOWN);
      else
        return s.Error("--state up|draining|down", 2), false;
    }
    return true;
  }
  if (noun == "gateway") {
    if (pos.size() < 4)
      return s.Error("usage: gateway put FROM TO [--url U]...", 2), false;
    o->mutable_gateway()->set_from_cluster(pos[2]);
    o->mutable_gateway()->set_to_cluster(pos[3]);
    for (const auto& u : s.args.GetAll("--url"))
      o->mutable_gateway()->add_urls(u);
    return true;
  }
  auto node = s.args.Get("--node");
  if (pos.size() < 3 || !node.has_value())
    return s.Error(
               "usage: leaf put NAME --node ID --url U... [--account A] "
               "[--credentials-file F]",
               2),
           false;
  v1::LeafRemote* l = o->mutable_leaf_remote();
  l->set_name(pos[2]);
  l->set_node_id(*node);
  for (const auto& u : s.args.GetAll("--url"))
    l->add_urls(u);
  l->set_account(s.args.GetOr("--account", ""));
  if (auto file = s.args.Get("--credentials-file"); file.has_value()) {
    std::ifstream in(*file);
    if (!in)
      return s.Error("cannot read " + *file), false;
    l->set_credentials(
        std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()));
  }
  return true;
}

}  // namespace

int RunTopologyCommand(Session& s, const std::string& noun, const std::string& verb) {
  const v1::TopologyKind kind = KindOf(noun);
  const auto& pos = s.args.positional();
  uint64_t expected = 0;
  if (auto e = s.args.Get("--expected-revision"); e.has_value() && !absl::SimpleAtoi(*e, &expected))
    return s.Error("--expected-revision: not a number", 2);
  if (verb == "list") {
    v1::ListTopologyRequest req;
    req.set_kind(kind);
    req.set_cluster(s.args.GetOr("--cluster", ""));
    v1::ListTopologyResponse resp;
    grpc::Status status = s.stub->ListTopology(s.Context().get(), req, &resp);
    if (!status.ok())
      return s.Fail(status);
    if (s.json)
      s.PrintJson(resp);
    else
      PrintObjects(s, kind, resp.objects());
    return 0;
  }
  if (verb == "get") {
    if (pos.size() < 3)
      return s.Error(absl::StrCat("usage: ", noun, " get KEY"), 2);
    v1::GetTopologyRequest req;
    req.set_kind(kind);
    req.set_key(pos[2]);
    v1::TopologyObject object;
    grpc::Status status = s.stub->GetTopology(s.Context().get(), req, &object);
    if (!status.ok())
      return s.Fail(status);
    if (s.json) {
      s.PrintJson(object);
    } else {
      google::protobuf::RepeatedPtrField<v1::TopologyObject> one;
      *one.Add() = object;
      PrintObjects(s, kind, one);
    }
    return 0;
  }
  if (verb == "put") {
    v1::PutTopologyRequest req;
    if (!BuildObject(s, noun, req.mutable_object()))
      return 2;
    req.set_expected_revision(expected);
    req.set_create_only(s.args.Has("--create-only"));
    s.args.Get("--create-only");
    req.set_dry_run(s.dry_run);
    v1::WriteResponse resp;
    grpc::Status status = s.stub->PutTopology(s.Context().get(), req, &resp);
    return status.ok() ? s.PrintWrite(resp) : s.Fail(status);
  }
  if (verb == "delete") {
    if (pos.size() < 3)
      return s.Error(absl::StrCat("usage: ", noun, " delete KEY [--expected-revision N]"), 2);
    v1::DeleteTopologyRequest req;
    req.set_kind(kind);
    req.set_key(pos[2]);
    req.set_expected_revision(expected);
    req.set_dry_run(s.dry_run);
    v1::WriteResponse resp;
    grpc::Status status = s.stub->DeleteTopology(s.Context().get(), req, &resp);
    return status.ok() ? s.PrintWrite(resp) : s.Fail(status);
  }
  return s.Error(absl::StrCat("usage: ", noun, " list|get|put|delete ..."), 2);
}

}  // namespace lattice::latticectl_admin
