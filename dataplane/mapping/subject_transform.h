// SubjectTransform: one compiled nats-server subject mapping (source pattern -> destination).
//
// Semantics follow nats-server 2.9.10 (server/accounts.go `transform`, sublist.go subject checks),
// quirks included, so that a Lattice node maps exactly like the server it replaces:
//
//   auto t = SubjectTransform::Create("orders.*.*", "shard.{{partition(4,1)}}.$2");
//   std::string out;
//   if (t.ok() && t->Apply("orders.acme.new", &out)) { /* out == "shard.<0..3>.new" */ }
//
// Destination placeholders (only interpreted when the source has a `*` or `>`; a literal source
// maps to its destination verbatim, as in nats-server):
//   $N, {{wildcard(N)}}             the N-th `*` of the source (1-based)
//   {{partition(P, N...)}}          FNV-1a-32 of the listed wildcards' tokens concatenated, mod P
//   {{split(N, delim)}}             the token split on `delim`, pieces joined with `.`
//   {{splitFromLeft(N, pos)}}       the token cut in two `pos` bytes from the left
//   {{splitFromRight(N, pos)}}      the token cut in two `pos` bytes from the right
//   {{sliceFromLeft(N, size)}}      the token cut into `size`-byte slices from the left
//   {{sliceFromRight(N, size)}}     the token cut into `size`-byte slices from the right
//   >                               the subject tokens the source's `>` matched
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace lattice::mapping {

// One destination token after compilation.
enum class DestKind : uint8_t {
  kLiteral,  // copied verbatim (also `>`, which ends the token loop)
  kWildcard,
  kPartition,
  kSplit,
  kSplitFromLeft,
  kSplitFromRight,
  kSliceFromLeft,
  kSliceFromRight,
};

// Splits `subject` on '.' into views appended to `*tokens` (no validation; empty tokens kept).
template <typename Container>
void TokenizeSubject(std::string_view subject, Container* tokens) {
  size_t start = 0;
  for (size_t i = 0; i < subject.size(); ++i) {
    if (subject[i] == '.') {
      tokens->push_back(subject.substr(start, i - start));
      start = i + 1;
    }
  }
  tokens->push_back(subject.substr(start));
}

// An immutable compiled mapping from one source pattern to one destination. Built once at config
// time (Create), then shared read-only: Match/Apply are const and allocate nothing but `out`'s
// growth (for subjects of up to 32 tokens; longer ones spill the token array to the heap). Owned by
// its WeightedMapping (or any caller). Thread: any (immutable after Create).
class SubjectTransform {
 public:
  // Compiles a mapping. Checks, in nats-server's order: the destination as a mapping destination
  // (empty tokens, tokens after `>`, whitespace, unknown `{{function}}`), then both as subjects
  // (`*` in the destination, `>` on one side only: "invalid subject"), then each placeholder
  // (argument count/format, wildcard index out of range) and that every source `*` is used.
  // Errors are InvalidArgument carrying nats-server's error text.
  static absl::StatusOr<SubjectTransform> Create(std::string_view source,
                                                 std::string_view destination);

  // True when `subject` matches the source pattern, by nats-server's subset match (a published
  // subject is not validated here, exactly as the server's mapping lookup does not). Quirk kept:
  // a source token that merely starts with '*' ("*x") matches any subject token.
  bool Match(std::string_view subject) const;

  // When `subject` matches, writes the transformed subject to `*out` (replacing its contents) and
  // returns true; otherwise returns false and leaves `*out` alone.
  bool Apply(std::string_view subject, std::string* out) const;

  // Transforms an already tokenised subject that is known to match (the caller checked Match on
  // the same tokens). Writes into `*out` (replacing its contents).
  void ApplyTokens(absl::Span<const std::string_view> tokens, std::string* out) const;

  // Match on pre-tokenised input (MappingTable tokenises once for all of an account's mappings).
  bool MatchTokens(absl::Span<const std::string_view> tokens) const;

  const std::string& source() const { return source_; }
  const std::string& destination() const { return destination_; }
  // True when the source has a `*` or `>` token (nats-server's `mapping.wc`).
  bool source_has_wildcard() const { return source_has_wildcard_; }

 private:
  struct DestToken {
    DestKind kind = DestKind::kLiteral;
    std::string text;                 // kLiteral: the token; kSplit: the delimiter
    std::vector<int> source_indexes;  // subject token positions feeding the function
    int32_t int_arg = -1;             // partitions, position or slice size
  };

  SubjectTransform() = default;
  void AppendToken(const DestToken& d, absl::Span<const std::string_view> tokens,
                   std::string* out) const;

  std::string source_;
  std::string destination_;
  std::vector<std::string> source_tokens_;
  std::vector<DestToken> dest_tokens_;  // empty: the destination is used verbatim
  bool source_has_wildcard_ = false;
  bool identity_ = false;  // ">" -> ">": nats-server's no-op special case
  bool dest_ends_with_fwc_ = false;
};

}  // namespace lattice::mapping
