// ControlAgent against a real lattice-control process: register, pushes, ACK/NACK recorded in
// the Admin API, control plane loss and return (same or other address), restart from disk.
#include "dataplane/agent/control_agent.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <vector>

#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"

#include "dataplane/agent/control_process.h"
#include "dataplane/agent/test_chain.h"
#include "lattice/control/v1/admin.grpc.pb.h"

namespace lattice::agent {
namespace {

using testing::AccountJwt;
using testing::ControlProcess;
using testing::Eventually;
using ::testing::HasSubstr;
using testing::NewKey;

constexpr char kToken[] = "agent-test-token-0123456789abcdef";

// Records every resource the agent hands over. Thread: written on the agent thread, read by
// the test thread.
class RecordingSink : public AgentSink {
 public:
  absl::Status ApplyAccounts(std::shared_ptr<const AccountsBundle> bundle) override {
    MutexLock lock(&mu_);
    accounts_.push_back(std::move(bundle));
    return absl::OkStatus();
  }
  absl::Status ApplyTopology(std::shared_ptr<const v1::Topology> topology) override {
    MutexLock lock(&mu_);
    topologies_.push_back(std::move(topology));
    return absl::OkStatus();
  }
  std::shared_ptr<const AccountsBundle> accounts() {
    MutexLock lock(&mu_);
    return accounts_.empty() ? nullptr : accounts_.back();
  }
  size_t accounts_applied() {
    MutexLock lock(&mu_);
    return accounts_.size();
  }
  size_t topologies_applied() {
    MutexLock lock(&mu_);
    return topologies_.size();
  }
  bool HasAccount(const std::string& key) {
    auto bundle = accounts();
    return bundle != nullptr && bundle->accounts.count(key) > 0;
  }

 private:
  Mutex mu_;
  std::vector<std::shared_ptr<const AccountsBundle>> accounts_ ABSL_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<const v1::Topology>> topologies_ ABSL_GUARDED_BY(mu_);
};

class ControlAgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int counter = 0;
    dir_ = std::string(std::getenv("TEST_TMPDIR")) + "/agent" + std::to_string(counter++);
    ASSERT_EQ(system(("mkdir -p " + dir_).c_str()), 0);
    for (int* port : {&port1_, &port2_}) {
      auto free = testing::FreePort();
      ASSERT_TRUE(free.ok());
      *port = *free;
    }
    StartControl(port1_);
    if (HasFatalFailure())
      return;
    // The control plane knows a signing key the node's operator JWT does not list.
    PutOperator(op_.Jwt({signing_.public_key().str()}));
  }

  void StartControl(int port) {
    auto control = ControlProcess::Start(dir_ + "/control", port, kToken);
    ASSERT_TRUE(control.ok()) << control.status();
    control_.emplace(*std::move(control));
    admin_ = v1::Admin::NewStub(
        grpc::CreateChannel(control_->address(), grpc::InsecureChannelCredentials()));
  }

  std::string Address(int port) { return "127.0.0.1:" + std::to_string(port); }

  AgentConfig Config(std::vector<std::string> addresses, const std::string& node_id = "n1") {
    AgentConfig config;
    config.control_addresses = std::move(addresses);
    config.cluster = "east";
    config.node_id = node_id;
    config.operator_jwt = op_.Jwt();  // without the signing key
    config.state_dir = dir_ + "/state";
    config.credentials.bearer_token = kToken;
    config.client_urls = {"nats://127.0.0.1:4222"};
    config.initial_backoff = std::chrono::milliseconds(20);
    config.max_backoff = std::chrono::milliseconds(200);
    return config;
  }

  std::unique_ptr<ControlAgent> StartAgent(AgentConfig config, RecordingSink* sink) {
    auto agent = ControlAgent::Create(std::move(config), sink);
    EXPECT_TRUE(agent.ok()) << agent.status();
    if (!agent.ok())
      return nullptr;
    EXPECT_TRUE((*agent)->Start().ok());
    return *std::move(agent);
  }

  std::unique_ptr<grpc::ClientContext> Authed() {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->AddMetadata("authorization", std::string("Bearer ") + kToken);
    return ctx;
  }

  void PutOperator(const std::string& token) {
    v1::PutOperatorRequest req;
    req.set_jwt(token);
    v1::WriteResponse resp;
    grpc::Status status = admin_->PutOperator(Authed().get(), req, &resp);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  void PutAccount(const std::string& token) {
    v1::PutAccountRequest req;
    req.set_jwt(token);
    v1::WriteResponse resp;
    grpc::Status status = admin_->PutAccount(Authed().get(), req, &resp);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_TRUE(resp.applied());
  }

  void DeleteAccount(const std::string& key) {
    v1::DeleteAccountRequest req;
    req.set_public_key(key);
    v1::WriteResponse resp;
    grpc::Status status = admin_->DeleteAccount(Authed().get(), req, &resp);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  // The node's sync status for `type` as the Admin API reports it.
  std::optional<v1::SyncStatus> Sync(const std::string& node_id, const std::string& type) {
    v1::GetTopologyRequest req;
    req.set_kind(v1::TOPOLOGY_KIND_NODE);
    req.set_key(node_id);
    v1::TopologyObject object;
    if (!admin_->GetTopology(Authed().get(), req, &object).ok())
      return std::nullopt;
    for (const auto& sync : object.node().sync()) {
      if (sync.resource_type() == type)
        return sync;
    }
    return std::nullopt;
  }
  bool AckedAccounts(const std::string& node_id, const std::string& version) {
    auto sync = Sync(node_id, "accounts");
    return sync.has_value() && sync->last_acked_version() == version;
  }

  std::string dir_;
  int port1_ = 0;
  int port2_ = 0;
  testing::TestOperator op_;
  nkeys::KeyPair signing_ = NewKey(nkeys::KeyType::kOperator);
  nkeys::KeyPair a_ = NewKey(nkeys::KeyType::kAccount);
  nkeys::KeyPair b_ = NewKey(nkeys::KeyType::kAccount);
  nkeys::KeyPair c_ = NewKey(nkeys::KeyType::kAccount);
  std::optional<ControlProcess> control_;
  std::unique_ptr<v1::Admin::Stub> admin_;
};

TEST_F(ControlAgentTest, RegistersAppliesPushedAccountsAndAcks) {
  RecordingSink sink;
  auto agent = StartAgent(Config({Address(port1_)}), &sink);
  ASSERT_NE(agent, nullptr);
  ASSERT_TRUE(Eventually([&] { return agent->status().registered; })) << control_->Log();
  // The topology of the node's cluster arrives and is ACKed too.
  ASSERT_TRUE(Eventually([&] { return sink.topologies_applied() > 0; }));
  ASSERT_TRUE(Eventually([&] {
    auto sync = Sync("n1", "topology");
    return sync.has_value() && sync->last_acked_version() == agent->status().topology_version;
  }));

  PutAccount(AccountJwt(a_, "A", op_.key));
  ASSERT_TRUE(Eventually([&] { return sink.HasAccount(a_.public_key().str()); }));
  const std::string version = sink.accounts()->version;
  EXPECT_EQ(sink.accounts()->operator_key, op_.public_key());
  EXPECT_EQ(sink.accounts()->accounts.at(a_.public_key().str()).name, "A");
  ASSERT_TRUE(Eventually([&] { return AckedAccounts("n1", version); }));
  EXPECT_EQ(agent->status().accounts_version, version);
  EXPECT_EQ(agent->status().nacks, 0u);

  // A deleted account arrives as a tombstone: the server drops it and closes its clients.
  DeleteAccount(a_.public_key().str());
  ASSERT_TRUE(Eventually([&] {
    auto bundle = sink.accounts();
    return bundle != nullptr && bundle->deleted.count(a_.public_key().str()) > 0;
  }));
  EXPECT_FALSE(sink.HasAccount(a_.public_key().str()));
  const std::string after_delete = sink.accounts()->version;
  EXPECT_NE(after_delete, version);
  EXPECT_TRUE(Eventually([&] { return AckedAccounts("n1", after_delete); }));
}

TEST_F(ControlAgentTest, AccountTheNodeCannotVerifyIsNackedAndNotApplied) {
  RecordingSink sink;
  auto agent = StartAgent(Config({Address(port1_)}), &sink);
  ASSERT_NE(agent, nullptr);
  PutAccount(AccountJwt(a_, "A", op_.key));
  ASSERT_TRUE(Eventually([&] { return sink.HasAccount(a_.public_key().str()); }));
  const std::string good = sink.accounts()->version;
  const size_t applied = sink.accounts_applied();

  // Signed by a key the control plane's operator lists but the node's operator does not.
  PutAccount(AccountJwt(b_, "B", signing_));
  std::optional<v1::SyncStatus> sync;
  ASSERT_TRUE(Eventually([&] {
    sync = Sync("n1", "accounts");
    return sync.has_value() && !sync->last_nack_version().empty();
  }));
  EXPECT_THAT(sync->last_nack_error(), HasSubstr(b_.public_key().str()));
  EXPECT_THAT(sync->last_nack_error(), HasSubstr("(B)"));
  EXPECT_EQ(sync->last_acked_version(), good);  // still serving the last good bundle
  EXPECT_EQ(sink.accounts_applied(), applied);
  EXPECT_EQ(agent->status().accounts_version, good);
  EXPECT_GE(agent->status().nacks, 1u);
  EXPECT_THAT(agent->status().last_nack, HasSubstr(b_.public_key().str()));

  // Fixing the account (re-signed by the operator) is accepted again.
  PutAccount(AccountJwt(b_, "B", op_.key));
  ASSERT_TRUE(Eventually([&] { return sink.HasAccount(b_.public_key().str()); }));
  EXPECT_TRUE(Eventually([&] { return AckedAccounts("n1", sink.accounts()->version); }));
}

TEST_F(ControlAgentTest, FailsOverWhenTheFirstAddressIsDown) {
  RecordingSink sink;
  // port2_ has nobody listening; the agent must move on to the live replica.
  auto agent = StartAgent(Config({Address(port2_), Address(port1_)}), &sink);
  ASSERT_NE(agent, nullptr);
  ASSERT_TRUE(Eventually([&] { return agent->status().registered; })) << control_->Log();
  EXPECT_EQ(agent->status().address, Address(port1_));
  EXPECT_GE(agent->status().failed_attempts, 1u);
  PutAccount(AccountJwt(a_, "A", op_.key));
  EXPECT_TRUE(Eventually([&] { return sink.HasAccount(a_.public_key().str()); }));
}

TEST_F(ControlAgentTest, FailsOverFromAReplicaThatAcceptsButNeverAnswers) {
  // A listening socket nobody accepts on: TCP connects, HTTP/2 never gets an answer.
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 16), 0);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const std::string black_hole = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));

  RecordingSink sink;
  AgentConfig config = Config({black_hole, Address(port1_)});
  config.register_timeout = std::chrono::milliseconds(300);
  auto agent = StartAgent(std::move(config), &sink);
  ASSERT_NE(agent, nullptr);
  ASSERT_TRUE(Eventually([&] { return agent->status().registered; })) << control_->Log();
  EXPECT_EQ(agent->status().address, Address(port1_));
  EXPECT_GE(agent->status().failed_attempts, 1u);
  agent->Stop();
  close(fd);
}

TEST_F(ControlAgentTest, KeepsServingWhileControlIsDownAndResyncsOnAnotherAddress) {
  RecordingSink sink;
  auto agent = StartAgent(Config({Address(port1_), Address(port2_)}), &sink);
  ASSERT_NE(agent, nullptr);
  PutAccount(AccountJwt(a_, "A", op_.key));
  ASSERT_TRUE(Eventually([&] { return sink.HasAccount(a_.public_key().str()); }));
  const std::string version = sink.accounts()->version;
  ASSERT_TRUE(Eventually([&] { return AckedAccounts("n1", version); }));
  ASSERT_TRUE(Eventually([&] {
    auto sync = Sync("n1", "topology");
    return sync.has_value() && !sync->last_acked_version().empty();
  }));
  const size_t accounts_applied = sink.accounts_applied();
  const size_t topologies_applied = sink.topologies_applied();

  control_->Kill();
  ASSERT_TRUE(Eventually([&] { return !agent->status().registered; }));
  // Let the agent fail at least a couple of attempts against both addresses.
  const uint64_t failed = agent->status().failed_attempts;
  ASSERT_TRUE(Eventually([&] { return agent->status().failed_attempts >= failed + 2; }));
  // Nothing was withdrawn: the node keeps what it had.
  EXPECT_EQ(sink.accounts_applied(), accounts_applied);
  EXPECT_EQ(sink.accounts()->version, version);
  EXPECT_EQ(agent->status().accounts_version, version);

  // The control plane comes back on the other address (same state, as a replica would have).
  StartControl(port2_);
  ASSERT_TRUE(Eventually([&] {
    AgentStatus status = agent->status();
    return status.registered && status.address == Address(port2_) && status.registrations >= 2;
  })) << control_->Log();
  // Resync by held_versions: the unchanged bundle and topology are not applied again.
  PutAccount(AccountJwt(c_, "C", op_.key));
  ASSERT_TRUE(Eventually([&] { return sink.HasAccount(c_.public_key().str()); }));
  EXPECT_EQ(sink.accounts_applied(), accounts_applied + 1);
  EXPECT_TRUE(sink.HasAccount(a_.public_key().str()));
  EXPECT_EQ(sink.topologies_applied(), topologies_applied);
  EXPECT_TRUE(Eventually([&] { return AckedAccounts("n1", sink.accounts()->version); }));
}

// A replica that stops with its connections open (SIGSTOP) is noticed by the probe, not by the
// 5-minute keepalive: the stream ends, and the node registers again once the replica resumes.
TEST_F(ControlAgentTest, AStoppedReplicaEndsTheStreamThroughTheProbe) {
  RecordingSink sink;
  AgentConfig config = Config({Address(port1_)});
  config.probe_interval = std::chrono::milliseconds(50);
  config.probe_timeout = std::chrono::milliseconds(300);
  config.register_timeout = std::chrono::milliseconds(300);
  auto agent = StartAgent(std::move(config), &sink);
  ASSERT_NE(agent, nullptr);
  ASSERT_TRUE(Eventually([&] { return agent->status().registered; }));

  control_->Pause();
  EXPECT_TRUE(Eventually([&] { return !agent->status().registered; }));
  control_->Resume();
  EXPECT_TRUE(Eventually([&] {
    AgentStatus status = agent->status();
    return status.registered && status.registrations >= 2;
  })) << control_->Log();
  // Still in business: a change made now reaches the node.
  PutAccount(AccountJwt(a_, "A", op_.key));
  EXPECT_TRUE(Eventually([&] { return sink.HasAccount(a_.public_key().str()); }));
}

TEST_F(ControlAgentTest, RestartedNodeServesFromDiskThenReconnectsOnTheSameAddress) {
  std::string version;
  {
    RecordingSink sink;
    auto agent = StartAgent(Config({Address(port1_)}), &sink);
    ASSERT_NE(agent, nullptr);
    PutAccount(AccountJwt(a_, "A", op_.key));
    ASSERT_TRUE(Eventually([&] { return sink.HasAccount(a_.public_key().str()); }));
    version = sink.accounts()->version;
    ASSERT_TRUE(Eventually([&] { return sink.topologies_applied() > 0; }));
    agent->Stop();
  }
  control_->Kill();

  // A new process with the control plane down: Start() applies the stored bundle at once.
  RecordingSink sink;
  auto agent = StartAgent(Config({Address(port1_)}), &sink);
  ASSERT_NE(agent, nullptr);
  ASSERT_NE(sink.accounts(), nullptr);
  EXPECT_EQ(sink.accounts()->version, version);
  EXPECT_TRUE(sink.HasAccount(a_.public_key().str()));
  EXPECT_EQ(sink.topologies_applied(), 1u);
  EXPECT_TRUE(agent->status().accounts_from_disk);
  EXPECT_TRUE(agent->status().topology_from_disk);
  EXPECT_FALSE(agent->status().registered);

  StartControl(port1_);
  ASSERT_TRUE(Eventually([&] { return agent->status().registered; })) << control_->Log();
  PutAccount(AccountJwt(b_, "B", op_.key));
  ASSERT_TRUE(Eventually([&] { return sink.HasAccount(b_.public_key().str()); }));
  EXPECT_EQ(sink.accounts_applied(), 2u);  // the stored one, then only the new version
  // The agent records the version after the sink returns (and the bundle is saved).
  EXPECT_TRUE(Eventually([&] {
    AgentStatus status = agent->status();
    return !status.accounts_from_disk && status.accounts_version == sink.accounts()->version;
  }));
}

TEST_F(ControlAgentTest, CorruptStateIsIgnoredAndRefilledFromTheControlPlane) {
  {
    auto store = BundleStore::Open(dir_ + "/state");
    ASSERT_TRUE(store.ok());
    std::ofstream(store->PathForTest("accounts.bundle"), std::ios::trunc) << "lattice-bundle/1 3 ";
  }
  PutAccount(AccountJwt(a_, "A", op_.key));
  RecordingSink sink;
  auto agent = StartAgent(Config({Address(port1_)}), &sink);
  ASSERT_NE(agent, nullptr);
  EXPECT_FALSE(agent->status().accounts_from_disk);
  ASSERT_TRUE(Eventually([&] { return sink.HasAccount(a_.public_key().str()); }));
  agent->Stop();
  // The good bundle replaced the corrupt file.
  auto stored = BundleStore::Open(dir_ + "/state")->LoadAccounts();
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->version(), sink.accounts()->version);
}

TEST_F(ControlAgentTest, WrongTokenNeverRegistersAndStopReturns) {
  RecordingSink sink;
  AgentConfig config = Config({Address(port1_)});
  config.credentials.bearer_token = "wrong";
  auto agent = StartAgent(std::move(config), &sink);
  ASSERT_NE(agent, nullptr);
  ASSERT_TRUE(Eventually([&] { return agent->status().failed_attempts >= 3; }));
  EXPECT_EQ(agent->status().registrations, 0u);
  EXPECT_EQ(sink.accounts(), nullptr);
  agent->Stop();
  agent->Stop();  // idempotent
}

TEST(ControlAgentCreateTest, RejectsBadConfig) {
  RecordingSink sink;
  testing::TestOperator op;
  AgentConfig config;
  config.control_addresses = {"127.0.0.1:1"};
  config.cluster = "east";
  config.node_id = "n1";
  config.operator_jwt = op.Jwt();
  EXPECT_TRUE(ControlAgent::Create(config, &sink).ok());
  EXPECT_FALSE(ControlAgent::Create(config, nullptr).ok());
  AgentConfig bad = config;
  bad.operator_jwt = "garbage";
  EXPECT_FALSE(ControlAgent::Create(bad, &sink).ok());
  bad = config;
  bad.control_addresses.clear();
  EXPECT_FALSE(ControlAgent::Create(bad, &sink).ok());
  bad = config;
  bad.register_timeout = std::chrono::milliseconds(0);
  EXPECT_FALSE(ControlAgent::Create(bad, &sink).ok());
  bad = config;
  bad.probe_interval = std::chrono::milliseconds(0);
  EXPECT_FALSE(ControlAgent::Create(bad, &sink).ok());
  bad = config;
  bad.probe_timeout = std::chrono::milliseconds(-1);
  EXPECT_FALSE(ControlAgent::Create(bad, &sink).ok());
  bad = config;
  bad.node_id.clear();  // and no state dir to keep one in
  EXPECT_FALSE(ControlAgent::Create(bad, &sink).ok());
  auto agent = ControlAgent::Create(config, &sink);
  ASSERT_TRUE((*agent)->Start().ok());
  EXPECT_FALSE((*agent)->Start().ok());
}

}  // namespace
}  // namespace lattice::agent
