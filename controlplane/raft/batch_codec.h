// The Raft command format for control-plane writes: a store::Batch as compact binary.
//
// Layout (all integers little-endian): u8 version (1 or 2), u64 validated_at, [version 2: u8
// flags, bit 0 = exact], i64 unix_nanos,
// str actor, str reason, u32 mutation count, then per mutation: u8 kind, str key, u8 has_value,
// [str value]; where str is a u32 length and the bytes. The revision is not encoded: the applier
// assigns it from the Raft index (see StoreStateMachine).
//
// `validated_at` makes the write conditional: the store revision the proposer validated the batch
// against. The applier refuses the batch (Aborted) if another batch changed the store after that
// revision, so "validate on the leader, then propose" stays atomic. 0 means unconditional.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

#include "controlplane/store/store.h"

namespace lattice::raft {

std::string EncodeBatch(const store::Batch& batch, uint64_t validated_at = 0, bool exact = false);

// Parses bytes from the Raft log (any bytes: never crashes). The result has revision 0; the
// condition goes to `*validated_at` and `*exact` when given. InvalidArgument on truncation,
// trailing bytes, an unknown version or kind.
absl::StatusOr<store::Batch> DecodeBatch(std::string_view bytes, uint64_t* validated_at = nullptr,
                                         bool* exact = nullptr);

}  // namespace lattice::raft
