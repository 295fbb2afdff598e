// A pre-tokenized subject pattern and the token-wise matching rules permissions need
// (literal tokens, `*` one token, `>` one or more trailing tokens).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lattice::auth {

// A validated subject pattern split into tokens once, so matching never re-splits it.
// A value type. Thread: any (immutable after Parse).
class SubjectPattern {
 public:
  // False (and *out untouched) for an empty pattern, an empty token or '>' not last.
  // Other bytes are not checked (nats-server's permission sublists accept them too).
  static bool Parse(std::string_view pattern, SubjectPattern* out);

  const std::string& text() const { return text_; }
  bool has_wildcard() const { return has_wildcard_; }

  // True when `subject` is matched. Tokens of `subject` are compared literally, so a
  // wildcard SUB subject "foo.*" is matched by patterns "foo.*", "foo.>" and ">" but not by
  // "foo.bar" (nats-server Sublist.Match behaviour). A subject with an empty token (or an
  // empty subject) matches nothing.
  bool Matches(std::string_view subject) const;

  // True when every subject matched by `inner` is also matched by this pattern
  // (nats-server subjectIsSubsetMatch(inner, this)).
  bool Covers(std::string_view inner) const;

 private:
  struct Token {
    uint32_t offset;
    uint32_t size;
  };
  std::string_view token(size_t i) const {
    return {text_.data() + tokens_[i].offset, tokens_[i].size};
  }

  std::string text_;
  std::vector<Token> tokens_;  // offsets into text_, so copies stay valid
  bool has_wildcard_ = false;
};

// True when `s` has a token that is exactly "*" or ">".
bool HasWildcardToken(std::string_view s);

}  // namespace lattice::auth
