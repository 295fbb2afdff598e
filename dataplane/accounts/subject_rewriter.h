// SubjectRewriter: an import's subject mapping compiled once at wiring time, applied per
// message in one pass without allocating (the result goes into a caller-owned, reused buffer).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lattice::accounts {

// Rewrites exporter subjects to importer subjects (and back for service imports) exactly as
// MapWildcards / a stream prefix would, but with the patterns tokenized ahead of time:
//
//   SubjectRewriter r = SubjectRewriter::Mapping("x.*.>", "y.*.>");   // at wiring time
//   std::string scratch;                                              // reused per thread
//   std::string_view local = r.Apply("x.a.b.c", &scratch);            // "y.a.b.c"
//
// A literal result (no wildcard on either side) is computed once and returned as a view of
// the rewriter itself. Immutable after construction. Thread: any (Apply is const; each
// thread passes its own buffer).
class SubjectRewriter {
 public:
  // Returns the subject unchanged.
  SubjectRewriter() = default;
  // `from` wildcards ("*", trailing ">") fill `to` wildcards by position (MapWildcards).
  static SubjectRewriter Mapping(std::string_view from, std::string_view to);
  // "<prefix>.<subject>" (stream import prefix).
  static SubjectRewriter Prefix(std::string_view prefix);

  // The rewritten subject: a view of `subject`, of this rewriter, or of `*buffer` (which is
  // overwritten). `subject` must match the `from` pattern; a shorter one leaves the `to`
  // wildcards it cannot fill as literal tokens, as MapWildcards does.
  std::string_view Apply(std::string_view subject, std::string* buffer) const {
    switch (kind_) {
      case Kind::kIdentity:
        return subject;
      case Kind::kConstant:
        return constant_;
      default:
        return ApplyPattern(subject, buffer);
    }
  }

  // True when every subject maps to the same result (Apply ignores its input).
  bool is_constant() const { return kind_ == Kind::kConstant; }

 private:
  enum class Kind : uint8_t { kIdentity, kConstant, kPrefix, kTemplate };
  // One token of the output: a literal, or the n-th capture of `from` (falling back to
  // `literal`, the wildcard itself, when the subject had too few tokens).
  struct Piece {
    std::string literal;
    int capture = -1;
  };
  // Apply for kPrefix and kTemplate.
  std::string_view ApplyPattern(std::string_view subject, std::string* buffer) const;
  // Per `from` token: 0 literal, 1 "*", 2 ">".
  static constexpr uint8_t kLiteral = 0;
  static constexpr uint8_t kStar = 1;
  static constexpr uint8_t kRest = 2;
  static constexpr int kMaxInlineCaptures = 16;

  Kind kind_ = Kind::kIdentity;
  std::string constant_;  // kConstant result, kPrefix "<prefix>."
  std::vector<uint8_t> from_;
  std::vector<Piece> pieces_;
  int captures_ = 0;
  std::string from_pattern_;  // kept for the rare > kMaxInlineCaptures fallback
  std::string to_pattern_;
};

}  // namespace lattice::accounts
