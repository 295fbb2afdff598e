// Binary encoding of store::Batch for the Raft log.
#include "controlplane/raft/batch_codec.h"

#include <cstdint>
#include <iterator>

namespace lattice::raft {
namespace {

constexpr uint8_t kVersion = 1;
constexpr uint8_t kVersionWithFlags = 2;  // adds a flags byte after validated_at
constexpr uint8_t kFlagExact = 1;

void PutFixed(std::string& out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) {
    out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
  }
}

void PutString(std::string& out, std::string_view value) {
  PutFixed(out, value.size(), 4);
  out.append(value);
}

// Bounds-checked cursor over untrusted bytes; any overrun latches `ok_` to false.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}

  uint64_t Fixed(int bytes) {
    if (!ok_ || in_.size() < static_cast<size_t>(bytes)) {
      ok_ = false;
      return 0;
    }
    uint64_t value = 0;
    for (int i = 0; i < bytes; ++i) {
      value |= static_cast<uint64_t>(static_cast<unsigned char>(in_[i])) << (8 * i);
    }
    in_.remove_prefix(bytes);
    return value;
  }

  std::string String() {
    uint64_t size = Fixed(4);
    if (!ok_ || in_.size() < size) {
      ok_ = false;
      return {};
    }
    std::string value(in_.substr(0, size));
    in_.remove_prefix(size);
    return value;
  }

  bool ok() const { return ok_; }
  bool done() const { return in_.empty(); }
  size_t remaining() const { return in_.size(); }

 private:
  std::string_view in_;
  bool ok_ = true;
};

}  // namespace

std::string EncodeBatch(const store::Batch& batch, uint64_t validated_at, bool exact) {
  std::string out;
  out.push_back(static_cast<char>(exact ? kVersionWithFlags : kVersion));
  PutFixed(out, validated_at, 8);
  if (exact) {
    out.push_back(static_cast<char>(kFlagExact));
  }
  PutFixed(out, static_cast<uint64_t>(batch.unix_nanos), 8);
  PutString(out, batch.actor);
  PutString(out, batch.reason);
  PutFixed(out, batch.mutations.size(), 4);
  for (const store::Mutation& m : batch.mutations) {
    out.push_back(static_cast<char>(m.kind));
    PutString(out, m.key);
    out.push_back(m.value.has_value() ? 1 : 0);
    if (m.value.has_value()) {
      PutString(out, *m.value);
    }
  }
  return out;
}

absl::StatusOr<store::Batch> DecodeBatch(std::string_view bytes, uint64_t* validated_at,
                                         bool* exact) {
  Reader reader(bytes);
  const uint64_t version = reader.Fixed(1);
  if ((version != kVersion && version != kVersionWithFlags) || !reader.ok()) {
    return absl::InvalidArgumentError("raft command: unknown batch version");
  }
  const uint64_t condition = reader.Fixed(8);
  const uint64_t flags = version == kVersionWithFlags ? reader.Fixed(1) : 0;
  if ((flags & ~uint64_t{kFlagExact}) != 0) {
    return absl::InvalidArgumentError("raft command: unknown batch flags");
  }
  store::Batch batch;
  batch.unix_nanos = static_cast<int64_t>(reader.Fixed(8));
  batch.actor = reader.String();
  batch.reason = reader.String();
  uint64_t count = reader.Fixed(4);
  // Each mutation takes at least 6 bytes; refuse counts the input cannot hold before reserving.
  if (!reader.ok() || count > reader.remaining() / 6) {
    return absl::InvalidArgumentError("raft command: truncated batch");
  }
  batch.mutations.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t kind = reader.Fixed(1);
    std::string key = reader.String();
    uint64_t has_value = reader.Fixed(1);
    if (!reader.ok() || kind >= std::size(store::kAllKinds) || has_value > 1) {
      return absl::InvalidArgumentError("raft command: bad mutation");
    }
    store::Mutation m{static_cast<store::Kind>(kind), std::move(key), std::nullopt};
    if (has_value == 1) {
      m.value = reader.String();
    }
    batch.mutations.push_back(std::move(m));
  }
  if (!reader.ok() || !reader.done()) {
    return absl::InvalidArgumentError("raft command: truncated or trailing bytes");
  }
  if (validated_at != nullptr) {
    *validated_at = condition;
  }
  if (exact != nullptr) {
    *exact = (flags & kFlagExact) != 0;
  }
  return batch;
}

}  // namespace lattice::raft
