// Tests for the admin commands against a real in-process control server on port 0.
#include "tools/latticectl_admin/admin_cli.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

#include "common/jwt/claims.h"
#include "common/nkeys/nkeys.h"
#include "common/testing/eventually.h"
#include "controlplane/api/server.h"
#include "controlplane/store/rocks_store.h"
#include "lattice/control/v1/node_sync.grpc.pb.h"
#include "tools/latticectl_admin/interest_table.h"

namespace lattice::latticectl_admin {
namespace {

namespace v1 = ::lattice::control::v1;

constexpr char kToken[] = "cli-test-token-0123456789";

nkeys::KeyPair NewKey(nkeys::KeyType type) {
  return *nkeys::KeyPair::Generate(type);
}

class AdminCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = std::string(std::getenv("TEST_TMPDIR")) + "/cli" + std::to_string(counter++);
    ASSERT_EQ(mkdir(dir_.c_str(), 0700), 0);
    store_ = *store::RocksStore::Open(dir_ + "/db");
    frontend_ = std::make_unique<frontend::Frontend>(store_.get(), &vault_);
    auth_ = std::make_unique<api::Authenticator>(
        std::map<std::string, std::string>{{kToken, "cli"}}, false);
    server_ = *api::ControlServer::Start(api::ServerOptions(), frontend_.get(), auth_.get());
    address_ = "127.0.0.1:" + std::to_string(server_->port());

    auto op = jwt::NewOperatorClaims(*nkeys::OperatorPublicKey::FromKey(op_kp_.public_key()));
    op.std.name = "cli-op";
    op.nats.signing_keys = {sk_kp_.public_key().str()};
    WriteFile("op.jwt", *jwt::Encode(op, op_kp_));
    WriteFile("sk.seed", std::string(sk_kp_.EncodedSeed().view()) + "\n");
  }
  void TearDown() override { server_->Shutdown(); }

  std::string WriteFile(const std::string& name, const std::string& contents) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << contents;
    return path;
  }

  // Runs `latticectl --server ... --token ... <args>`.
  int Run(std::vector<std::string> args, bool with_token = true) {
    out_.str("");
    err_.str("");
    std::vector<std::string> full = {"--server", address_};
    if (with_token) {
      full.push_back("--token");
      full.push_back(kToken);
    }
    full.insert(full.end(), args.begin(), args.end());
    return RunAdminCommand(full, out_, err_);
  }

  std::string dir_;
  accounts::KeyVault vault_ = *accounts::KeyVault::FromKey(std::string(32, 'c'));
  std::unique_ptr<store::RocksStore> store_;
  std::unique_ptr<frontend::Frontend> frontend_;
  std::unique_ptr<api::Authenticator> auth_;
  std::unique_ptr<api::ControlServer> server_;
  std::string address_;
  nkeys::KeyPair op_kp_ = NewKey(nkeys::KeyType::kOperator);
  nkeys::KeyPair sk_kp_ = NewKey(nkeys::KeyType::kOperator);
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(AdminCliTest, RefusedWithoutToken) {
  EXPECT_EQ(Run({"operator", "get"}, false), 1);
  EXPECT_NE(err_.str().find("UNAUTHENTICATED"), std::string::npos) << err_.str();
}

TEST_F(AdminCliTest, ReplicasOnASingleServerAndFailoverDownTheServerList) {
  ASSERT_EQ(Run({"replicas"}), 0) << err_.str();
  EXPECT_NE(out_.str().find("not replicated"), std::string::npos) << out_.str();
  EXPECT_EQ(Run({"replicas", "add", "2", "127.0.0.1:1"}), 1);
  EXPECT_NE(err_.str().find("FAILED_PRECONDITION"), std::string::npos) << err_.str();
  // The first server in the list is down: the command goes to the next one, only the final
  // attempt's errors are shown, and linearizable reads are accepted by an unreplicated server.
  out_.str("");
  err_.str("");
  int code = RunAdminCommand({"--server", "127.0.0.1:1," + address_, "--token", kToken,
                              "--linearizable", "cluster", "put", "east"},
                             out_, err_);
  EXPECT_EQ(code, 0) << err_.str();
  EXPECT_EQ(err_.str(), "");
  EXPECT_NE(out_.str().find("applied at revision"), std::string::npos) << out_.str();
  ASSERT_EQ(Run({"--linearizable", "cluster", "get", "east"}), 0) << err_.str();
}

// A listening socket nobody serves: the kernel completes TCP handshakes, nothing ever answers
// (what a SIGSTOPped replica looks like to a client).
class SilentListener {
 public:
  SilentListener() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) == 0 && listen(fd_, 16) == 0 &&
        getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
      address_ = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  }
  ~SilentListener() { close(fd_); }
  const std::string& address() const { return address_; }

 private:
  int fd_ = -1;
  std::string address_;
};

TEST_F(AdminCliTest, HungReplicaTimesOutAndTheNextServerAnswers) {
  SilentListener hung;
  ASSERT_FALSE(hung.address().empty());
  // Alone, the hung replica costs one timeout and a clear error, not a hang.
  EXPECT_EQ(RunAdminCommand({"--server", hung.address(), "--token", kToken, "--timeout", "0.5",
                             "cluster", "list"},
                            out_, err_),
            1);
  EXPECT_NE(err_.str().find("DEADLINE_EXCEEDED"), std::string::npos) << err_.str();
  // First in the list, the command moves on to the next server (the call never reached it).
  out_.str("");
  err_.str("");
  EXPECT_EQ(RunAdminCommand({"--server", hung.address() + "," + address_, "--token", kToken,
                             "--timeout", "0.5", "cluster", "put", "west"},
                            out_, err_),
            0)
      << err_.str();
  EXPECT_NE(out_.str().find("applied at revision"), std::string::npos) << out_.str();
  EXPECT_EQ(Run({"--timeout", "0", "cluster", "list"}), 2);
  EXPECT_NE(err_.str().find("--timeout takes seconds"), std::string::npos) << err_.str();
}

TEST_F(AdminCliTest, OperatorAccountsUsersWithPlansTablesAndJson) {
  ASSERT_EQ(Run({"plan", "operator", "push", dir_ + "/op.jwt"}), 0) << err_.str();
  EXPECT_NE(out_.str().find("+ operator/" + op_kp_.public_key().str()), std::string::npos);
  EXPECT_NE(out_.str().find("dry run: nothing written"), std::string::npos);
  EXPECT_EQ(frontend_->revision(), 0u);
  ASSERT_EQ(Run({"operator", "push", dir_ + "/op.jwt"}), 0) << err_.str();
  EXPECT_NE(out_.str().find("applied at revision 1"), std::string::npos) << out_.str();
  ASSERT_EQ(Run({"operator", "get"}), 0);
  EXPECT_NE(out_.str().find("cli-op"), std::string::npos);

  ASSERT_EQ(Run({"signing-key", "add", "--seed-file", dir_ + "/sk.seed"}), 0) << err_.str();
  ASSERT_EQ(Run({"account", "create", "team", "--max-conns", "5", "--export", "svc.>:service"}), 0)
      << err_.str();
  EXPECT_NE(out_.str().find("nats.limits.conn: (none) -> 5"), std::string::npos) << out_.str();

  // A pre-signed account that imports a service the exporter does not have: plan shows why.
  nkeys::KeyPair acc = NewKey(nkeys::KeyType::kAccount);
  auto claims = jwt::NewAccountClaims(*nkeys::AccountPublicKey::FromKey(acc.public_key()));
  claims.std.name = "shop";
  ASSERT_EQ(Run({"account", "get", "team", "--json"}), 0);
  std::string team_key = nlohmann::json::parse(out_.str())["public_key"];
  jwt::Import imp;
  imp.account = team_key;
  imp.subject = "other.thing";
  imp.type = jwt::ExportType::kService;
  claims.nats.imports.push_back(imp);
  std::string bad = WriteFile("shop.jwt", *jwt::Encode(claims, sk_kp_));
  EXPECT_EQ(Run({"account", "push", bad, "--dry-run"}), 1);
  EXPECT_NE(out_.str().find("! error:"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("no matching service export"), std::string::npos);
  EXPECT_EQ(Run({"account", "push", bad}), 1);
  EXPECT_NE(err_.str().find("FAILED_PRECONDITION"), std::string::npos) << err_.str();
  claims.nats.imports[0].subject = "svc.time";
  std::string good = WriteFile("shop2.jwt", *jwt::Encode(claims, sk_kp_));
  ASSERT_EQ(Run({"account", "push", good}), 0) << err_.str();

  ASSERT_EQ(Run({"account", "list"}), 0);
  EXPECT_NE(out_.str().find("NAME"), std::string::npos);
  EXPECT_NE(out_.str().find("shop"), std::string::npos);
  EXPECT_NE(out_.str().find("team"), std::string::npos);
  ASSERT_EQ(Run({"account", "list", "--json", "--page-size", "1", "--all"}), 0);
  EXPECT_EQ(nlohmann::json::parse(out_.str())["accounts"].size(), 2u);

  ASSERT_EQ(Run({"user", "create", "--account", "team", "alice", "--pub-allow", "svc.>"}), 0)
      << err_.str();
  EXPECT_NE(out_.str().find("-----BEGIN NATS USER JWT-----"), std::string::npos);
  EXPECT_NE(out_.str().find("-----BEGIN USER NKEY SEED-----"), std::string::npos);
  EXPECT_EQ(Run({"user", "create", "--account", "shop", "bob"}), 1);  // not managed

  EXPECT_EQ(Run({"account", "delete", "team"}), 1);  // shop imports from it
  ASSERT_EQ(Run({"account", "delete", "shop"}), 0) << err_.str();
  ASSERT_EQ(Run({"audit", "--json"}), 0);
  EXPECT_GE(nlohmann::json::parse(out_.str())["entries"].size(), 5u);
  ASSERT_EQ(Run({"watch", "--from", "0", "--kind", "account", "--count", "2"}), 0);
  EXPECT_NE(out_.str().find("account/" + team_key), std::string::npos) << out_.str();
}

TEST_F(AdminCliTest, TopologyCommandsAndNodeAckState) {
  ASSERT_EQ(Run({"cluster", "put", "east"}), 0) << err_.str();
  ASSERT_EQ(Run({"plan", "gateway", "put", "east", "west"}), 1);
  EXPECT_NE(out_.str().find("cluster \"west\" does not exist"), std::string::npos);
  ASSERT_EQ(Run({"cluster", "put", "west", "--description", "dr site"}), 0);
  ASSERT_EQ(Run({"gateway", "put", "east", "west"}), 0);
  ASSERT_EQ(Run({"cluster", "put", "west", "--create-only"}), 1);
  EXPECT_NE(err_.str().find("ALREADY_EXISTS"), std::string::npos);
  ASSERT_EQ(Run({"gateway", "list"}), 0);
  EXPECT_NE(out_.str().find("east  west"), std::string::npos) << out_.str();

  v1::Register reg;
  reg.set_node_id("n1");
  reg.set_cluster("east");
  reg.add_client_urls("nats://127.0.0.1:4222");
  ASSERT_TRUE(frontend_->RegisterNode(reg).ok());
  v1::Ack ack;
  ack.set_resource_type("accounts");
  ack.set_version("a-3");
  ASSERT_TRUE(frontend_->RecordAck("n1", ack).ok());
  ack.set_version("a-4");
  ack.set_error("bad jwt");
  ASSERT_TRUE(frontend_->RecordAck("n1", ack).ok());
  ASSERT_EQ(Run({"node", "list", "--cluster", "east"}), 0);
  EXPECT_NE(out_.str().find("accounts=a-3"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("accounts=a-4 (bad jwt)"), std::string::npos) << out_.str();

  ASSERT_EQ(Run({"leaf", "put", "hub", "--node", "n1", "--url", "nats-leaf://hub:7422"}), 0)
      << err_.str();
  ASSERT_EQ(Run({"plan", "cluster", "delete", "east"}), 1);
  EXPECT_NE(out_.str().find("- cluster/east"), std::string::npos) << out_.str();
  ASSERT_EQ(Run({"cluster", "get", "west", "--json"}), 0);
  auto west = nlohmann::json::parse(out_.str());
  EXPECT_EQ(west["cluster"]["description"], "dr site");
  std::string rev = west["cluster"]["meta"]["revision"];
  EXPECT_EQ(Run({"cluster", "put", "west", "--expected-revision", "999"}), 1);
  EXPECT_NE(err_.str().find("ABORTED"), std::string::npos);
  EXPECT_EQ(Run({"cluster", "put", "west", "--expected-revision", rev}), 0) << err_.str();
  EXPECT_EQ(Run({"bogus", "thing"}), 2);
}

TEST(InterestTableTest, EntriesNodesVersionAndMissingWarning) {
  v1::QueryInterestResponse r;
  auto add = [&](const char* node, const char* account, const char* subject, const char* queue,
                 int weight) {
    v1::InterestEntry* e = r.add_entries();
    e->set_node_id(node);
    e->set_cluster("east");
    e->set_account(account);
    e->set_subject(subject);
    e->set_queue(queue);
    e->set_weight(weight);
  };
  add("n1", "A", "orders.>", "", 1);
  add("n1", "A", "orders.eu.new", "workers", 12);
  r.set_truncated(true);
  v1::NodeInterestState* n = r.add_nodes();
  n->set_node_id("n1");
  n->set_cluster("east");
  n->set_entries(2);
  n->set_sequence(41);
  n->set_snapshot_unix_ms(1'000'000 - 125'000);
  n->set_updated_unix_ms(1'000'000 - 300);
  r.set_graph_version(9);
  r.set_answered_by(1);
  r.add_missing_nodes("n2");
  r.add_missing_nodes("n3");
  std::ostringstream out;
  PrintInterestTables(r, 1'000'000, out);
  EXPECT_EQ(out.str(),
            "NODE  CLUSTER  ACCOUNT  SUBJECT        QUEUE    WEIGHT\n"
            "n1    east     A        orders.>       -        1\n"
            "n1    east     A        orders.eu.new  workers  12\n"
            "(more entries match: narrow the query or raise --limit)\n"
            "\n"
            "NODE  CLUSTER  ENTRIES  SEQUENCE  SNAPSHOT-AGE  UPDATED-AGE\n"
            "n1    east     2        41        2m5s          300ms\n"
            "graph version 9, answered by replica 1\n"
            "warning: the interest graph is incomplete: no snapshot yet from 2 node(s) listed as "
            "up: n2, n3\n");
  // A complete graph has no warning; a single control plane says so.
  r.clear_missing_nodes();
  r.set_answered_by(0);
  out.str("");
  PrintInterestTables(r, 1'000'000, out);
  EXPECT_EQ(out.str().find("warning"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("answered by the control plane (not replicated)"), std::string::npos);
}

TEST(InterestTableTest, FormatAge) {
  EXPECT_EQ(FormatAge(0, 5000), "-");
  EXPECT_EQ(FormatAge(6000, 5000), "0ms");
  EXPECT_EQ(FormatAge(4001, 5000), "999ms");
  EXPECT_EQ(FormatAge(1000, 43'000), "42s");
  EXPECT_EQ(FormatAge(1, 1 + 7'384'000), "2h3m");
  EXPECT_EQ(FormatAge(1, 1 + 3 * 86'400'000 + 7'200'000), "3d2h");
}

TEST_F(AdminCliTest, InterestShowsWhatANodeReports) {
  v1::Register up;  // listed as up in the store, never reports: missing
  up.set_node_id("n2");
  up.set_cluster("east");
  ASSERT_TRUE(frontend_->RegisterNode(up).ok());
  auto node_sync =
      v1::NodeSync::NewStub(grpc::CreateChannel(address_, grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", std::string("Bearer ") + kToken);
  auto stream = node_sync->Sync(&ctx);
  v1::NodeMessage msg;
  msg.mutable_register_()->set_node_id("n1");
  msg.mutable_register_()->set_cluster("east");
  ASSERT_TRUE(stream->Write(msg));
  msg.Clear();
  msg.mutable_interest()->set_sequence(1);
  msg.mutable_interest()->set_snapshot(true);
  for (const char* subject : {"orders.>", "billing.eu", "billing.us"}) {
    v1::InterestChange* c = msg.mutable_interest()->add_changes();
    c->set_account("ACC");
    c->set_subject(subject);
    c->set_queue(subject[0] == 'b' ? "q" : "");
    c->set_weight(subject[0] == 'b' ? 2 : 1);
  }
  ASSERT_TRUE(stream->Write(msg));
  ASSERT_TRUE(testutil::Eventually([&] {
    return Run({"interest"}) == 0 && out_.str().find("orders.>") != std::string::npos;
  })) << err_.str();
  EXPECT_NE(out_.str().find("n1    east     ACC      billing.eu  q      2"), std::string::npos)
      << out_.str();
  EXPECT_NE(out_.str().find("warning: the interest graph is incomplete"), std::string::npos);
  EXPECT_NE(out_.str().find(": n2\n"), std::string::npos) << out_.str();

  ASSERT_EQ(Run({"interest", "--subject", "orders.new", "--account", "ACC"}), 0) << err_.str();
  EXPECT_NE(out_.str().find("orders.>"), std::string::npos);
  EXPECT_EQ(out_.str().find("billing"), std::string::npos) << out_.str();
  ASSERT_EQ(Run({"interest", "--limit", "1", "--node", "n1"}), 0) << err_.str();
  EXPECT_NE(out_.str().find("(more entries match"), std::string::npos) << out_.str();
  ASSERT_EQ(Run({"interest", "--json", "--limit", "2"}), 0) << err_.str();
  auto json = nlohmann::json::parse(out_.str());
  EXPECT_EQ(json["entries"].size(), 2u);
  EXPECT_EQ(json["truncated"], true);
  EXPECT_EQ(json["missing_nodes"][0], "n2");
  EXPECT_EQ(Run({"interest", "--limit", "0"}), 2);
  EXPECT_EQ(Run({"interest", "--subject", "orders.*"}), 1);
  EXPECT_NE(err_.str().find("INVALID_ARGUMENT"), std::string::npos) << err_.str();

  stream->WritesDone();
  ctx.TryCancel();
  (void)stream->Finish();
}

}  // namespace
}  // namespace lattice::latticectl_admin
