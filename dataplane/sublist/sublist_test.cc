// Unit tests for the subscription index: matching, queue groups, removal, cache, concurrency.
#include "dataplane/sublist/sublist.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace lattice::sublist {
namespace {

SubscriptionRef Sub(std::string subject, std::string queue = "", uint32_t weight = 1) {
  auto sub = std::make_shared<Subscription>();
  sub->subject = std::move(subject);
  sub->queue = std::move(queue);
  sub->weight = weight;
  return sub;
}

// The result flattened to a sorted set of subscription pointers (plain and queue members).
std::multiset<const Subscription*> All(const SublistResultRef& r) {
  std::multiset<const Subscription*> out;
  for (const auto& s : r->plain) {
    out.insert(s.get());
  }
  for (const auto& g : r->queue_groups) {
    for (const auto& s : g.members) {
      out.insert(s.get());
    }
  }
  return out;
}

std::multiset<const Subscription*> Set(std::initializer_list<SubscriptionRef> subs) {
  std::multiset<const Subscription*> out;
  for (const auto& s : subs) {
    out.insert(s.get());
  }
  return out;
}

TEST(SubjectValidation, ValidSubjects) {
  for (const char* s : {"foo", "foo.bar", "*", ">", "foo.*", "foo.>", "*.*.>", "foo.b*", "f>o.x",
                        "$SYS.REQ.>", "_INBOX.abc.*", "a.*.c"}) {
    EXPECT_TRUE(IsValidSubject(s)) << s;
  }
}

TEST(SubjectValidation, InvalidSubjects) {
  for (const char* s : {"", ".", "foo.", ".foo", "foo..bar", ">.foo", "foo.>.bar", "foo bar",
                        "foo.\tbar", "foo\r", "foo\n.bar", " ", "a.>.>", "foo\f"}) {
    EXPECT_FALSE(IsValidSubject(s)) << s;
  }
}

TEST(SubjectValidation, LiteralSubjects) {
  EXPECT_TRUE(IsValidLiteralSubject("foo.bar"));
  EXPECT_TRUE(IsValidLiteralSubject("foo.b*"));
  EXPECT_TRUE(IsValidLiteralSubject("foo.>x"));
  EXPECT_FALSE(IsValidLiteralSubject("foo.*"));
  EXPECT_FALSE(IsValidLiteralSubject("foo.>"));
  EXPECT_FALSE(IsValidLiteralSubject("*"));
  EXPECT_FALSE(IsValidLiteralSubject("foo..bar"));
  EXPECT_FALSE(IsValidLiteralSubject("foo bar"));
  EXPECT_FALSE(IsValidLiteralSubject(""));
}

TEST(SubjectValidation, QueueNames) {
  EXPECT_TRUE(IsValidQueueName("workers"));
  EXPECT_TRUE(IsValidQueueName("a.b*>"));
  EXPECT_FALSE(IsValidQueueName(""));
  EXPECT_FALSE(IsValidQueueName("bad queue"));
  EXPECT_FALSE(IsValidQueueName("tab\tq"));
  EXPECT_FALSE(IsValidQueueName("q\r\n"));
}

TEST(SubjectMatchesTest, Table) {
  struct Case {
    const char* pattern;
    const char* subject;
    bool want;
  };
  const Case cases[] = {
      {"foo", "foo", true},
      {"foo", "bar", false},
      {"foo.bar", "foo.bar", true},
      {"foo.bar", "foo", false},
      {"foo", "foo.bar", false},
      {"*", "foo", true},
      {"*", "foo.bar", false},
      {"foo.*", "foo.bar", true},
      {"foo.*", "foo", false},
      {"foo.*", "foo.bar.baz", false},
      {">", "foo", true},
      {">", "foo.bar.baz", true},
      {"foo.>", "foo", false},
      {"foo.>", "foo.bar", true},
      {"foo.>", "foo.bar.baz", true},
      {"*.bar.>", "x.bar.y.z", true},
      {"*.bar.>", "x.baz.y", false},
      {"foo.b*", "foo.bar", false},
      {"foo.b*", "foo.b*", true},
      {"foo.*", "foo.*", true},
      {"foo.bar", "foo.*", false},
      {"foo.>", "foo.>", true},
      {"foo.>", "foo.bar..x", false},
      {"foo", "", false},
      {"", "foo", false},
      {"foo..bar", "foo..bar", false},
      {"foo.>.bar", "foo.x.bar", false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(SubjectMatches(c.pattern, c.subject), c.want) << c.pattern << " vs " << c.subject;
  }
}

TEST(SublistTest, LiteralMatch) {
  Sublist sl;
  auto a = Sub("foo.bar");
  auto b = Sub("foo.baz");
  ASSERT_TRUE(sl.Insert(a));
  ASSERT_TRUE(sl.Insert(b));
  EXPECT_EQ(sl.count(), 2u);
  EXPECT_EQ(All(sl.Match("foo.bar")), Set({a}));
  EXPECT_EQ(All(sl.Match("foo.baz")), Set({b}));
  EXPECT_TRUE(sl.Match("foo")->empty());
  EXPECT_TRUE(sl.Match("foo.bar.baz")->empty());
}

TEST(SublistTest, PartialWildcard) {
  Sublist sl;
  auto a = Sub("foo.*");
  auto b = Sub("*.bar");
  auto c = Sub("*.*");
  for (const auto& s : {a, b, c}) {
    ASSERT_TRUE(sl.Insert(s));
  }
  EXPECT_EQ(All(sl.Match("foo.bar")), Set({a, b, c}));
  EXPECT_EQ(All(sl.Match("foo.baz")), Set({a, c}));
  EXPECT_EQ(All(sl.Match("x.bar")), Set({b, c}));
  EXPECT_TRUE(sl.Match("foo")->empty());
  EXPECT_TRUE(sl.Match("foo.bar.baz")->empty());
}

TEST(SublistTest, FullWildcard) {
  Sublist sl;
  auto a = Sub("foo.>");
  auto b = Sub(">");
  ASSERT_TRUE(sl.Insert(a));
  ASSERT_TRUE(sl.Insert(b));
  EXPECT_EQ(All(sl.Match("foo")), Set({b}));  // '>' needs at least one more token
  EXPECT_EQ(All(sl.Match("foo.bar")), Set({a, b}));
  EXPECT_EQ(All(sl.Match("foo.bar.baz.qux")), Set({a, b}));
  EXPECT_EQ(All(sl.Match("bar.baz")), Set({b}));
}

TEST(SublistTest, MixedWildcards) {
  Sublist sl;
  auto a = Sub("a.*.c.>");
  auto b = Sub("a.b.*.d");
  auto c = Sub("*.b.>");
  auto d = Sub("a.b.c.d");
  for (const auto& s : {a, b, c, d}) {
    ASSERT_TRUE(sl.Insert(s));
  }
  EXPECT_EQ(All(sl.Match("a.b.c.d")), Set({a, b, c, d}));
  EXPECT_EQ(All(sl.Match("a.x.c.d.e")), Set({a}));
  EXPECT_EQ(All(sl.Match("z.b.c")), Set({c}));
  EXPECT_TRUE(sl.Match("a.b")->empty());
}

TEST(SublistTest, WildcardCharsInsideTokensAreLiteral) {
  Sublist sl;
  auto a = Sub("foo.b*");
  ASSERT_TRUE(sl.Insert(a));
  EXPECT_TRUE(sl.Match("foo.bar")->empty());
  EXPECT_EQ(All(sl.Match("foo.b*")), Set({a}));
}

// A published subject containing wildcard tokens is matched literally, as nats-server does:
// "foo.*" reaches patterns foo.*, foo.>, > (and *.*) but not foo.bar.
TEST(SublistTest, PublishedWildcardIsLiteral) {
  Sublist sl;
  auto lit = Sub("foo.bar");
  auto pwc = Sub("foo.*");
  auto fwc = Sub("foo.>");
  auto all = Sub(">");
  auto both = Sub("*.*");
  for (const auto& s : {lit, pwc, fwc, all, both}) {
    ASSERT_TRUE(sl.Insert(s));
  }
  EXPECT_EQ(All(sl.Match("foo.*")), Set({pwc, fwc, all, both}));
  EXPECT_EQ(All(sl.Match("foo.>")), Set({pwc, fwc, all, both}));
  EXPECT_EQ(All(sl.Match("*")), Set({all}));
}

TEST(SublistTest, DuplicateSubjectsEachGetAnEntry) {
  Sublist sl;
  auto a = Sub("foo");
  auto b = Sub("foo");
  auto c = Sub("foo.>");
  auto d = Sub("*");
  for (const auto& s : {a, b, d}) {
    ASSERT_TRUE(sl.Insert(s));
  }
  ASSERT_TRUE(sl.Insert(c));
  auto r = sl.Match("foo");
  EXPECT_EQ(r->plain.size(), 3u);
  EXPECT_EQ(All(r), Set({a, b, d}));
}

TEST(SublistTest, SameObjectInsertedTwiceIsIndexedOnce) {
  Sublist sl;
  auto a = Sub("foo");
  ASSERT_TRUE(sl.Insert(a));
  ASSERT_TRUE(sl.Insert(a));
  EXPECT_EQ(sl.count(), 1u);
  EXPECT_EQ(sl.Match("foo")->plain.size(), 1u);
  EXPECT_TRUE(sl.Remove(a));
  EXPECT_FALSE(sl.Remove(a));
  EXPECT_EQ(sl.count(), 0u);
}

TEST(SublistTest, QueueGroupsMergeByNameAcrossPatterns) {
  Sublist sl;
  auto q1 = Sub("foo.bar", "workers");
  auto q2 = Sub("foo.*", "workers");
  auto q3 = Sub("foo.>", "workers", 3);
  auto o1 = Sub("foo.bar", "others");
  auto p = Sub("foo.bar");
  for (const auto& s : {q1, q2, q3, o1, p}) {
    ASSERT_TRUE(sl.Insert(s));
  }
  auto r = sl.Match("foo.bar");
  EXPECT_EQ(All(r), Set({q1, q2, q3, o1, p}));
  ASSERT_EQ(r->plain.size(), 1u);
  EXPECT_EQ(r->plain[0], p);
  ASSERT_EQ(r->queue_groups.size(), 2u);
  std::map<std::string, std::multiset<const Subscription*>> groups;
  for (const auto& g : r->queue_groups) {
    for (const auto& m : g.members) {
      EXPECT_EQ(m->queue, g.name);
      groups[std::string(g.name)].insert(m.get());
    }
  }
  EXPECT_EQ(groups["workers"], Set({q1, q2, q3}));
  EXPECT_EQ(groups["others"], Set({o1}));
  // Only the wildcard members match a different subject.
  auto r2 = sl.Match("foo.baz.qux");
  ASSERT_EQ(r2->queue_groups.size(), 1u);
  EXPECT_EQ(r2->queue_groups[0].name, "workers");
  ASSERT_EQ(r2->queue_groups[0].members.size(), 1u);
  EXPECT_EQ(r2->queue_groups[0].members[0]->weight, 3u);
}

TEST(SublistTest, QueueRemoval) {
  Sublist sl;
  auto q1 = Sub("foo", "g");
  auto q2 = Sub("foo", "g");
  auto plain_same_subject = Sub("foo");
  ASSERT_TRUE(sl.Insert(q1));
  ASSERT_TRUE(sl.Insert(q2));
  EXPECT_FALSE(sl.Remove(plain_same_subject));  // not indexed
  EXPECT_FALSE(sl.Remove(Sub("foo", "h")));
  EXPECT_TRUE(sl.Remove(q1));
  auto r = sl.Match("foo");
  ASSERT_EQ(r->queue_groups.size(), 1u);
  EXPECT_EQ(All(r), Set({q2}));
  EXPECT_TRUE(sl.Remove(q2));
  EXPECT_TRUE(sl.Match("foo")->empty());
}

TEST(SublistTest, InvalidInsertIsRejected) {
  Sublist sl;
  for (const char* s : {"", "foo..bar", "foo.", ">.foo", "foo bar", "foo.>.x"}) {
    EXPECT_FALSE(sl.Insert(Sub(s))) << s;
  }
  EXPECT_FALSE(sl.Insert(Sub("foo", "bad queue")));
  EXPECT_FALSE(sl.Insert(nullptr));
  EXPECT_FALSE(sl.Remove(nullptr));
  EXPECT_FALSE(sl.Remove(Sub("foo..bar")));
  EXPECT_EQ(sl.count(), 0u);
  EXPECT_EQ(sl.generation(), 0u);
}

TEST(SublistTest, MatchOfMalformedSubjectIsEmptyAndNotCached) {
  Sublist sl;
  ASSERT_TRUE(sl.Insert(Sub(">")));
  for (const char* s : {"", ".", "foo..bar", ".foo", "foo."}) {
    EXPECT_TRUE(sl.Match(s)->empty()) << s;
  }
  EXPECT_EQ(sl.cache_size(), 0u);
}

TEST(SublistTest, RemoveUnknown) {
  Sublist sl;
  auto a = Sub("foo.bar");
  ASSERT_TRUE(sl.Insert(a));
  EXPECT_FALSE(sl.Remove(Sub("foo.bar")));  // a different object with the same subject
  EXPECT_FALSE(sl.Remove(Sub("foo")));
  EXPECT_FALSE(sl.Remove(Sub("foo.bar.baz")));
  EXPECT_FALSE(sl.Remove(Sub("foo.*")));
  EXPECT_EQ(sl.count(), 1u);
  EXPECT_EQ(All(sl.Match("foo.bar")), Set({a}));
}

TEST(SublistTest, GenerationAndCount) {
  Sublist sl;
  auto a = Sub("foo");
  EXPECT_EQ(sl.generation(), 0u);
  ASSERT_TRUE(sl.Insert(a));
  EXPECT_EQ(sl.generation(), 1u);
  EXPECT_EQ(sl.count(), 1u);
  ASSERT_TRUE(sl.Remove(a));
  EXPECT_EQ(sl.generation(), 2u);
  EXPECT_EQ(sl.count(), 0u);
}

TEST(SublistTest, ResultsOutliveRemovalAndKeepSubsAlive) {
  Sublist sl;
  std::weak_ptr<Subscription> weak;
  SublistResultRef r;
  {
    auto a = Sub("foo");
    weak = a;
    ASSERT_TRUE(sl.Insert(a));
    r = sl.Match("foo");
    ASSERT_TRUE(sl.Remove(a));
  }
  ASSERT_FALSE(weak.expired());  // the old result still owns it
  EXPECT_EQ(r->plain[0]->subject, "foo");
  EXPECT_TRUE(sl.Match("foo")->empty());
  r.reset();
  EXPECT_TRUE(weak.expired());  // no cache entry or trie node keeps it
}

TEST(SublistCacheTest, HitReturnsSameResult) {
  Sublist sl;
  ASSERT_TRUE(sl.Insert(Sub("foo.*")));
  auto r1 = sl.Match("foo.bar");
  EXPECT_EQ(sl.cache_size(), 1u);
  auto r2 = sl.Match("foo.bar");
  EXPECT_EQ(r1.get(), r2.get());
}

TEST(SublistCacheTest, MatchUncachedMatchesAlikeAndStoresNothing) {
  Sublist sl;
  ASSERT_TRUE(sl.Insert(Sub("_R_.*.>")));
  ASSERT_TRUE(sl.Insert(Sub("_R_.abc.x1")));
  ASSERT_TRUE(sl.Insert(Sub("other")));
  auto uncached = sl.MatchUncached("_R_.abc.x1");
  EXPECT_EQ(uncached->plain.size(), 2u);
  EXPECT_EQ(sl.MatchUncached("_R_.abc.x2")->plain.size(), 1u);
  EXPECT_TRUE(sl.MatchUncached("nothing")->empty());
  EXPECT_TRUE(sl.MatchUncached("bad..subject")->empty());
  EXPECT_EQ(sl.cache_size(), 0u);
  EXPECT_EQ(sl.Match("_R_.abc.x1")->plain.size(), uncached->plain.size());
  EXPECT_EQ(sl.cache_size(), 1u);
}

TEST(SublistCacheTest, InsertMatchingSubInvalidates) {
  Sublist sl;
  auto a = Sub("foo.bar");
  EXPECT_TRUE(sl.Match("foo.bar")->empty());  // cache the empty result first
  ASSERT_TRUE(sl.Insert(a));
  EXPECT_EQ(All(sl.Match("foo.bar")), Set({a}));
  EXPECT_TRUE(sl.Match("other")->empty());
  EXPECT_EQ(sl.cache_size(), 2u);
  auto b = Sub("foo.>");
  ASSERT_TRUE(sl.Insert(b));
  EXPECT_EQ(sl.cache_size(), 1u);  // only foo.bar was affected
  EXPECT_EQ(All(sl.Match("foo.bar")), Set({a, b}));
  auto c = Sub("*");
  ASSERT_TRUE(sl.Insert(c));
  EXPECT_EQ(All(sl.Match("other")), Set({c}));
  EXPECT_EQ(All(sl.Match("foo.bar")), Set({a, b}));
}

TEST(SublistCacheTest, NonMatchingInsertKeepsEntries) {
  Sublist sl;
  auto a = Sub("foo.bar");
  ASSERT_TRUE(sl.Insert(a));
  auto before = sl.Match("foo.bar");
  ASSERT_TRUE(sl.Insert(Sub("foo.baz")));
  ASSERT_TRUE(sl.Insert(Sub("foo.bar.>")));
  ASSERT_TRUE(sl.Insert(Sub("*.*.*")));
  EXPECT_EQ(sl.cache_size(), 1u);
  EXPECT_EQ(sl.Match("foo.bar").get(), before.get());
}

TEST(SublistCacheTest, RemoveInvalidatesMatchingEntries) {
  Sublist sl;
  auto a = Sub("foo.*");
  auto b = Sub("foo.bar");
  auto q = Sub("foo.bar", "g");
  for (const auto& s : {a, b, q}) {
    ASSERT_TRUE(sl.Insert(s));
  }
  EXPECT_EQ(All(sl.Match("foo.bar")), Set({a, b, q}));
  EXPECT_EQ(All(sl.Match("foo.baz")), Set({a}));
  auto unrelated = sl.Match("zzz");
  ASSERT_TRUE(sl.Remove(q));
  EXPECT_EQ(All(sl.Match("foo.bar")), Set({a, b}));
  EXPECT_TRUE(sl.Match("foo.bar")->queue_groups.empty());
  ASSERT_TRUE(sl.Remove(a));
  EXPECT_EQ(All(sl.Match("foo.bar")), Set({b}));
  EXPECT_TRUE(sl.Match("foo.baz")->empty());
  EXPECT_EQ(sl.Match("zzz").get(), unrelated.get());
}

TEST(SublistCacheTest, BoundedCapacity) {
  Sublist sl(8);
  ASSERT_TRUE(sl.Insert(Sub(">")));
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(sl.Match("s." + std::to_string(i))->plain.size(), 1u);
    EXPECT_LE(sl.cache_size(), 8u);
  }
  EXPECT_GT(sl.cache_size(), 0u);
}

TEST(SublistCacheTest, DisabledCache) {
  Sublist sl(0);
  auto a = Sub("foo");
  ASSERT_TRUE(sl.Insert(a));
  EXPECT_EQ(All(sl.Match("foo")), Set({a}));
  EXPECT_EQ(sl.cache_size(), 0u);
  ASSERT_TRUE(sl.Remove(a));
  EXPECT_TRUE(sl.Match("foo")->empty());
}

TEST(SublistTest, ManySubsOnOneSubjectUseTheIndexedSet) {
  Sublist sl;
  std::vector<SubscriptionRef> subs;
  for (int i = 0; i < 200; ++i) {
    subs.push_back(Sub("hot", i % 2 ? "q" : ""));
    ASSERT_TRUE(sl.Insert(subs.back()));
  }
  EXPECT_EQ(All(sl.Match("hot")).size(), 200u);
  // Remove in a scrambled order; every remaining one must still be found.
  std::mt19937 rng(7);
  std::shuffle(subs.begin(), subs.end(), rng);
  for (size_t i = 0; i < subs.size(); ++i) {
    ASSERT_TRUE(sl.Remove(subs[i]));
    ASSERT_FALSE(sl.Remove(subs[i]));
    EXPECT_EQ(All(sl.Match("hot")).size(), subs.size() - i - 1);
  }
  EXPECT_EQ(sl.count(), 0u);
}

// Draining a wide level shrinks its table; the survivors must still be found and removable.
TEST(SublistTest, WideLevelDrainsAndShrinks) {
  Sublist sl;
  std::vector<SubscriptionRef> subs;
  for (int i = 0; i < 2000; ++i) {
    subs.push_back(Sub("_INBOX.id" + std::to_string(i) + ".*"));
    ASSERT_TRUE(sl.Insert(subs.back()));
  }
  for (int i = 0; i < 1990; ++i) {
    ASSERT_TRUE(sl.Remove(subs[i]));
  }
  for (int i = 1990; i < 2000; ++i) {
    EXPECT_EQ(All(sl.Match("_INBOX.id" + std::to_string(i) + ".x")), Set({subs[i]}));
  }
  EXPECT_TRUE(sl.Match("_INBOX.id5.x")->empty());
  for (int i = 1990; i < 2000; ++i) {
    ASSERT_TRUE(sl.Remove(subs[i]));
  }
  EXPECT_EQ(sl.count(), 0u);
}

// A random subject built from a small alphabet so patterns and subjects collide often.
std::string RandomSubject(std::mt19937& rng, bool wildcards) {
  static const char* kTokens[] = {"a", "b", "c", "foo", "bar", "b*"};
  std::uniform_int_distribution<int> len(1, 4);
  std::uniform_int_distribution<int> tok(0, 5);
  std::uniform_int_distribution<int> wc(0, 9);
  const int n = len(rng);
  std::string s;
  for (int i = 0; i < n; ++i) {
    if (i > 0) {
      s += '.';
    }
    const int w = wildcards ? wc(rng) : 9;
    if (w == 0 && i == n - 1) {
      s += '>';
    } else if (w <= 2) {
      s += '*';
    } else {
      s += kTokens[tok(rng)];
    }
  }
  return s;
}

// Match must equal a brute-force SubjectMatches scan, through inserts and removes that keep
// invalidating a small cache.
TEST(SublistRandomTest, MatchesBruteForce) {
  std::mt19937 rng(12345);
  Sublist sl(64);
  std::vector<SubscriptionRef> live;
  std::uniform_int_distribution<int> queue_pick(0, 3);
  for (int round = 0; round < 4000; ++round) {
    const int op = std::uniform_int_distribution<int>(0, 9)(rng);
    if (op < 4 || live.empty()) {
      const int qp = queue_pick(rng);
      live.push_back(Sub(RandomSubject(rng, true), qp == 0 ? "q1" : qp == 1 ? "q2" : ""));
      ASSERT_TRUE(sl.Insert(live.back()));
    } else if (op < 6) {
      const size_t i = std::uniform_int_distribution<size_t>(0, live.size() - 1)(rng);
      ASSERT_TRUE(sl.Remove(live[i]));
      live[i] = live.back();
      live.pop_back();
    } else {
      // Published subjects sometimes carry wildcard tokens: those are matched literally.
      const std::string subject = RandomSubject(rng, op == 9);
      std::multiset<const Subscription*> want;
      std::map<std::string, size_t> want_groups;
      for (const auto& s : live) {
        if (SubjectMatches(s->subject, subject)) {
          want.insert(s.get());
          if (!s->queue.empty()) {
            ++want_groups[s->queue];
          }
        }
      }
      auto r = sl.Match(subject);
      ASSERT_EQ(All(r), want) << subject;
      ASSERT_EQ(r->queue_groups.size(), want_groups.size()) << subject;
      for (const auto& g : r->queue_groups) {
        ASSERT_EQ(g.members.size(), want_groups[std::string(g.name)]) << subject;
      }
    }
    ASSERT_EQ(sl.count(), live.size());
  }
  // Removing everything leaves nothing behind.
  for (const auto& s : live) {
    ASSERT_TRUE(sl.Remove(s));
  }
  EXPECT_EQ(sl.count(), 0u);
  EXPECT_TRUE(sl.Match("a")->empty());
  EXPECT_TRUE(sl.Match("foo.bar.b*")->empty());
}

// Writer threads insert, match and remove concurrently on a few shared subjects while reader
// threads hammer Match on the same subjects. Each writer checks that its own subscription is
// visible right after Insert and gone right after Remove: this fails if a concurrent cache miss
// could store a result computed before the change.
TEST(SublistConcurrencyTest, StressInsertRemoveMatch) {
  Sublist sl(128);
  constexpr int kWriters = 4;
  constexpr int kReaders = 2;
  constexpr int kIters = 2000;
  constexpr int kSubjects = 3;
  auto always = Sub("s.>");
  ASSERT_TRUE(sl.Insert(always));
  std::atomic<int> failures{0};
  std::atomic<int> writers_done{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kWriters; ++t) {
    threads.emplace_back([&sl, &failures, &writers_done, t] {
      std::mt19937 rng(t);
      for (int i = 0; i < kIters; ++i) {
        const std::string subject = "s." + std::to_string(rng() % kSubjects);
        auto mine = Sub(subject, (i % 3 == 0) ? "q" : "");
        auto wc = Sub(i % 2 ? "s.*" : "*.>");
        if (!sl.Insert(mine) || !sl.Insert(wc)) {
          failures++;
        }
        auto found = All(sl.Match(subject));
        if (found.count(mine.get()) != 1 || found.count(wc.get()) != 1) {
          failures++;
        }
        if (!sl.Remove(mine)) {
          failures++;
        }
        found = All(sl.Match(subject));
        if (found.count(mine.get()) != 0 || found.count(wc.get()) != 1) {
          failures++;
        }
        if (!sl.Remove(wc)) {
          failures++;
        }
        if (All(sl.Match(subject)).count(wc.get()) != 0) {
          failures++;
        }
      }
      writers_done++;
    });
  }
  for (int t = 0; t < kReaders; ++t) {
    threads.emplace_back([&sl, &failures, &writers_done, &always, t] {
      for (uint32_t i = t; writers_done.load() < kWriters; ++i) {
        auto r = sl.Match("s." + std::to_string(i % kSubjects));
        if (All(r).count(always.get()) != 1) {
          failures++;
        }
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(sl.count(), 1u);
  EXPECT_EQ(All(sl.Match("s.1")), Set({always}));
}

}  // namespace
}  // namespace lattice::sublist
