// InterestBatcher: snapshot walk, split and sequencing; delta drain with current weights.
#include "dataplane/interest/interest_batcher.h"

#include <algorithm>
#include <limits>

#include "common/base/check.h"

namespace lattice::interest {
namespace {

int32_t WireWeight(uint32_t weight) {
  return static_cast<int32_t>(
      std::min<uint32_t>(weight, static_cast<uint32_t>(std::numeric_limits<int32_t>::max())));
}

void AddChange(v1::InterestDelta* delta, const InterestKey& key, uint32_t weight) {
  v1::InterestChange* change = delta->add_changes();
  change->set_account(key.account);
  change->set_subject(key.subject);
  change->set_queue(key.queue);
  change->set_weight(WireWeight(weight));
}

}  // namespace

InterestBatcher::InterestBatcher(InterestTracker* tracker, const InterestSource* source,
                                 size_t max_changes)
    : tracker_(tracker), source_(source), max_changes_(std::max<size_t>(max_changes, 1)) {
  LATTICE_CHECK(tracker_ != nullptr && source_ != nullptr);
}

std::vector<v1::InterestDelta> InterestBatcher::Snapshot() {
  tracker_->SetTracking(true);  // clears: only changes from here on are deltas
  std::vector<v1::InterestDelta> out(1);
  out.back().set_sequence(++sequence_);
  out.back().set_snapshot(true);
  source_->ForEach([&](const InterestKey& key, uint32_t weight) {
    if (static_cast<size_t>(out.back().changes_size()) >= max_changes_) {
      out.emplace_back().set_sequence(++sequence_);
    }
    AddChange(&out.back(), key, weight);
  });
  return out;
}

std::optional<v1::InterestDelta> InterestBatcher::NextDelta() {
  std::vector<InterestKey> keys = tracker_->Drain(max_changes_);
  if (keys.empty()) {
    return std::nullopt;
  }
  v1::InterestDelta delta;
  delta.set_sequence(++sequence_);
  for (const InterestKey& key : keys) {
    // Read after the drain: a change racing this read marks the key again.
    AddChange(&delta, key, source_->Weight(key));
  }
  return delta;
}

}  // namespace lattice::interest
