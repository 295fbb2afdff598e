// InterestBatcher: snapshot sequencing and splitting, deltas carrying current weights.
#include "dataplane/interest/interest_batcher.h"

#include <map>
#include <string>
#include <tuple>

#include "gtest/gtest.h"

namespace lattice::interest {
namespace {

using Key = std::tuple<std::string, std::string, std::string>;

// A source over a plain map. Thread: the test's.
class MapSource : public InterestSource {
 public:
  uint32_t Weight(const InterestKey& key) const override {
    auto it = weights.find(Key(key.account, key.subject, key.queue));
    return it == weights.end() ? 0 : it->second;
  }
  void ForEach(absl::FunctionRef<void(const InterestKey&, uint32_t)> fn) const override {
    for (const auto& [key, weight] : weights) {
      if (weight > 0) {
        fn(InterestKey{std::get<0>(key), std::get<1>(key), std::get<2>(key)}, weight);
      }
    }
  }
  std::map<Key, uint32_t> weights;
};

std::map<Key, int32_t> Changes(const v1::InterestDelta& delta) {
  std::map<Key, int32_t> out;
  for (const auto& c : delta.changes()) {
    out[Key(c.account(), c.subject(), c.queue())] = c.weight();
  }
  return out;
}

TEST(InterestBatcher, SnapshotThenDeltasWithCurrentWeights) {
  InterestTracker tracker;
  MapSource source;
  source.weights[Key("A", "foo", "")] = 1;
  source.weights[Key("A", "work", "q")] = 3;
  source.weights[Key("B", "x.>", "")] = 1;
  tracker.MarkDirty("A", "stale", "");  // not tracking yet: ignored
  InterestBatcher batcher(&tracker, &source);

  std::vector<v1::InterestDelta> snapshot = batcher.Snapshot();
  ASSERT_EQ(snapshot.size(), 1u);
  EXPECT_TRUE(snapshot[0].snapshot());
  EXPECT_EQ(snapshot[0].sequence(), 1u);
  EXPECT_EQ(Changes(snapshot[0]),
            (std::map<Key, int32_t>{
                {Key("A", "foo", ""), 1}, {Key("A", "work", "q"), 3}, {Key("B", "x.>", ""), 1}}));
  EXPECT_TRUE(tracker.tracking());
  EXPECT_FALSE(batcher.NextDelta().has_value());  // nothing changed since

  // Two loops changed the group; the batcher reads the weight when it drains.
  tracker.MarkDirty("A", "work", "q");
  source.weights[Key("A", "work", "q")] = 5;
  tracker.MarkDirty("A", "work", "q");
  tracker.MarkDirty("A", "foo", "");
  source.weights.erase(Key("A", "foo", ""));
  auto delta = batcher.NextDelta();
  ASSERT_TRUE(delta.has_value());
  EXPECT_FALSE(delta->snapshot());
  EXPECT_EQ(delta->sequence(), 2u);
  EXPECT_EQ(Changes(*delta),
            (std::map<Key, int32_t>{{Key("A", "work", "q"), 5}, {Key("A", "foo", ""), 0}}));
  EXPECT_FALSE(batcher.NextDelta().has_value());

  // A resync: a snapshot with the next sequence, clearing what was pending.
  tracker.MarkDirty("B", "x.>", "");
  snapshot = batcher.Snapshot();
  ASSERT_EQ(snapshot.size(), 1u);
  EXPECT_TRUE(snapshot[0].snapshot());
  EXPECT_EQ(snapshot[0].sequence(), 3u);
  EXPECT_EQ(snapshot[0].changes_size(), 2);
  EXPECT_FALSE(batcher.NextDelta().has_value());
  EXPECT_EQ(batcher.sequence(), 3u);
}

TEST(InterestBatcher, LargeSnapshotsAndDeltasAreSplit) {
  InterestTracker tracker;
  MapSource source;
  for (int i = 0; i < 25; ++i) {
    source.weights[Key("A", "s." + std::to_string(i), "")] = 1;
  }
  InterestBatcher batcher(&tracker, &source, /*max_changes=*/10);
  std::vector<v1::InterestDelta> snapshot = batcher.Snapshot();
  ASSERT_EQ(snapshot.size(), 3u);
  std::map<Key, int32_t> all;
  for (size_t i = 0; i < snapshot.size(); ++i) {
    EXPECT_EQ(snapshot[i].snapshot(), i == 0);  // only the first replaces
    EXPECT_EQ(snapshot[i].sequence(), i + 1);
    EXPECT_LE(snapshot[i].changes_size(), 10);
    auto part = Changes(snapshot[i]);
    all.insert(part.begin(), part.end());
  }
  EXPECT_EQ(all.size(), 25u);

  for (int i = 0; i < 15; ++i) {
    tracker.MarkDirty("A", "s." + std::to_string(i), "");
  }
  auto first = batcher.NextDelta();
  auto second = batcher.NextDelta();
  ASSERT_TRUE(first.has_value() && second.has_value());
  EXPECT_EQ(first->changes_size(), 10);
  EXPECT_EQ(second->changes_size(), 5);
  EXPECT_EQ(first->sequence(), 4u);
  EXPECT_EQ(second->sequence(), 5u);
  EXPECT_FALSE(batcher.NextDelta().has_value());
}

TEST(InterestBatcher, EmptySnapshotIsStillSentAndWeightsAreClamped) {
  InterestTracker tracker;
  MapSource source;
  InterestBatcher batcher(&tracker, &source);
  std::vector<v1::InterestDelta> snapshot = batcher.Snapshot();
  ASSERT_EQ(snapshot.size(), 1u);  // clears whatever the control plane held
  EXPECT_TRUE(snapshot[0].snapshot());
  EXPECT_EQ(snapshot[0].changes_size(), 0);

  source.weights[Key("A", "big", "q")] = 0xFFFFFFFFu;
  tracker.MarkDirty("A", "big", "q");
  auto delta = batcher.NextDelta();
  ASSERT_TRUE(delta.has_value());
  EXPECT_EQ(delta->changes(0).weight(), 0x7FFFFFFF);
}

}  // namespace
}  // namespace lattice::interest
