// Frontend tests for topology objects (validation, CAS, plans) and NodeSync state.
#include "gtest/gtest.h"

#include "controlplane/frontend/frontend_test_util.h"

namespace lattice::frontend {
namespace {

using testing::FrontendTest;

v1::PutTopologyRequest PutCluster(const std::string& name) {
  v1::PutTopologyRequest req;
  req.mutable_object()->mutable_cluster()->set_name(name);
  return req;
}

v1::PutTopologyRequest PutNode(const std::string& id, const std::string& cluster) {
  v1::PutTopologyRequest req;
  req.mutable_object()->mutable_node()->set_id(id);
  req.mutable_object()->mutable_node()->set_cluster(cluster);
  return req;
}

TEST_F(FrontendTest, TopologyReferencesCasAndPlans) {
  auto orphan = frontend_->PutTopology("ops", PutNode("n1", "east"));
  EXPECT_EQ(orphan.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(orphan.status().message().find("cluster \"east\" does not exist"), std::string::npos);

  auto east = frontend_->PutTopology("ops", PutCluster("east"));
  ASSERT_TRUE(east.ok()) << east.status();
  ASSERT_TRUE(frontend_->PutTopology("ops", PutNode("n1", "east")).ok());

  v1::PutTopologyRequest again = PutCluster("east");
  again.set_create_only(true);
  EXPECT_EQ(frontend_->PutTopology("ops", again).status().code(), absl::StatusCode::kAlreadyExists);

  v1::PutTopologyRequest cas = PutCluster("east");
  cas.mutable_object()->mutable_cluster()->set_description("primary");
  cas.set_expected_revision(east->revision + 100);
  EXPECT_EQ(frontend_->PutTopology("ops", cas).status().code(), absl::StatusCode::kAborted);
  cas.set_dry_run(true);
  auto dry = frontend_->PutTopology("ops", cas);
  ASSERT_TRUE(dry.ok());
  EXPECT_EQ(dry->plan.errors_size(), 1);
  ASSERT_EQ(dry->plan.changes_size(), 1);
  EXPECT_EQ(dry->plan.changes(0).fields(0).path(), "description");
  cas.set_dry_run(false);
  cas.set_expected_revision(east->revision);
  auto updated = frontend_->PutTopology("ops", cas);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_TRUE(updated->applied);
  // An identical write is a no-op.
  auto same = frontend_->PutTopology("ops", PutCluster("east"));
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE(same->applied);  // description cleared: a real change
  auto noop = frontend_->PutTopology("ops", PutCluster("east"));
  ASSERT_TRUE(noop.ok());
  EXPECT_FALSE(noop->applied);

  // Deleting a cluster its node still uses is refused; delete node then cluster.
  v1::DeleteTopologyRequest del;
  del.set_kind(v1::TOPOLOGY_KIND_CLUSTER);
  del.set_key("east");
  del.set_dry_run(true);
  auto del_plan = frontend_->DeleteTopology("ops", del);
  ASSERT_TRUE(del_plan.ok());
  EXPECT_EQ(del_plan->plan.changes(0).op(), v1::Change::OP_DELETE);
  EXPECT_EQ(del_plan->plan.errors_size(), 1);
  del.set_dry_run(false);
  EXPECT_EQ(frontend_->DeleteTopology("ops", del).status().code(),
            absl::StatusCode::kFailedPrecondition);
  v1::DeleteTopologyRequest del_node;
  del_node.set_kind(v1::TOPOLOGY_KIND_NODE);
  del_node.set_key("n1");
  ASSERT_TRUE(frontend_->DeleteTopology("ops", del_node).ok());
  ASSERT_TRUE(frontend_->DeleteTopology("ops", del).ok());
  EXPECT_EQ(frontend_->DeleteTopology("ops", del).status().code(), absl::StatusCode::kNotFound);

  // The change feed reports the deletions.
  uint64_t scanned = 0;
  auto events = frontend_->ReadChanges(0, {"cluster"}, 100, &scanned);
  ASSERT_TRUE(events.ok());
  ASSERT_FALSE(events->empty());
  EXPECT_TRUE(events->back().deleted());
  EXPECT_EQ(events->back().key(), "east");
}

TEST_F(FrontendTest, GatewaysAndLeafRemotesValidate) {
  ASSERT_TRUE(frontend_->PutTopology("ops", PutCluster("east")).ok());
  v1::PutTopologyRequest gw;
  gw.mutable_object()->mutable_gateway()->set_from_cluster("east");
  gw.mutable_object()->mutable_gateway()->set_to_cluster("west");
  EXPECT_EQ(frontend_->PutTopology("ops", gw).status().code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(frontend_->PutTopology("ops", PutCluster("west")).ok());
  ASSERT_TRUE(frontend_->PutTopology("ops", gw).ok());
  auto got = frontend_->GetTopology(v1::TOPOLOGY_KIND_GATEWAY, "east/west");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->gateway().to_cluster(), "west");

  v1::PutTopologyRequest leaf;
  leaf.mutable_object()->mutable_leaf_remote()->set_name("hub");
  leaf.mutable_object()->mutable_leaf_remote()->set_node_id("n1");
  leaf.mutable_object()->mutable_leaf_remote()->add_urls("nats-leaf://hub:7422");
  EXPECT_FALSE(frontend_->PutTopology("ops", leaf).ok());  // node n1 unknown
  ASSERT_TRUE(frontend_->PutTopology("ops", PutNode("n1", "east")).ok());
  ASSERT_TRUE(frontend_->PutTopology("ops", leaf).ok());
  v1::ListTopologyRequest list;
  list.set_kind(v1::TOPOLOGY_KIND_LEAF_REMOTE);
  list.set_cluster("east");
  EXPECT_EQ(frontend_->ListTopology(list)->objects_size(), 1);
  list.set_cluster("west");
  EXPECT_EQ(frontend_->ListTopology(list)->objects_size(), 0);
  list.set_kind(v1::TOPOLOGY_KIND_UNSPECIFIED);
  EXPECT_FALSE(frontend_->ListTopology(list).ok());
}

TEST_F(FrontendTest, NodeRegistrationAcksAndNacks) {
  v1::Register reg;
  reg.set_node_id("n1");
  reg.set_cluster("east");
  reg.add_client_urls("nats://127.0.0.1:4222");
  reg.set_version("0.1.0");
  ASSERT_TRUE(frontend_->RegisterNode(reg).ok());
  auto cluster = frontend_->GetTopology(v1::TOPOLOGY_KIND_CLUSTER, "east");
  ASSERT_TRUE(cluster.ok());  // created on registration
  EXPECT_EQ(cluster->cluster().meta().updated_by(), "node:n1");

  v1::Ack ack;
  ack.set_resource_type("accounts");
  ack.set_version("a-1");
  ASSERT_TRUE(frontend_->RecordAck("n1", ack).ok());
  ack.set_version("a-2");
  ack.set_error("bad signature on account X");
  ASSERT_TRUE(frontend_->RecordAck("n1", ack).ok());
  auto node = frontend_->GetTopology(v1::TOPOLOGY_KIND_NODE, "n1");
  ASSERT_TRUE(node.ok());
  EXPECT_EQ(node->node().state(), v1::NODE_STATE_UP);
  ASSERT_EQ(node->node().sync_size(), 1);
  EXPECT_EQ(node->node().sync(0).last_acked_version(), "a-1");
  EXPECT_EQ(node->node().sync(0).last_nack_version(), "a-2");
  EXPECT_EQ(node->node().sync(0).last_nack_error(), "bad signature on account X");

  // An admin put keeps the runtime status; re-registering too.
  v1::PutTopologyRequest put = PutNode("n1", "east");
  ASSERT_TRUE(frontend_->PutTopology("ops", put).ok());
  ASSERT_TRUE(frontend_->RegisterNode(reg).ok());
  node = frontend_->GetTopology(v1::TOPOLOGY_KIND_NODE, "n1");
  EXPECT_EQ(node->node().sync(0).last_nack_version(), "a-2");

  // A duplicate ACK state writes nothing.
  const uint64_t before = frontend_->revision();
  ack.set_error("bad signature on account X");
  ASSERT_TRUE(frontend_->RecordAck("n1", ack).ok());
  EXPECT_EQ(frontend_->revision(), before);

  ASSERT_TRUE(frontend_->MarkNodeDown("n1").ok());
  EXPECT_EQ(frontend_->GetTopology(v1::TOPOLOGY_KIND_NODE, "n1")->node().state(),
            v1::NODE_STATE_DOWN);
  EXPECT_EQ(frontend_->RecordAck("ghost", ack).code(), absl::StatusCode::kNotFound);
  v1::Ack empty;
  EXPECT_EQ(frontend_->RecordAck("n1", empty).code(), absl::StatusCode::kInvalidArgument);
  reg.set_node_id("bad/id");
  EXPECT_EQ(frontend_->RegisterNode(reg).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace lattice::frontend
