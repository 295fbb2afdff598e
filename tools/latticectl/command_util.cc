// Shared helpers for latticectl commands.
#include "tools/latticectl/command_util.h"

#include "common/base/status_macros.h"

namespace lattice::latticectl {

std::vector<std::string> SplitString(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t at = s.find(sep, start);
    out.push_back(s.substr(start, at == std::string::npos ? std::string::npos : at - start));
    if (at == std::string::npos)
      return out;
    start = at + 1;
  }
}

absl::Status CheckSubject(const std::string& subject) {
  bool ok = !subject.empty();
  for (const std::string& token : SplitString(subject, '.')) {
    ok = ok && !token.empty() && token.find_first_of(" \t\r\n") == std::string::npos;
  }
  if (!ok)
    return absl::InvalidArgumentError("invalid subject \"" + subject + "\"");
  return absl::OkStatus();
}

absl::StatusOr<std::string> OnlyPositional(const Flags& flags, const std::string& what) {
  if (flags.positionals().size() != 1)
    return absl::InvalidArgumentError("expected " + what);
  return flags.positionals()[0];
}

absl::Status ApplyExpiry(Context& ctx, jwt::StandardClaims& std) {
  if (ctx.flags.Has("expiry")) {
    LATTICE_ASSIGN_OR_RETURN(int64_t seconds, ParseDuration(ctx.flags.Get("expiry")));
    std.expires = ctx.now + seconds;
  }
  if (ctx.flags.Has("expires-at")) {
    LATTICE_ASSIGN_OR_RETURN(std.expires, ctx.flags.GetInt("expires-at", 0));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ResolveAccountKey(const Store& store, const std::string& op,
                                              const std::string& name_or_key) {
  if (nkeys::AccountPublicKey::Parse(name_or_key).ok())
    return name_or_key;
  LATTICE_ASSIGN_OR_RETURN(jwt::AccountClaims acc, LoadAccount(store, op, name_or_key));
  return acc.std.subject;
}

absl::StatusOr<OperatorBundle> LoadOperator(const Store& store, const std::string& op) {
  LATTICE_ASSIGN_OR_RETURN(std::string token, store.ReadJwt(store.OperatorJwtPath(op)));
  LATTICE_ASSIGN_OR_RETURN(jwt::OperatorClaims claims, jwt::DecodeOperator(token));
  LATTICE_ASSIGN_OR_RETURN(nkeys::KeyPair key, store.LoadKey(claims.std.subject));
  return OperatorBundle{std::move(claims), std::move(key)};
}

absl::StatusOr<jwt::AccountClaims> LoadAccount(const Store& store, const std::string& op,
                                               const std::string& account) {
  LATTICE_RETURN_IF_ERROR(CheckName("account", account));
  std::string path = store.AccountJwtPath(op, account);
  if (!store.Exists(path))
    return absl::NotFoundError("account \"" + account + "\" does not exist");
  LATTICE_ASSIGN_OR_RETURN(std::string token, store.ReadJwt(path));
  return jwt::DecodeAccount(token);
}

absl::StatusOr<nkeys::KeyPair> OperatorSigner(const Store& store, const jwt::OperatorClaims& op,
                                              const nkeys::KeyPair& identity, const Flags& flags) {
  if (op.nats.strict_signing_key_usage || flags.Has("use-signing-key")) {
    if (op.nats.signing_keys.empty())
      return absl::FailedPreconditionError("operator has no signing key");
    return store.LoadKey(op.nats.signing_keys.front());
  }
  return store.LoadKey(identity.public_key().str());
}

absl::StatusOr<nkeys::KeyPair> AccountSigner(const Store& store, const jwt::OperatorClaims& op,
                                             const jwt::AccountClaims& account,
                                             const std::string& signing_key) {
  std::string key = signing_key;
  if (key.empty() && op.nats.strict_signing_key_usage) {
    if (account.nats.signing_keys.empty())
      return absl::FailedPreconditionError("the operator requires signing keys and account " +
                                           account.std.name + " has none");
    key = account.nats.signing_keys.front().key;
  }
  if (key.empty())
    return store.LoadKey(account.std.subject);
  bool known = false;
  for (const jwt::SigningKey& sk : account.nats.signing_keys)
    known = known || sk.key == key;
  if (!known)
    return absl::InvalidArgumentError(key + " is not a signing key of account " + account.std.name);
  return store.LoadKey(key);
}

absl::Status ResignAccount(Context& ctx, const std::string& op, const std::string& name,
                           const OperatorBundle& bundle, jwt::AccountClaims& claims) {
  LATTICE_ASSIGN_OR_RETURN(nkeys::KeyPair signer,
                           OperatorSigner(ctx.store, bundle.claims, bundle.key, ctx.flags));
  LATTICE_ASSIGN_OR_RETURN(std::string token, jwt::Encode(claims, signer, ctx.now));
  return ctx.store.WriteJwt(ctx.store.AccountJwtPath(op, name), token);
}

}  // namespace lattice::latticectl
