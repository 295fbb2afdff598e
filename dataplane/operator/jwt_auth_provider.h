// JwtAuthProvider: operator-mode client authentication (user JWT + signed INFO nonce), as
// nats-server's processClientOrLeafAuthentication does it for JWT users.
//
//   JwtAuthProvider provider(trust, &account_lookup);
//   JwtAuthResult r = provider.AuthenticateJwt({&connect, nonce}, {client_ip, "STANDARD"}, now);
//   if (!r.ok()) -ERR ConnectErrorText(r.failure) ('Authorization Violation'), close;
//   else session.perms.Reset(r.identity.permissions); arm a timer for r.expires_unix;
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/jwt/claims.h"
#include "dataplane/auth/authenticator.h"
#include "dataplane/operator/operator_trust.h"

namespace lattice::operator_mode {

// Why a JWT user was refused. All of them are -ERR 'Authorization Violation' at CONNECT
// (nats-server sends nothing more specific); the name goes to logs.
enum class JwtFailure : uint8_t {
  kNone,
  kNoJwt,                 // operator mode and CONNECT carried no user JWT
  kBadJwt,                // does not decode, bad signature, wrong kind
  kUserExpired,           // exp <= now
  kUserNotYetValid,       // nbf > now
  kUnknownAccount,        // the issuing account cannot be found or resolved
  kAccountExpired,        // the account JWT is past its exp
  kUntrustedIssuer,       // not signed by the account nor one of its signing keys
  kBearerNotAllowed,      // bearer user in an account with disallow_bearer
  kMissingSignature,      // non-bearer user JWT without sig (or no nonce was sent)
  kBadSignature,          // sig is not the user key's signature of the nonce
  kRevoked,               // the account revoked this user (or "*") at/after its iat
  kConnectionTypeDenied,  // allowed_connection_types excludes this connection
  kSourceDenied,          // src CIDRs exclude the client address
  kOutsideTimeWindow,     // times/times_location exclude now
  kBadPermissions,        // scoped signing key template failed, or an invalid scope use
};
std::string_view JwtFailureName(JwtFailure failure);

// The -ERR text nats-server sends for a refused CONNECT ('Authorization Violation').
std::string_view ConnectErrorText(JwtFailure failure);
// The -ERR texts nats-server sends when it closes a live JWT connection.
inline constexpr std::string_view kUserExpiredText = "User Authentication Expired";
inline constexpr std::string_view kUserRevokedText = "User Authentication Revoked";
inline constexpr std::string_view kAccountExpiredText = "Account Authentication Expired";

// The auth::AuthFailure closest to `failure`, for the AuthProvider interface.
auth::AuthFailure ToAuthFailure(JwtFailure failure);

// What the server knows about the connection besides CONNECT (not in auth::AuthRequest yet).
struct ClientContext {
  std::string_view client_ip;                     // textual IPv4/IPv6; empty = unknown
  std::string_view connection_type = "STANDARD";  // STANDARD, WEBSOCKET, LEAFNODE, MQTT, ...
};

// Everything the server needs from an accepted JWT user; auth::Identity carries only part of
// it (see README.md for the fields Identity should grow).
struct JwtAuthResult {
  JwtFailure failure = JwtFailure::kNone;
  std::string detail;       // human reason for logs
  auth::Identity identity;  // user = user public key, account = account public key
  std::string user_public_key;
  std::string account;         // account public key
  std::string issuer_account;  // set when a signing key issued the user (nats-server's field)
  std::string signing_key;     // the key that signed the user JWT
  std::string name;            // the JWT's name claim
  int64_t issued_at = 0;
  // Unix seconds at which the connection must be closed with kUserExpiredText: the earliest
  // of the user JWT's exp and the end of its current time window; 0 = never.
  int64_t expires_unix = 0;
  bool bearer = false;
  bool ok() const { return failure == JwtFailure::kNone; }
};

// Validated account claims by public key, fetching through the resolver when needed.
// Implemented by OperatorMode (and fakes in tests). Thread: any.
class AccountClaimsLookup {
 public:
  virtual ~AccountClaimsLookup() = default;
  // Null when the account is unknown or its JWT failed validation; *why says which.
  // May block up to the resolver timeout for an account not seen before.
  virtual std::shared_ptr<const jwt::AccountClaims> FindAccount(const std::string& account,
                                                                std::string* why) const = 0;
};

// The operator-mode AuthProvider. Owned by the Authenticator (or OperatorMode); holds shared
// trust and a lookup that must outlive it. Thread: any (const, no state).
class JwtAuthProvider final : public auth::AuthProvider {
 public:
  using NowFn = std::function<int64_t()>;
  JwtAuthProvider(std::shared_ptr<const OperatorTrust> trust, const AccountClaimsLookup* lookup,
                  NowFn now = nullptr);

  // The full decision, with the context AuthRequest lacks.
  JwtAuthResult AuthenticateJwt(const auth::AuthRequest& request, const ClientContext& context,
                                int64_t now) const;

  // auth::AuthProvider: a CONNECT without `jwt` is refused (operator mode has no other users);
  // client address and connection type from the request (src, allowed_connection_types).
  Verdict Authenticate(const auth::AuthRequest& request, auth::Identity* identity,
                       auth::AuthFailure* failure) const override;
  bool NeedsNonce() const override { return true; }

 private:
  std::shared_ptr<const OperatorTrust> trust_;
  const AccountClaimsLookup* lookup_;
  NowFn now_;
};

// jwt permissions -> the server's permission options (nats-server's buildPermissionsFromJwt):
// null when nothing is set.
std::shared_ptr<const auth::CompiledPermissions> CompileJwtPermissions(
    const jwt::Permissions& perms);

}  // namespace lattice::operator_mode
