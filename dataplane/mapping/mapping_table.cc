// MappingTable: first-match lookup over an account's mappings with a first-token fast reject.
#include "dataplane/mapping/mapping_table.h"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"

#include "dataplane/mapping/subject_syntax.h"

namespace lattice::mapping {

absl::Status MappingTable::Add(std::string_view source, const std::vector<MapDest>& dests) {
  absl::StatusOr<WeightedMapping> m = WeightedMapping::Create(source, dests);
  if (!m.ok()) {
    return m.status();
  }
  bool replaced = false;
  for (WeightedMapping& existing : mappings_) {
    if (existing.source() == source) {
      existing = *std::move(m);
      replaced = true;
      break;
    }
  }
  if (!replaced) {
    mappings_.push_back(*std::move(m));
  }
  Reindex();
  return absl::OkStatus();
}

absl::Status MappingTable::Add(std::string_view source, std::string_view destination) {
  return Add(source, std::vector<MapDest>{MapDest{std::string(destination), 100, ""}});
}

bool MappingTable::Remove(std::string_view source) {
  for (size_t i = 0; i < mappings_.size(); ++i) {
    if (mappings_[i].source() == source) {
      if (i + 1 != mappings_.size()) {
        mappings_[i] = std::move(mappings_.back());
      }
      mappings_.pop_back();
      Reindex();
      return true;
    }
  }
  return false;
}

namespace {

std::string_view FirstToken(std::string_view subject) {
  return subject.substr(0, subject.find('.'));
}

// A first source token starting with '*' ("*" itself, or nats-server's "*x" quirk) or ">" can
// match any first subject token.
bool MatchesAnyFirstToken(std::string_view first) {
  return !first.empty() && (first[0] == '*' || first == ">");
}

}  // namespace

void MappingTable::Reindex() {
  by_first_token_.clear();
  any_first_token_.clear();
  for (const WeightedMapping& m : mappings_) {
    std::string_view first = FirstToken(m.source());
    if (!MatchesAnyFirstToken(first)) {
      by_first_token_.try_emplace(Absl(first));
    }
  }
  for (uint32_t i = 0; i < mappings_.size(); ++i) {
    std::string_view first = FirstToken(mappings_[i].source());
    if (MatchesAnyFirstToken(first)) {
      any_first_token_.push_back(i);
      for (auto& [token, list] : by_first_token_) {
        list.push_back(i);
      }
    } else {
      by_first_token_.find(Absl(first))->second.push_back(i);
    }
  }
}

bool MappingTable::Map(std::string_view subject, uint32_t roll, std::string* out) const {
  if (mappings_.empty()) {
    return false;
  }
  auto it = by_first_token_.find(Absl(FirstToken(subject)));
  const std::vector<uint32_t>& candidates =
      it == by_first_token_.end() ? any_first_token_ : it->second;
  absl::InlinedVector<std::string_view, 32> tokens;
  const WeightedMapping* match = nullptr;
  for (uint32_t index : candidates) {
    const WeightedMapping& m = mappings_[index];
    // As nats-server: a literal source is compared as a string first, and every source then by
    // subset match (which for literal sources only differs through the '*x' token quirk).
    if (!m.source_has_wildcard() && m.source() == subject) {
      match = &m;
      break;
    }
    if (tokens.empty()) {
      TokenizeSubject(subject, &tokens);
    }
    if (m.MatchTokens(tokens)) {
      match = &m;
      break;
    }
  }
  if (match == nullptr) {
    return false;
  }
  const SubjectTransform* chosen = match->Pick(roll, cluster_);
  if (chosen == nullptr) {
    out->clear();
    return true;
  }
  if (tokens.empty()) {
    TokenizeSubject(subject, &tokens);
  }
  chosen->ApplyTokens(tokens, out);
  return true;
}

}  // namespace lattice::mapping
