// Token-wise subject pattern matching for permission lists.
#include "dataplane/auth/subject_pattern.h"

namespace lattice::auth {
namespace {

bool IsPwc(std::string_view t) {
  return t.size() == 1 && t[0] == '*';
}
bool IsFwc(std::string_view t) {
  return t.size() == 1 && t[0] == '>';
}

// Splits `s` on '.' into `out` (views into s). False when a token is empty.
bool SplitTokens(std::string_view s, std::vector<std::string_view>* out) {
  out->clear();
  if (s.empty()) {
    return false;
  }
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    std::string_view tok = s.substr(start, dot == std::string_view::npos ? s.npos : dot - start);
    if (tok.empty()) {
      return false;
    }
    out->push_back(tok);
    if (dot == std::string_view::npos) {
      return true;
    }
    start = dot + 1;
  }
}

}  // namespace

bool HasWildcardToken(std::string_view s) {
  size_t start = 0;
  while (start <= s.size()) {
    size_t dot = s.find('.', start);
    size_t end = dot == std::string_view::npos ? s.size() : dot;
    std::string_view tok = s.substr(start, end - start);
    if (IsPwc(tok) || IsFwc(tok)) {
      return true;
    }
    if (dot == std::string_view::npos) {
      break;
    }
    start = dot + 1;
  }
  return false;
}

bool SubjectPattern::Parse(std::string_view pattern, SubjectPattern* out) {
  std::vector<std::string_view> toks;
  if (!SplitTokens(pattern, &toks)) {
    return false;
  }
  for (size_t i = 0; i + 1 < toks.size(); ++i) {
    if (IsFwc(toks[i])) {
      return false;
    }
  }
  SubjectPattern p;
  p.text_ = std::string(pattern);
  p.tokens_.reserve(toks.size());
  for (std::string_view t : toks) {
    p.tokens_.push_back(
        Token{static_cast<uint32_t>(t.data() - pattern.data()), static_cast<uint32_t>(t.size())});
    if (IsPwc(t) || IsFwc(t)) {
      p.has_wildcard_ = true;
    }
  }
  *out = std::move(p);
  return true;
}

bool SubjectPattern::Matches(std::string_view subject) const {
  // Walk subject tokens without allocating.
  size_t n = tokens_.size();
  size_t i = 0;
  size_t start = 0;
  if (subject.empty()) {
    return false;
  }
  while (true) {
    size_t dot = subject.find('.', start);
    size_t end = dot == std::string_view::npos ? subject.size() : dot;
    std::string_view tok = subject.substr(start, end - start);
    if (tok.empty()) {
      return false;  // nats-server matches nothing for subjects with empty tokens
    }
    if (i >= n) {
      return false;
    }
    std::string_view pt = token(i);
    if (IsFwc(pt)) {
      // '>' takes this token and the rest, but the rest must still be well formed.
      while (dot != std::string_view::npos) {
        start = dot + 1;
        dot = subject.find('.', start);
        end = dot == std::string_view::npos ? subject.size() : dot;
        if (end == start) {
          return false;
        }
      }
      return true;
    }
    if (!IsPwc(pt) && pt != tok) {
      return false;
    }
    ++i;
    if (dot == std::string_view::npos) {
      return i == n;
    }
    start = dot + 1;
  }
}

bool SubjectPattern::Covers(std::string_view inner) const {
  // Mirrors nats-server's isSubsetMatch(tokens(inner), this): walk this pattern's tokens.
  std::vector<std::string_view> in;
  if (!SplitTokens(inner, &in)) {
    return false;
  }
  size_t n = tokens_.size();
  for (size_t i = 0; i < n; ++i) {
    if (i >= in.size()) {
      return false;
    }
    std::string_view t2 = token(i);
    if (IsFwc(t2)) {
      return true;
    }
    std::string_view t1 = in[i];
    if (IsFwc(t1)) {
      return false;
    }
    if (IsPwc(t1)) {
      if (!IsPwc(t2)) {
        return false;
      }
      continue;
    }
    if (!IsPwc(t2) && t1 != t2) {
      return false;
    }
  }
  return in.size() == n;
}

}  // namespace lattice::auth
