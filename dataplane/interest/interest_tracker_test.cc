// InterestTracker: dirty/drain semantics, the batching wait, and loops racing the writer on
// one queue group of a real Sublist (the drained weights must end equal to the truth).
#include "dataplane/interest/interest_tracker.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"

#include "dataplane/sublist/sublist.h"

namespace lattice::interest {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;

InterestTracker::Options Opts(milliseconds delay, size_t eager) {
  InterestTracker::Options options;
  options.batch_delay = delay;
  options.eager_pending = eager;
  return options;
}

TEST(InterestTracker, IgnoresMarksWhileNotTracking) {
  InterestTracker tracker;
  tracker.MarkDirty("A", "foo", "");
  EXPECT_EQ(tracker.pending(), 0u);
  EXPECT_EQ(tracker.marks(), 0u);
  tracker.SetTracking(true);
  tracker.MarkDirty("A", "foo", "");
  EXPECT_EQ(tracker.pending(), 1u);
  tracker.SetTracking(false);  // clears, and stops tracking
  EXPECT_EQ(tracker.pending(), 0u);
  tracker.MarkDirty("A", "foo", "");
  EXPECT_EQ(tracker.pending(), 0u);
}

TEST(InterestTracker, DeduplicatesKeysAndDrainsInBatches) {
  InterestTracker tracker;
  tracker.SetTracking(true);
  tracker.MarkDirty("A", "foo", "");
  tracker.MarkDirty("A", "foo", "");
  tracker.MarkDirty("A", "foo", "q");  // the queue is part of the key
  tracker.MarkDirty("B", "foo", "");   // and so is the account
  tracker.MarkDirty("A", "bar", "");
  EXPECT_EQ(tracker.pending(), 4u);
  EXPECT_EQ(tracker.marks(), 5u);

  std::vector<InterestKey> first = tracker.Drain(3);
  EXPECT_EQ(first.size(), 3u);
  EXPECT_EQ(tracker.pending(), 1u);
  std::vector<InterestKey> rest = tracker.Drain(3);
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_TRUE(tracker.Drain(3).empty());

  std::vector<std::tuple<std::string, std::string, std::string>> all;
  for (const auto& keys : {first, rest}) {
    for (const InterestKey& key : keys) {
      all.emplace_back(key.account, key.subject, key.queue);
    }
  }
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, (std::vector<std::tuple<std::string, std::string, std::string>>{
                     {"A", "bar", ""}, {"A", "foo", ""}, {"A", "foo", "q"}, {"B", "foo", ""}}));
  // A key drained is dirty again when marked again.
  tracker.MarkDirty("A", "foo", "");
  EXPECT_EQ(tracker.pending(), 1u);
}

TEST(InterestTracker, StartingToTrackClearsWhatWasPending) {
  InterestTracker tracker;
  tracker.SetTracking(true);
  tracker.MarkDirty("A", "foo", "");
  tracker.SetTracking(true);  // a new snapshot: what was dirty is in it
  EXPECT_EQ(tracker.pending(), 0u);
}

TEST(InterestTracker, InterruptWakesTheWaiterOnce) {
  InterestTracker tracker(Opts(hours(1), 1000));
  tracker.SetTracking(true);
  tracker.Interrupt();
  EXPECT_TRUE(tracker.WaitForBatch());  // returns at once, consuming the interrupt
  // From another thread, while the writer waits with nothing pending.
  std::thread waker([&] { tracker.Interrupt(); });
  EXPECT_TRUE(tracker.WaitForBatch());
  waker.join();
}

TEST(InterestTracker, EagerThresholdMakesABatchDueAtOnce) {
  InterestTracker tracker(Opts(hours(1), 3));  // the delay alone would never end the wait
  tracker.SetTracking(true);
  tracker.MarkDirty("A", "a", "");
  tracker.MarkDirty("A", "b", "");
  std::thread marker([&] { tracker.MarkDirty("A", "c", ""); });
  EXPECT_FALSE(tracker.WaitForBatch());  // due: three pending
  marker.join();
  EXPECT_EQ(tracker.Drain(10).size(), 3u);
}

TEST(InterestTracker, ZeroDelayBatchIsDueAsSoonAsAnythingIsPending) {
  InterestTracker tracker(Opts(milliseconds(0), 1000));
  tracker.SetTracking(true);
  std::thread marker([&] { tracker.MarkDirty("A", "a", ""); });
  EXPECT_FALSE(tracker.WaitForBatch());
  marker.join();
  EXPECT_EQ(tracker.pending(), 1u);
}

TEST(InterestTracker, LeftoverAfterAPartialDrainIsDueAtOnce) {
  InterestTracker tracker(Opts(hours(1), 1000));
  tracker.SetTracking(true);
  tracker.MarkDirty("A", "a", "");
  tracker.MarkDirty("A", "b", "");
  EXPECT_EQ(tracker.Drain(1).size(), 1u);
  EXPECT_FALSE(tracker.WaitForBatch());  // no hour-long wait for the rest
}

// A loop's side of reporting, as ClientSession does it: change the index, and mark the key
// dirty when the index says the interest changed.
struct Sub : sublist::Subscription {
  Sub(std::string s, std::string q) {
    subject = std::move(s);
    queue = std::move(q);
    local_interest = true;
  }
};

// Several "loops" join and leave one queue group (and flap one plain subject) while a writer
// drains and reads current weights, as the agent does. Whatever the interleaving, the last
// weight the writer read for each key must equal the index's final truth.
TEST(InterestTracker, ConcurrentLoopsAndWriterConvergeToTheTruth) {
  constexpr int kLoops = 4;
  constexpr int kRounds = 3000;
  sublist::Sublist index;
  InterestTracker tracker(Opts(milliseconds(1), 64));
  tracker.SetTracking(true);

  std::map<std::pair<std::string, std::string>, uint32_t> reported;
  std::atomic<bool> loops_done{false};
  std::thread writer([&] {
    while (true) {
      const bool interrupted = tracker.WaitForBatch();
      for (const InterestKey& key : tracker.Drain(100)) {
        EXPECT_EQ(key.account, "A");
        reported[{key.subject, key.queue}] = index.InterestAt(key.subject, key.queue);
      }
      if (interrupted && loops_done.load()) {
        break;
      }
    }
    // Whatever was marked before the loops finished is still pending or already read.
    while (tracker.pending() > 0) {
      for (const InterestKey& key : tracker.Drain(100)) {
        reported[{key.subject, key.queue}] = index.InterestAt(key.subject, key.queue);
      }
    }
  });

  std::vector<std::thread> loops;
  for (int t = 0; t < kLoops; ++t) {
    loops.emplace_back([&, t] {
      std::vector<std::shared_ptr<Sub>> mine;
      for (int i = 0; i < kRounds; ++i) {
        auto member = std::make_shared<Sub>("work", "q");
        bool changed = false;
        index.Insert(member, &changed);
        if (changed) {
          tracker.MarkDirty("A", "work", "q");
        }
        mine.push_back(member);
        if (i % 3 != 0) {  // leave about a third of them subscribed
          index.Remove(mine.back(), &changed);
          if (changed) {
            tracker.MarkDirty("A", "work", "q");
          }
          mine.pop_back();
        }
        auto plain = std::make_shared<Sub>("flap", "");
        index.Insert(plain, &changed);
        if (changed) {
          tracker.MarkDirty("A", "flap", "");
        }
        if (t != 0 || i + 1 < kRounds) {  // loop 0 leaves its very last one
          index.Remove(plain, &changed);
          if (changed) {
            tracker.MarkDirty("A", "flap", "");
          }
        }
      }
      // Keep `mine` alive: the index holds them too, the weights do not depend on it.
    });
  }
  for (auto& loop : loops) {
    loop.join();
  }
  loops_done.store(true);
  tracker.Interrupt();
  writer.join();

  const uint32_t truth = index.InterestAt("work", "q");
  EXPECT_EQ(truth, static_cast<uint32_t>(kLoops * ((kRounds + 2) / 3)));
  EXPECT_EQ(reported[std::make_pair(std::string("work"), std::string("q"))], truth);
  EXPECT_EQ(index.InterestAt("flap", ""), 1u);
  EXPECT_EQ(reported[std::make_pair(std::string("flap"), std::string())], 1u);
}

}  // namespace
}  // namespace lattice::interest
