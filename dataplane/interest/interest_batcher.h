// InterestBatcher: turns the tracker's dirty keys and the source's current weights into the
// sequenced NodeSync InterestDelta messages of one session (proto/.../node_sync.proto).
//
//   InterestBatcher batcher(&tracker, &source);       // one per NodeSync session
//   for (auto& m : batcher.Snapshot()) write(m);       // after Registered / InterestResync
//   while (auto delta = batcher.NextDelta()) write(*delta);
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "dataplane/interest/interest_tracker.h"
#include "lattice/control/v1/node_sync.pb.h"

namespace lattice::interest {

namespace v1 = ::lattice::control::v1;

// Owned by the agent's interest writer, one per session (sequences start again at 1).
// Thread: the writer only.
class InterestBatcher {
 public:
  // At most this many changes per message (a larger snapshot is split).
  static constexpr size_t kDefaultMaxChanges = 2000;

  InterestBatcher(InterestTracker* tracker, const InterestSource* source,
                  size_t max_changes = kDefaultMaxChanges);

  // A full snapshot with the next sequences: the first message has snapshot=true (it replaces
  // everything the control plane held for the node), any further ones are plain deltas with
  // the rest. The tracker starts tracking (and is cleared) before the walk, so keys changed
  // during or after it come out of NextDelta later; absolute weights make repeats harmless.
  // Always at least one message (an empty snapshot clears the node's interest).
  std::vector<v1::InterestDelta> Snapshot();

  // Up to max_changes dirty keys with their current weights, with the next sequence; nullopt
  // when nothing is dirty.
  std::optional<v1::InterestDelta> NextDelta();

  uint64_t sequence() const { return sequence_; }  // of the last message built

 private:
  InterestTracker* const tracker_;
  const InterestSource* const source_;
  const size_t max_changes_;
  uint64_t sequence_ = 0;
};

}  // namespace lattice::interest
