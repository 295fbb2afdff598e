// Built-in auth providers (nkey users, users list, token, single user) and the policy
// that chains them.
#include "dataplane/auth/authenticator.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include <sodium.h>

#include "common/nkeys/nkeys.h"
#include "dataplane/auth/password.h"

namespace lattice::auth {
namespace {

using Verdict = AuthProvider::Verdict;

struct ConfiguredUser {
  std::string name;
  std::string password;
  std::string account;
  std::shared_ptr<const CompiledPermissions> permissions;
};

Identity MakeIdentity(const ConfiguredUser& u) {
  Identity id;
  id.user = u.name;
  if (!u.account.empty()) {
    id.account = u.account;
  }
  id.permissions = u.permissions;
  return id;
}

Verdict Reject(AuthFailure why, AuthFailure* failure) {
  *failure = why;
  return Verdict::kRejected;
}

// Decodes a signature sent as base64url without padding, falling back to standard base64
// (nats-server accepts both).
bool DecodeSignature(std::string_view sig, std::string* out) {
  absl::string_view in(sig.data(), sig.size());  // Debian's Abseil has its own string_view
  if (absl::WebSafeBase64Unescape(in, out)) {
    return true;
  }
  return absl::Base64Unescape(in, out);
}

// users = [{nkey: U...}]: the client signs the INFO nonce with its user key.
// Owned by an Authenticator. Thread: any (immutable).
class NkeyUsersProvider final : public AuthProvider {
 public:
  explicit NkeyUsersProvider(absl::flat_hash_map<std::string, ConfiguredUser> users)
      : users_(std::move(users)) {}

  Verdict Authenticate(const AuthRequest& req, Identity* identity,
                       AuthFailure* failure) const override {
    const ConnectOptions& c = *req.connect;
    if (c.nkey.empty()) {
      return Verdict::kNotMine;
    }
    auto it = users_.find(c.nkey);
    if (it == users_.end()) {
      return Reject(AuthFailure::kUnknownUser, failure);
    }
    absl::StatusOr<nkeys::PublicKey> key = nkeys::PublicKey::ParseAs(c.nkey, nkeys::KeyType::kUser);
    std::string sig;
    if (!key.ok() || req.nonce.empty() || !DecodeSignature(c.sig, &sig) ||
        !nkeys::Verify(*key, req.nonce, sig)) {
      return Reject(AuthFailure::kBadSignature, failure);
    }
    *identity = MakeIdentity(it->second);
    identity->user_public_key = c.nkey;
    return Verdict::kAccepted;
  }
  bool NeedsNonce() const override { return true; }

 private:
  absl::flat_hash_map<std::string, ConfiguredUser> users_;  // keyed by nkey
};

// authorization.users with passwords, plus no_auth_user.
// Owned by an Authenticator. Thread: any (immutable).
class UsersProvider final : public AuthProvider {
 public:
  UsersProvider(absl::flat_hash_map<std::string, ConfiguredUser> users, std::string no_auth_user)
      : users_(std::move(users)), no_auth_user_(std::move(no_auth_user)) {}

  Verdict Authenticate(const AuthRequest& req, Identity* identity,
                       AuthFailure* failure) const override {
    const ConnectOptions& c = *req.connect;
    if (req.certificate_identities != nullptr) {
      return MapCertificate(*req.certificate_identities, identity, failure);
    }
    if (!no_auth_user_.empty() && !c.HasUserPassOrToken()) {
      // No credentials at all: the connection becomes no_auth_user (validated at Create).
      auto it = users_.find(no_auth_user_);
      if (it != users_.end()) {
        *identity = MakeIdentity(it->second);
        return Verdict::kAccepted;
      }
    }
    if (c.user.empty()) {
      return Verdict::kNotMine;
    }
    auto it = users_.find(c.user);
    if (it == users_.end()) {
      return Reject(AuthFailure::kUnknownUser, failure);
    }
    if (!ComparePassword(it->second.password, c.pass)) {
      return Reject(AuthFailure::kBadPassword, failure);
    }
    *identity = MakeIdentity(it->second);
    return Verdict::kAccepted;
  }

 private:
  // verify_and_map, as nats-server: each name literally, and the subject DN also against
  // every user name that is a DN with the same attributes in another order.
  Verdict MapCertificate(const std::vector<tls::PeerIdentity>& names, Identity* identity,
                         AuthFailure* failure) const {
    for (const tls::PeerIdentity& id : names) {
      auto it = users_.find(id.name);
      if (it == users_.end() && id.kind == tls::IdentityKind::kSubjectDn) {
        it = std::find_if(users_.begin(), users_.end(), [&](const auto& entry) {
          return tls::DistinguishedNamesMatch(entry.first, id.name);
        });
      }
      if (it != users_.end()) {
        *identity = MakeIdentity(it->second);
        return Verdict::kAccepted;
      }
    }
    return Reject(AuthFailure::kUnknownUser, failure);
  }

  absl::flat_hash_map<std::string, ConfiguredUser> users_;  // keyed by user name
  std::string no_auth_user_;
};

// --auth / authorization.token: when configured it decides for every remaining client.
// Owned by an Authenticator. Thread: any (immutable).
class TokenProvider final : public AuthProvider {
 public:
  explicit TokenProvider(std::string token) : token_(std::move(token)) {}
  Verdict Authenticate(const AuthRequest& req, Identity* identity,
                       AuthFailure* failure) const override {
    if (req.connect->auth_token.empty()) {
      return Reject(AuthFailure::kNoCredentials, failure);
    }
    if (!ComparePassword(token_, req.connect->auth_token)) {
      return Reject(AuthFailure::kBadPassword, failure);
    }
    *identity = Identity{};
    return Verdict::kAccepted;
  }

 private:
  std::string token_;
};

// --user/--pass or authorization { user, password }.
// Owned by an Authenticator. Thread: any (immutable).
class SingleUserProvider final : public AuthProvider {
 public:
  SingleUserProvider(std::string user, std::string password)
      : user_(std::move(user)), password_(std::move(password)) {}
  Verdict Authenticate(const AuthRequest& req, Identity* identity,
                       AuthFailure* failure) const override {
    const ConnectOptions& c = *req.connect;
    if (c.user.empty()) {
      return Reject(AuthFailure::kNoCredentials, failure);
    }
    // Evaluate both comparisons so timing does not tell a wrong name from a wrong password.
    bool name_ok = ConstantTimeEquals(user_, c.user);
    bool pass_ok = ComparePassword(password_, c.pass);
    if (!name_ok) {
      return Reject(AuthFailure::kUnknownUser, failure);
    }
    if (!pass_ok) {
      return Reject(AuthFailure::kBadPassword, failure);
    }
    identity->user = user_;
    identity->account = std::string(kGlobalAccount);
    identity->permissions = nullptr;
    return Verdict::kAccepted;
  }

 private:
  std::string user_;
  std::string password_;
};

}  // namespace

std::string_view AuthFailureName(AuthFailure failure) {
  switch (failure) {
    case AuthFailure::kNone:
      return "none";
    case AuthFailure::kNoCredentials:
      return "no credentials";
    case AuthFailure::kUnknownUser:
      return "unknown user";
    case AuthFailure::kBadPassword:
      return "bad password or token";
    case AuthFailure::kAccountNotAllowed:
      return "account in CONNECT not allowed";
    case AuthFailure::kBadSignature:
      return "bad signature";
    case AuthFailure::kExpired:
      return "credentials expired";
    case AuthFailure::kRevoked:
      return "user revoked";
    case AuthFailure::kUnknownAccount:
      return "unknown or untrusted account";
    case AuthFailure::kNotAllowedHere:
      return "connection not allowed by user limits";
  }
  return "unknown";
}

std::string GenerateNonce() {
  unsigned char raw[kNonceBytes];
  randombytes_buf(raw, sizeof(raw));
  std::string out;
  absl::WebSafeBase64Escape(absl::string_view(reinterpret_cast<const char*>(raw), sizeof(raw)),
                            &out);
  return out;
}

absl::StatusOr<std::shared_ptr<const Authenticator>> Authenticator::Create(
    const options::Options& options) {
  return Create(options, {}, false);
}

absl::StatusOr<std::shared_ptr<const Authenticator>> Authenticator::Create(
    const options::Options& options, std::vector<std::unique_ptr<AuthProvider>> extra,
    bool extra_requires_auth) {
  std::shared_ptr<Authenticator> a(new Authenticator());
  if (!options.users.empty()) {
    if (!options.username.empty()) {
      return absl::InvalidArgumentError("Can not have a single user/pass and a users array");
    }
    if (!options.auth_token.empty()) {
      return absl::InvalidArgumentError("Can not have a token and a users array");
    }
  }
  std::shared_ptr<const CompiledPermissions> default_perms;
  if (options.default_permissions.has_value()) {
    default_perms = CompiledPermissions::Compile(*options.default_permissions, &a->warnings_);
  }
  absl::flat_hash_map<std::string, ConfiguredUser> by_name;
  absl::flat_hash_map<std::string, ConfiguredUser> by_nkey;
  bool plaintext = !options.password.empty() && !IsBcrypt(options.password);
  for (const options::User& u : options.users) {
    ConfiguredUser cu;
    cu.password = u.password;
    cu.account = u.account;
    cu.permissions = u.permissions.has_value()
                         ? CompiledPermissions::Compile(*u.permissions, &a->warnings_)
                         : default_perms;
    if (!u.nkey.empty()) {
      if (!nkeys::IsValidPublicKey(u.nkey, nkeys::KeyType::kUser)) {
        return absl::InvalidArgumentError(
            absl::StrCat("Not a valid public nkey for a user: \"", u.nkey, "\""));
      }
      cu.name = u.nkey;
      if (!by_nkey.emplace(u.nkey, std::move(cu)).second) {
        return absl::InvalidArgumentError(absl::StrCat("Duplicate nkey \"", u.nkey, "\" detected"));
      }
      continue;
    }
    if (u.username.empty()) {
      return absl::InvalidArgumentError("User entry requires a user");
    }
    if (!IsBcrypt(u.password)) {
      plaintext = true;
    }
    cu.name = u.username;
    if (!by_name.emplace(u.username, std::move(cu)).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("Duplicate user \"", u.username, "\" detected"));
    }
  }
  if (!options.no_auth_user.empty() && !by_name.contains(options.no_auth_user)) {
    return absl::InvalidArgumentError(
        absl::StrCat("no_auth_user: \"", options.no_auth_user,
                     "\" not present as user or nkey in authorization block"));
  }
  if (plaintext) {
    a->warnings_.push_back("Plaintext passwords detected, use nkeys or bcrypt");
  }

  a->auth_required_ = extra_requires_auth || !options.users.empty() || !options.username.empty() ||
                      !options.auth_token.empty();
  a->advertise_auth_required_ = a->auth_required_ && options.no_auth_user.empty();
  for (auto& p : extra) {
    a->providers_.push_back(std::move(p));
  }
  if (!by_nkey.empty()) {
    a->providers_.push_back(std::make_unique<NkeyUsersProvider>(std::move(by_nkey)));
  }
  if (!by_name.empty()) {
    a->providers_.push_back(
        std::make_unique<UsersProvider>(std::move(by_name), options.no_auth_user));
  }
  if (!options.auth_token.empty()) {
    a->providers_.push_back(std::make_unique<TokenProvider>(options.auth_token));
  } else if (!options.username.empty()) {
    a->providers_.push_back(
        std::make_unique<SingleUserProvider>(options.username, options.password));
  }
  return std::shared_ptr<const Authenticator>(std::move(a));
}

bool Authenticator::NeedsNonce() const {
  for (const auto& p : providers_) {
    if (p->NeedsNonce()) {
      return true;
    }
  }
  return false;
}

AuthOutcome Authenticator::Authenticate(const AuthRequest& request) const {
  AuthOutcome out;
  if (request.connect == nullptr) {
    out.failure = AuthFailure::kNoCredentials;
    return out;
  }
  if (auth_required_) {
    out.failure = AuthFailure::kNoCredentials;  // when no provider claims the request
    for (const auto& p : providers_) {
      AuthFailure why = AuthFailure::kNoCredentials;
      Verdict v = p->Authenticate(request, &out.identity, &why);
      if (v == Verdict::kAccepted) {
        out.failure = AuthFailure::kNone;
        break;
      }
      if (v == Verdict::kRejected) {
        out.failure = why == AuthFailure::kNone ? AuthFailure::kNoCredentials : why;
        break;
      }
    }
    if (!out.ok()) {
      out.identity = Identity{};
      return out;
    }
  }
  // nats-server refuses account designation in CONNECT after authentication succeeded.
  if (!request.connect->account.empty() || request.connect->new_account) {
    out.failure = AuthFailure::kAccountNotAllowed;
    out.identity = Identity{};
  }
  return out;
}

}  // namespace lattice::auth
