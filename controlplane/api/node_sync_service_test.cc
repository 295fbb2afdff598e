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

namespace lattice::api {
namespace {

using testing::Eventually;
using testing::ServerTest;

v1::NodeMessage InterestMessage(uint64_t sequence, bool snapshot,
                                const std::vector<std::vector<std::string>>& changes) {
  v1::NodeMessage m;
  m.mutable_interest()->set_sequence(sequence);
  m.mutable_interest()->set_snapshot(snapshot);
  for (const auto& c : changes) {  // {account, subject, queue, weight}
    v1::InterestChange* change = m.mutable_interest()->add_changes();
    change->set_account(c[0]);
    change->set_subject(c[1]);
    change->set_queue(c[2]);
    change->set_weight(std::stoi(c[3]));
  }
  return m;
}

class InterestSyncTest : public ServerTest {
 protected:
  using Stream = grpc::ClientReaderWriter<v1::NodeMessage, v1::ControlMessage>;

  // Registers `id` on a new stream and returns once Registered arrived.
  std::unique_ptr<Stream> Register(grpc::ClientContext* ctx, const std::string& id) {
    auto stream = node_sync_->Sync(ctx);
    EXPECT_TRUE(stream->Write(RegisterMessage(id)));
    v1::ControlMessage msg;
    EXPECT_TRUE(stream->Read(&msg) && msg.has_registered()) << msg.DebugString();
    return stream;
  }

  static void Close(Stream* stream) {
    stream->WritesDone();
    v1::ControlMessage msg;
    while (stream->Read(&msg)) {
    }
    EXPECT_TRUE(stream->Finish().ok());
  }

  v1::QueryInterestResponse Query(const std::string& account = "",
                                  const std::string& subject = "") {
    v1::QueryInterestRequest req;
    req.set_account(account);
    req.set_subject(subject);
    v1::QueryInterestResponse resp;
    grpc::Status status = admin_->QueryInterest(Authed().get(), req, &resp);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return resp;
  }

  // "node account subject queue weight" per entry.
  static std::vector<std::string> Rows(const v1::QueryInterestResponse& r) {
    std::vector<std::string> rows;
    for (const auto& e : r.entries()) {
      rows.push_back(e.node_id() + " " + e.account() + " " + e.subject() + " " +
                     (e.queue().empty() ? "-" : e.queue()) + " " + std::to_string(e.weight()));
    }
    return rows;
  }
};

TEST_F(InterestSyncTest, SnapshotAndDeltasReachQueryInterest) {
  PutOperator();
  auto ctx = Authed();
  auto stream = Register(ctx.get(), "n1");
  ASSERT_TRUE(stream->Write(InterestMessage(
      1, true, {{"A", "orders.>", "", "1"}, {"A", "orders.eu.new", "workers", "2"}})));
  ASSERT_TRUE(stream->Write(InterestMessage(2, false, {{"B", "billing.*", "", "1"}})));
  ASSERT_TRUE(stream->Write(InterestMessage(3, false, {{"A", "orders.eu.new", "workers", "3"}})));
  v1::QueryInterestResponse r;
  ASSERT_TRUE(Eventually([&] {
    r = Query();
    return r.nodes_size() == 1 && r.nodes(0).sequence() == 3;
  }));
  EXPECT_EQ(Rows(r), (std::vector<std::string>{"n1 A orders.> - 1", "n1 A orders.eu.new workers 3",
                                               "n1 B billing.* - 1"}));
  EXPECT_EQ(r.entries(0).cluster(), "east");
  EXPECT_EQ(r.nodes(0).entries(), 3u);
  EXPECT_GT(r.nodes(0).snapshot_unix_ms(), 0);
  EXPECT_EQ(r.missing_nodes_size(), 0);
  EXPECT_EQ(r.answered_by(), 0u);
  EXPECT_GT(r.graph_version(), 0u);
  // A literal subject finds the patterns that receive it.
  EXPECT_EQ(Rows(Query("A", "orders.us")), std::vector<std::string>{"n1 A orders.> - 1"});
  EXPECT_EQ(Rows(Query("", "billing.x")), std::vector<std::string>{"n1 B billing.* - 1"});
  // A wildcard query subject is refused.
  v1::QueryInterestRequest bad;
  bad.set_subject("orders.*");
  v1::QueryInterestResponse ignored;
  EXPECT_EQ(admin_->QueryInterest(Authed().get(), bad, &ignored).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  // Closing the stream drops the node's interest.
  Close(stream.get());
  EXPECT_TRUE(Eventually([&] {
    r = Query();
    return r.nodes_size() == 0;
  }));
  EXPECT_EQ(r.entries_size(), 0);
  EXPECT_EQ(r.missing_nodes_size(), 0);  // marked DOWN: not expected to report
}

TEST_F(InterestSyncTest, SequenceGapGetsInterestResync) {
  PutOperator();
  auto ctx = Authed();
  auto stream = Register(ctx.get(), "n1");
  ASSERT_TRUE(stream->Write(InterestMessage(1, true, {{"A", "a", "", "1"}})));
  ASSERT_TRUE(stream->Write(InterestMessage(3, false, {{"A", "b", "", "1"}})));  // 2 was lost
  v1::ControlMessage msg;
  ASSERT_TRUE(ReadUntil(stream.get(), v1::ControlMessage::kInterestResync, &msg));
  EXPECT_NE(msg.interest_resync().reason().find("gap"), std::string::npos)
      << msg.interest_resync().reason();
  v1::QueryInterestResponse r = Query();
  EXPECT_EQ(r.entries_size(), 0);
  ASSERT_EQ(r.missing_nodes_size(), 1);  // the graph is incomplete until the snapshot
  EXPECT_EQ(r.missing_nodes(0), "n1");
  // The node answers with a snapshot at the next sequence.
  ASSERT_TRUE(stream->Write(InterestMessage(4, true, {{"A", "a", "", "1"}, {"A", "b", "", "1"}})));
  ASSERT_TRUE(Eventually([&] {
    r = Query();
    return r.entries_size() == 2;
  }));
  EXPECT_EQ(r.nodes(0).sequence(), 4u);
  EXPECT_EQ(r.missing_nodes_size(), 0);
  Close(stream.get());
}

TEST_F(InterestSyncTest, NodeUpInTheStoreIsMissingUntilItReports) {
  PutOperator();
  // A node the store lists as UP (registered with a previous leader, say) without a session.
  v1::Register reg = RegisterMessage("n2").register_();
  ASSERT_TRUE(frontend_->RegisterNode(reg).ok());
  v1::QueryInterestResponse r = Query();
  ASSERT_EQ(r.missing_nodes_size(), 1);
  EXPECT_EQ(r.missing_nodes(0), "n2");
  auto ctx = Authed();
  auto stream = Register(ctx.get(), "n2");
  EXPECT_EQ(Query().missing_nodes_size(), 1);  // registered, snapshot not in yet
  ASSERT_TRUE(stream->Write(InterestMessage(1, true, {})));
  EXPECT_TRUE(Eventually([&] { return Query().missing_nodes_size() == 0; }));
  Close(stream.get());
}

TEST_F(InterestSyncTest, QueryInterestNeedsCredentials) {
  grpc::ClientContext none;
  v1::QueryInterestResponse resp;
  EXPECT_EQ(admin_->QueryInterest(&none, v1::QueryInterestRequest(), &resp).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

}  // namespace
}  // namespace lattice::api
