// Component tests: a real NodeSync stream registers, receives pushes, ACKs and NACKs.
#include "controlplane/api/test_server.h"

namespace lattice::api {
namespace {

using testing::Eventually;
using testing::NewKey;
using testing::ServerTest;

v1::NodeMessage RegisterMessage(const std::string& id) {
  v1::NodeMessage m;
  m.mutable_register_()->set_node_id(id);
  m.mutable_register_()->set_cluster("east");
  m.mutable_register_()->add_client_urls("nats://127.0.0.1:4222");
  m.mutable_register_()->set_version("lattice-node 0.1");
  return m;
}

v1::NodeMessage AckMessage(const std::string& type, const std::string& version,
                           const std::string& error) {
  v1::NodeMessage m;
  m.mutable_ack()->set_resource_type(type);
  m.mutable_ack()->set_version(version);
  m.mutable_ack()->set_error(error);
  return m;
}

// Reads until a message of the wanted kind arrives.

bool ReadUntil(grpc::ClientReaderWriter<v1::NodeMessage, v1::ControlMessage>* stream,
               v1::ControlMessage::BodyCase want, v1::ControlMessage* out) {
  while (stream->Read(out)) {
    if (out->body_case() == want)
      return true;
  }
  return false;
}

TEST_F(ServerTest, NodeRegistersAcksThenNacksAndAdminSeesIt) {
  PutOperator();
  auto ctx = Authed();
  auto stream = node_sync_->Sync(ctx.get());
  ASSERT_TRUE(stream->Write(RegisterMessage("n1")));
  v1::ControlMessage msg;
  ASSERT_TRUE(stream->Read(&msg));
  ASSERT_TRUE(msg.has_registered());
  EXPECT_EQ(msg.registered().node_id(), "n1");

  ASSERT_TRUE(ReadUntil(stream.get(), v1::ControlMessage::kAccounts, &msg));
  EXPECT_EQ(msg.accounts().operator_().public_key(), op_kp_.public_key().str());
  const std::string v1_version = msg.accounts().version();
  ASSERT_TRUE(stream->Write(AckMessage("accounts", v1_version, "")));
  ASSERT_TRUE(ReadUntil(stream.get(), v1::ControlMessage::kTopology, &msg));
  EXPECT_EQ(msg.topology().cluster(), "east");
  EXPECT_EQ(msg.topology().peers_size(), 0);
  ASSERT_TRUE(stream->Write(AckMessage("topology", msg.topology().version(), "")));

  // A new account produces a new bundle version, which the node refuses.
  nkeys::KeyPair acc = NewKey(nkeys::KeyType::kAccount);
  v1::PutAccountRequest put;
  put.set_jwt(AccountJwt(acc, "orders", jwt::NowSeconds()));
  v1::WriteResponse resp;
  ASSERT_TRUE(admin_->PutAccount(Authed().get(), put, &resp).ok());
  ASSERT_TRUE(ReadUntil(stream.get(), v1::ControlMessage::kAccounts, &msg));
  ASSERT_NE(msg.accounts().version(), v1_version);
  ASSERT_EQ(msg.accounts().accounts_size(), 1);
  const std::string v2_version = msg.accounts().version();
  ASSERT_TRUE(stream->Write(AckMessage("accounts", v2_version, "signature check failed")));

  v1::GetTopologyRequest get;
  get.set_kind(v1::TOPOLOGY_KIND_NODE);
  get.set_key("n1");
  v1::TopologyObject node;
  ASSERT_TRUE(Eventually([&] {
    node.Clear();
    if (!admin_->GetTopology(Authed().get(), get, &node).ok())
      return false;
    for (const auto& s : node.node().sync()) {
      if (s.resource_type() == "accounts" && s.last_nack_version() == v2_version)
        return true;
    }
    return false;
  }));
  EXPECT_EQ(node.node().state(), v1::NODE_STATE_UP);
  for (const auto& s : node.node().sync()) {
    if (s.resource_type() == "accounts") {
      EXPECT_EQ(s.last_acked_version(), v1_version);
      EXPECT_EQ(s.last_nack_error(), "signature check failed");
    }
  }

  // A second node in the cluster shows up as a peer of the first.
  auto ctx2 = Authed();
  auto stream2 = node_sync_->Sync(ctx2.get());
  ASSERT_TRUE(stream2->Write(RegisterMessage("n2")));
  ASSERT_TRUE(ReadUntil(stream.get(), v1::ControlMessage::kTopology, &msg));
  ASSERT_EQ(msg.topology().peers_size(), 1);
  EXPECT_EQ(msg.topology().peers(0).id(), "n2");

  // Closing the stream marks the node down.
  stream2->WritesDone();
  while (stream2->Read(&msg)) {
  }
  EXPECT_TRUE(stream2->Finish().ok());
  get.set_key("n2");
  EXPECT_TRUE(Eventually([&] {
    node.Clear();
    return admin_->GetTopology(Authed().get(), get, &node).ok() &&
           node.node().state() == v1::NODE_STATE_DOWN;
  }));
  stream->WritesDone();
  while (stream->Read(&msg)) {  // the status follows the unread pushes
  }
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_F(ServerTest, NodeSyncRefusesBadStreams) {
  grpc::ClientContext none;
  auto unauth = node_sync_->Sync(&none);
  unauth->Write(RegisterMessage("n1"));
  unauth->WritesDone();
  EXPECT_EQ(unauth->Finish().error_code(), grpc::UNAUTHENTICATED);

  auto ctx = Authed();
  auto no_register = node_sync_->Sync(ctx.get());
  no_register->Write(AckMessage("accounts", "a-1", ""));
  no_register->WritesDone();
  EXPECT_EQ(no_register->Finish().error_code(), grpc::INVALID_ARGUMENT);

  auto ctx2 = Authed();
  auto bad_id = node_sync_->Sync(ctx2.get());
  bad_id->Write(RegisterMessage("bad id"));
  bad_id->WritesDone();
  EXPECT_EQ(bad_id->Finish().error_code(), grpc::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace lattice::api

namespace lattice::api {
namespace {

TEST_F(ServerTest, HeldVersionsAreNotPushedAgain) {
  PutOperator();
  auto bundle = frontend_->BuildAccountsBundle();
  ASSERT_TRUE(bundle.ok());
  auto ctx = Authed();
  auto stream = node_sync_->Sync(ctx.get());
  v1::NodeMessage reg = RegisterMessage("n1");
  (*reg.mutable_register_()->mutable_held_versions())["accounts"] = bundle->version();
  ASSERT_TRUE(stream->Write(reg));
  v1::ControlMessage msg;
  ASSERT_TRUE(stream->Read(&msg));
  ASSERT_TRUE(msg.has_registered());
  // The first push is the topology: the node already holds this accounts version.
  ASSERT_TRUE(stream->Read(&msg));
  EXPECT_TRUE(msg.has_topology());
  // A change to the accounts produces a push.
  nkeys::KeyPair acc = NewKey(nkeys::KeyType::kAccount);
  v1::PutAccountRequest put;
  put.set_jwt(AccountJwt(acc, "late", jwt::NowSeconds()));
  v1::WriteResponse resp;
  ASSERT_TRUE(admin_->PutAccount(Authed().get(), put, &resp).ok());
  ASSERT_TRUE(ReadUntil(stream.get(), v1::ControlMessage::kAccounts, &msg));
  EXPECT_EQ(msg.accounts().accounts(0).name(), "late");
  stream->WritesDone();
  while (stream->Read(&msg)) {
  }
  EXPECT_TRUE(stream->Finish().ok());
}

}  // namespace
}  // namespace lattice::api
