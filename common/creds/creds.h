// NATS credentials files: the armored user JWT + seed format nsc writes and every client reads.
//
//   LATTICE_ASSIGN_OR_RETURN(nkeys::SecretString text, creds::FormatUserCreds(jwt, user_kp));
//   LATTICE_ASSIGN_OR_RETURN(creds::UserCreds parsed, creds::ParseUserCreds(text.view()));
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include "common/nkeys/nkeys.h"

namespace lattice::creds {

// "-----BEGIN NATS USER JWT-----", the JWT, "------END NATS USER JWT------", the warning banner,
// then the seed in "-----BEGIN USER NKEY SEED-----" armor, byte for byte as nsc writes it.
// Fails when `user` is not a user key.
absl::StatusOr<nkeys::SecretString> FormatUserCreds(std::string_view jwt,
                                                    const nkeys::KeyPair& user);

// A standalone decorated JWT: "-----BEGIN NATS <KIND> JWT-----" (KIND = OPERATOR, ACCOUNT, ...).
std::string FormatDecoratedJwt(std::string_view jwt, std::string_view kind);

// What a creds file holds. Owner: the caller; the seed wipes itself when dropped.
struct UserCreds {
  std::string jwt;
  nkeys::SecretString seed;
};

// Parses armored creds the way the NATS libraries do: blocks are a line of 3+ dashes, one
// content line, a line of 3+ dashes; the first block is the JWT, the second the seed (\r\n
// tolerated). Without armor, falls back to the first JWT-looking line and the first seed line.
// The seed must be a valid user seed.
absl::StatusOr<UserCreds> ParseUserCreds(std::string_view text);

// The JWT of a decorated (or bare) JWT file.
absl::StatusOr<std::string> ParseDecoratedJwt(std::string_view text);

// File helpers: writes with mode 0600 (replacing any existing file), reads whole files.
absl::Status WriteSecretFile(const std::string& path, std::string_view contents);
absl::StatusOr<UserCreds> ReadUserCredsFile(const std::string& path);

}  // namespace lattice::creds
