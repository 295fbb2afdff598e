// Unit tests of InterestGraph: sequencing and resync, sessions, matching, filters and limits.
#include "controlplane/interest/interest_graph.h"

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

#include "controlplane/accounts/subject.h"

namespace lattice::interest {
namespace {

struct Change {
  std::string account;
  std::string subject;
  std::string queue;
  int32_t weight;
};

v1::InterestDelta Delta(uint64_t sequence, bool snapshot, const std::vector<Change>& changes) {
  v1::InterestDelta d;
  d.set_sequence(sequence);
  d.set_snapshot(snapshot);
  for (const Change& c : changes) {
    v1::InterestChange* out = d.add_changes();
    out->set_account(c.account);
    out->set_subject(c.subject);
    out->set_queue(c.queue);
    out->set_weight(c.weight);
  }
  return d;
}

v1::QueryInterestRequest Request(const std::string& account = "", const std::string& subject = "",
                                 const std::string& node = "", uint32_t limit = 0) {
  v1::QueryInterestRequest r;
  r.set_account(account);
  r.set_subject(subject);
  r.set_node_id(node);
  r.set_limit(limit);
  return r;
}

// "node account subject queue weight" per entry, in the answer's order.
std::vector<std::string> Rows(const v1::QueryInterestResponse& r) {
  std::vector<std::string> rows;
  for (const auto& e : r.entries()) {
    rows.push_back(e.node_id() + " " + e.account() + " " + e.subject() + " " +
                   (e.queue().empty() ? "-" : e.queue()) + " " + std::to_string(e.weight()));
  }
  return rows;
}

class InterestGraphTest : public ::testing::Test {
 protected:
  v1::QueryInterestResponse Query(const v1::QueryInterestRequest& req = Request()) {
    auto r = graph_.Query(req);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : v1::QueryInterestResponse();
  }

  int64_t now_ms_ = 1000;
  InterestGraph graph_{[this] { return now_ms_; }};
};

TEST_F(InterestGraphTest, SnapshotThenDeltasInSequence) {
  graph_.Open("n1", "east", 1);
  ApplyOutcome out = graph_.Apply("n1", 1, Delta(1, true, {{"A", "orders.>", "", 1}}));
  EXPECT_EQ(out.result, ApplyResult::kApplied);
  now_ms_ = 2000;
  out = graph_.Apply("n1", 1, Delta(2, false, {{"A", "orders.new", "workers", 3}}));
  EXPECT_EQ(out.result, ApplyResult::kApplied);
  out = graph_.Apply("n1", 1, Delta(3, false, {{"A", "orders.>", "", 0}}));
  EXPECT_EQ(out.result, ApplyResult::kApplied);

  v1::QueryInterestResponse r = Query();
  EXPECT_EQ(Rows(r), std::vector<std::string>{"n1 A orders.new workers 3"});
  EXPECT_EQ(r.entries(0).cluster(), "east");
  ASSERT_EQ(r.nodes_size(), 1);
  EXPECT_EQ(r.nodes(0).node_id(), "n1");
  EXPECT_EQ(r.nodes(0).cluster(), "east");
  EXPECT_EQ(r.nodes(0).sequence(), 3u);
  EXPECT_EQ(r.nodes(0).entries(), 1u);
  EXPECT_EQ(r.nodes(0).snapshot_unix_ms(), 1000);
  EXPECT_EQ(r.nodes(0).updated_unix_ms(), 2000);
  EXPECT_FALSE(r.truncated());
}

TEST_F(InterestGraphTest, DeltaBeforeSnapshotAsksForResyncOnce) {
  graph_.Open("n1", "east", 1);
  ApplyOutcome out = graph_.Apply("n1", 1, Delta(1, false, {{"A", "x", "", 1}}));
  EXPECT_EQ(out.result, ApplyResult::kResync);
  EXPECT_NE(out.reason.find("before a snapshot"), std::string::npos) << out.reason;
  // Deltas already in flight do not ask again.
  EXPECT_EQ(graph_.Apply("n1", 1, Delta(2, false, {{"A", "y", "", 1}})).result,
            ApplyResult::kDropped);
  EXPECT_EQ(Query().entries_size(), 0);
  // The snapshot answers at any sequence and restarts the count.
  EXPECT_EQ(graph_.Apply("n1", 1, Delta(7, true, {{"A", "z", "", 1}})).result,
            ApplyResult::kApplied);
  EXPECT_EQ(graph_.Apply("n1", 1, Delta(8, false, {{"A", "w", "", 1}})).result,
            ApplyResult::kApplied);
  EXPECT_EQ(Rows(Query()), (std::vector<std::string>{"n1 A w - 1", "n1 A z - 1"}));
}

TEST_F(InterestGraphTest, SequenceGapDropsTheNodeAndAsksForResync) {
  graph_.Open("n1", "east", 1);
  graph_.Open("n2", "east", 2);
  ASSERT_EQ(graph_.Apply("n1", 1, Delta(1, true, {{"A", "a", "", 1}})).result,
            ApplyResult::kApplied);
  ASSERT_EQ(graph_.Apply("n2", 2, Delta(1, true, {{"A", "b", "", 1}})).result,
            ApplyResult::kApplied);
  ApplyOutcome out = graph_.Apply("n1", 1, Delta(3, false, {{"A", "c", "", 1}}));
  EXPECT_EQ(out.result, ApplyResult::kResync);
  EXPECT_NE(out.reason.find("gap"), std::string::npos) << out.reason;
  // Only n1's entries are gone; a repeated sequence also counts as a gap.
  EXPECT_EQ(Rows(Query()), std::vector<std::string>{"n2 A b - 1"});
  EXPECT_EQ(Query().nodes(0).snapshot_unix_ms(), 0);  // n1: nothing known until it resyncs
  EXPECT_EQ(graph_.Apply("n2", 2, Delta(1, false, {})).result, ApplyResult::kResync);
  EXPECT_EQ(Query().entries_size(), 0);
  // The resynced snapshot (the next sequence, snapshot=true) brings n1 back.
  EXPECT_EQ(graph_.Apply("n1", 1, Delta(4, true, {{"A", "a", "", 1}, {"A", "c", "", 1}})).result,
            ApplyResult::kApplied);
  EXPECT_EQ(Rows(Query()), (std::vector<std::string>{"n1 A a - 1", "n1 A c - 1"}));
}

TEST_F(InterestGraphTest, SnapshotReplacesEverythingTheNodeHad) {
  graph_.Open("n1", "east", 1);
  graph_.Apply("n1", 1, Delta(1, true, {{"A", "a", "", 1}, {"B", "b", "q", 2}}));
  graph_.Apply("n1", 1, Delta(2, true, {{"C", "c", "", 1}}));
  EXPECT_EQ(Rows(Query()), std::vector<std::string>{"n1 C c - 1"});
  EXPECT_EQ(Query().nodes(0).entries(), 1u);
  EXPECT_EQ(Query(Request("A")).entries_size(), 0);
}

TEST_F(InterestGraphTest, CloseOfAnOldSessionLeavesTheNewerOne) {
  graph_.Open("n1", "east", 1);
  graph_.Apply("n1", 1, Delta(1, true, {{"A", "old", "", 1}}));
  graph_.Open("n1", "east", 5);  // the node reconnected; its old stream has not ended yet
  EXPECT_EQ(Query().entries_size(), 0);
  graph_.Apply("n1", 5, Delta(1, true, {{"A", "new", "", 1}}));
  // The old stream's late messages and its end change nothing.
  EXPECT_EQ(graph_.Apply("n1", 1, Delta(2, false, {{"A", "late", "", 1}})).result,
            ApplyResult::kDropped);
  graph_.Close("n1", 1);
  EXPECT_EQ(Rows(Query()), std::vector<std::string>{"n1 A new - 1"});
  // An Open older than the node's current session is ignored too.
  graph_.Open("n1", "west", 3);
  EXPECT_EQ(Rows(Query()), std::vector<std::string>{"n1 A new - 1"});
  graph_.Close("n1", 5);
  v1::QueryInterestResponse r = Query();
  EXPECT_EQ(r.entries_size(), 0);
  EXPECT_EQ(r.nodes_size(), 0);
}

TEST_F(InterestGraphTest, LiteralSubjectMatchesWildcardsAndQueues) {
  graph_.Open("n1", "east", 1);
  graph_.Open("n2", "west", 2);
  graph_.Apply("n1", 1,
               Delta(1, true,
                     {{"A", "orders.*.new", "", 1},
                      {"A", "orders.>", "", 1},
                      {"A", "orders.eu.new", "workers", 4},
                      {"A", "orders", "", 1},
                      {"A", "orders.eu", "", 1},
                      {"A", ">", "", 1},
                      {"A", "*.eu.*", "audit", 1},
                      {"A", "payments.>", "", 1}}));
  graph_.Apply("n2", 2, Delta(1, true, {{"A", "orders.eu.new", "workers", 2}, {"B", ">", "", 1}}));
  EXPECT_EQ(Rows(Query(Request("A", "orders.eu.new"))),
            (std::vector<std::string>{"n1 A *.eu.* audit 1", "n1 A > - 1", "n1 A orders.*.new - 1",
                                      "n1 A orders.> - 1", "n1 A orders.eu.new workers 4",
                                      "n2 A orders.eu.new workers 2"}));
  // `>` needs at least one more token; `*` exactly one.
  EXPECT_EQ(Rows(Query(Request("A", "orders"))),
            (std::vector<std::string>{"n1 A > - 1", "n1 A orders - 1"}));
  // Without an account filter every account's matches come, account first.
  EXPECT_EQ(Rows(Query(Request("", "payments.x"))),
            (std::vector<std::string>{"n1 A > - 1", "n1 A payments.> - 1", "n2 B > - 1"}));
}

// The query's matcher agrees with the account graph's subject algebra on every pair.
TEST_F(InterestGraphTest, SubjectMatchingAgreesWithSubjectAlgebra) {
  const std::vector<std::string> patterns = {"a",   "a.b",   "a.b.c", "*",    "*.b",   "a.*",
                                             "*.*", "a.*.c", ">",     "a.>",  "a.b.>", "*.>",
                                             "b",   "a.c",   "ab",    "a.bc", "*.b.>", "a.b.c.d"};
  const std::vector<std::string> literals = {"a",  "a.b",  "a.b.c", "a.b.c.d", "b",
                                             "ab", "a.bc", "x.b",   "a.c"};
  graph_.Open("n1", "east", 1);
  std::vector<Change> changes;
  for (const std::string& p : patterns)
    changes.push_back({"A", p, "", 1});
  ASSERT_EQ(graph_.Apply("n1", 1, Delta(1, true, changes)).result, ApplyResult::kApplied);
  for (const std::string& literal : literals) {
    std::vector<std::string> want;
    for (const std::string& p : patterns) {
      if (accounts::SubjectIsSubsetOf(literal, p))
        want.push_back(p);
    }
    std::sort(want.begin(), want.end());
    std::vector<std::string> got;
    const v1::QueryInterestResponse r = Query(Request("A", literal));
    for (const auto& e : r.entries())
      got.push_back(e.subject());
    EXPECT_EQ(got, want) << literal;
  }
}

TEST_F(InterestGraphTest, FiltersByAccountAndNode) {
  graph_.Open("n1", "east", 1);
  graph_.Open("n2", "east", 2);
  graph_.Apply("n1", 1, Delta(1, true, {{"A", "a", "", 1}, {"B", "b", "", 1}, {"C", "c", "", 1}}));
  graph_.Apply("n2", 2, Delta(1, true, {{"A", "a", "", 1}, {"B", "b2", "", 1}}));
  EXPECT_EQ(Rows(Query(Request("B"))), (std::vector<std::string>{"n1 B b - 1", "n2 B b2 - 1"}));
  EXPECT_EQ(Rows(Query(Request("", "", "n2"))),
            (std::vector<std::string>{"n2 A a - 1", "n2 B b2 - 1"}));
  EXPECT_EQ(Rows(Query(Request("B", "", "n1"))), std::vector<std::string>{"n1 B b - 1"});
  EXPECT_EQ(Rows(Query(Request("A", "a", "n2"))), std::vector<std::string>{"n2 A a - 1"});
  EXPECT_EQ(Query(Request("B", "a", "n1")).entries_size(), 0);
  EXPECT_EQ(Query(Request("Z")).entries_size(), 0);
  EXPECT_EQ(Query(Request("", "", "n9")).entries_size(), 0);
  // Node states are listed whatever the filters.
  EXPECT_EQ(Query(Request("", "", "n1")).nodes_size(), 2);
}

TEST_F(InterestGraphTest, LimitTruncates) {
  graph_.Open("n1", "east", 1);
  graph_.Apply("n1", 1, Delta(1, true, {{"A", "a", "", 1}, {"A", "b", "", 1}, {"A", "c", "", 1}}));
  v1::QueryInterestResponse r = Query(Request("", "", "", 2));
  EXPECT_EQ(Rows(r), (std::vector<std::string>{"n1 A a - 1", "n1 A b - 1"}));
  EXPECT_TRUE(r.truncated());
  r = Query(Request("", "", "n1", 2));
  EXPECT_EQ(r.entries_size(), 2);
  EXPECT_TRUE(r.truncated());
  r = Query(Request("", "", "", 3));
  EXPECT_EQ(r.entries_size(), 3);
  EXPECT_FALSE(r.truncated());
}

TEST_F(InterestGraphTest, RejectsNonLiteralQueriesAndMalformedChanges) {
  EXPECT_EQ(graph_.Query(Request("", "orders.*")).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(graph_.Query(Request("", "orders.>")).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(graph_.Query(Request("", "a..b")).status().code(), absl::StatusCode::kInvalidArgument);
  graph_.Open("n1", "east", 1);
  ApplyOutcome out = graph_.Apply("n1", 1,
                                  Delta(1, true,
                                        {{"", "a", "", 1},
                                         {"A", "", "", 1},
                                         {"A", "a b", "", 1},
                                         {"A", "a.>.b", "", 1},
                                         {"A", "a", "q q", 1},
                                         {"A", "a", "", -1},
                                         {"A", "ok", "", 1}}));
  EXPECT_EQ(out.result, ApplyResult::kApplied);
  EXPECT_EQ(out.rejected, 6);
  EXPECT_EQ(Rows(Query()), std::vector<std::string>{"n1 A ok - 1"});
  // Unknown nodes and sessions change nothing.
  EXPECT_EQ(graph_.Apply("n9", 1, Delta(1, true, {{"A", "x", "", 1}})).result,
            ApplyResult::kDropped);
  EXPECT_EQ(graph_.Apply("n1", 2, Delta(2, false, {{"A", "x", "", 1}})).result,
            ApplyResult::kDropped);
  EXPECT_EQ(Query().entries_size(), 1);
}

TEST_F(InterestGraphTest, VersionBumpsOnEveryChange) {
  uint64_t v = graph_.version();
  graph_.Open("n1", "east", 1);
  EXPECT_GT(graph_.version(), v);
  v = graph_.version();
  graph_.Apply("n1", 1, Delta(1, true, {{"A", "a", "", 1}}));
  EXPECT_GT(graph_.version(), v);
  v = graph_.version();
  graph_.Apply("n1", 1, Delta(2, false, {{"A", "a", "", 1}}));  // same weight: no change
  EXPECT_EQ(graph_.version(), v);
  graph_.Apply("n1", 1, Delta(3, false, {{"A", "a", "q", 2}}));
  EXPECT_GT(graph_.version(), v);
  v = graph_.version();
  graph_.Apply("n1", 1, Delta(4, false, {{"A", "a", "q", 3}}));  // weight changed
  EXPECT_GT(graph_.version(), v);
  v = graph_.version();
  EXPECT_EQ(Query().graph_version(), v);
  graph_.Apply("n1", 1, Delta(9, false, {}));  // gap: entries dropped
  EXPECT_GT(graph_.version(), v);
  v = graph_.version();
  graph_.Close("n1", 1);
  EXPECT_GT(graph_.version(), v);
}

TEST_F(InterestGraphTest, HundredThousandEntries) {
  constexpr int kNodes = 10;
  constexpr int kPerNode = 10000;
  for (int n = 0; n < kNodes; ++n) {
    const std::string node = "n" + std::to_string(n);
    graph_.Open(node, n % 2 ? "east" : "west", n + 1);
    v1::InterestDelta d = Delta(1, true, {});
    for (int i = 0; i < kPerNode; ++i) {
      v1::InterestChange* c = d.add_changes();
      c->set_account("ACC" + std::to_string(i % 20));
      c->set_subject("svc." + std::to_string(i) + (i % 100 == 0 ? ".>" : ".req"));
      c->set_weight(1);
    }
    ASSERT_EQ(graph_.Apply(node, n + 1, d).result, ApplyResult::kApplied);
  }
  v1::QueryInterestResponse all = Query(Request("", "", "", kMaxQueryLimit));
  EXPECT_EQ(all.entries_size(), static_cast<int>(kMaxQueryLimit));
  EXPECT_TRUE(all.truncated());
  uint64_t total = 0;
  for (const auto& n : all.nodes())
    total += n.entries();
  EXPECT_EQ(total, static_cast<uint64_t>(kNodes * kPerNode));
  // i = 300 (ACC0) subscribed svc.300.> on every node; i = 20 (ACC0) the literal svc.20.req.
  v1::QueryInterestResponse one = Query(Request("ACC0", "svc.300.x"));
  EXPECT_EQ(one.entries_size(), kNodes);
  one = Query(Request("ACC0", "svc.20.req"));
  EXPECT_EQ(one.entries_size(), kNodes);
  EXPECT_FALSE(one.truncated());
  EXPECT_EQ(Query(Request("ACC3", "", "n4", 0)).entries_size(), kPerNode / 20);
}

TEST_F(InterestGraphTest, ConcurrentWritersAndReaders) {
  std::vector<std::thread> threads;
  for (int n = 0; n < 4; ++n) {
    threads.emplace_back([this, n] {
      const std::string node = "n" + std::to_string(n);
      graph_.Open(node, "east", n + 1);
      graph_.Apply(node, n + 1, Delta(1, true, {}));
      for (int i = 0; i < 200; ++i) {
        graph_.Apply(node, n + 1,
                     Delta(i + 2, false, {{"A", "s." + std::to_string(i % 10), "", i % 2}}));
      }
    });
  }
  threads.emplace_back([this] {
    for (int i = 0; i < 200; ++i)
      (void)graph_.Query(Request("A", "s.1"));
  });
  for (auto& t : threads)
    t.join();
  v1::QueryInterestResponse r = Query(Request("A"));
  // i = 190..199 is last for each subject: even i removes, odd i adds.
  EXPECT_EQ(r.entries_size(), 4 * 5);
  for (const auto& n : r.nodes())
    EXPECT_EQ(n.sequence(), 201u);
}

}  // namespace
}  // namespace lattice::interest
