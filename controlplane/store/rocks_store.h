// Store on RocksDB: one column family per Kind, an "audit" family keyed by revision, and the
// applied revision kept in the default family so it commits atomically with each batch.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "controlplane/store/store.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
}  // namespace rocksdb

namespace lattice::store {

// How an applied batch reaches the disk.
enum class Durability : uint8_t {
  kSynced,       // fsync per batch: the store is the only record of an acknowledged write
  kLogReplayed,  // OS-buffered: a durable log (Raft) replays whatever a power loss drops,
                 // since entries above revision() are applied again at restart
};

// Owned by the control-plane process. Thread: any (RocksDB is thread-safe; Apply is serialised).
class RocksStore final : public Store {
 public:
  // Opens or creates the database in `dir`.
  static absl::StatusOr<std::unique_ptr<RocksStore>> Open(
      const std::string& dir, Durability durability = Durability::kSynced);
  ~RocksStore() override;

  absl::Status Apply(const Batch& batch) override;
  uint64_t revision() const override;
  absl::StatusOr<std::optional<std::string>> Get(Kind kind, std::string_view key) const override;
  absl::StatusOr<std::vector<Entry>> List(Kind kind, std::string_view after,
                                          size_t limit) const override;
  absl::StatusOr<std::vector<AuditRecord>> Audit(uint64_t after, size_t limit) const override;
  absl::Status Checkpoint(const std::string& dir) const override;

 private:
  struct State;
  explicit RocksStore(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace lattice::store
