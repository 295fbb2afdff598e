// Subject algebra the account graph needs: validity, overlap and containment with `*` and `>`.
#pragma once

#include <string_view>

namespace lattice::accounts {

// Non-empty dot-separated tokens; `>` only as the last token; no whitespace.
bool IsValidSubject(std::string_view subject);

// True when some literal subject matches both patterns.
bool SubjectsOverlap(std::string_view a, std::string_view b);

// True when every literal subject matched by `sub` is also matched by `pattern`.
bool SubjectIsSubsetOf(std::string_view sub, std::string_view pattern);

}  // namespace lattice::accounts
