// Component tests of a follower in front of a leader, both real ControlServers in this process:
// under mTLS the leader authorizes a forwarded write as the caller the follower verified (never
// as the follower, and never as whoever a client claims to be), and a relayed NodeSync stream
// ends once the follower learns that the leader moved; QueryInterest on a follower is answered
// from the leader's interest graph.
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"

#include "common/base/mutex.h"
#include "common/jwt/claims.h"
#include "common/nkeys/nkeys.h"
#include "common/testing/eventually.h"
#include "controlplane/api/server.h"
#include "controlplane/store/rocks_store.h"
#include "lattice/control/v1/node_sync.grpc.pb.h"

namespace lattice::api {
namespace {

constexpr char kToken[] = "forwarding-test-token-0123456789";

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A follower's store: reads from a local RocksStore, writes refused with the leader's address
// (what ReplicatedStore answers on a follower). Thread: any.
class FollowerStore final : public store::Store {
 public:
  FollowerStore(std::unique_ptr<store::Store> local, std::string leader)
      : local_(std::move(local)), leader_(std::move(leader)) {}
  absl::Status Apply(const store::Batch&) override {
    absl::Status refused = absl::UnavailableError("not the control-plane leader");
    refused.SetPayload(store::kLeaderPayload, absl::Cord(leader_));
    return refused;
  }
  uint64_t revision() const override { return local_->revision(); }
  absl::StatusOr<std::optional<std::string>> Get(store::Kind kind,
                                                 std::string_view key) const override {
    return local_->Get(kind, key);
  }
  absl::StatusOr<std::vector<store::Entry>> List(store::Kind kind, std::string_view after,
                                                 size_t limit) const override {
    return local_->List(kind, after, limit);
  }
  absl::StatusOr<std::vector<store::AuditRecord>> Audit(uint64_t after,
                                                        size_t limit) const override {
    return local_->Audit(after, limit);
  }
  absl::Status Checkpoint(const std::string& dir) const override { return local_->Checkpoint(dir); }

 private:
  std::unique_ptr<store::Store> local_;
  const std::string leader_;
};

// A follower's view of the Raft group: replica `self` (2 unless told otherwise), the leader and
// the configuration's members settable by the test; AddReplica calls are counted and refused
// with the leader hint. Thread: any (the test thread moves the leader while the relay watches).
class FollowerReplication final : public Replication {
 public:
  explicit FollowerReplication(uint64_t self = 2) : self_(self) {}
  void SetLeader(uint64_t id, const std::string& admin_address) {
    MutexLock lock(&mu_);
    leader_id_ = id;
    leader_ = admin_address;
  }
  void SetMembers(std::vector<uint64_t> ids) {
    MutexLock lock(&mu_);
    members_ = std::move(ids);
  }
  int add_calls() {
    MutexLock lock(&mu_);
    return add_calls_;
  }
  absl::Status ReadFence() override { return absl::OkStatus(); }
  absl::Status WriteFence() override { return Refusal(); }
  absl::StatusOr<v1::ListReplicasResponse> ListReplicas() override {
    MutexLock lock(&mu_);
    v1::ListReplicasResponse out;
    out.set_replicated(true);
    out.set_answered_by(self_);
    out.set_leader_id(leader_id_);
    out.set_leader_admin_address(leader_);
    for (uint64_t id : members_)
      out.add_replicas()->set_id(id);
    return out;
  }
  absl::Status AddReplica(const v1::AddReplicaRequest&) override {
    {
      MutexLock lock(&mu_);
      ++add_calls_;
    }
    return Refusal();
  }
  absl::Status RemoveReplica(const v1::RemoveReplicaRequest&) override { return Refusal(); }

 private:
  absl::Status Refusal() {
    MutexLock lock(&mu_);
    absl::Status refused = absl::UnavailableError("not the control-plane leader");
    refused.SetPayload(store::kLeaderPayload, absl::Cord(leader_));
    return refused;
  }

  const uint64_t self_;
  Mutex mu_;
  uint64_t leader_id_ ABSL_GUARDED_BY(mu_) = 1;
  std::string leader_ ABSL_GUARDED_BY(mu_);
  std::vector<uint64_t> members_ ABSL_GUARDED_BY(mu_) = {1, 2};
  int add_calls_ ABSL_GUARDED_BY(mu_) = 0;
};

// One process's server side: store, Frontend, Authenticator, ControlServer.
struct Node {
  std::unique_ptr<store::Store> store;
  std::unique_ptr<frontend::Frontend> frontend;
  std::unique_ptr<Authenticator> auth;
  std::unique_ptr<ControlServer> server;
  std::string address() const { return "127.0.0.1:" + std::to_string(server->port()); }
};

class ForwardingTest : public ::testing::Test {
 protected:
  // Starts the leader (no replication: it leads) and a follower forwarding to it.
  void StartPair(const ServerOptions& options, const AuthPolicy& leader_policy,
                 const AuthPolicy& follower_policy) {
    static int counter = 0;
    const std::string dir =
        std::string(std::getenv("TEST_TMPDIR")) + "/fwd" + std::to_string(counter++);
    std::filesystem::create_directories(dir);
    const std::map<std::string, std::string> tokens = {{kToken, "admin"}};
    const bool mtls = !options.client_ca_file.empty();
    leader_.store = *store::RocksStore::Open(dir + "/leader");
    leader_.frontend = std::make_unique<frontend::Frontend>(leader_.store.get(), &vault_);
    leader_.auth = std::make_unique<Authenticator>(tokens, mtls, leader_policy);
    auto leader = ControlServer::Start(options, leader_.frontend.get(), leader_.auth.get());
    ASSERT_TRUE(leader.ok()) << leader.status();
    leader_.server = *std::move(leader);

    replication_.SetLeader(1, leader_.address());
    follower_.store = std::make_unique<FollowerStore>(*store::RocksStore::Open(dir + "/follower"),
                                                      leader_.address());
    follower_.frontend = std::make_unique<frontend::Frontend>(follower_.store.get(), &vault_);
    follower_.auth = std::make_unique<Authenticator>(tokens, mtls, follower_policy);
    auto follower = ControlServer::Start(options, follower_.frontend.get(), follower_.auth.get(),
                                         &replication_);
    ASSERT_TRUE(follower.ok()) << follower.status();
    follower_.server = *std::move(follower);
  }

  void TearDown() override {
    for (Node* node : {&follower_, &leader_}) {
      if (node->server)
        node->server->Shutdown();
    }
  }

  std::string OperatorJwt() {
    auto kp = *nkeys::KeyPair::Generate(nkeys::KeyType::kOperator);
    auto claims = jwt::NewOperatorClaims(*nkeys::OperatorPublicKey::FromKey(kp.public_key()));
    return *jwt::Encode(claims, kp);
  }

  accounts::KeyVault vault_ = *accounts::KeyVault::FromKey(std::string(32, 'f'));
  FollowerReplication replication_;
  Node leader_;
  Node follower_;
};

class MtlsForwardingTest : public ForwardingTest {
 protected:
  void SetUp() override {
    dir_ = std::string(std::getenv("TEST_TMPDIR")) + "/pki";
    const std::string ec = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes ";
    std::string script = "set -e; mkdir -p " + dir_ + "; cd " + dir_ +
                         "; exec 2>openssl.log; openssl req -x509" + ec +
                         "-keyout ca.key -out ca.pem -subj /CN=test-ca -days 2;"
                         "printf 'subjectAltName=IP:127.0.0.1' > san.ext;";
    // Both replicas share the certificate named "replica"; alice administers, bob only reads.
    for (const char* name : {"replica", "alice", "bob"}) {
      const std::string n = name;
      script += "openssl req" + ec + "-keyout " + n + ".key -out " + n + ".csr -subj /CN=" + n +
                "; openssl x509 -req -in " + n + ".csr -CA ca.pem -CAkey ca.key -CAcreateserial" +
                " -out " + n + ".pem -days 2 -extfile san.ext;";
    }
    if (std::system(("sh -c \"" + script + "\"").c_str()) != 0)
      GTEST_SKIP() << "openssl CLI unavailable; see " << dir_ << "/openssl.log";
    options_.tls_cert_file = dir_ + "/replica.pem";
    options_.tls_key_file = dir_ + "/replica.key";
    options_.client_ca_file = dir_ + "/ca.pem";
  }

  std::unique_ptr<v1::Admin::Stub> Stub(const Node& node, const std::string& who) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = Slurp(dir_ + "/ca.pem");
    ssl.pem_cert_chain = Slurp(dir_ + "/" + who + ".pem");
    ssl.pem_private_key = Slurp(dir_ + "/" + who + ".key");
    return v1::Admin::NewStub(grpc::CreateChannel(node.address(), grpc::SslCredentials(ssl)));
  }

  // PutOperator as `who` through `node`, with extra metadata.
  grpc::Status PutOperator(const Node& node, const std::string& who,
                           const std::map<std::string, std::string>& metadata = {}) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    for (const auto& [key, value] : metadata)
      ctx.AddMetadata(key, value);
    v1::PutOperatorRequest req;
    req.set_jwt(OperatorJwt());
    v1::WriteResponse resp;
    return Stub(node, who)->PutOperator(&ctx, req, &resp);
  }

  std::string LeaderOperatorWriter() {
    auto stored = leader_.frontend->GetOperator();
    return stored.ok() ? stored->meta().updated_by() : "(none)";
  }

  std::string dir_;
  ServerOptions options_;
};

TEST_F(MtlsForwardingTest, LeaderAuthorizesAForwardedWriteAsTheVerifiedCaller) {
  // The follower's policy is stale (it does not know bob is read-only): the leader decides.
  StartPair(options_, {.read_only = {"cert:bob"}, .replica_names = {"replica"}},
            {.read_only = {}, .replica_names = {"replica"}});
  grpc::Status admin = PutOperator(follower_, "alice");
  ASSERT_TRUE(admin.ok()) << admin.error_message();
  EXPECT_EQ(LeaderOperatorWriter(), "cert:alice");  // not the forwarding replica, "cert:replica"

  grpc::Status reader = PutOperator(follower_, "bob");
  EXPECT_EQ(reader.error_code(), grpc::StatusCode::PERMISSION_DENIED) << reader.error_message();
  EXPECT_EQ(LeaderOperatorWriter(), "cert:alice");
}

TEST_F(MtlsForwardingTest, FollowerRefusesAReaderWriteItself) {
  const AuthPolicy policy = {.read_only = {"cert:bob"}, .replica_names = {"replica"}};
  StartPair(options_, policy, policy);
  grpc::Status reader = PutOperator(follower_, "bob");
  EXPECT_EQ(reader.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(LeaderOperatorWriter(), "(none)");
}

TEST_F(MtlsForwardingTest, ClientForgingTheForwardedIdentityGainsNothing) {
  StartPair(options_, {.read_only = {"cert:bob"}, .replica_names = {"replica"}},
            {.read_only = {"cert:bob"}, .replica_names = {"replica"}});
  // bob claims to be a forwarded alice, straight to the leader and through the follower.
  const std::map<std::string, std::string> forged = {{kForwardedForHeader, "cert:alice"},
                                                     {"lattice-forwarded", "1"}};
  EXPECT_EQ(PutOperator(leader_, "bob", forged).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(PutOperator(follower_, "bob", {{kForwardedForHeader, "cert:alice"}}).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // alice claiming to be bob is still alice (her write lands under her own name).
  grpc::Status alice = PutOperator(leader_, "alice", {{kForwardedForHeader, "cert:bob"}});
  ASSERT_TRUE(alice.ok()) << alice.error_message();
  EXPECT_EQ(LeaderOperatorWriter(), "cert:alice");
  // Reads stay open to bob.
  grpc::ClientContext ctx;
  v1::Operator got;
  grpc::Status read = Stub(leader_, "bob")->GetOperator(&ctx, v1::GetOperatorRequest(), &got);
  EXPECT_TRUE(read.ok()) << read.error_message();
}

class RelayTest : public ForwardingTest {
 protected:
  void SetUp() override { StartPair(ServerOptions(), {}, {}); }

  std::unique_ptr<grpc::ClientContext> Authed() {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->AddMetadata("authorization", std::string("Bearer ") + kToken);
    // Without the leadership watch the relayed stream would run until this deadline.
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    return ctx;
  }

  // A node registered through the follower (relayed to the leader); returns once Registered.
  void RegisterThroughFollower(
      grpc::ClientContext* ctx,
      std::unique_ptr<grpc::ClientReaderWriter<v1::NodeMessage, v1::ControlMessage>>* out) {
    auto stub = v1::NodeSync::NewStub(
        grpc::CreateChannel(follower_.address(), grpc::InsecureChannelCredentials()));
    *out = stub->Sync(ctx);
    v1::NodeMessage reg;
    reg.mutable_register_()->set_node_id("n1");
    reg.mutable_register_()->set_cluster("east");
    ASSERT_TRUE((*out)->Write(reg));
    v1::ControlMessage msg;
    ASSERT_TRUE((*out)->Read(&msg));
    ASSERT_TRUE(msg.has_registered()) << msg.DebugString();
  }

  // Reads until the stream ends; its final status.
  static grpc::Status Drain(grpc::ClientReaderWriter<v1::NodeMessage, v1::ControlMessage>* stream) {
    v1::ControlMessage msg;
    while (stream->Read(&msg)) {
    }
    return stream->Finish();
  }
};

TEST_F(RelayTest, RelayEndsWhenAnotherReplicaLeads) {
  auto ctx = Authed();
  std::unique_ptr<grpc::ClientReaderWriter<v1::NodeMessage, v1::ControlMessage>> stream;
  ASSERT_NO_FATAL_FAILURE(RegisterThroughFollower(ctx.get(), &stream));
  // The old leader is still up and serving: only the follower's Raft view says it moved.
  replication_.SetLeader(3, "127.0.0.1:1");
  grpc::Status ended = Drain(stream.get());
  EXPECT_NE(ended.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << ended.error_message();
  EXPECT_FALSE(ended.ok());
}

TEST_F(RelayTest, RelayEndsWhenTheFollowerItselfLeads) {
  auto ctx = Authed();
  std::unique_ptr<grpc::ClientReaderWriter<v1::NodeMessage, v1::ControlMessage>> stream;
  ASSERT_NO_FATAL_FAILURE(RegisterThroughFollower(ctx.get(), &stream));
  replication_.SetLeader(2, follower_.address());
  grpc::Status ended = Drain(stream.get());
  EXPECT_NE(ended.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << ended.error_message();
  EXPECT_FALSE(ended.ok());
}

TEST_F(RelayTest, RelayKeepsRunningWhileNoLeaderIsKnown) {
  auto ctx = Authed();
  std::unique_ptr<grpc::ClientReaderWriter<v1::NodeMessage, v1::ControlMessage>> stream;
  ASSERT_NO_FATAL_FAILURE(RegisterThroughFollower(ctx.get(), &stream));
  replication_.SetLeader(0, "");  // an election in progress: the relayed leader may still lead
  // A second node registering on the leader reaches n1 as a peer through the relay.
  auto leader_sync = v1::NodeSync::NewStub(
      grpc::CreateChannel(leader_.address(), grpc::InsecureChannelCredentials()));
  auto ctx2 = Authed();
  auto stream2 = leader_sync->Sync(ctx2.get());
  v1::NodeMessage reg;
  reg.mutable_register_()->set_node_id("n2");
  reg.mutable_register_()->set_cluster("east");
  ASSERT_TRUE(stream2->Write(reg));
  bool peer_seen = false;
  v1::ControlMessage msg;
  while (!peer_seen && stream->Read(&msg))
    peer_seen = msg.has_topology() && msg.topology().peers_size() == 1;
  EXPECT_TRUE(peer_seen);
  ctx->TryCancel();
  (void)stream->Finish();
  ctx2->TryCancel();
  (void)stream2->Finish();
}

TEST_F(RelayTest, QueryInterestOnAFollowerAnswersFromTheLeadersGraph) {
  auto ctx = Authed();
  std::unique_ptr<grpc::ClientReaderWriter<v1::NodeMessage, v1::ControlMessage>> stream;
  ASSERT_NO_FATAL_FAILURE(RegisterThroughFollower(ctx.get(), &stream));
  // The node's snapshot travels through the relay to the leader's graph.
  v1::NodeMessage snapshot;
  snapshot.mutable_interest()->set_sequence(1);
  snapshot.mutable_interest()->set_snapshot(true);
  v1::InterestChange* change = snapshot.mutable_interest()->add_changes();
  change->set_account("A");
  change->set_subject("orders.>");
  change->set_weight(1);
  ASSERT_TRUE(stream->Write(snapshot));

  auto follower_admin = v1::Admin::NewStub(
      grpc::CreateChannel(follower_.address(), grpc::InsecureChannelCredentials()));
  v1::QueryInterestRequest req;
  req.set_subject("orders.eu");
  v1::QueryInterestResponse resp;
  ASSERT_TRUE(testutil::Eventually([&] {
    resp.Clear();
    grpc::Status status = follower_admin->QueryInterest(Authed().get(), req, &resp);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return resp.entries_size() == 1;
  }));
  EXPECT_EQ(resp.entries(0).node_id(), "n1");
  EXPECT_EQ(resp.entries(0).subject(), "orders.>");
  ASSERT_EQ(resp.nodes_size(), 1);
  EXPECT_EQ(resp.nodes(0).sequence(), 1u);
  EXPECT_EQ(resp.missing_nodes_size(), 0);

  // With no leader known the follower cannot answer (its own graph is not the cluster's).
  replication_.SetLeader(0, "");
  grpc::Status refused = follower_admin->QueryInterest(Authed().get(), req, &resp);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAVAILABLE) << refused.error_message();
  // Once the follower leads it answers from its own graph, as replica 2: empty (nothing has
  // registered with it yet).
  replication_.SetLeader(2, follower_.address());
  (void)Drain(stream.get());  // the relay ends: the follower leads now
  resp.Clear();
  grpc::Status own = follower_admin->QueryInterest(Authed().get(), req, &resp);
  ASSERT_TRUE(own.ok()) << own.error_message();
  EXPECT_EQ(resp.answered_by(), 2u);
  EXPECT_EQ(resp.entries_size(), 0);
}

// AddReplica looks at the joiner first: one that runs a Raft configuration of its own (started
// with --bootstrap) or answers as another replica is refused before Raft sees it.
class JoinerCheckTest : public ForwardingTest {
 protected:
  void SetUp() override { StartPair(ServerOptions(), {}, {}); }

  // A joiner process: replica 7 whose Raft configuration has `members`.
  void StartJoiner(std::vector<uint64_t> members) {
    joiner_replication_.SetLeader(members.empty() ? 0 : 7, "");
    joiner_replication_.SetMembers(std::move(members));
    const std::string dir = std::string(std::getenv("TEST_TMPDIR")) + "/joiner" +
                            std::to_string(reinterpret_cast<uintptr_t>(this));
    std::filesystem::create_directories(dir);
    joiner_.store = *store::RocksStore::Open(dir);
    joiner_.frontend = std::make_unique<frontend::Frontend>(joiner_.store.get(), &vault_);
    joiner_.auth = std::make_unique<Authenticator>(
        std::map<std::string, std::string>{{kToken, "admin"}}, false);
    auto server = ControlServer::Start(ServerOptions(), joiner_.frontend.get(), joiner_.auth.get(),
                                       &joiner_replication_);
    ASSERT_TRUE(server.ok()) << server.status();
    joiner_.server = *std::move(server);
  }

  void TearDown() override {
    if (joiner_.server)
      joiner_.server->Shutdown();
    ForwardingTest::TearDown();
  }

  grpc::Status Add(uint64_t id) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", std::string("Bearer ") + kToken);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    v1::AddReplicaRequest req;
    req.set_id(id);
    req.set_raft_address("127.0.0.1:1");
    req.set_admin_address(joiner_.address());
    v1::ListReplicasResponse resp;
    auto stub = v1::Admin::NewStub(
        grpc::CreateChannel(follower_.address(), grpc::InsecureChannelCredentials()));
    return stub->AddReplica(&ctx, req, &resp);
  }

  FollowerReplication joiner_replication_{7};
  Node joiner_;
};

TEST_F(JoinerCheckTest, EmptyJoinerGoesToRaft) {
  ASSERT_NO_FATAL_FAILURE(StartJoiner({}));
  (void)Add(7);  // then refused by the fake Raft and forwarded; what matters is that it got there
  EXPECT_EQ(replication_.add_calls(), 1);
}

TEST_F(JoinerCheckTest, JoinerAlreadyInThisGroupGoesToRaft) {
  ASSERT_NO_FATAL_FAILURE(StartJoiner({1, 2, 7}));  // a retried add: it has our configuration
  (void)Add(7);
  EXPECT_EQ(replication_.add_calls(), 1);
}

TEST_F(JoinerCheckTest, SelfBootstrappedJoinerIsRefused) {
  ASSERT_NO_FATAL_FAILURE(StartJoiner({7}));
  grpc::Status refused = Add(7);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(refused.error_message().find("--bootstrap"), std::string::npos)
      << refused.error_message();
  EXPECT_EQ(replication_.add_calls(), 0);
}

TEST_F(JoinerCheckTest, AdminAddressOfAnotherReplicaIsRefused) {
  ASSERT_NO_FATAL_FAILURE(StartJoiner({}));
  EXPECT_EQ(Add(8).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(replication_.add_calls(), 0);
}

}  // namespace
}  // namespace lattice::api
