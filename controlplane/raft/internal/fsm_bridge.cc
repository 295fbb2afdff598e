// libraft fsm callbacks forwarding to a StateMachine, and the snapshot image header.
#include "controlplane/raft/internal/fsm_bridge.h"

#include <cstring>

#include "common/base/check.h"
#include "common/base/log.h"

namespace lattice::raft::internal {
namespace {

constexpr char kImageMagic[8] = {'L', 'A', 'T', 'S', 'N', 'A', 'P', '2'};

void PutU64(std::string& out, uint64_t value) {
  for (int i = 0; i < 8; ++i) {
    out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
  }
}

uint64_t GetU64(std::string_view in) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) {
    value |= static_cast<uint64_t>(static_cast<unsigned char>(in[i])) << (8 * i);
  }
  return value;
}

void PadTo8(std::string& out) {
  out.append((8 - out.size() % 8) % 8, '\0');
}

// `body` must be exactly `length` bytes plus at most 7 zero bytes of padding.
bool LengthFits(uint64_t length, std::string_view body) {
  if (length > body.size() || body.size() - length >= 8) {
    return false;
  }
  for (size_t i = length; i < body.size(); ++i) {
    if (body[i] != '\0') {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string EncodeEntry(std::string_view command) {
  std::string entry;
  entry.reserve(8 + command.size() + 8);
  PutU64(entry, command.size());
  entry.append(command);
  PadTo8(entry);
  return entry;
}

absl::StatusOr<std::string_view> DecodeEntry(std::string_view entry) {
  if (entry.size() < 8 || entry.size() % 8 != 0) {
    return absl::InvalidArgumentError("raft entry: bad framing");
  }
  uint64_t length = GetU64(entry);
  if (!LengthFits(length, entry.substr(8))) {
    return absl::InvalidArgumentError("raft entry: length does not match");
  }
  return entry.substr(8, length);
}

std::string EncodeSnapshotImage(uint64_t index, std::string_view payload) {
  std::string image;
  image.reserve(24 + payload.size() + 8);
  image.append(kImageMagic, sizeof(kImageMagic));
  PutU64(image, index);
  PutU64(image, payload.size());
  image.append(payload);
  PadTo8(image);
  return image;
}

absl::StatusOr<std::pair<uint64_t, std::string_view>> DecodeSnapshotImage(std::string_view image) {
  if (image.size() < 24 || image.size() % 8 != 0 ||
      std::memcmp(image.data(), kImageMagic, sizeof(kImageMagic)) != 0) {
    return absl::InvalidArgumentError("raft snapshot: bad image header");
  }
  uint64_t index = GetU64(image.substr(8));
  uint64_t length = GetU64(image.substr(16));
  if (!LengthFits(length, image.substr(24))) {
    return absl::InvalidArgumentError("raft snapshot: length does not match");
  }
  return std::make_pair(index, image.substr(24, length));
}

FsmBridge::FsmBridge(StateMachine& machine) : machine_(machine) {
  fsm_.version = 1;
  fsm_.data = this;
  fsm_.apply = &FsmBridge::OnApply;
  fsm_.snapshot = &FsmBridge::OnSnapshot;
  fsm_.restore = &FsmBridge::OnRestore;
}

int FsmBridge::OnApply(struct ::raft_fsm* fsm, const struct ::raft_buffer* buf, void** result) {
  auto* self = static_cast<FsmBridge*>(fsm->data);
  LATTICE_CHECK(self->raft_ != nullptr);
  // libraft applies committed entries in index order and bumps last_applied after each one
  // (commands, barriers and configuration changes alike), so this entry is the next index.
  const uint64_t index = raft_last_applied(self->raft_) + 1;
  absl::StatusOr<std::string_view> command =
      DecodeEntry(std::string_view(static_cast<const char*>(buf->base), buf->len));
  // A malformed entry is consumed with the same verdict everywhere, like any rejected command.
  absl::Status verdict = command.ok() ? self->machine_.Apply(index, *command) : command.status();
  ++self->applied_commands_;
  if (self->hook_) {
    self->hook_(index, verdict);
  }
  // The verdict travels through the hook, never through `result`: on followers libraft drops
  // the result, so anything allocated here would leak.
  *result = nullptr;
  return 0;
}

int FsmBridge::OnSnapshot(struct ::raft_fsm* fsm, struct ::raft_buffer* bufs[], unsigned* n_bufs) {
  auto* self = static_cast<FsmBridge*>(fsm->data);
  LATTICE_CHECK(self->raft_ != nullptr);
  // libraft snapshots at last_applied.
  const uint64_t index = raft_last_applied(self->raft_);
  absl::StatusOr<std::string> payload = self->machine_.Snapshot(index);
  if (!payload.ok()) {
    LATTICE_LOG(kError) << "raft: snapshot at index " << index << " failed: " << payload.status();
    return RAFT_IOERR;
  }
  std::string image = EncodeSnapshotImage(index, *payload);
  // Version-1 fsm: libraft takes ownership of both the array and the buffer (raft_free).
  auto* array = static_cast<struct ::raft_buffer*>(raft_malloc(sizeof(struct ::raft_buffer)));
  void* data = raft_malloc(image.size());
  if (array == nullptr || data == nullptr) {
    raft_free(array);
    raft_free(data);
    return RAFT_NOMEM;
  }
  std::memcpy(data, image.data(), image.size());
  array[0].base = data;
  array[0].len = image.size();
  *bufs = array;
  *n_bufs = 1;
  return 0;
}

int FsmBridge::OnRestore(struct ::raft_fsm* fsm, struct ::raft_buffer* buf) {
  auto* self = static_cast<FsmBridge*>(fsm->data);
  std::string_view image(static_cast<const char*>(buf->base), buf->len);
  auto decoded = DecodeSnapshotImage(image);
  if (!decoded.ok()) {
    LATTICE_LOG(kError) << "raft: refusing snapshot: " << decoded.status();
    return RAFT_MALFORMED;
  }
  absl::Status restored = self->machine_.Restore(decoded->first, decoded->second);
  if (!restored.ok()) {
    LATTICE_LOG(kError) << "raft: restore of snapshot at index " << decoded->first
                        << " failed: " << restored;
    return RAFT_IOERR;
  }
  ++self->restores_;
  // On success the buffer is ours to free (libraft only frees it on failure).
  raft_free(buf->base);
  return 0;
}

}  // namespace lattice::raft::internal
