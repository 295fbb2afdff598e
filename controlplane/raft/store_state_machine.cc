// StoreStateMachine: Raft entries applied to RocksStore with revision == Raft index.
#include "controlplane/raft/store_state_machine.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"

#include "common/base/check.h"
#include "common/base/log.h"
#include "common/base/status_macros.h"
#include "controlplane/raft/batch_codec.h"
#include "controlplane/raft/snapshot_archive.h"
#include "controlplane/store/rocks_store.h"

namespace lattice::raft {
namespace {

// No fsync per applied entry: libraft has already made the entry durable in its log, and an
// entry the store lost in a power failure is above revision() at restart, so it is applied
// again (or the snapshot is unpacked when the store fell behind one). Halves the fsyncs on the
// commit path of every write.
constexpr store::Durability kDurability = store::Durability::kLogReplayed;

constexpr char kCurrentFile[] = "CURRENT";
constexpr char kGenerationPrefix[] = "store-";

std::string GenerationDir(const std::string& dir, uint64_t generation) {
  return absl::StrCat(dir, "/", kGenerationPrefix, generation);
}

// A store that, once `retired` is set and its last reader lets go, closes and removes `path`.
std::shared_ptr<store::Store> OwnedStore(std::unique_ptr<store::RocksStore> store, std::string path,
                                         std::shared_ptr<std::atomic<bool>> retired) {
  return std::shared_ptr<store::Store>(store.release(), [path, retired](store::Store* s) {
    delete s;
    if (retired->load()) {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  });
}

// Writes `dir/CURRENT` = generation via a synced temp file and rename, then syncs the directory.
absl::Status WriteCurrent(const std::string& dir, uint64_t generation) {
  const std::string tmp = absl::StrCat(dir, "/", kCurrentFile, ".tmp");
  const std::string text = std::to_string(generation) + "\n";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || ::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size()) ||
      ::fsync(fd) != 0) {
    if (fd >= 0) {
      ::close(fd);
    }
    return absl::InternalError("write " + tmp);
  }
  ::close(fd);
  if (std::rename(tmp.c_str(), absl::StrCat(dir, "/", kCurrentFile).c_str()) != 0) {
    return absl::InternalError("rename " + tmp);
  }
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<StoreStateMachine>> StoreStateMachine::Open(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return absl::InternalError(absl::StrCat("create ", dir, ": ", ec.message()));
  }
  uint64_t generation = 0;
  std::ifstream current(absl::StrCat(dir, "/", kCurrentFile));
  if (current.is_open() && !(current >> generation)) {
    return absl::DataLossError(absl::StrCat(dir, "/", kCurrentFile, " is unreadable"));
  }
  // Generations other than the live one are leftovers of interrupted restores or snapshots.
  const std::string live_name = absl::StrCat(kGenerationPrefix, generation);
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (entry.is_directory() && name != live_name) {
      std::filesystem::remove_all(entry.path(), ec);
    }
  }
  LATTICE_ASSIGN_OR_RETURN(auto rocks,
                           store::RocksStore::Open(GenerationDir(dir, generation), kDurability));
  if (!current.is_open()) {
    LATTICE_RETURN_IF_ERROR(WriteCurrent(dir, generation));
  }
  auto retired = std::make_shared<std::atomic<bool>>(false);
  auto live = OwnedStore(std::move(rocks), GenerationDir(dir, generation), retired);
  return std::unique_ptr<StoreStateMachine>(
      new StoreStateMachine(dir, generation, std::move(live), std::move(retired)));
}

StoreStateMachine::StoreStateMachine(std::string dir, uint64_t generation,
                                     std::shared_ptr<store::Store> store,
                                     std::shared_ptr<std::atomic<bool>> retired)
    : dir_(std::move(dir)),
      generation_(generation),
      retired_(std::move(retired)),
      store_(std::move(store)) {
  last_write_ = live()->revision();
}

std::shared_ptr<const store::Store> StoreStateMachine::store() const {
  return live();
}

std::shared_ptr<store::Store> StoreStateMachine::live() const {
  MutexLock lock(&mu_);
  return store_;
}

absl::Status StoreStateMachine::Apply(uint64_t index, std::string_view command) {
  std::shared_ptr<store::Store> store = live();
  const uint64_t revision = store->revision();
  if (index <= revision) {
    return absl::OkStatus();  // replayed after a restart: already in the store
  }
  uint64_t validated_at = 0;
  bool exact = false;
  absl::StatusOr<store::Batch> batch = DecodeBatch(command, &validated_at, &exact);
  // Storage failures below would make this replica diverge from the others: stop the process so
  // the entry is applied again after a restart, rather than acknowledging a write we lost.
  auto fill_through = [&](uint64_t last) {
    for (uint64_t gap = store->revision() + 1; gap <= last; ++gap) {
      store::Batch filler;
      filler.revision = gap;
      filler.actor = "raft";
      filler.reason = "raft entry without a store command";
      absl::Status filled = store->Apply(filler);
      if (!filled.ok()) {
        LATTICE_LOG(kFatal) << "raft: store cannot record index " << gap << ": " << filled;
        std::abort();
      }
    }
  };
  fill_through(index - 1);
  absl::Status refused;
  if (!batch.ok()) {
    refused = batch.status();
  } else if (exact && index != validated_at + 1) {
    refused = absl::AbortedError(absl::StrCat("raft entry landed at index ", index,
                                              ", validated for ", validated_at + 1, "; retry"));
  } else if (validated_at != 0 && validated_at < last_write_) {
    refused = absl::AbortedError(absl::StrCat("store changed at revision ", last_write_,
                                              " after validation at ", validated_at, "; retry"));
  }
  if (!refused.ok()) {
    // A refused command's index is filled too, so the store's revision reaches the last index
    // and a proposer that validates again at revision() gets the very next slot.
    fill_through(index);
    Notify(index);
    return refused;
  }
  batch->revision = index;
  absl::Status applied = store->Apply(*batch);
  if (!applied.ok()) {
    LATTICE_LOG(kFatal) << "raft: store cannot apply index " << index << ": " << applied;
    std::abort();
  }
  last_write_ = index;
  Notify(index);
  return absl::OkStatus();
}

void StoreStateMachine::SetApplyListener(ApplyListener listener) {
  MutexLock lock(&listener_mu_);
  listener_ = std::move(listener);
}

void StoreStateMachine::Notify(uint64_t revision) {
  MutexLock lock(&listener_mu_);
  if (listener_ && revision > 0) {
    listener_(revision);
  }
}

absl::StatusOr<std::string> StoreStateMachine::Snapshot(uint64_t index) {
  const std::string scratch = absl::StrCat(dir_, "/snapshot-", generation_, "-", ++scratch_);
  std::error_code ec;
  std::filesystem::remove_all(scratch, ec);
  absl::Status made = live()->Checkpoint(scratch);
  absl::StatusOr<std::string> packed = made.ok() ? PackDirectory(scratch) : made;
  std::filesystem::remove_all(scratch, ec);
  return packed;
}

absl::Status StoreStateMachine::Restore(uint64_t index, std::string_view snapshot) {
  // The store only ever holds committed entries, and committed entries are the same on every
  // replica: a store already at or past `index` contains the snapshot's state. This is the normal
  // case at every restart (libraft restores its latest snapshot before replaying the log tail),
  // where unpacking the checkpoint again would only throw newer work away.
  if (const uint64_t revision = live()->revision(); revision >= index) {
    LATTICE_LOG(kInfo) << "raft: store at revision " << revision
                       << " already covers the snapshot at index " << index;
    return absl::OkStatus();
  }
  const uint64_t next = generation_ + 1;
  const std::string target = GenerationDir(dir_, next);
  std::error_code ec;
  std::filesystem::remove_all(target, ec);
  absl::Status unpacked = UnpackDirectory(snapshot, target);
  if (!unpacked.ok()) {
    std::filesystem::remove_all(target, ec);
    return unpacked;
  }
  absl::StatusOr<std::unique_ptr<store::RocksStore>> opened =
      store::RocksStore::Open(target, kDurability);
  if (!opened.ok()) {
    std::filesystem::remove_all(target, ec);
    return opened.status();
  }
  if ((*opened)->revision() > index) {
    std::filesystem::remove_all(target, ec);
    return absl::DataLossError(absl::StrCat("raft snapshot at index ", index,
                                            " holds store revision ", (*opened)->revision()));
  }
  LATTICE_RETURN_IF_ERROR(WriteCurrent(dir_, next));
  auto retired = std::make_shared<std::atomic<bool>>(false);
  std::shared_ptr<store::Store> replacement = OwnedStore(std::move(*opened), target, retired);
  std::shared_ptr<store::Store> old;
  {
    MutexLock lock(&mu_);
    old = std::move(store_);
    store_ = std::move(replacement);
  }
  // The old generation closes and its directory goes when its last reader lets go.
  retired_->store(true);
  retired_ = std::move(retired);
  generation_ = next;
  last_write_ = live()->revision();
  old.reset();
  LATTICE_LOG(kInfo) << "raft: restored store from snapshot at index " << index << " (revision "
                     << live()->revision() << ")";
  Notify(live()->revision());
  return absl::OkStatus();
}

}  // namespace lattice::raft
