// WeightedMapping: validation, remainder handling and weighted picking as nats-server does them.
#include "dataplane/mapping/weighted_mapping.h"

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

#include "dataplane/mapping/subject_syntax.h"

namespace lattice::mapping {
namespace {

// nats-server's transformTokenize: "foo.*.*" -> "foo.$1.$2", the identity destination.
std::string IdentityDestination(std::string_view source) {
  std::vector<std::string> out;
  int n = 0;
  SubjectInfo info = AnalyzeSubject(source);
  for (std::string_view t : info.tokens) {
    out.push_back(t == "*" ? absl::StrCat("$", ++n) : std::string(t));
  }
  return absl::StrJoin(out, ".");
}

// Go's %q for the ASCII subjects we see; other bytes escaped as \xNN.
std::string GoQuote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c >= 0x20 && c < 0x7F) {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppend(&out, "\\x", absl::Hex(c, absl::kZeroPad2));
    }
  }
  out.push_back('"');
  return out;
}

}  // namespace

absl::StatusOr<WeightedMapping> WeightedMapping::Create(std::string_view source,
                                                        const std::vector<MapDest>& dests) {
  if (!IsValidSubject(source)) {
    return absl::InvalidArgumentError(kBadSubject);
  }
  WeightedMapping m;
  m.source_ = std::string(source);
  SubjectInfo info = AnalyzeSubject(source);
  m.source_has_wildcard_ = info.partial_wildcards > 0 || info.full_wildcard;
  for (std::string_view t : info.tokens) {
    m.source_tokens_.emplace_back(t);
  }

  absl::flat_hash_set<std::string> seen;
  unsigned total = 0;
  for (const MapDest& d : dests) {
    if (!seen.insert(d.subject).second) {
      return absl::InvalidArgumentError(absl::StrCat("duplicate entry for ", GoQuote(d.subject)));
    }
    if (d.weight > 100) {
      return absl::InvalidArgumentError("individual weights need to be <= 100");
    }
    total += d.weight;
    if (total > 100) {
      return absl::InvalidArgumentError("total weight needs to be <= 100");
    }
    absl::StatusOr<SubjectTransform> t = SubjectTransform::Create(source, d.subject);
    if (!t.ok()) {
      return t.status();
    }
    ChoiceList& list = d.cluster.empty() ? m.dests_ : m.cluster_dests_[d.cluster];
    list.push_back(Choice{*std::move(t), d.weight});
  }
  const bool source_listed = seen.contains(m.source_);
  absl::Status st = Finish(source, source_listed, &m.dests_);
  if (!st.ok()) {
    return st;
  }
  for (auto& [cluster, list] : m.cluster_dests_) {
    st = Finish(source, source_listed, &list);
    if (!st.ok()) {
      return st;
    }
  }
  return m;
}

absl::Status WeightedMapping::Finish(std::string_view source, bool source_listed,
                                     ChoiceList* list) {
  unsigned sum = 0;
  for (const Choice& c : *list) {
    sum += c.cumulative_weight;
  }
  if (sum != 100 && !source_listed) {
    absl::StatusOr<SubjectTransform> identity =
        SubjectTransform::Create(source, IdentityDestination(source));
    if (!identity.ok()) {
      return identity.status();
    }
    uint8_t rest = list->empty() ? 100 : static_cast<uint8_t>(100 - sum);
    list->push_back(Choice{*std::move(identity), rest});
  }
  // Go's sort.Slice on these short lists is an insertion sort, hence stable.
  std::stable_sort(list->begin(), list->end(), [](const Choice& a, const Choice& b) {
    return a.cumulative_weight < b.cumulative_weight;
  });
  uint8_t running = 0;
  for (Choice& c : *list) {
    c.cumulative_weight = static_cast<uint8_t>(c.cumulative_weight + running);
    running = c.cumulative_weight;
  }
  return absl::OkStatus();
}

const SubjectTransform* WeightedMapping::PickFrom(const ChoiceList& list, uint32_t roll) {
  if (list.size() == 1 && list[0].cumulative_weight == 100) {
    return &list[0].transform;
  }
  const uint32_t w = roll % 100;
  for (const Choice& c : list) {
    if (w < c.cumulative_weight) {
      return &c.transform;
    }
  }
  return nullptr;
}

bool WeightedMapping::MatchTokens(absl::Span<const std::string_view> tokens) const {
  return IsSubsetMatch(tokens, source_tokens_);
}

const SubjectTransform* WeightedMapping::Pick(uint32_t roll, std::string_view cluster) const {
  if (!cluster_dests_.empty()) {
    auto it = cluster_dests_.find(Absl(cluster));
    if (it != cluster_dests_.end()) {
      return PickFrom(it->second, roll);
    }
  }
  return PickFrom(dests_, roll);
}

}  // namespace lattice::mapping
