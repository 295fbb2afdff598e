// Tests for topology validation, plan views and per-node views.
#include "controlplane/topology/topology_rules.h"

#include "gtest/gtest.h"

namespace lattice::topology {
namespace {

using control::v1::TopologyObject;

TopologyObject ClusterObj(const std::string& name) {
  TopologyObject o;
  o.mutable_cluster()->set_name(name);
  return o;
}

TopologyObject NodeObj(const std::string& id, const std::string& cluster, const std::string& gw) {
  TopologyObject o;
  o.mutable_node()->set_id(id);
  o.mutable_node()->set_cluster(cluster);
  o.mutable_node()->add_route_urls("nats://" + id + ":6222");
  if (!gw.empty())
    o.mutable_node()->add_gateway_urls(gw);
  return o;
}

TopologyObject GatewayObj(const std::string& from, const std::string& to) {
  TopologyObject o;
  o.mutable_gateway()->set_from_cluster(from);
  o.mutable_gateway()->set_to_cluster(to);
  return o;
}

TEST(TopologyRules, KeysAndKinds) {
  EXPECT_EQ(TopologyKey(ClusterObj("east")), "east");
  EXPECT_EQ(TopologyKey(GatewayObj("east", "west")), "east/west");
  EXPECT_EQ(KindOf(NodeObj("n1", "east", "")), control::v1::TOPOLOGY_KIND_NODE);
  EXPECT_EQ(TopologyKey(TopologyObject()), "");
  EXPECT_EQ(TopologyKindName(control::v1::TOPOLOGY_KIND_LEAF_REMOTE), "leaf_remote");
}

TEST(TopologyRules, ObjectFieldChecks) {
  EXPECT_TRUE(ValidateObject(ClusterObj("east-1")).empty());
  EXPECT_FALSE(ValidateObject(ClusterObj("")).empty());
  EXPECT_FALSE(ValidateObject(ClusterObj("a/b")).empty());
  EXPECT_FALSE(ValidateObject(GatewayObj("east", "east")).empty());
  TopologyObject node = NodeObj("n1", "east", "nats://h:7222");
  EXPECT_TRUE(ValidateObject(node).empty());
  node.mutable_node()->add_client_urls("h:4222");
  EXPECT_EQ(ValidateObject(node).size(), 1u);
  node.mutable_node()->set_client_urls(0, "nats://h:99999");
  EXPECT_EQ(ValidateObject(node).size(), 1u);
  TopologyObject leaf;
  leaf.mutable_leaf_remote()->set_name("hub");
  leaf.mutable_leaf_remote()->set_node_id("n1");
  EXPECT_EQ(ValidateObject(leaf).size(), 1u);  // no URL
  leaf.mutable_leaf_remote()->add_urls("nats-leaf://user@hub:7422");
  EXPECT_TRUE(ValidateObject(leaf).empty());
  leaf.mutable_leaf_remote()->set_account("AXXX");
  EXPECT_EQ(ValidateObject(leaf).size(), 1u);
  EXPECT_FALSE(ValidateObject(TopologyObject()).empty());
}

TEST(TopologyRules, ReferencesMustExist) {
  TopologySet set;
  Upsert(&set, ClusterObj("east"));
  Upsert(&set, NodeObj("n1", "east", ""));
  Upsert(&set, GatewayObj("east", "west"));
  auto errors = ValidateReferences(set);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("cluster \"west\" does not exist"), std::string::npos);
  Upsert(&set, ClusterObj("west"));
  EXPECT_TRUE(ValidateReferences(set).empty());
  Erase(&set, control::v1::TOPOLOGY_KIND_CLUSTER, "east");
  EXPECT_EQ(ValidateReferences(set).size(), 2u);  // the node and the gateway
  EXPECT_EQ(Find(set, control::v1::TOPOLOGY_KIND_NODE, "n1").node().cluster(), "east");
  EXPECT_FALSE(Find(set, control::v1::TOPOLOGY_KIND_CLUSTER, "east").has_cluster());
}

TEST(TopologyRules, PlanViewDropsMetaAndSyncStatus) {
  TopologyObject node = NodeObj("n1", "east", "");
  node.mutable_node()->mutable_meta()->set_revision(7);
  node.mutable_node()->add_sync()->set_last_acked_version("a-1");
  auto view = PlanView(node);
  EXPECT_EQ(view["id"], "n1");
  EXPECT_FALSE(view.contains("meta"));
  EXPECT_FALSE(view.contains("sync"));
  EXPECT_TRUE(PlanView(TopologyObject()).is_null());
}

TEST(TopologyRules, NodeViewHasPeersGatewaysAndStableVersion) {
  TopologySet set;
  Upsert(&set, ClusterObj("east"));
  Upsert(&set, ClusterObj("west"));
  Upsert(&set, NodeObj("e1", "east", "nats://e1:7222"));
  Upsert(&set, NodeObj("e2", "east", "nats://e2:7222"));
  Upsert(&set, NodeObj("w1", "west", "nats://w1:7222"));
  Upsert(&set, GatewayObj("east", "west"));
  auto topo = BuildNodeTopology(set, "e1", "east");
  ASSERT_EQ(topo.peers_size(), 1);
  EXPECT_EQ(topo.peers(0).id(), "e2");
  ASSERT_EQ(topo.gateways_size(), 1);
  EXPECT_EQ(topo.gateways(0).cluster(), "west");
  ASSERT_EQ(topo.gateways(0).urls_size(), 1);
  EXPECT_EQ(topo.gateways(0).urls(0), "nats://w1:7222");

  // Sync status and meta do not change the version; a new peer does.
  set.nodes["e2"].add_sync()->set_last_acked_version("x");
  set.nodes["e2"].mutable_meta()->set_revision(99);
  EXPECT_EQ(BuildNodeTopology(set, "e1", "east").version(), topo.version());
  Upsert(&set, NodeObj("e3", "east", ""));
  EXPECT_NE(BuildNodeTopology(set, "e1", "east").version(), topo.version());
  set.nodes["e3"].set_state(control::v1::NODE_STATE_DOWN);
  EXPECT_EQ(BuildNodeTopology(set, "e1", "east").peers_size(), 1);
}

}  // namespace
}  // namespace lattice::topology
