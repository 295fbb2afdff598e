// The interest graph across control-plane failovers: three real lattice-control replicas and two
// managed lattice-nodes whose libnats clients subscribe (plain, wildcard, queue groups). The
// graph `latticectl interest` shows must equal what the clients hold; after the Raft leader is
// killed (-9), the new leader starts with no interest at all (soft state, not in Raft) and must
// rebuild the whole graph from the nodes' resync snapshots, including subscriptions that changed
// while no leader was there. Any replica answers (followers forward to the leader).
#include <signal.h>
#include <sys/stat.h>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

#include "common/jwt/claims.h"
#include "common/nkeys/nkeys.h"
#include "common/testing/child_process.h"
#include "common/testing/eventually.h"
#include "common/testing/ports.h"
#include "controlplane/e2e/ha_test_fixture.h"
#include "e2e/managed/managed_ha_fixture.h"
#include "e2e/managed/managed_harness.h"

namespace lattice::managed_e2e {
namespace {

using testutil::ChildProcess;

constexpr char kCluster[] = "east";
constexpr int kRounds = 2;  // leader kills

template <typename F>
bool Eventually(F condition) {
  return testutil::Eventually(condition, kWait);
}

// One line per graph entry: "node subject queue weight" (queue "-" when plain).
using Graph = std::set<std::string>;

std::string Entry(const std::string& node, const std::string& subject, const std::string& queue,
                  int weight) {
  return absl::StrCat(node, " ", subject, " ", queue.empty() ? "-" : queue, " ", weight);
}

// What `latticectl --json interest` answered.
struct InterestView {
  bool ok = false;
  Graph entries;
  std::vector<std::string> nodes;          // nodes with a live interest session
  std::vector<std::string> missing_nodes;  // up in the store, not reporting yet
  std::string raw;
};

InterestView ParseInterest(const CtlResult& result) {
  InterestView view;
  view.raw = result.output;
  if (result.exit_code != 0)
    return view;
  nlohmann::json doc = nlohmann::json::parse(result.output, nullptr, false);
  if (!doc.is_object())
    return view;
  for (const auto& e : doc.value("entries", nlohmann::json::array())) {
    view.entries.insert(Entry(e.value("node_id", ""), e.value("subject", ""), e.value("queue", ""),
                              e.value("weight", 0)));
  }
  for (const auto& n : doc.value("nodes", nlohmann::json::array()))
    view.nodes.push_back(n.value("node_id", ""));
  for (const auto& m : doc.value("missing_nodes", nlohmann::json::array()))
    view.missing_nodes.push_back(m.get<std::string>());
  view.ok = true;
  return view;
}

class InterestFailoverE2eTest : public ManagedHaTest {
 protected:
  void SetUp() override {
    SetUpManaged("interest-ha", "interest-op");
    if (HasFatalFailure())
      return;
    CtlResult r = Ctl({"account", "create", "team"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    r = Ctl({"user", "create", "--account", "team", "alice"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    creds_ = dir_ + "/alice.creds";
    WriteText(creds_, r.output);
    r = Ctl({"--json", "account", "get", "team"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    nlohmann::json account = nlohmann::json::parse(r.output, nullptr, false);
    ASSERT_TRUE(account.is_object() && account["public_key"].is_string()) << r.output;
    team_key_ = account["public_key"].get<std::string>();

    for (const char* id : {"n1", "n2"}) {
      const int port = testutil::FreePortOrDie();
      auto node = ChildProcess::Spawn(ManagedNodeCommand(id, port, all_replicas_, kCluster, dir_),
                                      absl::StrCat(dir_, "/", id, ".log"));
      ASSERT_TRUE(node.ok()) << node.status();
      nodes_.emplace_back(*std::move(node));
      ports_.push_back(port);
      ASSERT_TRUE(testutil::WaitForLog(nodes_.back(), "Server is ready", kWait))
          << nodes_.back().Log();
    }
  }

  // The team account's interest as `servers` answer it (extra args narrow the query).
  InterestView Interest(const std::string& servers, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--json", "interest", "--account", team_key_};
    args.insert(args.end(), extra.begin(), extra.end());
    return ParseInterest(Ctl(args, servers));
  }

  // Waits until `servers` answer with exactly `want`, both nodes reporting and none missing.
  void ExpectGraph(const std::string& servers, const Graph& want, const std::string& when) {
    InterestView view;
    const bool whole = Eventually([&] {
      view = Interest(servers);
      return view.ok && view.entries == want && view.missing_nodes.empty() &&
             std::set<std::string>(view.nodes.begin(), view.nodes.end()) ==
                 std::set<std::string>{"n1", "n2"};
    });
    EXPECT_TRUE(whole) << when << ": want\n  " << absl::StrJoin(want, "\n  ")
                       << "\nlast answer from " << servers << ":\n"
                       << view.raw << Logs();
  }

  std::unique_ptr<Client> Connect(int node) {
    return ConnectEventually(ports_[node], creds_, [this] { return Logs(); });
  }

  std::string Logs() {
    std::string out;
    for (ChildProcess& node : nodes_)
      absl::StrAppend(&out, "\n== ", node.log_path(), ":\n", node.Log());
    return out + ReplicaLogs();
  }

  std::string creds_;
  std::string team_key_;
  std::vector<ChildProcess> nodes_;
  std::vector<int> ports_;
};

TEST_F(InterestFailoverE2eTest, LeaderKillsRebuildTheGraphFromNodeSnapshots) {
  // n1: a wildcard, two members of one queue group (weight 2) on two connections.
  std::unique_ptr<Client> a = Connect(0);
  std::unique_ptr<Client> b = Connect(0);
  // n2: a literal subject, a `*` wildcard, one member of the same queue group.
  std::unique_ptr<Client> c = Connect(1);
  ASSERT_TRUE(a != nullptr && b != nullptr && c != nullptr);
  ASSERT_TRUE(a->AddSubscription("orders", "orders.>"));
  ASSERT_TRUE(a->AddSubscription("worker", "work.jobs", "workers"));
  ASSERT_TRUE(b->AddSubscription("worker", "work.jobs", "workers"));
  ASSERT_TRUE(c->AddSubscription("new", "orders.new"));
  ASSERT_TRUE(c->AddSubscription("metrics", "metrics.*"));
  ASSERT_TRUE(c->AddSubscription("worker", "work.jobs", "workers"));
  // A second subscription on a subject the node already reports changes nothing in the graph.
  ASSERT_TRUE(b->AddSubscription("orders", "orders.>"));

  Graph want = {Entry("n1", "orders.>", "", 1), Entry("n1", "work.jobs", "workers", 2),
                Entry("n2", "orders.new", "", 1), Entry("n2", "metrics.*", "", 1),
                Entry("n2", "work.jobs", "workers", 1)};
  ExpectGraph(all_replicas_, want, "before any failover");

  // "Who receives orders.new?": both nodes, through the wildcard on n1 and the literal on n2.
  InterestView receivers = Interest(all_replicas_, {"--subject", "orders.new"});
  ASSERT_TRUE(receivers.ok) << receivers.raw;
  EXPECT_EQ(receivers.entries,
            (Graph{Entry("n1", "orders.>", "", 1), Entry("n2", "orders.new", "", 1)}));
  // The table an operator reads: the account asked for and shown by its name.
  CtlResult table = Ctl({"interest", "--account", "team", "--subject", "orders.new"});
  EXPECT_EQ(table.exit_code, 0) << table.output;
  EXPECT_NE(table.output.find("n1    east     team     orders.>"), std::string::npos)
      << table.output;
  EXPECT_NE(table.output.find("n2    east     team     orders.new"), std::string::npos)
      << table.output;
  EXPECT_EQ(table.output.find("warning"), std::string::npos) << table.output;
  receivers = Interest(all_replicas_, {"--subject", "metrics.cpu.load"});
  ASSERT_TRUE(receivers.ok) << receivers.raw;
  EXPECT_TRUE(receivers.entries.empty()) << receivers.raw;

  for (int round = 1; round <= kRounds; ++round) {
    const int leader = WaitLeader();
    std::cout << "round " << round << ": killing leader " << cluster_->admin_address(leader)
              << std::endl;
    cluster_->Kill(leader, SIGKILL);
    // Interest changes while the nodes' streams are down or being re-established: only the
    // snapshot a node sends after re-registering can carry them to the new leader.
    const std::string audit = absl::StrCat("audit.", round, ".>");
    ASSERT_TRUE(a->AddSubscription(audit, audit));
    if (round == 1) {
      ASSERT_TRUE(c->DropSubscription("metrics"));
      want.erase(Entry("n2", "metrics.*", "", 1));
      ASSERT_TRUE(b->DropSubscription("worker"));
      want.erase(Entry("n1", "work.jobs", "workers", 2));
      want.insert(Entry("n1", "work.jobs", "workers", 1));
    } else {
      ASSERT_TRUE(c->AddSubscription("second-worker", "work.jobs", "workers"));
      want.erase(Entry("n2", "work.jobs", "workers", 1));
      want.insert(Entry("n2", "work.jobs", "workers", 2));
    }
    want.insert(Entry("n1", audit, "", 1));
    const int next = WaitLeader();
    ASSERT_NE(next, leader);
    std::cout << "round " << round << ": new leader " << cluster_->admin_address(next) << std::endl;
    ExpectGraph(cluster_->admin_address(next), want,
                absl::StrCat("round ", round, ", asking the new leader"));
    if (HasFatalFailure())
      return;
    // A follower forwards the query: the same graph.
    for (int i = 0; i < cluster_->size(); ++i) {
      if (i != next && i != leader)
        ExpectGraph(cluster_->admin_address(i), want,
                    absl::StrCat("round ", round, ", asking follower ", i + 1));
    }
    ASSERT_TRUE(cluster_->Restart(leader).ok()) << cluster_->log(leader);
  }

  // Deltas still flow on the last leader: a client that goes away takes its interest along.
  a.reset();
  for (auto it = want.begin(); it != want.end();) {
    it = it->rfind("n1 ", 0) == 0 ? want.erase(it) : std::next(it);
  }
  want.insert(Entry("n1", "orders.>", "", 1));  // b's own orders.> remains
  ExpectGraph(all_replicas_, want, "after a client on n1 closed");

  // A node that dies takes its interest along: its stream ends, the leader drops its session
  // and marks it down, so the graph is whole again with n1 alone.
  c.reset();
  nodes_[1].Kill(SIGKILL);
  InterestView view;
  EXPECT_TRUE(Eventually([&] {
    view = Interest(all_replicas_);
    return view.ok && view.missing_nodes.empty() && view.nodes == std::vector<std::string>{"n1"};
  })) << view.raw
      << Logs();
  for (const std::string& entry : view.entries)
    EXPECT_EQ(entry.rfind("n1 ", 0), 0u) << "n2's interest outlived its stream: " << entry;
}

}  // namespace
}  // namespace lattice::managed_e2e
