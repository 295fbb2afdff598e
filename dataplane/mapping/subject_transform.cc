// SubjectTransform: compiling a nats-server mapping destination and applying it to subjects.
#include "dataplane/mapping/subject_transform.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

#include "dataplane/mapping/subject_syntax.h"

namespace lattice::mapping {
namespace {

// A destination token after placeholder parsing, before wildcard numbers become token positions.
struct Placeholder {
  DestKind kind = DestKind::kLiteral;
  std::vector<int64_t> wildcard_numbers;
  int32_t int_arg = -1;
  std::string text;
};

absl::StatusOr<Placeholder> IntArgFunction(std::string_view token,
                                           const std::vector<std::string_view>& args,
                                           DestKind kind) {
  if (args.size() < 2) {
    return DestinationError(kNotEnoughArguments, token);
  }
  if (args.size() > 2) {
    return DestinationError(kTooManyArguments, token);
  }
  int64_t wildcard = 0;
  int64_t value = 0;
  if (!ParseGoInt(TrimSpaces(args[0]), &wildcard) || !ParseGoInt(TrimSpaces(args[1]), &value)) {
    return DestinationError(kInvalidArgument, token);
  }
  Placeholder p;
  p.kind = kind;
  p.wildcard_numbers = {wildcard};
  p.int_arg = static_cast<int32_t>(value);  // nats-server keeps an int32, wrapping like Go
  return p;
}

// nats-server's indexPlaceHolders: what one destination token asks for.
absl::StatusOr<Placeholder> ParsePlaceholder(std::string_view token) {
  Placeholder literal;
  if (token.size() <= 1) {
    return literal;
  }
  if (token[0] == '$') {
    int64_t n = 0;
    if (!ParseGoInt(token.substr(1), &n)) {
      return literal;  // "$foo" stays a literal token
    }
    Placeholder p;
    p.kind = DestKind::kWildcard;
    p.wildcard_numbers = {n};
    return p;
  }
  if (!IsMustache(token)) {
    return literal;
  }
  for (const MappingFunction& f : kMappingFunctions) {
    std::optional<std::string_view> capture = FindFunctionArgs(token, f.pattern);
    if (!capture.has_value()) {
      continue;
    }
    std::vector<std::string_view> args = SplitFunctionArgs(*capture);
    switch (f.kind) {
      case DestKind::kWildcard: {
        if (args.size() == 1 && args[0].empty()) {
          return DestinationError(kNotEnoughArguments, token);
        }
        if (args.size() != 1) {
          return DestinationError(kTooManyArguments, token);
        }
        int64_t n = 0;
        if (!ParseGoInt(TrimSpaces(args[0]), &n)) {
          return DestinationError(kInvalidArgument, token);
        }
        Placeholder p;
        p.kind = DestKind::kWildcard;
        p.wildcard_numbers = {n};
        return p;
      }
      case DestKind::kPartition: {
        if (args.size() < 2) {
          return DestinationError(kNotEnoughArguments, token);
        }
        int64_t partitions = 0;
        if (!ParseGoInt(TrimSpaces(args[0]), &partitions)) {
          return DestinationError(kInvalidArgument, token);
        }
        Placeholder p;
        p.kind = DestKind::kPartition;
        p.int_arg = static_cast<int32_t>(partitions);
        // Deviation: nats-server 2.9.10 accepts 0 partitions and then divides by zero when a
        // message arrives. We refuse the mapping instead.
        if (p.int_arg == 0) {
          return DestinationError(kInvalidArgument, token);
        }
        for (size_t i = 1; i < args.size(); ++i) {
          int64_t n = 0;
          if (!ParseGoInt(TrimSpaces(args[i]), &n)) {
            return DestinationError(kInvalidArgument, token);
          }
          p.wildcard_numbers.push_back(n);
        }
        return p;
      }
      case DestKind::kSplit: {
        if (args.size() < 2) {
          return DestinationError(kNotEnoughArguments, token);
        }
        if (args.size() > 2) {
          return DestinationError(kTooManyArguments, token);
        }
        int64_t n = 0;
        if (!ParseGoInt(TrimSpaces(args[0]), &n)) {
          return DestinationError(kInvalidArgument, token);
        }
        if (args[1].find_first_of(" .") != std::string_view::npos) {
          return DestinationError(kInvalidArgument, token);
        }
        Placeholder p;
        p.kind = DestKind::kSplit;
        p.wildcard_numbers = {n};
        p.text = std::string(args[1]);
        return p;
      }
      default:
        return IntArgFunction(token, args, f.kind);
    }
  }
  return DestinationError(kUnknownFunction, token);
}

uint32_t Fnv1a32(uint32_t hash, std::string_view bytes) {
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 16777619u;
  }
  return hash;
}

// Walks the pieces of Go's strings.Split(s, delim), including its rune-by-rune split for an
// empty delimiter, without allocating.
class PieceIterator {
 public:
  PieceIterator(std::string_view s, std::string_view delim) : rest_(s), delim_(delim) {
    done_ = delim.empty() && s.empty();  // Go: Split("", "") has no pieces
  }
  bool Next(std::string_view* piece) {
    if (done_) {
      return false;
    }
    if (delim_.empty()) {
      size_t n = Utf8SequenceLength(rest_);
      *piece = rest_.substr(0, n);
      rest_.remove_prefix(n);
      done_ = rest_.empty();
      return true;
    }
    size_t at = rest_.find(delim_);
    if (at == std::string_view::npos) {
      *piece = rest_;
      done_ = true;
      return true;
    }
    *piece = rest_.substr(0, at);
    rest_.remove_prefix(at + delim_.size());
    return true;
  }

 private:
  std::string_view rest_;
  std::string_view delim_;
  bool done_ = false;
};

}  // namespace

absl::StatusOr<SubjectTransform> SubjectTransform::Create(std::string_view source,
                                                          std::string_view destination) {
  absl::Status valid = ValidateMappingDestination(destination);
  if (!valid.ok()) {
    return valid;
  }
  SubjectInfo src = AnalyzeSubject(source);
  SubjectInfo dst = AnalyzeSubject(destination);
  if (!src.valid || !dst.valid || dst.partial_wildcards > 0 ||
      src.full_wildcard != dst.full_wildcard) {
    return absl::InvalidArgumentError(kBadSubject);
  }

  SubjectTransform t;
  t.source_ = std::string(source);
  t.destination_ = std::string(destination);
  for (std::string_view tok : src.tokens) {
    t.source_tokens_.emplace_back(tok);
  }
  t.source_has_wildcard_ = src.partial_wildcards > 0 || src.full_wildcard;
  t.identity_ = source == ">" && destination == ">";
  t.dest_ends_with_fwc_ = dst.full_wildcard;

  if (!t.source_has_wildcard_) {
    return t;  // a literal source maps to its destination verbatim
  }
  // The subject token position of each `*`, by wildcard number. Go reads a missing number from a
  // map as 0, so $0 or a negative number means the first subject token: we keep that.
  std::vector<int> wildcard_position;
  for (size_t i = 0; i < src.tokens.size(); ++i) {
    if (src.tokens[i] == "*") {
      wildcard_position.push_back(static_cast<int>(i));
    }
  }
  int placeholders = 0;
  for (std::string_view tok : dst.tokens) {
    absl::StatusOr<Placeholder> p = ParsePlaceholder(tok);
    if (!p.ok()) {
      return p.status();
    }
    DestToken d;
    d.kind = p->kind;
    if (p->kind == DestKind::kLiteral) {
      d.text = std::string(tok);
      t.dest_tokens_.push_back(std::move(d));
      continue;
    }
    ++placeholders;
    for (int64_t n : p->wildcard_numbers) {
      if (n > src.partial_wildcards) {
        return DestinationError(kWildcardIndexOutOfRange, absl::StrCat(Absl(tok), ": [", n, "]"));
      }
      d.source_indexes.push_back(n >= 1 ? wildcard_position[n - 1] : 0);
    }
    d.int_arg = p->int_arg;
    d.text = std::move(p->text);
    t.dest_tokens_.push_back(std::move(d));
  }
  if (placeholders < src.partial_wildcards) {
    return DestinationError(kNotUsingAllWildcards, destination);
  }
  return t;
}

bool SubjectTransform::MatchTokens(absl::Span<const std::string_view> tokens) const {
  return IsSubsetMatch(tokens, source_tokens_);
}

bool SubjectTransform::Match(std::string_view subject) const {
  if (identity_ || subject == source_) {
    return true;
  }
  absl::InlinedVector<std::string_view, 32> tokens;
  TokenizeSubject(subject, &tokens);
  return MatchTokens(tokens);
}

bool SubjectTransform::Apply(std::string_view subject, std::string* out) const {
  if (identity_) {
    out->assign(subject.data(), subject.size());
    return true;
  }
  if (dest_tokens_.empty() && subject == source_) {
    *out = destination_;
    return true;
  }
  absl::InlinedVector<std::string_view, 32> tokens;
  TokenizeSubject(subject, &tokens);
  if (!MatchTokens(tokens)) {
    return false;
  }
  ApplyTokens(tokens, out);
  return true;
}

void SubjectTransform::ApplyTokens(absl::Span<const std::string_view> tokens,
                                   std::string* out) const {
  if (dest_tokens_.empty()) {
    *out = destination_;
    return;
  }
  out->clear();
  if (tokens.size() < source_tokens_.size()) {
    return;  // not a matching subject: the caller broke the contract; stay memory-safe
  }
  const size_t last = dest_tokens_.size() - 1;
  for (size_t i = 0; i < dest_tokens_.size(); ++i) {
    const DestToken& d = dest_tokens_[i];
    if (d.kind == DestKind::kLiteral && d.text == ">") {
      break;
    }
    AppendToken(d, tokens, out);
    if (i < last) {
      out->push_back('.');
    }
  }
  if (dest_ends_with_fwc_) {
    for (size_t i = source_tokens_.size() - 1; i < tokens.size(); ++i) {
      out->append(tokens[i].data(), tokens[i].size());
      if (i + 1 < tokens.size()) {
        out->push_back('.');
      }
    }
  }
}

void SubjectTransform::AppendToken(const DestToken& d, absl::Span<const std::string_view> tokens,
                                   std::string* out) const {
  if (d.kind == DestKind::kLiteral) {
    out->append(d.text);
    return;
  }
  if (d.kind == DestKind::kPartition) {
    uint32_t hash = 2166136261u;
    for (int index : d.source_indexes) {
      hash = Fnv1a32(hash, tokens[index]);
    }
    absl::StrAppend(out, hash % static_cast<uint32_t>(d.int_arg));
    return;
  }
  const std::string_view tok = tokens[d.source_indexes[0]];
  const int64_t len = static_cast<int64_t>(tok.size());
  const int64_t n = d.int_arg;
  auto put = [out](std::string_view s) { out->append(s.data(), s.size()); };
  switch (d.kind) {
    case DestKind::kWildcard:
      put(tok);
      return;
    case DestKind::kSplitFromLeft:
    case DestKind::kSplitFromRight: {
      if (n <= 0 || n >= len) {
        put(tok);  // too short to cut there: unchanged
        return;
      }
      int64_t cut = d.kind == DestKind::kSplitFromLeft ? n : len - n;
      put(tok.substr(0, cut));
      out->push_back('.');
      put(tok.substr(cut));
      return;
    }
    case DestKind::kSliceFromLeft: {
      if (n <= 0 || n >= len) {
        put(tok);
        return;
      }
      for (int64_t i = 0; i + n <= len; i += n) {
        if (i != 0) {
          out->push_back('.');
        }
        put(tok.substr(i, n));
        if (i + n != len && i + 2 * n > len) {
          out->push_back('.');
          put(tok.substr(i + n));
          break;
        }
      }
      return;
    }
    case DestKind::kSliceFromRight: {
      if (n <= 0 || n >= len) {
        put(tok);
        return;
      }
      const int64_t remainder = len % n;
      if (remainder > 0) {
        put(tok.substr(0, remainder));
        out->push_back('.');
      }
      for (int64_t i = remainder; i + n <= len; i += n) {
        put(tok.substr(i, n));
        if (i + n < len) {
          out->push_back('.');
        }
      }
      return;
    }
    case DestKind::kSplit: {
      // nats-server drops empty pieces but its separator rule can still leave a leading '.'
      // (e.g. "--a" split on "-" gives ".a"); we reproduce it exactly.
      PieceIterator it(tok, d.text);
      std::string_view cur;
      std::string_view next;
      bool have_cur = it.Next(&cur);
      for (size_t j = 0; have_cur; ++j) {
        bool have_next = it.Next(&next);
        put(cur);
        if (have_next && !next.empty() && !(j == 0 && cur.empty())) {
          out->push_back('.');
        }
        cur = next;
        have_cur = have_next;
      }
      return;
    }
    default:
      return;
  }
}

}  // namespace lattice::mapping
