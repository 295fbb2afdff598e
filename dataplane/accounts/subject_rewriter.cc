// SubjectRewriter: compile-once import subject mapping, applied without allocation.
#include "dataplane/accounts/subject_rewriter.h"

#include <array>

#include "dataplane/accounts/exports.h"

namespace lattice::accounts {
namespace {

// Calls fn(token) for every '.'-separated token of `subject` (empty tokens included).
template <typename Fn>
void ForEachToken(std::string_view subject, Fn fn) {
  size_t start = 0;
  while (true) {
    size_t dot = subject.find('.', start);
    if (dot == std::string_view::npos) {
      fn(subject.substr(start));
      return;
    }
    fn(subject.substr(start, dot - start));
    start = dot + 1;
  }
}

}  // namespace

SubjectRewriter SubjectRewriter::Mapping(std::string_view from, std::string_view to) {
  SubjectRewriter r;
  r.from_pattern_ = std::string(from);
  r.to_pattern_ = std::string(to);
  ForEachToken(from, [&r](std::string_view token) {
    if (token == "*") {
      r.from_.push_back(kStar);
      ++r.captures_;
    } else if (token == ">") {
      r.from_.push_back(kRest);
      ++r.captures_;
    } else {
      r.from_.push_back(kLiteral);
    }
  });
  // A ">" ends the capture scan (MapWildcards stops there too).
  for (size_t i = 0; i < r.from_.size(); ++i) {
    if (r.from_[i] == kRest) {
      r.from_.resize(i + 1);
      break;
    }
  }
  int next = 0;
  bool to_has_wildcard = false;
  ForEachToken(to, [&](std::string_view token) {
    Piece piece;
    piece.literal = std::string(token);
    if (token == "*" || token == ">") {
      to_has_wildcard = true;
      piece.capture = next++;
    }
    r.pieces_.push_back(std::move(piece));
  });
  if (r.captures_ == 0 || !to_has_wildcard) {
    // Nothing to fill: the wildcards of `to` (if any) stay literal.
    r.kind_ = Kind::kConstant;
    r.constant_ = std::string(to);
    r.from_.clear();
    r.pieces_.clear();
    return r;
  }
  r.kind_ = Kind::kTemplate;
  return r;
}

SubjectRewriter SubjectRewriter::Prefix(std::string_view prefix) {
  SubjectRewriter r;
  r.kind_ = Kind::kPrefix;
  r.constant_ = std::string(prefix);
  r.constant_.push_back('.');
  return r;
}

std::string_view SubjectRewriter::ApplyPattern(std::string_view subject,
                                               std::string* buffer) const {
  if (kind_ == Kind::kPrefix) {
    buffer->assign(constant_);
    buffer->append(subject.data(), subject.size());
    return *buffer;
  }
  if (captures_ > kMaxInlineCaptures) {
    *buffer = MapWildcards(from_pattern_, to_pattern_, subject);  // rare: very wide patterns
    return *buffer;
  }
  // The subject's value for each wildcard of `from`, in order.
  std::array<std::string_view, kMaxInlineCaptures> captured;
  int found = 0;
  size_t token = 0;
  size_t start = 0;
  while (token < from_.size()) {
    size_t dot = subject.find('.', start);
    if (from_[token] == kRest) {
      captured[found++] = subject.substr(start);
      break;
    }
    std::string_view value =
        subject.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (from_[token] == kStar) {
      captured[found++] = value;
    }
    ++token;
    if (dot == std::string_view::npos) {
      break;
    }
    start = dot + 1;
  }
  buffer->clear();
  bool first = true;
  for (const Piece& piece : pieces_) {
    if (!first) {
      buffer->push_back('.');
    }
    first = false;
    if (piece.capture >= 0 && piece.capture < found) {
      std::string_view value = captured[static_cast<size_t>(piece.capture)];
      buffer->append(value.data(), value.size());
    } else {
      buffer->append(piece.literal);
    }
  }
  return *buffer;
}

}  // namespace lattice::accounts
