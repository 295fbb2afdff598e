// Secret comparison for configured passwords and tokens: bcrypt hashes via libcrypt, plain
// secrets in constant time.
#pragma once

#include <string_view>

namespace lattice::auth {

// True when `secret` looks like a bcrypt hash (nats-server: ^\$2[abxy]\$\d{2}\$.*).
bool IsBcrypt(std::string_view secret);

// True when the bytes are equal; time depends only on the lengths, not on where they differ.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// nats-server comparePasswords: bcrypt check when `configured` is a bcrypt hash, else a
// constant-time equality. A client secret containing NUL never matches a bcrypt hash
// (libcrypt would truncate it). Thread: any (uses crypt_rn with stack state).
bool ComparePassword(std::string_view configured, std::string_view client);

}  // namespace lattice::auth
