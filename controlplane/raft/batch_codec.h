// The Raft command format for control-plane writes: a store::Batch as compact binary.
//
// Layout (all integers little-endian): u8 version (1), i64 unix_nanos, str actor, str reason,
// u32 mutation count, then per mutation: u8 kind, str key, u8 has_value, [str value]; where str
// is a u32 length and the bytes. The revision is not encoded: the applier assigns it from the
// Raft index (see StoreStateMachine).
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

#include "controlplane/store/store.h"

namespace lattice::raft {

std::string EncodeBatch(const store::Batch& batch);

// Parses bytes from the Raft log (any bytes: never crashes). The result has revision 0.
// InvalidArgument on truncation, trailing bytes, an unknown version or kind.
absl::StatusOr<store::Batch> DecodeBatch(std::string_view bytes);

}  // namespace lattice::raft
