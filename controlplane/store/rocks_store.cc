#include "controlplane/store/rocks_store.h"

#include <atomic>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "rocksdb/db.h"
#include "rocksdb/utilities/checkpoint.h"
#include "rocksdb/write_batch.h"

#include "common/base/mutex.h"
#include "common/base/status_macros.h"

namespace lattice::store {
namespace {

constexpr char kRevisionKey[] = "revision";
constexpr char kAuditFamily[] = "audit";

// rocksdb::Status stays inside store/: everything above sees absl::Status.
absl::Status FromRocks(const rocksdb::Status& status, std::string_view what) {
  if (status.ok())
    return absl::OkStatus();
  // Debian's Abseil has its own string_view, so std::string_view goes through std::string.
  const std::string message = absl::StrCat(std::string(what), ": ", status.ToString());
  if (status.IsNotFound())
    return absl::NotFoundError(message);
  if (status.IsInvalidArgument())
    return absl::InvalidArgumentError(message);
  if (status.IsIOError())
    return absl::UnavailableError(message);
  return absl::InternalError(message);
}

// Big-endian so the audit family iterates in revision order.
std::string EncodeRevision(uint64_t revision) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(revision & 0xff);
    revision >>= 8;
  }
  return out;
}

uint64_t DecodeRevision(std::string_view bytes) {
  uint64_t revision = 0;
  for (unsigned char byte : bytes.substr(0, 8))
    revision = (revision << 8) | byte;
  return revision;
}

std::string EncodeAudit(const Batch& batch) {
  nlohmann::json changed = nlohmann::json::array();
  for (const Mutation& m : batch.mutations) {
    changed.push_back(absl::StrCat(m.value ? "" : "-", std::string(KindName(m.kind)), "/", m.key));
  }
  return nlohmann::json{{"actor", batch.actor},
                        {"reason", batch.reason},
                        {"unix_nanos", batch.unix_nanos},
                        {"changed", changed}}
      .dump();
}

AuditRecord DecodeAudit(uint64_t revision, std::string_view bytes) {
  AuditRecord record;
  record.revision = revision;
  const nlohmann::json json = nlohmann::json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object())
    return record;  // written by us; a damaged record keeps its revision
  record.actor = json.value("actor", "");
  record.reason = json.value("reason", "");
  record.unix_nanos = json.value("unix_nanos", int64_t{0});
  if (json.contains("changed") && json["changed"].is_array()) {
    for (const auto& name : json["changed"]) {
      if (name.is_string())
        record.changed.push_back(name.get<std::string>());
    }
  }
  return record;
}

}  // namespace

std::string_view KindName(Kind kind) {
  switch (kind) {
    case Kind::kOperator:
      return "operator";
    case Kind::kAccount:
      return "account";
    case Kind::kCluster:
      return "cluster";
    case Kind::kNode:
      return "node";
    case Kind::kGateway:
      return "gateway";
    case Kind::kLeafRemote:
      return "leaf_remote";
    case Kind::kSigningKey:
      return "signing_key";
    case Kind::kReplica:
      return "replica";
  }
  return "unknown";
}

struct RocksStore::State {
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;  // [0] default, then kAllKinds, then audit
  rocksdb::ColumnFamilyHandle* audit = nullptr;
  std::atomic<uint64_t> revision{0};
  Durability durability = Durability::kSynced;
  Mutex apply_mu;  // serialises Apply so the revision check and the write are one step

  rocksdb::ColumnFamilyHandle* Family(Kind kind) const {
    return handles[1 + static_cast<size_t>(kind)];
  }
  ~State() {
    for (auto* handle : handles)
      db->DestroyColumnFamilyHandle(handle);
  }
};

RocksStore::RocksStore(std::unique_ptr<State> state) : state_(std::move(state)) {}
RocksStore::~RocksStore() = default;

absl::StatusOr<std::unique_ptr<RocksStore>> RocksStore::Open(const std::string& dir,
                                                             Durability durability) {
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  families.emplace_back(rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions());
  for (Kind kind : kAllKinds) {
    families.emplace_back(std::string(KindName(kind)), rocksdb::ColumnFamilyOptions());
  }
  families.emplace_back(kAuditFamily, rocksdb::ColumnFamilyOptions());

  auto state = std::make_unique<State>();
  state->durability = durability;
  rocksdb::DB* db = nullptr;
  LATTICE_RETURN_IF_ERROR(
      FromRocks(rocksdb::DB::Open(db_options, dir, families, &state->handles, &db), "open " + dir));
  state->db.reset(db);
  state->audit = state->handles.back();

  std::string stored;
  const rocksdb::Status status =
      db->Get(rocksdb::ReadOptions(), state->handles[0], kRevisionKey, &stored);
  if (status.ok()) {
    state->revision = DecodeRevision(stored);
  } else if (!status.IsNotFound()) {
    return FromRocks(status, "read revision");
  }
  return std::unique_ptr<RocksStore>(new RocksStore(std::move(state)));
}

absl::Status RocksStore::Apply(const Batch& batch) {
  MutexLock lock(&state_->apply_mu);
  const uint64_t current = state_->revision.load();
  if (batch.revision != current + 1) {
    return absl::FailedPreconditionError(
        absl::StrCat("batch revision ", batch.revision, " does not follow ", current));
  }
  rocksdb::WriteBatch write;
  for (const Mutation& m : batch.mutations) {
    if (m.value) {
      write.Put(state_->Family(m.kind), m.key, *m.value);
    } else {
      write.Delete(state_->Family(m.kind), m.key);
    }
  }
  write.Put(state_->audit, EncodeRevision(batch.revision), EncodeAudit(batch));
  write.Put(state_->handles[0], kRevisionKey, EncodeRevision(batch.revision));
  rocksdb::WriteOptions options;
  // Either this write survives a crash by itself, or the Raft log brings it back.
  options.sync = state_->durability == Durability::kSynced;
  LATTICE_RETURN_IF_ERROR(FromRocks(state_->db->Write(options, &write), "apply"));
  state_->revision = batch.revision;
  return absl::OkStatus();
}

uint64_t RocksStore::revision() const {
  return state_->revision.load();
}

absl::StatusOr<std::optional<std::string>> RocksStore::Get(Kind kind, std::string_view key) const {
  std::string value;
  const rocksdb::Status status =
      state_->db->Get(rocksdb::ReadOptions(), state_->Family(kind), rocksdb::Slice(key), &value);
  if (status.IsNotFound())
    return std::optional<std::string>();
  LATTICE_RETURN_IF_ERROR(FromRocks(status, "get"));
  return std::optional<std::string>(std::move(value));
}

absl::StatusOr<std::vector<Entry>> RocksStore::List(Kind kind, std::string_view after,
                                                    size_t limit) const {
  std::vector<Entry> entries;
  std::unique_ptr<rocksdb::Iterator> it(
      state_->db->NewIterator(rocksdb::ReadOptions(), state_->Family(kind)));
  if (after.empty()) {
    it->SeekToFirst();
  } else {
    it->Seek(rocksdb::Slice(after));
    if (it->Valid() && it->key() == rocksdb::Slice(after))
      it->Next();
  }
  for (; it->Valid() && entries.size() < limit; it->Next()) {
    entries.push_back(Entry{it->key().ToString(), it->value().ToString()});
  }
  LATTICE_RETURN_IF_ERROR(FromRocks(it->status(), "list"));
  return entries;
}

absl::StatusOr<std::vector<AuditRecord>> RocksStore::Audit(uint64_t after, size_t limit) const {
  std::vector<AuditRecord> records;
  std::unique_ptr<rocksdb::Iterator> it(
      state_->db->NewIterator(rocksdb::ReadOptions(), state_->audit));
  for (it->Seek(EncodeRevision(after + 1)); it->Valid() && records.size() < limit; it->Next()) {
    records.push_back(
        DecodeAudit(DecodeRevision(it->key().ToStringView()), it->value().ToStringView()));
  }
  LATTICE_RETURN_IF_ERROR(FromRocks(it->status(), "audit"));
  return records;
}

absl::Status RocksStore::Checkpoint(const std::string& dir) const {
  rocksdb::Checkpoint* raw = nullptr;
  LATTICE_RETURN_IF_ERROR(
      FromRocks(rocksdb::Checkpoint::Create(state_->db.get(), &raw), "checkpoint"));
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  return FromRocks(checkpoint->CreateCheckpoint(dir), "checkpoint " + dir);
}

}  // namespace lattice::store
