// HA control plane under a managed deployment: three real lattice-control replicas, accountd and
// a managed lattice-node given all three, Debian's nats-server resolving through accountd, and
// clients publishing and requesting on both servers while the Raft leader is killed (-9) again
// and again, and then stopped (SIGSTOP, a hung leader whose connections stay open). Nothing a
// client sees may change; after each failover a new account, a new user and a revocation made
// through latticectl reach both servers, and the node's resync on the new leader is visible in
// `latticectl node list`.
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "nlohmann/json.hpp"

#include "common/jwt/claims.h"
#include "common/nkeys/nkeys.h"
#include "common/testing/child_process.h"
#include "common/testing/eventually.h"
#include "common/testing/ports.h"
#include "controlplane/e2e/ha_test_fixture.h"
#include "e2e/managed/managed_ha_fixture.h"
#include "e2e/managed/managed_harness.h"
#include "e2e/managed/traffic.h"

namespace lattice::managed_e2e {
namespace {

using testutil::ChildProcess;

constexpr char kCluster[] = "east";
constexpr int kMinRounds = 2;  // leader kills, at least
constexpr int kMaxRounds = 5;  // ... and more until accountd's replica was among them

template <typename F>
bool Eventually(F condition) {
  return testutil::Eventually(condition, kWait);
}

// The text after the last `prefix` in `log`, up to the next space or end of line.
std::string LastWordAfter(const std::string& log, const std::string& prefix) {
  const size_t at = log.rfind(prefix);
  if (at == std::string::npos)
    return "";
  const size_t begin = at + prefix.size();
  const size_t end = log.find_first_of(" \n)", begin);
  return log.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

class HaFailoverE2eTest : public ManagedHaTest {
 protected:
  void SetUp() override {
    SetUpManaged("managed-ha", "ha-op");
    if (HasFatalFailure())
      return;

    for (int* port : {&http_port_, &nats_port_, &node_port_})
      *port = testutil::FreePortOrDie();
    auto accountd = ChildProcess::Spawn(
        {Runfile("accountd/accountd"), "--operator", dir_ + "/op.jwt", "--http",
         absl::StrCat("127.0.0.1:", http_port_), "--control", all_replicas_, "--token",
         control_e2e::kHaToken, "--cache", dir_ + "/cache", "--nats",
         absl::StrCat("nats://127.0.0.1:", nats_port_), "--creds", dir_ + "/sys.creds"},
        dir_ + "/accountd.log");
    ASSERT_TRUE(accountd.ok()) << accountd.status();
    accountd_.emplace(*std::move(accountd));
    ASSERT_TRUE(testutil::WaitForLog(*accountd_, "resolver listening", kWait)) << accountd_->Log();
    // nats-server fetches the system account at start: wait until accountd serves it.
    ASSERT_TRUE(Eventually([&] { return AccountdHas(sys_key_.public_key().str()); }))
        << accountd_->Log();

    mkdir((dir_ + "/nats").c_str(), 0700);
    Write("nats/nats.conf",
          absl::StrCat("port: ", nats_port_, "\nhost: 127.0.0.1\noperator: \"", dir_,
                       "/op.jwt\"\nsystem_account: ", sys_key_.public_key().str(),
                       "\nresolver: URL(http://127.0.0.1:", http_port_, "/jwt/v1/accounts/)\n"));
    const char* nats_bin = std::getenv("NATS_SERVER_BIN");
    auto nats = ChildProcess::Spawn(
        {nats_bin != nullptr ? nats_bin : "/usr/sbin/nats-server", "-c", dir_ + "/nats/nats.conf"},
        dir_ + "/nats-server.log");
    ASSERT_TRUE(nats.ok()) << nats.status();
    nats_.emplace(*std::move(nats));
    ASSERT_TRUE(testutil::WaitForLog(*nats_, "Server is ready", kWait)) << nats_->Log();

    auto node = ChildProcess::Spawn(
        ManagedNodeCommand("n1", node_port_, all_replicas_, kCluster, dir_), dir_ + "/node.log");
    ASSERT_TRUE(node.ok()) << node.status();
    node_.emplace(*std::move(node));
    ASSERT_TRUE(testutil::WaitForLog(*node_, "Server is ready", kWait)) << node_->Log();
  }

  void Write(const std::string& name, const std::string& text) {
    WriteText(dir_ + "/" + name, text);
  }

  // accountd's HTTP resolver answers for `account`.
  bool AccountdHas(const std::string& account) {
    httplib::Client http("127.0.0.1", http_port_);
    auto res = http.Get(("/jwt/v1/accounts/" + account).c_str());
    return res && res->status == 200;
  }

  // The replica accountd's Watch uses ("control a,b,c (watching b)" in /healthz).
  std::string AccountdReplica() {
    httplib::Client http("127.0.0.1", http_port_);
    auto res = http.Get("/healthz");
    if (!res || res->status != 200)
      return "";
    nlohmann::json health = nlohmann::json::parse(res->body, nullptr, false);
    if (!health.is_object() || !health["source"].is_string())
      return "";
    return LastWordAfter(health["source"].get<std::string>(), "(watching ");
  }

  // The replica the node's agent last registered with (itself, or a follower relaying).
  std::string NodeReplica() { return LastWordAfter(node_->Log(), "registered with "); }

  std::unique_ptr<Client> ConnectEventually(int port, const std::string& creds) {
    return managed_e2e::ConnectEventually(port, creds, [this] { return Logs(); });
  }
  void ExpectExchange(int port, const std::string& creds, const std::string& subject) {
    managed_e2e::ExpectExchange(port, creds, subject, [this] { return Logs(); });
  }

  // After a failover: a new managed account and user, and a revocation in a pre-signed account,
  // all made through latticectl, reach both servers; the new leader's node list shows the node
  // ACKed the bundle that carries the revocation.
  // `servers` is latticectl's --server list ("" = every replica).
  void ExpectControlPlaneWorks(int round, int leader, const std::string& servers = "") {
    auto Ctl = [&](const std::vector<std::string>& args) { return this->Ctl(args, servers); };
    const std::string team = absl::StrCat("team", round);
    CtlResult r = Ctl({"account", "create", team});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    r = Ctl({"user", "create", "--account", team, absl::StrCat("carol", round)});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const std::string carol = absl::StrCat(dir_, "/carol", round, ".creds");
    WriteText(carol, r.output);
    for (int port : {node_port_, nats_port_})
      ExpectExchange(port, carol, absl::StrCat("after.failover.", round));

    nkeys::KeyPair pre = NewKey(nkeys::KeyType::kAccount);
    auto claims = jwt::NewAccountClaims(*nkeys::AccountPublicKey::FromKey(pre.public_key()));
    claims.std.name = absl::StrCat("pre", round);
    const int64_t now = static_cast<int64_t>(time(nullptr));
    const std::string pre_jwt = absl::StrCat(dir_, "/pre", round, ".jwt");
    WriteText(pre_jwt, *jwt::Encode(claims, op_signer_, now - 10));
    r = Ctl({"account", "push", pre_jwt});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    std::string bob_key;
    const std::string bob = absl::StrCat(dir_, "/bob", round, ".creds");
    WriteText(bob, UserCreds(pre, "bob", now - 5, &bob_key));
    std::unique_ptr<Client> bob_node = ConnectEventually(node_port_, bob);
    std::unique_ptr<Client> bob_nats = ConnectEventually(nats_port_, bob);
    ASSERT_TRUE(bob_node != nullptr && bob_nats != nullptr);
    claims.nats.revocations[bob_key] = now;
    WriteText(pre_jwt, *jwt::Encode(claims, op_signer_, now));
    r = Ctl({"account", "push", pre_jwt});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const uint64_t revision = AppliedRevision(r.output);
    ASSERT_GT(revision, 0u) << r.output;
    EXPECT_TRUE(Eventually([&] { return bob_node->Closed(); })) << "lattice-node" << Logs();
    EXPECT_TRUE(Eventually([&] { return bob_nats->Closed(); })) << "nats-server" << Logs();

    // The node resynced on the new leader: that replica's own store has the node's ACK of the
    // bundle version that carries the revocation.
    const std::string acked = absl::StrCat("accounts=a-", revision);
    CtlResult nodes;
    EXPECT_TRUE(Eventually([&] {
      nodes = this->Ctl({"node", "list", "--cluster", kCluster}, cluster_->admin_address(leader));
      return nodes.exit_code == 0 && nodes.output.find("n1") != std::string::npos &&
             nodes.output.find(" up ") != std::string::npos &&
             nodes.output.find(acked) != std::string::npos;
    })) << "want "
        << acked << " on the leader:\n"
        << nodes.output << Logs();
  }

  std::string Logs() {
    std::string out;
    for (auto* child : {&accountd_, &nats_, &node_}) {
      if (child->has_value())
        absl::StrAppend(&out, "\n== ", (*child)->log_path(), ":\n", (*child)->Log());
    }
    return out + ReplicaLogs();
  }

  int http_port_ = 0;
  int nats_port_ = 0;
  int node_port_ = 0;
  std::optional<ChildProcess> accountd_;
  std::optional<ChildProcess> nats_;
  std::optional<ChildProcess> node_;
};

TEST_F(HaFailoverE2eTest, ClientsKeepServingAndChangesFlowAcrossLeaderKills) {
  CtlResult r = Ctl({"account", "create", "team"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = Ctl({"user", "create", "--account", "team", "alice"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string alice = dir_ + "/alice.creds";
  WriteText(alice, r.output);

  // Continuous traffic of one user on each server for the whole test.
  std::unique_ptr<Traffic> on_node;
  std::unique_ptr<Traffic> on_nats;
  std::string error;
  ASSERT_TRUE(Eventually([&] {
    return (on_node = Traffic::Start(node_port_, alice, "node", &error)) != nullptr;
  })) << error
      << Logs();
  ASSERT_TRUE(Eventually([&] {
    return (on_nats = Traffic::Start(nats_port_, alice, "nats", &error)) != nullptr;
  })) << error
      << Logs();
  ASSERT_TRUE(Eventually([&] {
    return on_node->counts().requests_ok > 0 && on_nats->counts().requests_ok > 0 &&
           on_node->counts().received > 0 && on_nats->counts().received > 0;
  }));

  bool hit_node_direct = false;   // the leader killed was the node's own registration replica
  bool hit_node_relayed = false;  // the node was registered through a follower relaying
  bool hit_accountd = false;      // the leader killed was the replica accountd watched
  int round = 0;
  while (round < kMinRounds || (!hit_accountd && round < kMaxRounds)) {
    ++round;
    const int leader = WaitLeader();
    // The node and accountd are attached (the previous round's checks saw the node's ACK on
    // this leader), so each kill interrupts live sessions.
    ASSERT_TRUE(Eventually([&] { return !NodeReplica().empty() && !AccountdReplica().empty(); }))
        << Logs();
    const std::string leader_address = cluster_->admin_address(leader);
    const std::string node_replica = NodeReplica();
    const std::string accountd_replica = AccountdReplica();
    hit_node_direct |= node_replica == leader_address;
    hit_node_relayed |= node_replica != leader_address;
    hit_accountd |= accountd_replica == leader_address;
    std::cout << "round " << round << ": killing leader " << leader_address << " (node on "
              << node_replica << ", accountd on " << accountd_replica << ")" << std::endl;
    const auto killed_at = std::chrono::steady_clock::now();
    cluster_->Kill(leader, SIGKILL);
    const int next = WaitLeader();
    ASSERT_NE(next, leader);
    const auto elected_at = std::chrono::steady_clock::now();
    ExpectControlPlaneWorks(round, next);
    if (HasFatalFailure())
      return;
    const auto checked_at = std::chrono::steady_clock::now();
    auto ms = [](auto d) {
      return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
    };
    std::cout << "round " << round << ": new leader " << cluster_->admin_address(next) << " after "
              << ms(elected_at - killed_at) << " ms; account, user, revocation and "
              << "node ACK on the new leader done " << ms(checked_at - killed_at)
              << " ms after the kill" << std::endl;
    EXPECT_TRUE(on_node->AllOpen() && on_nats->AllOpen()) << "a client lost its server";
    ASSERT_TRUE(cluster_->Restart(leader).ok()) << cluster_->log(leader);
  }
  EXPECT_TRUE(hit_accountd) << "accountd's replica was never the leader killed";

  // A leader that hangs with its connections open (SIGSTOP) instead of dying: its TCP
  // connections stay up, so only the probes of the node's agent and of accountd notice it.
  {
    ++round;
    const int leader = WaitLeader();
    const std::string stopped = cluster_->admin_address(leader);
    std::cout << "round " << round << ": stopping leader " << stopped << " (node on "
              << NodeReplica() << ", accountd on " << AccountdReplica() << ")" << std::endl;
    const auto stopped_at = std::chrono::steady_clock::now();
    ASSERT_TRUE(cluster_->Signal(leader, SIGSTOP).ok());
    const int next = WaitLeader();
    ASSERT_NE(next, leader);
    // latticectl sets no call deadline, so a stopped replica early in --server would hang it
    // (hafail_findings.md); an admin lists the live replicas first, as here.
    std::vector<std::string> live_first;
    for (int i = 0; i < cluster_->size(); ++i) {
      if (i != leader)
        live_first.push_back(cluster_->admin_address(i));
    }
    live_first.push_back(stopped);
    ExpectControlPlaneWorks(round, next, absl::StrJoin(live_first, ","));
    if (HasFatalFailure())
      return;
    std::cout << "round " << round << ": node re-registered (now on " << NodeReplica()
              << "), accountd on " << AccountdReplica() << "; all checks done "
              << std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - stopped_at)
                     .count()
              << " ms after the stop" << std::endl;
    EXPECT_NE(AccountdReplica(), stopped);
    ASSERT_TRUE(cluster_->Signal(leader, SIGCONT).ok());
  }
  std::cout << "node registration killed directly: " << hit_node_direct
            << ", relayed through a follower: " << hit_node_relayed << std::endl;

  // Nothing a client did was lost or refused while the control plane failed over.
  on_node->Stop();
  on_nats->Stop();
  for (Traffic* t : {on_node.get(), on_nats.get()}) {
    EXPECT_TRUE(Eventually([&] { return t->counts().received == t->counts().published; }));
    const TrafficCounts c = t->counts();
    std::cout << (t == on_node.get() ? "lattice-node" : "nats-server") << ": published "
              << c.published << ", received " << c.received << ", requests answered "
              << c.requests_ok << std::endl;
    EXPECT_GT(c.published, 0u);
    EXPECT_EQ(c.received, c.published);
    EXPECT_EQ(c.publish_errors, 0u);
    EXPECT_EQ(c.out_of_order, 0u);
    EXPECT_GT(c.requests_ok, 0u);
    EXPECT_EQ(c.requests_failed, 0u);
    EXPECT_TRUE(t->AllOpen());
  }
}

}  // namespace
}  // namespace lattice::managed_e2e
