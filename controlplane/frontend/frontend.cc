// Frontend infrastructure: commit, refusal policy, audit and the change feed.
#include "controlplane/frontend/frontend.h"

#include <chrono>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

#include "common/base/status_macros.h"
#include "controlplane/frontend/stored.h"

namespace lattice::frontend {

int64_t SystemNowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Frontend::Frontend(store::Store* store, const accounts::KeyVault* vault, NowFn now)
    : store_(store), vault_(vault), now_(std::move(now)), notifier_(store->revision()) {}

absl::StatusOr<uint64_t> Frontend::Commit(store::Batch batch) {
  batch.revision = store_->revision() + 1;
  batch.unix_nanos = now_();
  const uint64_t stamped = meta_revision_;
  meta_revision_ = 0;
  if (stamped != 0 && stamped != batch.revision) {
    absl::Status moved =
        absl::UnavailableError(absl::StrCat("the store moved to revision ", batch.revision - 1,
                                            " while the write was validated; retry"));
    moved.SetPayload(store::kRetryPayload, absl::Cord("1"));
    return moved;
  }
  LATTICE_RETURN_IF_ERROR(store_->Apply(batch));
  notifier_.Publish(batch.revision);
  return batch.revision;
}

v1::Meta Frontend::NextMeta(const std::string& actor) const {
  v1::Meta meta;
  meta_revision_ = store_->revision() + 1;
  meta.set_revision(meta_revision_);
  meta.set_updated_unix_nanos(now_());
  meta.set_updated_by(actor);
  return meta;
}

absl::Status Frontend::RefuseOnErrors(const v1::Plan& plan) const {
  if (plan.errors().empty())
    return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("validation failed: ", absl::StrJoin(plan.errors(), "; ")));
}

absl::StatusOr<v1::ListAuditResponse> Frontend::ListAudit(const v1::ListAuditRequest& req) const {
  size_t limit = req.limit() == 0 ? 100 : std::min<size_t>(req.limit(), 1000);
  LATTICE_ASSIGN_OR_RETURN(auto records, store_->Audit(req.after_revision(), limit));
  v1::ListAuditResponse out;
  for (const auto& r : records) {
    v1::AuditEntry* e = out.add_entries();
    e->set_revision(r.revision);
    e->set_actor(r.actor);
    e->set_reason(r.reason);
    e->set_unix_nanos(r.unix_nanos);
    for (const auto& c : r.changed)
      e->add_changed(c);
  }
  return out;
}

namespace {

// Fills the event's resource from the stored value; returns the object's own revision.
absl::StatusOr<uint64_t> FillResource(store::Kind kind, const std::string& value,
                                      v1::WatchEvent* event) {
  bool ok = false;
  uint64_t revision = 0;
  switch (kind) {
    case store::Kind::kOperator:
      ok = event->mutable_operator_()->ParseFromString(value);
      revision = event->operator_().meta().revision();
      break;
    case store::Kind::kAccount:
      ok = event->mutable_account()->ParseFromString(value);
      revision = event->account().meta().revision();
      break;
    case store::Kind::kCluster:
      ok = event->mutable_cluster()->ParseFromString(value);
      revision = event->cluster().meta().revision();
      break;
    case store::Kind::kNode:
      ok = event->mutable_node()->ParseFromString(value);
      revision = event->node().meta().revision();
      break;
    case store::Kind::kGateway:
      ok = event->mutable_gateway()->ParseFromString(value);
      revision = event->gateway().meta().revision();
      break;
    case store::Kind::kLeafRemote:
      ok = event->mutable_leaf_remote()->ParseFromString(value);
      revision = event->leaf_remote().meta().revision();
      break;
    case store::Kind::kSigningKey:
      return absl::InternalError("signing keys are never watched");
    case store::Kind::kReplica:
      return absl::InternalError("replica records are never watched");
  }
  if (!ok)
    return absl::DataLossError("stored value does not parse");
  return revision;
}

std::optional<store::Kind> KindFromName(std::string_view name) {
  for (store::Kind kind : store::kAllKinds) {
    if (store::KindName(kind) == name)
      return kind;
  }
  return std::nullopt;
}

}  // namespace

absl::StatusOr<std::vector<v1::WatchEvent>> Frontend::ReadChanges(
    uint64_t after, const std::vector<std::string>& kinds, size_t limit, uint64_t* scanned) const {
  *scanned = after;
  LATTICE_ASSIGN_OR_RETURN(auto records, store_->Audit(after, limit));
  std::vector<v1::WatchEvent> events;
  for (const store::AuditRecord& record : records) {
    *scanned = record.revision;
    for (std::string name : record.changed) {
      bool deletion = !name.empty() && name[0] == '-';
      if (deletion)
        name.erase(0, 1);
      size_t slash = name.find('/');
      if (slash == std::string::npos)
        continue;
      std::string kind_name = name.substr(0, slash);
      std::string key = name.substr(slash + 1);
      std::optional<store::Kind> kind = KindFromName(kind_name);
      if (!kind || *kind == store::Kind::kSigningKey || *kind == store::Kind::kReplica)
        continue;
      if (!kinds.empty() && std::find(kinds.begin(), kinds.end(), kind_name) == kinds.end())
        continue;
      LATTICE_ASSIGN_OR_RETURN(std::optional<std::string> value, store_->Get(*kind, key));
      v1::WatchEvent event;
      event.set_revision(record.revision);
      event.set_kind(kind_name);
      event.set_key(key);
      if (!value.has_value()) {
        if (!deletion)
          continue;  // deleted later: that record reports it
        // Absent now: any later record touching the key is another deletion, and deletions
        // are idempotent for readers, so each one is reported.
        event.set_deleted(true);
        events.push_back(std::move(event));
        continue;
      }
      LATTICE_ASSIGN_OR_RETURN(uint64_t object_revision, FillResource(*kind, *value, &event));
      if (object_revision == record.revision)
        events.push_back(std::move(event));
    }
  }
  return events;
}

}  // namespace lattice::frontend
