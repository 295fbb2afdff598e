// Validation of the account graph as a whole: every import names an existing export of the
// right kind (with a valid activation when the export requires one), and service imports never
// form a cycle. Run on the state a write would produce, so plans show the errors up front.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/jwt/claims.h"

namespace lattice::accounts {

// Account public key -> decoded claims of every live (not deleted) account.
using AccountSet = std::map<std::string, jwt::AccountClaims>;

// Human-readable errors; empty when the graph is consistent. Only imports of accounts listed
// in `check` are examined for existence (so unrelated stale imports do not block a write), but
// cycles are searched across the whole set. `now` bounds activation tokens.
// Thread: pure function, any thread.
std::vector<std::string> ValidateAccountGraph(const AccountSet& accounts,
                                              const std::vector<std::string>& check, int64_t now);

}  // namespace lattice::accounts
