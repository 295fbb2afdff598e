// Unit tests for the local-interest view of the index: InterestAt, ForEachInterest and the
// transitions Insert/Remove report.
#include <map>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"

#include "dataplane/sublist/sublist.h"

namespace lattice::sublist {
namespace {

SubscriptionRef Sub(std::string subject, std::string queue = "", bool local = true,
                    uint32_t weight = 1) {
  auto sub = std::make_shared<Subscription>();
  sub->subject = std::move(subject);
  sub->queue = std::move(queue);
  sub->local_interest = local;
  sub->weight = weight;
  return sub;
}

using Entries = std::map<std::pair<std::string, std::string>, uint32_t>;

Entries Walk(const Sublist& sublist) {
  Entries out;
  sublist.ForEachInterest([&](std::string_view subject, std::string_view queue, uint32_t weight) {
    auto [it, added] =
        out.emplace(std::make_pair(std::string(subject), std::string(queue)), weight);
    EXPECT_TRUE(added) << "reported twice: " << subject << " " << queue;
  });
  return out;
}

TEST(SublistInterest, PlainSubscriptionsCountOnceWhileAnyRemains) {
  Sublist sublist;
  auto a = Sub("foo.bar");
  auto b = Sub("foo.bar");
  bool changed = false;
  EXPECT_EQ(sublist.InterestAt("foo.bar", ""), 0u);
  ASSERT_TRUE(sublist.Insert(a, &changed));
  EXPECT_TRUE(changed);  // 0 -> 1
  ASSERT_TRUE(sublist.Insert(b, &changed));
  EXPECT_FALSE(changed);  // still 1
  EXPECT_EQ(sublist.InterestAt("foo.bar", ""), 1u);
  EXPECT_EQ(sublist.InterestAt("foo", ""), 0u);       // a prefix is not the subject
  EXPECT_EQ(sublist.InterestAt("foo.*", ""), 0u);     // exact lookup, no matching
  EXPECT_EQ(sublist.InterestAt("foo.bar", "q"), 0u);  // no such group
  ASSERT_TRUE(sublist.Remove(a, &changed));
  EXPECT_FALSE(changed);  // b remains
  EXPECT_EQ(sublist.InterestAt("foo.bar", ""), 1u);
  ASSERT_TRUE(sublist.Remove(b, &changed));
  EXPECT_TRUE(changed);  // 1 -> 0
  EXPECT_EQ(sublist.InterestAt("foo.bar", ""), 0u);
  EXPECT_TRUE(Walk(sublist).empty());
}

TEST(SublistInterest, QueueGroupsReportSummedWeightsAndEveryChange) {
  Sublist sublist;
  auto m1 = Sub("work", "q");
  auto m2 = Sub("work", "q", true, 3);
  auto other = Sub("work", "r");
  bool changed = false;
  ASSERT_TRUE(sublist.Insert(m1, &changed));
  EXPECT_TRUE(changed);
  ASSERT_TRUE(sublist.Insert(m2, &changed));
  EXPECT_TRUE(changed);  // every membership change matters for the weight
  ASSERT_TRUE(sublist.Insert(other, &changed));
  EXPECT_TRUE(changed);
  EXPECT_EQ(sublist.InterestAt("work", "q"), 4u);
  EXPECT_EQ(sublist.InterestAt("work", "r"), 1u);
  EXPECT_EQ(sublist.InterestAt("work", ""), 0u);  // no plain subscription
  EXPECT_EQ(Walk(sublist), (Entries{{{"work", "q"}, 4}, {{"work", "r"}, 1}}));
  ASSERT_TRUE(sublist.Remove(m2, &changed));
  EXPECT_TRUE(changed);
  EXPECT_EQ(sublist.InterestAt("work", "q"), 1u);
  ASSERT_TRUE(sublist.Remove(m1, &changed));
  EXPECT_TRUE(changed);
  EXPECT_EQ(sublist.InterestAt("work", "q"), 0u);
  EXPECT_EQ(Walk(sublist), (Entries{{{"work", "r"}, 1}}));
}

TEST(SublistInterest, WildcardsAreSubjectsAsSubscribed) {
  Sublist sublist;
  ASSERT_TRUE(sublist.Insert(Sub("orders.*")));
  ASSERT_TRUE(sublist.Insert(Sub("orders.>", "workers")));
  ASSERT_TRUE(sublist.Insert(Sub(">")));
  ASSERT_TRUE(sublist.Insert(Sub("a.*.c.>")));
  ASSERT_TRUE(sublist.Insert(Sub("orders.new")));
  EXPECT_EQ(sublist.InterestAt("orders.*", ""), 1u);
  EXPECT_EQ(sublist.InterestAt("orders.>", "workers"), 1u);
  EXPECT_EQ(sublist.InterestAt("orders.>", ""), 0u);
  EXPECT_EQ(sublist.InterestAt(">", ""), 1u);
  EXPECT_EQ(sublist.InterestAt("orders.new", ""), 1u);
  EXPECT_EQ(sublist.InterestAt("orders.old", ""), 0u);  // matched by orders.*, not subscribed
  EXPECT_EQ(sublist.InterestAt("", ""), 0u);
  EXPECT_EQ(sublist.InterestAt("orders..x", ""), 0u);
  EXPECT_EQ(Walk(sublist), (Entries{{{"orders.*", ""}, 1},
                                    {{"orders.>", "workers"}, 1},
                                    {{">", ""}, 1},
                                    {{"a.*.c.>", ""}, 1},
                                    {{"orders.new", ""}, 1}}));
}

TEST(SublistInterest, NonLocalSubscriptionsAreNeitherCountedNorReported) {
  Sublist sublist;
  auto internal = Sub("_R_.abc.>", "", false);
  auto internal_plain = Sub("svc", "", false);
  auto internal_queue = Sub("jobs", "q", false, 5);
  bool changed = true;
  ASSERT_TRUE(sublist.Insert(internal, &changed));
  EXPECT_FALSE(changed);
  ASSERT_TRUE(sublist.Insert(internal_plain, &changed));
  EXPECT_FALSE(changed);
  ASSERT_TRUE(sublist.Insert(internal_queue, &changed));
  EXPECT_FALSE(changed);
  EXPECT_EQ(sublist.InterestAt("_R_.abc.>", ""), 0u);
  EXPECT_EQ(sublist.InterestAt("jobs", "q"), 0u);
  EXPECT_TRUE(Walk(sublist).empty());

  // A client beside an internal handler on one subject: the client's arrival and departure
  // are the transitions; the internal one's presence does not hide them.
  auto client = Sub("svc");
  ASSERT_TRUE(sublist.Insert(client, &changed));
  EXPECT_TRUE(changed);
  auto member = Sub("jobs", "q", true, 2);
  ASSERT_TRUE(sublist.Insert(member, &changed));
  EXPECT_TRUE(changed);
  EXPECT_EQ(sublist.InterestAt("jobs", "q"), 2u);  // the internal member's 5 is not counted
  EXPECT_EQ(Walk(sublist), (Entries{{{"svc", ""}, 1}, {{"jobs", "q"}, 2}}));
  ASSERT_TRUE(sublist.Remove(client, &changed));
  EXPECT_TRUE(changed);
  ASSERT_TRUE(sublist.Remove(internal_plain, &changed));
  EXPECT_FALSE(changed);
  EXPECT_EQ(sublist.InterestAt("svc", ""), 0u);
}

TEST(SublistInterest, FailedCallsReportNoChange) {
  Sublist sublist;
  auto a = Sub("x");
  bool changed = true;
  EXPECT_FALSE(sublist.Remove(a, &changed));  // not inserted
  EXPECT_FALSE(changed);
  changed = true;
  EXPECT_FALSE(sublist.Insert(Sub("bad..subject"), &changed));
  EXPECT_FALSE(changed);
  ASSERT_TRUE(sublist.Insert(a, &changed));
  EXPECT_TRUE(changed);
  ASSERT_TRUE(sublist.Insert(a, &changed));  // the same object again: nothing changes
  EXPECT_FALSE(changed);
}

TEST(SublistInterest, ManyPlainSubscribersOnOneSubject) {
  Sublist sublist;
  std::vector<SubscriptionRef> subs;
  int transitions = 0;
  for (int i = 0; i < 100; ++i) {
    subs.push_back(Sub("hot"));
    bool changed = false;
    ASSERT_TRUE(sublist.Insert(subs.back(), &changed));
    transitions += changed ? 1 : 0;
  }
  for (auto& sub : subs) {
    bool changed = false;
    ASSERT_TRUE(sublist.Remove(sub, &changed));
    transitions += changed ? 1 : 0;
  }
  EXPECT_EQ(transitions, 2);  // 0 -> 1 once, 1 -> 0 once
}

// Concurrent inserts and removes of plain subscriptions on one subject: the transitions
// reported must alternate so that their count is exactly two per 0 -> 1 -> 0 cycle, i.e. the
// number of "up" transitions equals the number of "down" ones and the final state is empty.
TEST(SublistInterest, ConcurrentTransitionsBalance) {
  Sublist sublist;
  constexpr int kThreads = 4;
  constexpr int kRounds = 2000;
  std::vector<int> ups(kThreads, 0);
  std::vector<int> downs(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRounds; ++i) {
        auto sub = Sub("shared.subject");
        bool changed = false;
        sublist.Insert(sub, &changed);
        ups[t] += changed ? 1 : 0;
        sublist.Remove(sub, &changed);
        downs[t] += changed ? 1 : 0;
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  int up = 0;
  int down = 0;
  for (int t = 0; t < kThreads; ++t) {
    up += ups[t];
    down += downs[t];
  }
  EXPECT_GT(up, 0);
  EXPECT_EQ(up, down);
  EXPECT_EQ(sublist.InterestAt("shared.subject", ""), 0u);
}

}  // namespace
}  // namespace lattice::sublist
