// Fuzz target for everything that parses Raft log bytes: entry framing, snapshot image headers
// and batch commands. Decoding must never crash, and a decoded batch must re-encode to its input.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/base/check.h"
#include "controlplane/raft/batch_codec.h"
#include "controlplane/raft/internal/fsm_bridge.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto entry = lattice::raft::internal::DecodeEntry(in);
  if (entry.ok()) {
    LATTICE_CHECK(lattice::raft::internal::EncodeEntry(*entry) == in);
  }
  auto image = lattice::raft::internal::DecodeSnapshotImage(in);
  if (image.ok()) {
    LATTICE_CHECK(lattice::raft::internal::EncodeSnapshotImage(image->first, image->second) == in);
  }
  uint64_t validated_at = 0;
  auto batch = lattice::raft::DecodeBatch(in, &validated_at);
  if (batch.ok()) {
    LATTICE_CHECK(lattice::raft::EncodeBatch(*batch, validated_at) == in);
  }
  return 0;
}
