// Client authentication: decides from the node's Options whether INFO says auth_required,
// and turns a client's CONNECT credentials into an Identity (user, account, permissions).
//
//   auto auth = Authenticator::Create(options);      // at start and on every reload
//   info.auth_required = (*auth)->advertise_auth_required();
//   if ((*auth)->NeedsNonce()) info.nonce = GenerateNonce();   // nkey users, JWT later
//   AuthOutcome out = (*auth)->Authenticate({&connect, nonce});
//   if (!out.ok()) -ERR 'Authorization Violation' and close;
//   session.perms.Reset(out.identity.permissions);
//
// Providers (AuthProvider) are tried in order; the first that recognises the credentials
// decides. Simple auth (users list, --auth token, --user/--pass) is built in; nkey and JWT
// providers arrive with the accounts issue through the Create overload that takes extra
// providers (see README.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

#include "dataplane/auth/connect_options.h"
#include "dataplane/auth/permissions.h"
#include "dataplane/options/options.h"
#include "dataplane/tls/peer_identity.h"

namespace lattice::auth {

inline constexpr std::string_view kGlobalAccount = "$G";

// Who a connection is after authentication. Copyable value; the permissions are shared and
// immutable. Thread: any.
struct Identity {
  std::string user;                     // empty for anonymous connections (no auth configured)
  std::string account{kGlobalAccount};  // "$G" until accounts arrive
  // Null = no restrictions. Otherwise give it to ConnectionPermissions::Reset.
  std::shared_ptr<const CompiledPermissions> permissions;
  // For nkey and (operator mode) JWT users: the user's public key (U...), which revocations
  // name. Empty for password/token users.
  std::string user_public_key;
  // JWT users: the JWT's issued-at (unix seconds), compared with revocation times; 0 otherwise.
  int64_t issued_at_unix = 0;
  // Unix seconds at which the session must end with -ERR 'User Authentication Expired'
  // (JWT expiry); 0 = never.
  int64_t expires_unix = 0;
  // JWT users: the account that issued the user when a signing key signed it (nats-server's
  // issuer_account), and the JWT's name claim (monitoring). Empty otherwise.
  std::string issuer_account;
  std::string name;
};

// Why authentication failed; all map to -ERR 'Authorization Violation' on the wire, the
// reason goes to logs and (later) $SYS auth-error events.
enum class AuthFailure : uint8_t {
  kNone,
  kNoCredentials,      // auth required and nothing usable was sent
  kUnknownUser,        // user (or nkey) not configured
  kBadPassword,        // password or token mismatch
  kAccountNotAllowed,  // CONNECT named an account / new_account (nats-server refuses)
  kBadSignature,       // nkey signature over the nonce, or a JWT that does not verify
  kExpired,            // JWT user not (or no longer / not yet) valid
  kRevoked,            // JWT user revoked by its account
  kUnknownAccount,     // JWT user's account cannot be resolved, is expired or untrusted
  kNotAllowedHere,     // JWT user limits: connection type, source address, time window
};
std::string_view AuthFailureName(AuthFailure failure);

// nats-server's INFO nonce: 11 random bytes (libsodium), base64url without padding (15 chars).
inline constexpr size_t kNonceBytes = 11;
std::string GenerateNonce();

struct AuthOutcome {
  AuthFailure failure = AuthFailure::kNone;
  Identity identity;  // meaningful only when ok()
  bool ok() const { return failure == AuthFailure::kNone; }
};

// What a provider sees of the connection. Views are valid for the duration of the call.
struct AuthRequest {
  const ConnectOptions* connect = nullptr;
  std::string_view nonce;  // the nonce sent in INFO; empty when none was sent
  // tls { verify_and_map }: the client certificate's names in match order. When set, the
  // users list maps the first name that is a configured user (CONNECT's user is ignored);
  // no match is an Authorization Violation.
  const std::vector<tls::PeerIdentity>* certificate_identities = nullptr;
  // The client's address (textual IPv4/IPv6; empty = unknown) and connection type
  // (STANDARD, WEBSOCKET, LEAFNODE, MQTT), for JWT users' src and allowed_connection_types.
  std::string_view client_ip;
  std::string_view connection_type = "STANDARD";
};

// One way to authenticate (users, token, single user; nkeys, JWT later). Immutable after
// construction; owned by an Authenticator. Thread: any (Authenticate is const and may run
// on every worker loop at once).
class AuthProvider {
 public:
  enum class Verdict : uint8_t { kNotMine, kAccepted, kRejected };

  virtual ~AuthProvider() = default;
  // kNotMine: these credentials are not for this provider, try the next one.
  // kAccepted: *identity is filled. kRejected: *failure says why.
  virtual Verdict Authenticate(const AuthRequest& request, Identity* identity,
                               AuthFailure* failure) const = 0;
  // True when this provider needs a nonce in INFO (nkey/JWT signature checks).
  virtual bool NeedsNonce() const { return false; }
};

// The authentication policy for one Options snapshot. Immutable after Create, so the server
// swaps a shared_ptr<const Authenticator> on reload and in-flight CONNECTs finish against
// the old one. Owned by the server (shared with its worker loops). Thread: any.
//
// Cost: bcrypt-hashed secrets make Authenticate take milliseconds (cost 10 ~ 50 ms) on the
// calling thread; plain secrets are a constant-time compare.
class Authenticator {
 public:
  // Builds providers from `options`, tried in this order: nkey users (users entries with
  // `nkey`: Ed25519 signature of the INFO nonce), password users (with no_auth_user and
  // default_permissions for users without their own), auth_token, username/password.
  // Errors (as nats-server's config checks): no_auth_user naming an unknown user, duplicate
  // users or nkeys, invalid user nkeys, users together with a token or a single user.
  static absl::StatusOr<std::shared_ptr<const Authenticator>> Create(
      const options::Options& options);

  // Adds providers (nkey/JWT later, fakes in tests) ahead of the built-in ones. A provider
  // may make auth required even without simple-auth options.
  static absl::StatusOr<std::shared_ptr<const Authenticator>> Create(
      const options::Options& options, std::vector<std::unique_ptr<AuthProvider>> extra,
      bool extra_requires_auth);

  // Whether credentials are checked (any users, token, single user or extra provider
  // configured). The server then expects CONNECT as the first op.
  bool auth_required() const { return auth_required_; }
  // Whether INFO carries auth_required:true: as auth_required() except that nats-server
  // leaves the flag off when no_auth_user is set (clients without credentials get in).
  bool advertise_auth_required() const { return advertise_auth_required_; }
  // Whether INFO must carry a nonce (some provider verifies signatures).
  bool NeedsNonce() const;

  // Decides for one CONNECT. Without auth_required every client is accepted as anonymous in
  // $G with no permissions (credentials ignored), as nats-server does; either way a CONNECT
  // that names `account` or sets `new_account` fails.
  AuthOutcome Authenticate(const AuthRequest& request) const;

  // Warnings gathered while compiling permissions (skipped invalid entries) and plaintext
  // passwords, for the server to log once.
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  Authenticator() = default;

  bool auth_required_ = false;
  bool advertise_auth_required_ = false;
  std::vector<std::unique_ptr<AuthProvider>> providers_;
  std::vector<std::string> warnings_;
};

}  // namespace lattice::auth
