// JwtAuthProvider: the user-JWT checks of nats-server's processClientOrLeafAuthentication.
#include "dataplane/operator/jwt_auth_provider.h"

#include <algorithm>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

#include "common/base/log.h"
#include "common/jwt/chain.h"
#include "common/jwt/user_limits.h"
#include "common/nkeys/nkeys.h"

namespace lattice::operator_mode {
namespace {

JwtAuthResult Fail(JwtFailure failure, std::string detail) {
  JwtAuthResult r;
  r.failure = failure;
  r.detail = std::move(detail);
  return r;
}

// base64url without padding (what clients send), falling back to standard base64.
bool DecodeSignature(std::string_view sig, std::string* out) {
  absl::string_view in(sig.data(), sig.size());
  return absl::WebSafeBase64Unescape(in, out) || absl::Base64Unescape(in, out);
}

bool HasSigningKey(const jwt::AccountClaims& account, const std::string& key) {
  for (const jwt::SigningKey& k : account.nats.signing_keys) {
    if (k.key == key)
      return true;
  }
  return false;
}

}  // namespace

std::string_view JwtFailureName(JwtFailure failure) {
  switch (failure) {
    case JwtFailure::kNone:
      return "none";
    case JwtFailure::kNoJwt:
      return "authentication requires a user JWT";
    case JwtFailure::kBadJwt:
      return "user JWT not valid";
    case JwtFailure::kUserExpired:
      return "user JWT has expired";
    case JwtFailure::kUserNotYetValid:
      return "user JWT is not yet valid";
    case JwtFailure::kUnknownAccount:
      return "account JWT lookup error";
    case JwtFailure::kAccountExpired:
      return "account JWT has expired";
    case JwtFailure::kUntrustedIssuer:
      return "user JWT issuer is not known";
    case JwtFailure::kBearerNotAllowed:
      return "account does not allow bearer token";
    case JwtFailure::kMissingSignature:
      return "signature missing";
    case JwtFailure::kBadSignature:
      return "signature not verified";
    case JwtFailure::kRevoked:
      return "user authentication revoked";
    case JwtFailure::kConnectionTypeDenied:
      return "connection type not allowed";
    case JwtFailure::kSourceDenied:
      return "bad src IP";
    case JwtFailure::kOutsideTimeWindow:
      return "outside connect times";
    case JwtFailure::kBadPermissions:
      return "user JWT generated invalid permissions";
  }
  return "unknown";
}

std::string_view ConnectErrorText(JwtFailure failure) {
  (void)failure;  // nats-server's authViolation sends the same text for every reason
  return "Authorization Violation";
}

auth::AuthFailure ToAuthFailure(JwtFailure failure) {
  switch (failure) {
    case JwtFailure::kNone:
      return auth::AuthFailure::kNone;
    case JwtFailure::kNoJwt:
      return auth::AuthFailure::kNoCredentials;
    case JwtFailure::kMissingSignature:
    case JwtFailure::kBadSignature:
    case JwtFailure::kBadJwt:
    case JwtFailure::kUntrustedIssuer:
    case JwtFailure::kBearerNotAllowed:
      return auth::AuthFailure::kBadSignature;
    case JwtFailure::kUserExpired:
    case JwtFailure::kUserNotYetValid:
      return auth::AuthFailure::kExpired;
    case JwtFailure::kRevoked:
      return auth::AuthFailure::kRevoked;
    case JwtFailure::kUnknownAccount:
    case JwtFailure::kAccountExpired:
      return auth::AuthFailure::kUnknownAccount;
    case JwtFailure::kConnectionTypeDenied:
    case JwtFailure::kSourceDenied:
    case JwtFailure::kOutsideTimeWindow:
      return auth::AuthFailure::kNotAllowedHere;
    case JwtFailure::kBadPermissions:
      return auth::AuthFailure::kUnknownUser;
  }
  return auth::AuthFailure::kUnknownUser;
}

std::shared_ptr<const auth::CompiledPermissions> CompileJwtPermissions(
    const jwt::Permissions& perms) {
  if (perms.empty())
    return nullptr;
  options::Permissions p;
  p.publish.allow = perms.pub.allow;
  p.publish.deny = perms.pub.deny;
  p.subscribe.allow = perms.sub.allow;
  p.subscribe.deny = perms.sub.deny;
  if (perms.resp.has_value()) {
    options::ResponsePermission resp;
    resp.max_msgs = perms.resp->max_msgs;
    resp.expires = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::nanoseconds(perms.resp->ttl_ns));
    p.allow_responses = resp;
  }
  return auth::CompiledPermissions::Compile(p);
}

JwtAuthProvider::JwtAuthProvider(std::shared_ptr<const OperatorTrust> trust,
                                 const AccountClaimsLookup* lookup, NowFn now)
    : trust_(std::move(trust)), lookup_(lookup), now_(std::move(now)) {
  if (!now_)
    now_ = [] { return jwt::NowSeconds(); };
}

JwtAuthResult JwtAuthProvider::AuthenticateJwt(const auth::AuthRequest& request,
                                               const ClientContext& context, int64_t now) const {
  if (request.connect == nullptr || request.connect->jwt.empty())
    return Fail(JwtFailure::kNoJwt, "CONNECT has no user JWT");
  const auth::ConnectOptions& c = *request.connect;

  absl::StatusOr<jwt::UserClaims> user = jwt::DecodeUser(c.jwt);
  if (!user.ok())
    return Fail(JwtFailure::kBadJwt, std::string(user.status().message()));
  if (user->std.expires != 0 && user->std.expires <= now)
    return Fail(JwtFailure::kUserExpired,
                "user JWT expired at " + std::to_string(user->std.expires));
  if (user->std.not_before != 0 && user->std.not_before > now)
    return Fail(JwtFailure::kUserNotYetValid,
                "user JWT not valid before " + std::to_string(user->std.not_before));
  const jwt::UserPermissionLimits& own = user->nats.permissions;
  if (!jwt::ConnectionTypeAllowed(own, context.connection_type))
    return Fail(JwtFailure::kConnectionTypeDenied, std::string(context.connection_type));

  // The account: issuer_account when a signing key issued the user, else the issuer.
  std::string account_key =
      user->nats.issuer_account.empty() ? user->std.issuer : user->nats.issuer_account;
  if (!nkeys::IsValidPublicKey(account_key, nkeys::KeyType::kAccount))
    return Fail(JwtFailure::kUntrustedIssuer, "user JWT is not issued by an account");
  std::string why;
  std::shared_ptr<const jwt::AccountClaims> account =
      lookup_ == nullptr ? nullptr : lookup_->FindAccount(account_key, &why);
  if (account == nullptr)
    return Fail(JwtFailure::kUnknownAccount, absl::StrCat("account ", account_key, ": ", why));
  // The lookup only hands out validated claims; check again, trust is cheap to verify and the
  // account may have expired since it was loaded.
  absl::StatusOr<size_t> op_index = trust_->ValidateAccount(*account, now);
  if (!op_index.ok()) {
    JwtFailure f = op_index.status().code() == absl::StatusCode::kFailedPrecondition
                       ? JwtFailure::kAccountExpired
                       : JwtFailure::kUnknownAccount;
    return Fail(f, std::string(op_index.status().message()));
  }
  const jwt::OperatorClaims& op = trust_->operators()[*op_index].claims;

  if (user->std.issuer != account->std.subject && !HasSigningKey(*account, user->std.issuer))
    return Fail(JwtFailure::kUntrustedIssuer,
                "user JWT issuer " + user->std.issuer + " is not known");
  if (own.bearer_token && account->nats.limits.account.disallow_bearer)
    return Fail(JwtFailure::kBearerNotAllowed,
                "account " + account_key + " disallows bearer tokens");
  if (!own.bearer_token) {
    std::string sig;
    if (c.sig.empty() || request.nonce.empty())
      return Fail(JwtFailure::kMissingSignature, "no signature of the nonce");
    if (!DecodeSignature(c.sig, &sig))
      return Fail(JwtFailure::kBadSignature, "signature not valid base64");
    absl::StatusOr<nkeys::PublicKey> key =
        nkeys::PublicKey::ParseAs(user->std.subject, nkeys::KeyType::kUser);
    if (!key.ok() || !nkeys::Verify(*key, request.nonce, sig))
      return Fail(JwtFailure::kBadSignature, "signature does not verify against the user key");
  }
  if (jwt::IsRevoked(account->nats.revocations, user->std.subject, user->std.issued_at))
    return Fail(JwtFailure::kRevoked, "user " + user->std.subject + " revoked");

  // Issuer rules, strict signing keys and the scoped-key template (which replaces the user's
  // own limits, so src/times below use the effective set).
  absl::StatusOr<jwt::UserPermissionLimits> effective = jwt::ValidateUser(op, *account, *user, now);
  if (!effective.ok())
    return Fail(JwtFailure::kBadPermissions, std::string(effective.status().message()));
  if (!jwt::ConnectionTypeAllowed(*effective, context.connection_type))
    return Fail(JwtFailure::kConnectionTypeDenied, std::string(context.connection_type));
  if (!effective->src.empty() && !jwt::SourceAllowed(*effective, context.client_ip))
    return Fail(JwtFailure::kSourceDenied,
                "client address '" + std::string(context.client_ip) + "'");
  std::optional<int64_t> window = jwt::TimeWindowRemaining(*effective, now);
  if (!window.has_value())
    return Fail(JwtFailure::kOutsideTimeWindow, "outside connect times");

  JwtAuthResult r;
  r.user_public_key = user->std.subject;
  r.account = account_key;
  r.signing_key = user->std.issuer;
  if (user->std.issuer != account_key)
    r.issuer_account = account_key;
  r.name = user->std.name;
  r.issued_at = user->std.issued_at;
  r.bearer = own.bearer_token;
  r.expires_unix = user->std.expires;
  if (*window != INT64_MAX) {
    int64_t window_end = now + *window;
    r.expires_unix = r.expires_unix == 0 ? window_end : std::min(r.expires_unix, window_end);
  }
  r.identity.user = user->std.subject;
  r.identity.account = account_key;
  r.identity.user_public_key = r.user_public_key;
  r.identity.issued_at_unix = r.issued_at;
  r.identity.expires_unix = r.expires_unix;
  r.identity.issuer_account = r.issuer_account;
  r.identity.name = r.name;
  r.identity.permissions = CompileJwtPermissions(
      effective->permissions.empty() ? account->nats.default_permissions : effective->permissions);
  return r;
}

auth::AuthProvider::Verdict JwtAuthProvider::Authenticate(const auth::AuthRequest& request,
                                                          auth::Identity* identity,
                                                          auth::AuthFailure* failure) const {
  JwtAuthResult r =
      AuthenticateJwt(request, ClientContext{request.client_ip, request.connection_type}, now_());
  if (!r.ok()) {
    LATTICE_LOG(kInfo) << "JWT user refused: " << JwtFailureName(r.failure) << ": " << r.detail;
    *failure = ToAuthFailure(r.failure);
    return Verdict::kRejected;
  }
  *identity = std::move(r.identity);
  return Verdict::kAccepted;
}

}  // namespace lattice::operator_mode
