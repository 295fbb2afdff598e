// latticectl add/edit/revoke commands: create keys, build claims, sign and store JWTs.
#include "tools/latticectl/commands.h"

#include <algorithm>
#include <string>
#include <vector>

#include "common/base/status_macros.h"
#include "common/jwt/chain.h"
#include "common/jwt/claims.h"
#include "tools/latticectl/command_util.h"

namespace lattice::latticectl {
namespace {

using nkeys::KeyPair;
using nkeys::KeyType;

absl::Status ApplyLimits(const Flags& f, jwt::OperatorLimits& l) {
  LATTICE_ASSIGN_OR_RETURN(l.account.conn, f.GetInt("conn", l.account.conn));
  LATTICE_ASSIGN_OR_RETURN(l.account.leaf, f.GetInt("leaf", l.account.leaf));
  LATTICE_ASSIGN_OR_RETURN(l.account.imports, f.GetInt("imports", l.account.imports));
  LATTICE_ASSIGN_OR_RETURN(l.account.exports, f.GetInt("exports", l.account.exports));
  LATTICE_ASSIGN_OR_RETURN(l.nats.subs, f.GetInt("subs", l.nats.subs));
  LATTICE_ASSIGN_OR_RETURN(l.nats.data, f.GetInt("data", l.nats.data));
  LATTICE_ASSIGN_OR_RETURN(l.nats.payload, f.GetInt("payload", l.nats.payload));
  LATTICE_ASSIGN_OR_RETURN(l.jetstream.mem_storage,
                           f.GetInt("js-mem-storage", l.jetstream.mem_storage));
  LATTICE_ASSIGN_OR_RETURN(l.jetstream.disk_storage,
                           f.GetInt("js-disk-storage", l.jetstream.disk_storage));
  LATTICE_ASSIGN_OR_RETURN(l.jetstream.streams, f.GetInt("js-streams", l.jetstream.streams));
  LATTICE_ASSIGN_OR_RETURN(l.jetstream.consumer, f.GetInt("js-consumer", l.jetstream.consumer));
  if (f.Has("disallow-bearer"))
    l.account.disallow_bearer = true;
  return absl::OkStatus();
}

absl::StatusOr<jwt::ExportType> ParseKind(const std::string& kind) {
  if (kind == "stream")
    return jwt::ExportType::kStream;
  if (kind == "service")
    return jwt::ExportType::kService;
  return absl::InvalidArgumentError("export kind must be \"stream\" or \"service\", got \"" + kind +
                                    "\"");
}

// --export KIND:SUBJECT[:private]
absl::Status ApplyExports(const Flags& f, jwt::AccountClaims& acc) {
  for (const std::string& spec : f.GetAll("export")) {
    std::vector<std::string> parts = SplitString(spec, ':');
    if (parts.size() < 2 || parts.size() > 3 || (parts.size() == 3 && parts[2] != "private"))
      return absl::InvalidArgumentError("--export expects KIND:SUBJECT[:private], got \"" + spec +
                                        "\"");
    LATTICE_RETURN_IF_ERROR(CheckSubject(parts[1]));
    jwt::Export e;
    LATTICE_ASSIGN_OR_RETURN(e.type, ParseKind(parts[0]));
    e.subject = parts[1];
    e.name = parts[1];
    e.token_req = parts.size() == 3;
    auto same = [&](const jwt::Export& x) { return x.subject == e.subject; };
    acc.nats.exports.erase(std::remove_if(acc.nats.exports.begin(), acc.nats.exports.end(), same),
                           acc.nats.exports.end());
    acc.nats.exports.push_back(std::move(e));
  }
  return absl::OkStatus();
}

// --import KIND:ACCOUNT:SUBJECT[:LOCAL_SUBJECT] with ACCOUNT a store name or an A... key.
absl::Status ApplyImports(Context& ctx, const std::string& op, jwt::AccountClaims& acc) {
  std::string token;
  if (ctx.flags.Has("import-token")) {
    LATTICE_ASSIGN_OR_RETURN(token, ctx.store.ReadJwt(ctx.flags.Get("import-token")));
    LATTICE_RETURN_IF_ERROR(jwt::DecodeActivation(token).status());
  }
  for (const std::string& spec : ctx.flags.GetAll("import")) {
    std::vector<std::string> parts = SplitString(spec, ':');
    if (parts.size() < 3 || parts.size() > 4)
      return absl::InvalidArgumentError(
          "--import expects KIND:ACCOUNT:SUBJECT[:LOCAL_SUBJECT], got \"" + spec + "\"");
    jwt::Import i;
    LATTICE_ASSIGN_OR_RETURN(i.type, ParseKind(parts[0]));
    LATTICE_ASSIGN_OR_RETURN(i.account, ResolveAccountKey(ctx.store, op, parts[1]));
    LATTICE_RETURN_IF_ERROR(CheckSubject(parts[2]));
    i.subject = parts[2];
    i.name = parts[2];
    if (parts.size() == 4) {
      LATTICE_RETURN_IF_ERROR(CheckSubject(parts[3]));
      i.local_subject = parts[3];
    }
    i.token = token;
    acc.nats.imports.push_back(std::move(i));
  }
  return absl::OkStatus();
}

absl::Status ApplySigningKeys(Context& ctx, jwt::AccountClaims& acc) {
  if (ctx.flags.Has("signing-key")) {
    LATTICE_ASSIGN_OR_RETURN(KeyPair sk, KeyPair::Generate(KeyType::kAccount));
    LATTICE_RETURN_IF_ERROR(ctx.store.SaveKey(sk));
    acc.nats.signing_keys.push_back(jwt::SigningKey{sk.public_key().str(), std::nullopt});
    ctx.out << "added signing key " << sk.public_key().str() << "\n";
  }
  if (ctx.flags.Has("scoped-signing-key")) {
    LATTICE_ASSIGN_OR_RETURN(KeyPair sk, KeyPair::Generate(KeyType::kAccount));
    LATTICE_RETURN_IF_ERROR(ctx.store.SaveKey(sk));
    jwt::UserScope scope;
    scope.role = ctx.flags.Get("scoped-signing-key");
    scope.templ.permissions.pub.allow = ctx.flags.GetAll("scope-pub-allow");
    scope.templ.permissions.pub.deny = ctx.flags.GetAll("scope-pub-deny");
    scope.templ.permissions.sub.allow = ctx.flags.GetAll("scope-sub-allow");
    scope.templ.permissions.sub.deny = ctx.flags.GetAll("scope-sub-deny");
    scope.templ.limits = {jwt::kNoLimit, jwt::kNoLimit, jwt::kNoLimit};
    acc.nats.signing_keys.push_back(jwt::SigningKey{sk.public_key().str(), scope});
    ctx.out << "added scoped signing key " << sk.public_key().str() << " (role " << scope.role
            << ")\n";
  }
  return absl::OkStatus();
}

absl::Status ApplyAccountFlags(Context& ctx, const std::string& op, jwt::AccountClaims& acc) {
  LATTICE_RETURN_IF_ERROR(ApplyLimits(ctx.flags, acc.nats.limits));
  LATTICE_RETURN_IF_ERROR(ApplyExports(ctx.flags, acc));
  LATTICE_RETURN_IF_ERROR(ApplyImports(ctx, op, acc));
  LATTICE_RETURN_IF_ERROR(ApplySigningKeys(ctx, acc));
  if (ctx.flags.Has("description"))
    acc.nats.description = ctx.flags.Get("description");
  for (const std::string& tag : ctx.flags.GetAll("tag"))
    acc.generic.tags.push_back(tag);
  return ApplyExpiry(ctx, acc.std);
}

}  // namespace

absl::Status AddOperator(Context& ctx) {
  LATTICE_ASSIGN_OR_RETURN(std::string name, OnlyPositional(ctx.flags, "operator NAME"));
  LATTICE_RETURN_IF_ERROR(CheckName("operator", name));
  if (ctx.store.Exists(ctx.store.OperatorJwtPath(name)))
    return absl::AlreadyExistsError("operator \"" + name + "\" already exists");
  LATTICE_ASSIGN_OR_RETURN(KeyPair op, KeyPair::Generate(KeyType::kOperator));
  LATTICE_RETURN_IF_ERROR(ctx.store.SaveKey(op));
  jwt::OperatorClaims claims =
      jwt::NewOperatorClaims(*nkeys::OperatorPublicKey::FromKey(op.public_key()));
  claims.std.name = name;
  if (ctx.flags.Has("signing-key") || ctx.flags.Has("strict")) {
    LATTICE_ASSIGN_OR_RETURN(KeyPair sk, KeyPair::Generate(KeyType::kOperator));
    LATTICE_RETURN_IF_ERROR(ctx.store.SaveKey(sk));
    claims.nats.signing_keys.push_back(sk.public_key().str());
  }
  claims.nats.strict_signing_key_usage = ctx.flags.Has("strict");
  claims.nats.account_server_url = ctx.flags.Get("account-server-url");
  claims.nats.operator_service_urls = ctx.flags.GetAll("service-url");
  LATTICE_RETURN_IF_ERROR(ApplyExpiry(ctx, claims.std));

  if (ctx.flags.Has("sys")) {
    LATTICE_ASSIGN_OR_RETURN(KeyPair sys, KeyPair::Generate(KeyType::kAccount));
    LATTICE_RETURN_IF_ERROR(ctx.store.SaveKey(sys));
    claims.nats.system_account = sys.public_key().str();
    jwt::AccountClaims sys_claims =
        jwt::NewAccountClaims(*nkeys::AccountPublicKey::FromKey(sys.public_key()));
    sys_claims.std.name = "SYS";
    LATTICE_ASSIGN_OR_RETURN(KeyPair signer, OperatorSigner(ctx.store, claims, op, ctx.flags));
    LATTICE_ASSIGN_OR_RETURN(std::string sys_jwt, jwt::Encode(sys_claims, signer, ctx.now));
    LATTICE_RETURN_IF_ERROR(ctx.store.WriteJwt(ctx.store.AccountJwtPath(name, "SYS"), sys_jwt));
    ctx.out << "added system account SYS " << sys.public_key().str() << "\n";
  }
  LATTICE_ASSIGN_OR_RETURN(std::string token, jwt::Encode(claims, op, ctx.now));
  LATTICE_RETURN_IF_ERROR(ctx.store.WriteJwt(ctx.store.OperatorJwtPath(name), token));
  ctx.out << "added operator " << name << " " << op.public_key().str() << "\n";
  return absl::OkStatus();
}

absl::Status AddAccount(Context& ctx) {
  LATTICE_ASSIGN_OR_RETURN(std::string name, OnlyPositional(ctx.flags, "account NAME"));
  LATTICE_RETURN_IF_ERROR(CheckName("account", name));
  LATTICE_ASSIGN_OR_RETURN(std::string op, ctx.store.ResolveOperator(ctx.flags.Get("operator")));
  if (ctx.store.Exists(ctx.store.AccountJwtPath(op, name)))
    return absl::AlreadyExistsError("account \"" + name + "\" already exists");
  LATTICE_ASSIGN_OR_RETURN(OperatorBundle bundle, LoadOperator(ctx.store, op));
  LATTICE_ASSIGN_OR_RETURN(KeyPair acc, KeyPair::Generate(KeyType::kAccount));
  jwt::AccountClaims claims =
      jwt::NewAccountClaims(*nkeys::AccountPublicKey::FromKey(acc.public_key()));
  claims.std.name = name;
  LATTICE_RETURN_IF_ERROR(ApplyAccountFlags(ctx, op, claims));
  LATTICE_ASSIGN_OR_RETURN(KeyPair signer,
                           OperatorSigner(ctx.store, bundle.claims, bundle.key, ctx.flags));
  LATTICE_ASSIGN_OR_RETURN(std::string token, jwt::Encode(claims, signer, ctx.now));
  LATTICE_RETURN_IF_ERROR(ctx.store.SaveKey(acc));
  LATTICE_RETURN_IF_ERROR(ctx.store.WriteJwt(ctx.store.AccountJwtPath(op, name), token));
  ctx.out << "added account " << name << " " << acc.public_key().str() << "\n";
  return absl::OkStatus();
}

absl::Status EditAccount(Context& ctx) {
  LATTICE_ASSIGN_OR_RETURN(std::string name, OnlyPositional(ctx.flags, "account NAME"));
  LATTICE_ASSIGN_OR_RETURN(std::string op, ctx.store.ResolveOperator(ctx.flags.Get("operator")));
  LATTICE_ASSIGN_OR_RETURN(OperatorBundle bundle, LoadOperator(ctx.store, op));
  LATTICE_ASSIGN_OR_RETURN(jwt::AccountClaims claims, LoadAccount(ctx.store, op, name));
  LATTICE_RETURN_IF_ERROR(ApplyAccountFlags(ctx, op, claims));
  return ResignAccount(ctx, op, name, bundle, claims);
}

absl::Status AddUser(Context& ctx) {
  LATTICE_ASSIGN_OR_RETURN(std::string name, OnlyPositional(ctx.flags, "user NAME"));
  LATTICE_RETURN_IF_ERROR(CheckName("user", name));
  if (!ctx.flags.Has("account"))
    return absl::InvalidArgumentError("add user needs --account NAME");
  std::string account = ctx.flags.Get("account");
  LATTICE_ASSIGN_OR_RETURN(std::string op, ctx.store.ResolveOperator(ctx.flags.Get("operator")));
  LATTICE_ASSIGN_OR_RETURN(OperatorBundle bundle, LoadOperator(ctx.store, op));
  LATTICE_ASSIGN_OR_RETURN(jwt::AccountClaims acc, LoadAccount(ctx.store, op, account));
  if (ctx.store.Exists(ctx.store.UserJwtPath(op, account, name)))
    return absl::AlreadyExistsError("user \"" + name + "\" already exists in " + account);

  LATTICE_ASSIGN_OR_RETURN(KeyPair usr, KeyPair::Generate(KeyType::kUser));
  jwt::UserClaims claims = jwt::NewUserClaims(*nkeys::UserPublicKey::FromKey(usr.public_key()));
  claims.std.name = name;
  jwt::UserPermissionLimits& p = claims.nats.permissions;
  p.permissions.pub.allow = ctx.flags.GetAll("pub-allow");
  p.permissions.pub.deny = ctx.flags.GetAll("pub-deny");
  p.permissions.sub.allow = ctx.flags.GetAll("sub-allow");
  p.permissions.sub.deny = ctx.flags.GetAll("sub-deny");
  if (ctx.flags.Has("allow-pub-response")) {
    LATTICE_ASSIGN_OR_RETURN(int64_t max, ctx.flags.GetInt("allow-pub-response", 1));
    p.permissions.resp = jwt::ResponsePermission{max, 0};
  }
  for (const std::string& subject : p.permissions.pub.allow)
    LATTICE_RETURN_IF_ERROR(CheckSubject(subject));
  for (const std::string& subject : p.permissions.sub.allow)
    LATTICE_RETURN_IF_ERROR(CheckSubject(subject));
  p.bearer_token = ctx.flags.Has("bearer");
  p.src = ctx.flags.GetAll("src");
  for (const std::string& type : ctx.flags.GetAll("conn-type"))
    p.allowed_connection_types.push_back(type);
  LATTICE_ASSIGN_OR_RETURN(p.limits.subs, ctx.flags.GetInt("subs", p.limits.subs));
  LATTICE_ASSIGN_OR_RETURN(p.limits.data, ctx.flags.GetInt("data", p.limits.data));
  LATTICE_ASSIGN_OR_RETURN(p.limits.payload, ctx.flags.GetInt("payload", p.limits.payload));
  for (const std::string& tag : ctx.flags.GetAll("tag"))
    claims.generic.tags.push_back(tag);
  LATTICE_RETURN_IF_ERROR(ApplyExpiry(ctx, claims.std));

  LATTICE_ASSIGN_OR_RETURN(
      KeyPair signer, AccountSigner(ctx.store, bundle.claims, acc, ctx.flags.Get("signing-key")));
  if (signer.public_key().str() != acc.std.subject) {
    claims.nats.issuer_account = acc.std.subject;
    for (const jwt::SigningKey& sk : acc.nats.signing_keys) {
      if (sk.key == signer.public_key().str() && sk.scope.has_value()) {
        // The scope's template replaces the user's permissions; the user must carry none.
        if (!(p.permissions.empty() && p.src.empty() && !p.bearer_token &&
              p.allowed_connection_types.empty())) {
          return absl::InvalidArgumentError("scoped signing key " + sk.key + " (role " +
                                            sk.scope->role +
                                            ") sets the permissions; do not pass any");
        }
        p = jwt::UserPermissionLimits{};
      }
    }
  }
  LATTICE_ASSIGN_OR_RETURN(std::string token, jwt::Encode(claims, signer, ctx.now));
  LATTICE_RETURN_IF_ERROR(ctx.store.SaveKey(usr));
  LATTICE_RETURN_IF_ERROR(ctx.store.WriteJwt(ctx.store.UserJwtPath(op, account, name), token));
  ctx.out << "added user " << name << " " << usr.public_key().str() << " to account " << account
          << "\n";
  return absl::OkStatus();
}

absl::Status RevokeUser(Context& ctx) {
  if (!ctx.flags.Has("account"))
    return absl::InvalidArgumentError("revoke user needs --account NAME");
  std::string account = ctx.flags.Get("account");
  LATTICE_ASSIGN_OR_RETURN(std::string op, ctx.store.ResolveOperator(ctx.flags.Get("operator")));
  LATTICE_ASSIGN_OR_RETURN(OperatorBundle bundle, LoadOperator(ctx.store, op));
  LATTICE_ASSIGN_OR_RETURN(jwt::AccountClaims acc, LoadAccount(ctx.store, op, account));
  std::string key;
  if (ctx.flags.Has("all")) {
    key = "*";
  } else if (ctx.flags.Has("user-public-key")) {
    key = ctx.flags.Get("user-public-key");
    LATTICE_RETURN_IF_ERROR(nkeys::UserPublicKey::Parse(key).status());
  } else if (ctx.flags.Has("name")) {
    LATTICE_ASSIGN_OR_RETURN(std::string user_jwt, ctx.store.ReadJwt(ctx.store.UserJwtPath(
                                                       op, account, ctx.flags.Get("name"))));
    LATTICE_ASSIGN_OR_RETURN(jwt::UserClaims user, jwt::DecodeUser(user_jwt));
    key = user.std.subject;
  } else {
    return absl::InvalidArgumentError(
        "revoke user needs --name USER, --user-public-key U... or --all");
  }
  LATTICE_ASSIGN_OR_RETURN(int64_t at, ctx.flags.GetInt("at", ctx.now));
  acc.nats.revocations[key] = at;
  LATTICE_RETURN_IF_ERROR(ResignAccount(ctx, op, account, bundle, acc));
  ctx.out << "revoked " << key << " in account " << account << " (tokens issued at or before " << at
          << ")\n";
  return absl::OkStatus();
}

absl::Status RevokeActivation(Context& ctx) {
  for (const char* required : {"account", "subject", "target-account"}) {
    if (!ctx.flags.Has(required))
      return absl::InvalidArgumentError(std::string("revoke activation needs --") + required);
  }
  std::string account = ctx.flags.Get("account");
  LATTICE_ASSIGN_OR_RETURN(std::string op, ctx.store.ResolveOperator(ctx.flags.Get("operator")));
  LATTICE_ASSIGN_OR_RETURN(OperatorBundle bundle, LoadOperator(ctx.store, op));
  LATTICE_ASSIGN_OR_RETURN(jwt::AccountClaims acc, LoadAccount(ctx.store, op, account));
  LATTICE_ASSIGN_OR_RETURN(std::string target,
                           ResolveAccountKey(ctx.store, op, ctx.flags.Get("target-account")));
  LATTICE_ASSIGN_OR_RETURN(int64_t at, ctx.flags.GetInt("at", ctx.now));
  bool found = false;
  for (jwt::Export& e : acc.nats.exports) {
    if (e.subject == ctx.flags.Get("subject")) {
      e.revocations[target] = at;
      found = true;
    }
  }
  if (!found)
    return absl::NotFoundError("account " + account + " has no export \"" +
                               ctx.flags.Get("subject") + "\"");
  LATTICE_RETURN_IF_ERROR(ResignAccount(ctx, op, account, bundle, acc));
  ctx.out << "revoked activation of " << ctx.flags.Get("subject") << " for " << target << "\n";
  return absl::OkStatus();
}

}  // namespace lattice::latticectl
