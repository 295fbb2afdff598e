// Unit tests for the Sublist's compact storage: Token, SubsHandle and level children.
#include "dataplane/sublist/sublist_internal.h"

#include <memory>
#include <string>
#include <utility>

#include "gtest/gtest.h"

namespace lattice::sublist::internal {
namespace {

SubscriptionRef Sub(std::string subject, std::string queue = "") {
  auto sub = std::make_shared<Subscription>();
  sub->subject = std::move(subject);
  sub->queue = std::move(queue);
  return sub;
}

TEST(TokenTest, RoundTripsEveryLengthAcrossTheInlineBoundary) {
  std::string text;
  for (size_t len = 0; len <= 300; ++len) {
    Token t(text);
    EXPECT_EQ(t.view(), text);
    EXPECT_EQ(t.is_inline(), len <= Token::kInlineMax) << len;
    text.push_back(static_cast<char>('a' + len % 26));
  }
}

TEST(TokenTest, KeepsArbitraryBytesIncludingNul) {
  const std::string bytes("a\0b\xff\x80", 5);
  EXPECT_EQ(Token(bytes).view(), bytes);
  const std::string long_bytes = bytes + bytes + bytes;
  EXPECT_EQ(Token(long_bytes).view(), long_bytes);
}

TEST(TokenTest, LongTokensWithMultiByteLengthPrefix) {
  const std::string big(100000, 'x');
  Token t(big);
  EXPECT_FALSE(t.is_inline());
  EXPECT_EQ(t.view(), big);
}

TEST(TokenTest, MoveTransfersOwnership) {
  Token a(std::string(40, 'q'));
  Token b(std::move(a));
  EXPECT_EQ(b.view(), std::string(40, 'q'));
  EXPECT_EQ(a.view(), "");  // NOLINT(bugprone-use-after-move): moved-from is empty
  Token c("short");
  c = std::move(b);
  EXPECT_EQ(c.view(), std::string(40, 'q'));
  Token d(std::string(9, 'z'));
  d = Token("x");
  EXPECT_EQ(d.view(), "x");
}

TEST(TokenTest, MapLooksUpByStringView) {
  LiteralMap map;
  map.insert(LiteralChild{Token("orders"), Node{}});
  map.insert(LiteralChild{Token("a-rather-long-token-name"), Node{}});
  EXPECT_NE(map.find(Key("orders")), map.end());
  EXPECT_NE(map.find(Key("a-rather-long-token-name")), map.end());
  EXPECT_EQ(map.find(Key("order")), map.end());
  EXPECT_EQ(map.find(Key("a-rather-long-token-namE")), map.end());
}

TEST(SubsHandleTest, SinglePlainUsesTheOneWordForm) {
  SubsHandle h;
  EXPECT_TRUE(h.empty());
  auto a = Sub("foo");
  EXPECT_TRUE(h.Add(a));
  EXPECT_TRUE(h.is_single());
  EXPECT_FALSE(h.Add(a));  // same object twice
  SublistResult r;
  h.AppendTo(&r);
  ASSERT_EQ(r.plain.size(), 1u);
  EXPECT_EQ(r.plain[0], a);
  EXPECT_FALSE(h.Remove(Sub("foo").get()));
  EXPECT_TRUE(h.Remove(a.get()));
  EXPECT_TRUE(h.empty());
  EXPECT_FALSE(h.Remove(a.get()));
}

TEST(SubsHandleTest, GrowsAndShrinksBetweenForms) {
  SubsHandle h;
  auto a = Sub("foo");
  auto b = Sub("foo");
  auto q1 = Sub("foo", "workers");
  auto q2 = Sub("foo", "workers");
  auto r1 = Sub("foo", "readers");
  ASSERT_TRUE(h.Add(a));
  ASSERT_TRUE(h.Add(b));
  EXPECT_FALSE(h.is_single());
  EXPECT_FALSE(h.Add(a));
  ASSERT_TRUE(h.Add(q1));
  ASSERT_TRUE(h.Add(q2));
  ASSERT_TRUE(h.Add(r1));
  EXPECT_FALSE(h.Add(q2));

  SublistResult r;
  h.AppendTo(&r);
  EXPECT_EQ(r.plain.size(), 2u);
  ASSERT_EQ(r.queue_groups.size(), 2u);
  for (const QueueGroup& g : r.queue_groups) {
    EXPECT_EQ(g.members.size(), g.name == "workers" ? 2u : 1u);
  }

  EXPECT_TRUE(h.Remove(b.get()));
  EXPECT_FALSE(h.is_single());  // queue groups remain
  EXPECT_FALSE(h.Remove(Sub("foo", "workers").get()));
  EXPECT_FALSE(h.Remove(Sub("foo", "nobody").get()));
  EXPECT_TRUE(h.Remove(q1.get()));
  EXPECT_TRUE(h.Remove(q2.get()));
  EXPECT_TRUE(h.Remove(r1.get()));
  EXPECT_TRUE(h.is_single());  // back to the one-word form with `a`
  r = SublistResult();
  h.AppendTo(&r);
  ASSERT_EQ(r.plain.size(), 1u);
  EXPECT_EQ(r.plain[0], a);
  EXPECT_TRUE(h.Remove(a.get()));
  EXPECT_TRUE(h.empty());
}

TEST(SubsHandleTest, QueueOnlyNodeAndMoves) {
  SubsHandle h;
  auto q = Sub("foo", "g");
  ASSERT_TRUE(h.Add(q));
  EXPECT_FALSE(h.is_single());
  SubsHandle moved(std::move(h));
  EXPECT_TRUE(h.empty());  // NOLINT(bugprone-use-after-move)
  SublistResult r;
  moved.AppendTo(&r);
  ASSERT_EQ(r.queue_groups.size(), 1u);
  EXPECT_EQ(r.queue_groups[0].name, "g");
  SubsHandle other;
  ASSERT_TRUE(other.Add(Sub("bar")));
  other = std::move(moved);
  EXPECT_FALSE(other.is_single());
  EXPECT_TRUE(other.Remove(q.get()));
  EXPECT_TRUE(other.empty());
}

TEST(LevelTest, ChildrenComeAndGo) {
  Level level;
  EXPECT_TRUE(level.empty());
  EXPECT_EQ(FindChild(&level, "a"), nullptr);
  EXPECT_EQ(FindChild(&level, "*"), nullptr);
  Node* a = FindOrAddChild(&level, "a");
  ASSERT_TRUE(a->subs.Add(Sub("a")));
  Node* pwc = FindOrAddChild(&level, "*");
  EXPECT_EQ(pwc, &level.pwc);
  EXPECT_EQ(FindChild(&level, "*"), nullptr);  // an empty wildcard slot is absent
  EXPECT_EQ(ChildSlot(&level, "*"), &level.pwc);
  auto s = Sub("*");
  ASSERT_TRUE(pwc->subs.Add(s));
  EXPECT_EQ(FindChild(&level, "*"), &level.pwc);
  EXPECT_EQ(FindLiteral(&level, "*"), nullptr);  // wildcards never sit in the literal map
  EXPECT_EQ(FindChild(&level, "a"), a);

  ASSERT_TRUE(pwc->subs.Remove(s.get()));
  EraseChild(&level, "*");
  a->subs = SubsHandle();
  EraseChild(&level, "a");
  EXPECT_TRUE(level.empty());
  EXPECT_EQ(level.literal, nullptr);  // a drained map is freed
}

// Through the public API: wildcard nodes that end one pattern and continue another are pruned
// only when both are gone, and removing a never-inserted pattern on that path changes nothing.
TEST(PruningTest, WildcardNodesWithChildrenSurviveUntilEmpty) {
  Sublist sl(0);
  auto star = Sub("a.*");
  auto star_b = Sub("a.*.b");
  auto fwc = Sub("a.>");
  auto lit = Sub("a.x.b");
  for (const auto& s : {star, star_b, fwc, lit}) {
    ASSERT_TRUE(sl.Insert(s));
  }
  EXPECT_EQ(sl.Match("a.x.b")->plain.size(), 3u);  // a.*.b, a.>, a.x.b
  EXPECT_FALSE(sl.Remove(Sub("a.*")));             // same subject, different object
  EXPECT_FALSE(sl.Remove(Sub("a.*.c")));
  ASSERT_TRUE(sl.Remove(star));
  EXPECT_EQ(sl.Match("a.x")->plain.size(), 1u);  // a.> only
  EXPECT_EQ(sl.Match("a.y.b")->plain.size(), 2u);
  ASSERT_TRUE(sl.Remove(star_b));
  EXPECT_EQ(sl.Match("a.y.b")->plain.size(), 1u);
  ASSERT_TRUE(sl.Remove(fwc));
  EXPECT_TRUE(sl.Match("a.y.b")->empty());
  EXPECT_EQ(sl.Match("a.x.b")->plain.size(), 1u);
  ASSERT_TRUE(sl.Remove(lit));
  EXPECT_TRUE(sl.Match("a.x.b")->empty());
  EXPECT_EQ(sl.count(), 0u);
  // Everything pruned: inserting again works from scratch.
  ASSERT_TRUE(sl.Insert(star_b));
  EXPECT_EQ(sl.Match("a.q.b")->plain.size(), 1u);
}

// Long tokens (heap Tokens) and a subject of one huge token behave like short ones.
TEST(PruningTest, LongTokensInsertMatchRemove) {
  Sublist sl;
  const std::string big(5000, 'k');
  auto a = Sub("svc." + big + ".*");
  auto b = Sub(big);
  ASSERT_TRUE(sl.Insert(a));
  ASSERT_TRUE(sl.Insert(b));
  EXPECT_EQ(sl.Match("svc." + big + ".x")->plain.size(), 1u);
  EXPECT_EQ(sl.Match(big)->plain.size(), 1u);
  EXPECT_TRUE(sl.Match("svc." + big.substr(1) + ".x")->empty());
  ASSERT_TRUE(sl.Remove(a));
  ASSERT_TRUE(sl.Remove(b));
  EXPECT_TRUE(sl.Match(big)->empty());
}

}  // namespace
}  // namespace lattice::sublist::internal
