// WeightedMapping: one mapped source subject with weighted (optionally per-cluster) destinations.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

#include "dataplane/mapping/subject_transform.h"

namespace lattice::mapping {

// One configured destination, as in a `mappings {}` entry: `{dest: "x", weight: 40%}`.
struct MapDest {
  std::string subject;
  uint8_t weight = 100;
  std::string cluster;  // empty: applies to every cluster without its own list
};

// A source subject and its destinations, compiled. As in nats-server, when the weights of a
// destination list sum to less than 100 and the source is not itself listed, the source is added
// as an identity destination with the remainder ("unchanged"); when the source is listed, the
// remainder means the message is dropped. Lists are sorted by weight (stable) and made
// cumulative, and a roll in [0, 100) picks the first destination whose cumulative weight exceeds
// it. Owned by a MappingTable; immutable after Create. Thread: any (immutable).
class WeightedMapping {
 public:
  // Errors (nats-server's texts): "invalid subject" for a bad source, `duplicate entry for "x"`,
  // "individual weights need to be <= 100", "total weight needs to be <= 100" (summed over all
  // destinations, cluster ones included), then any SubjectTransform::Create error.
  static absl::StatusOr<WeightedMapping> Create(std::string_view source,
                                                const std::vector<MapDest>& dests);

  // The destination chosen by `roll` (taken mod 100) for a server in `cluster`: the cluster's own
  // list when it has one, else the default list. nullptr means "drop the message".
  const SubjectTransform* Pick(uint32_t roll, std::string_view cluster) const;

  // Whether the pre-tokenised subject falls under the source (nats-server's subset match).
  bool MatchTokens(absl::Span<const std::string_view> tokens) const;

  const std::string& source() const { return source_; }
  bool source_has_wildcard() const { return source_has_wildcard_; }

 private:
  struct Choice {
    SubjectTransform transform;
    uint8_t cumulative_weight;
  };
  using ChoiceList = std::vector<Choice>;

  WeightedMapping() = default;
  static absl::Status Finish(std::string_view source, bool source_listed, ChoiceList* list);
  static const SubjectTransform* PickFrom(const ChoiceList& list, uint32_t roll);

  std::string source_;
  std::vector<std::string> source_tokens_;
  bool source_has_wildcard_ = false;
  ChoiceList dests_;
  absl::flat_hash_map<std::string, ChoiceList> cluster_dests_;
};

}  // namespace lattice::mapping
