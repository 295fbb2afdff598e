// MappingTable: an account's ordered subject mappings, applied to each inbound published subject.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"

#include "dataplane/mapping/weighted_mapping.h"

namespace lattice::mapping {

// The mappings of one account, in nats-server's order: the first mapping whose source matches a
// published subject wins. Adding a source that exists replaces it in place; removing one moves
// the last mapping into its slot (nats-server's order, kept so lookups agree).
//
// Built on the agent/config thread, then published read-only to the event loops (e.g. as a
// std::shared_ptr<const MappingTable>); Map() is const, lock-free and allocates only into `out`.
// Thread: mutators on one owner thread; Map() from any thread once the table is published.
class MappingTable {
 public:
  // `cluster` is this server's cluster name, which selects per-cluster destinations.
  explicit MappingTable(std::string cluster = {}) : cluster_(std::move(cluster)) {}

  // Compiles and adds (or replaces) the mapping for `source`. Errors as WeightedMapping::Create;
  // the table is unchanged on error.
  absl::Status Add(std::string_view source, const std::vector<MapDest>& dests);
  // Adds one 100%-weight destination (nats-server's AddMapping).
  absl::Status Add(std::string_view source, std::string_view destination);
  // Removes the mapping for `source`; false when there was none.
  bool Remove(std::string_view source);

  bool empty() const { return mappings_.empty(); }
  size_t size() const { return mappings_.size(); }

  // Maps a published subject. Returns false (and leaves `*out` alone) when no mapping's source
  // matches. Returns true when one does, with the new subject in `*out`; an empty `*out` means
  // the chosen destination is "drop" (weights below 100 with the source listed explicitly).
  // `roll` is a random number; `roll % 100` selects among weighted destinations.
  bool Map(std::string_view subject, uint32_t roll, std::string* out) const;

 private:
  void Reindex();

  std::string cluster_;
  std::vector<WeightedMapping> mappings_;
  // Candidate mappings (indexes into mappings_, in table order) by the subject's first token:
  // those whose source starts with that literal token merged with those whose first source
  // token can match anything ("*", ">", or "*x"). A first token not in the map can only hit
  // `any_first_token_`, which is empty in the common all-literal-prefix case.
  absl::flat_hash_map<std::string, std::vector<uint32_t>> by_first_token_;
  std::vector<uint32_t> any_first_token_;
};

}  // namespace lattice::mapping
