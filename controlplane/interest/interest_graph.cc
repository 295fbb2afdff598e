// InterestGraph: per-node sessions with sequence checks, and the per-account index queries walk.
#include "controlplane/interest/interest_graph.h"

#include <algorithm>
#include <chrono>
#include <string_view>

#include "absl/strings/str_cat.h"

#include "controlplane/accounts/subject.h"
#include "dataplane/sublist/sublist.h"

namespace lattice::interest {
namespace {

bool HasSpace(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\0';
  });
}

// A change a node may report: an account, a valid subject (wildcards allowed), a queue without
// whitespace, a weight >= 0.
bool ValidChange(const v1::InterestChange& c) {
  return !c.account().empty() && !HasSpace(c.account()) && accounts::IsValidSubject(c.subject()) &&
         !HasSpace(c.queue()) && c.weight() >= 0;
}

}  // namespace

int64_t SystemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void InterestGraph::Open(const std::string& node_id, const std::string& cluster, uint64_t session) {
  MutexLock lock(&mu_);
  auto it = nodes_.find(node_id);
  if (it != nodes_.end()) {
    if (it->second.session > session)
      return;  // a newer stream of the node opened first: this one is already stale
    DropEntriesLocked(node_id, it->second);
    nodes_.erase(it);
  }
  Session& s = nodes_[node_id];
  s.cluster = cluster;
  s.session = session;
  ++version_;
}

ApplyOutcome InterestGraph::Apply(const std::string& node_id, uint64_t session,
                                  const v1::InterestDelta& delta) {
  ApplyOutcome out;
  const int64_t now = now_();
  MutexLock lock(&mu_);
  auto it = nodes_.find(node_id);
  if (it == nodes_.end() || it->second.session != session)
    return out;  // kDropped: a stale stream's message
  Session& s = it->second;
  if (!delta.snapshot()) {
    if (s.resync_pending)
      return out;  // kDropped: the snapshot asked for is on its way
    if (!s.has_snapshot || delta.sequence() != s.sequence + 1) {
      out.reason = !s.has_snapshot ? absl::StrCat("delta ", delta.sequence(), " before a snapshot")
                                   : absl::StrCat("delta ", delta.sequence(), " after ", s.sequence,
                                                  ": sequence gap");
      DropEntriesLocked(node_id, s);
      s.has_snapshot = false;
      s.resync_pending = true;
      s.snapshot_ms = 0;  // nothing of the node's interest is known until the next snapshot
      s.updated_ms = now;
      ++version_;
      out.result = ApplyResult::kResync;
      return out;
    }
  } else {
    DropEntriesLocked(node_id, s);
    s.has_snapshot = true;
    s.resync_pending = false;
    s.snapshot_ms = now;
  }
  s.sequence = delta.sequence();
  s.updated_ms = now;
  bool changed = delta.snapshot();  // a snapshot always counts (it may have emptied the node)
  for (const v1::InterestChange& change : delta.changes()) {
    if (!ValidChange(change)) {
      ++out.rejected;
      continue;
    }
    changed = SetLocked(node_id, s, change) || changed;
  }
  if (changed)
    ++version_;
  out.result = ApplyResult::kApplied;
  return out;
}

void InterestGraph::Close(const std::string& node_id, uint64_t session) {
  MutexLock lock(&mu_);
  auto it = nodes_.find(node_id);
  if (it == nodes_.end() || it->second.session != session)
    return;
  DropEntriesLocked(node_id, it->second);
  nodes_.erase(it);
  ++version_;
}

uint64_t InterestGraph::version() const {
  MutexLock lock(&mu_);
  return version_;
}

void InterestGraph::DropEntriesLocked(const std::string& node_id, Session& s) {
  for (const auto& [key, weight] : s.entries) {
    const auto& [account, subject, queue] = key;
    auto index = by_account_.find(account);
    if (index == by_account_.end())
      continue;
    index->second.erase(IndexKey(subject, queue, node_id));
    if (index->second.empty())
      by_account_.erase(index);
  }
  s.entries.clear();
}

bool InterestGraph::SetLocked(const std::string& node_id, Session& s,
                              const v1::InterestChange& change) {
  NodeKey key(change.account(), change.subject(), change.queue());
  if (change.weight() == 0) {
    if (s.entries.erase(key) == 0)
      return false;
    auto index = by_account_.find(change.account());
    if (index != by_account_.end()) {
      index->second.erase(IndexKey(change.subject(), change.queue(), node_id));
      if (index->second.empty())
        by_account_.erase(index);
    }
    return true;
  }
  int32_t& weight = s.entries[key];
  if (weight == change.weight())
    return false;
  weight = change.weight();
  by_account_[change.account()][IndexKey(change.subject(), change.queue(), node_id)] =
      change.weight();
  return true;
}

absl::StatusOr<v1::QueryInterestResponse> InterestGraph::Query(
    const v1::QueryInterestRequest& req) const {
  if (!req.subject().empty() && !sublist::IsValidLiteralSubject(req.subject()))
    return absl::InvalidArgumentError(
        absl::StrCat("subject \"", req.subject(), "\" is not a literal subject"));
  const uint32_t limit =
      req.limit() == 0 ? kDefaultQueryLimit : std::min(req.limit(), kMaxQueryLimit);
  const bool any_subject = req.subject().empty();
  auto matches = [&](const std::string& pattern) {
    return any_subject || sublist::SubjectMatches(pattern, req.subject());
  };

  v1::QueryInterestResponse out;
  MutexLock lock(&mu_);
  // Adds one match; false once the limit is passed (the caller stops walking).
  // Runs only below, with mu_ held (the analysis cannot see through the lambda).
  auto add = [&](const std::string& node, const std::string& account, const std::string& subj,
                 const std::string& queue, int32_t weight) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    if (static_cast<uint32_t>(out.entries_size()) == limit) {
      out.set_truncated(true);
      return false;
    }
    v1::InterestEntry* e = out.add_entries();
    e->set_node_id(node);
    e->set_cluster(nodes_.at(node).cluster);
    e->set_account(account);
    e->set_subject(subj);
    e->set_queue(queue);
    e->set_weight(weight);
    return true;
  };

  if (!req.node_id().empty()) {
    // One node: its own table is already in (account, subject, queue) order.
    auto node = nodes_.find(req.node_id());
    if (node != nodes_.end()) {
      const auto& entries = node->second.entries;
      auto it = req.account().empty() ? entries.begin()
                                      : entries.lower_bound(NodeKey(req.account(), "", ""));
      for (; it != entries.end(); ++it) {
        const auto& [account, subj, queue] = it->first;
        if (!req.account().empty() && account != req.account())
          break;
        if (matches(subj) && !add(req.node_id(), account, subj, queue, it->second))
          break;
      }
    }
  } else {
    auto first = req.account().empty() ? by_account_.begin() : by_account_.find(req.account());
    auto last =
        req.account().empty() || first == by_account_.end() ? by_account_.end() : std::next(first);
    bool open = true;
    for (auto account = first; open && account != last; ++account) {
      for (const auto& [key, weight] : account->second) {
        const auto& [subj, queue, node] = key;
        if (matches(subj) && !(open = add(node, account->first, subj, queue, weight)))
          break;
      }
    }
  }

  for (const auto& [id, s] : nodes_) {
    v1::NodeInterestState* state = out.add_nodes();
    state->set_node_id(id);
    state->set_cluster(s.cluster);
    state->set_sequence(s.sequence);
    state->set_entries(s.entries.size());
    state->set_snapshot_unix_ms(s.snapshot_ms);
    state->set_updated_unix_ms(s.updated_ms);
  }
  out.set_graph_version(version_);
  return out;
}

}  // namespace lattice::interest
