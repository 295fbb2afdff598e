// Frontend: operators, signing keys, accounts and users.
#include <algorithm>

#include "absl/strings/str_cat.h"

#include "common/base/status_macros.h"
#include "common/creds/creds.h"
#include "common/jwt/chain.h"
#include "controlplane/accounts/account_rules.h"
#include "controlplane/frontend/frontend.h"
#include "controlplane/frontend/stored.h"
#include "controlplane/plan/diff.h"

namespace lattice::frontend {
namespace {

int64_t Seconds(int64_t nanos) {
  return nanos / 1000000000;
}

// Appends a change to the plan when before and after differ.
void AddChange(v1::Plan* plan, const std::string& kind, const std::string& key,
               const jwt::Json& before, const jwt::Json& after) {
  v1::Change change;
  if (plan::MakeChange(kind, key, before, after, &change))
    *plan->add_changes() = std::move(change);
}

jwt::Json OperatorPlanView(const jwt::OperatorClaims& op) {
  jwt::Json view = jwt::ToJson(op);
  view.erase("iat");
  view.erase("jti");
  return view;
}

}  // namespace

// ---------------------------------------------------------------------------- operators

absl::StatusOr<v1::Operator> Frontend::GetOperator() const {
  LATTICE_ASSIGN_OR_RETURN(auto op,
                           GetProto<v1::Operator>(*store_, store::Kind::kOperator, kOperatorKey));
  if (!op.has_value())
    return absl::NotFoundError("no operator: upload one with PutOperator");
  return *op;
}

absl::StatusOr<WriteResult> Frontend::PutOperator(const std::string& actor,
                                                  const std::string& token, bool dry_run) {
  const int64_t now = Seconds(now_());
  LATTICE_ASSIGN_OR_RETURN(jwt::OperatorClaims op, accounts::CheckOperatorJwt(token, now));
  MutexLock lock(&write_mu_);
  LATTICE_ASSIGN_OR_RETURN(auto existing,
                           GetProto<v1::Operator>(*store_, store::Kind::kOperator, kOperatorKey));
  WriteResult result;
  result.key = op.std.subject;
  jwt::Json before = nullptr;
  if (existing.has_value()) {
    LATTICE_ASSIGN_OR_RETURN(jwt::OperatorClaims old, jwt::DecodeOperator(existing->jwt()));
    before = OperatorPlanView(old);
    if (op.std.issued_at < old.std.issued_at) {
      result.plan.add_errors(absl::StrCat("operator JWT issued at ", op.std.issued_at,
                                          " is older than the stored one (", old.std.issued_at,
                                          ")"));
    }
  }
  AddChange(&result.plan, "operator", op.std.subject, before, OperatorPlanView(op));
  // Every live account must stay trusted under the new operator.
  LATTICE_ASSIGN_OR_RETURN(accounts::AccountSet live, LoadAccountSet());
  for (const auto& [key, claims] : live) {
    absl::Status trusted = jwt::ValidateAccount(op, claims, now);
    if (!trusted.ok()) {
      result.plan.add_errors(
          absl::StrCat("account ", claims.std.name, " (", key,
                       ") would no longer be trusted: ", std::string(trusted.message())));
    }
  }
  if (dry_run)
    return result;
  LATTICE_RETURN_IF_ERROR(RefuseOnErrors(result.plan));
  if (existing.has_value() && existing->jwt() == token)
    return result;  // identical upload: nothing to write
  v1::Operator stored;
  *stored.mutable_meta() = NextMeta(actor);
  stored.set_public_key(op.std.subject);
  stored.set_jwt(token);
  stored.set_name(op.std.name);
  for (const auto& key : op.nats.signing_keys)
    stored.add_signing_keys(key);
  store::Batch batch;
  batch.actor = actor;
  batch.reason = "PutOperator";
  batch.mutations.push_back(
      store::Mutation::Put(store::Kind::kOperator, kOperatorKey, stored.SerializeAsString()));
  LATTICE_ASSIGN_OR_RETURN(result.revision, Commit(std::move(batch)));
  result.applied = true;
  return result;
}

absl::StatusOr<nkeys::KeyPair> Frontend::LoadSeed(const std::string& public_key) const {
  if (vault_ == nullptr)
    return absl::FailedPreconditionError("no key vault configured");
  LATTICE_ASSIGN_OR_RETURN(
      auto stored, GetProto<v1::StoredSigningKey>(*store_, store::Kind::kSigningKey, public_key));
  if (!stored.has_value())
    return absl::NotFoundError(absl::StrCat("no managed key for ", public_key));
  LATTICE_ASSIGN_OR_RETURN(nkeys::SecretString seed, vault_->Open(stored->sealed_seed()));
  return nkeys::KeyPair::FromSeed(seed.view());
}

absl::StatusOr<nkeys::KeyPair> Frontend::PickOperatorSigner(const jwt::OperatorClaims& op) const {
  for (const std::string& key : op.nats.signing_keys) {
    absl::StatusOr<nkeys::KeyPair> kp = LoadSeed(key);
    if (kp.ok() || kp.status().code() != absl::StatusCode::kNotFound)
      return kp;
  }
  if (!op.nats.strict_signing_key_usage) {
    absl::StatusOr<nkeys::KeyPair> kp = LoadSeed(op.std.subject);
    if (kp.ok() || kp.status().code() != absl::StatusCode::kNotFound)
      return kp;
  }
  return absl::FailedPreconditionError(
      "no managed operator signing key: register one with AddSigningKey");
}

absl::StatusOr<v1::AddSigningKeyResponse> Frontend::AddSigningKey(
    const std::string& actor, const v1::AddSigningKeyRequest& req) {
  if (vault_ == nullptr)
    return absl::FailedPreconditionError("no key vault configured");
  const int64_t now = Seconds(now_());
  MutexLock lock(&write_mu_);
  LATTICE_ASSIGN_OR_RETURN(auto op,
                           GetProto<v1::Operator>(*store_, store::Kind::kOperator, kOperatorKey));
  if (!op.has_value())
    return absl::FailedPreconditionError("no operator: upload the operator JWT first");
  store::Batch batch;
  batch.actor = actor;
  std::optional<nkeys::KeyPair> kp;
  if (req.generate()) {
    LATTICE_ASSIGN_OR_RETURN(nkeys::KeyPair identity, LoadSeed(op->public_key()));
    LATTICE_ASSIGN_OR_RETURN(jwt::OperatorClaims claims, jwt::DecodeOperator(op->jwt()));
    LATTICE_ASSIGN_OR_RETURN(kp, nkeys::KeyPair::Generate(nkeys::KeyType::kOperator));
    claims.nats.signing_keys.push_back(kp->public_key().str());
    LATTICE_ASSIGN_OR_RETURN(std::string token, jwt::Encode(claims, identity, now));
    *op->mutable_meta() = NextMeta(actor);
    op->set_jwt(token);
    op->add_signing_keys(kp->public_key().str());
    batch.mutations.push_back(
        store::Mutation::Put(store::Kind::kOperator, kOperatorKey, op->SerializeAsString()));
    batch.reason = "AddSigningKey generate";
  } else {
    absl::StatusOr<nkeys::KeyPair> parsed =
        nkeys::KeyPair::FromSeedAs(req.seed(), nkeys::KeyType::kOperator);
    if (!parsed.ok())
      return absl::InvalidArgumentError("seed: not an operator seed (SO...)");
    kp = *std::move(parsed);
    const std::string& pub = kp->public_key().str();
    bool listed = pub == op->public_key();
    for (const auto& key : op->signing_keys())
      listed = listed || key == pub;
    if (!listed) {
      return absl::FailedPreconditionError(
          absl::StrCat(pub, " is neither the operator key nor one of its signing keys"));
    }
    batch.reason = "AddSigningKey";
  }
  v1::StoredSigningKey stored;
  *stored.mutable_key()->mutable_meta() = NextMeta(actor);
  stored.mutable_key()->set_public_key(kp->public_key().str());
  stored.mutable_key()->set_owner(op->public_key());
  nkeys::SecretString seed = kp->EncodedSeed();
  stored.set_sealed_seed(vault_->Seal(seed.view()));
  batch.mutations.push_back(store::Mutation::Put(store::Kind::kSigningKey, kp->public_key().str(),
                                                 stored.SerializeAsString()));
  v1::AddSigningKeyResponse response;
  response.set_public_key(kp->public_key().str());
  LATTICE_ASSIGN_OR_RETURN(uint64_t revision, Commit(std::move(batch)));
  response.set_revision(revision);
  return response;
}

absl::StatusOr<std::vector<v1::SigningKey>> Frontend::ListSigningKeys() const {
  LATTICE_ASSIGN_OR_RETURN(auto stored,
                           ListProto<v1::StoredSigningKey>(*store_, store::Kind::kSigningKey));
  std::vector<v1::SigningKey> out;
  for (auto& s : stored)
    out.push_back(s.key());
  return out;
}

// ---------------------------------------------------------------------------- accounts

absl::StatusOr<std::optional<v1::Account>> Frontend::LoadAccount(const std::string& key) const {
  return GetProto<v1::Account>(*store_, store::Kind::kAccount, key);
}

absl::StatusOr<accounts::AccountSet> Frontend::LoadAccountSet() const {
  LATTICE_ASSIGN_OR_RETURN(auto all, ListProto<v1::Account>(*store_, store::Kind::kAccount));
  accounts::AccountSet set;
  MutexLock lock(&claims_mu_);
  for (const v1::Account& account : all) {
    if (account.deleted()) {
      claims_cache_.erase(account.public_key());
      continue;
    }
    auto cached = claims_cache_.find(account.public_key());
    if (cached != claims_cache_.end() && cached->second.first == account.meta().revision()) {
      set.emplace(account.public_key(), cached->second.second);
      continue;
    }
    absl::StatusOr<jwt::AccountClaims> claims = jwt::DecodeAccount(account.jwt());
    if (!claims.ok()) {
      return absl::DataLossError(absl::StrCat("stored account ", account.public_key(), ": ",
                                              std::string(claims.status().message())));
    }
    claims_cache_[account.public_key()] = {account.meta().revision(), *claims};
    set.emplace(account.public_key(), *std::move(claims));
  }
  return set;
}

absl::StatusOr<WriteResult> Frontend::WriteAccountLocked(
    const std::string& actor, const jwt::AccountClaims& claims, const std::string& token,
    uint64_t expected_revision, bool dry_run, bool managed, std::vector<store::Mutation> extra) {
  const std::string& key = claims.std.subject;
  LATTICE_ASSIGN_OR_RETURN(auto existing, LoadAccount(key));
  WriteResult result;
  result.key = key;
  if (expected_revision != 0) {
    uint64_t stored = existing.has_value() ? existing->meta().revision() : 0;
    if (stored != expected_revision) {
      std::string message = absl::StrCat("account ", key, ": expected revision ", expected_revision,
                                         ", stored revision is ", stored);
      if (!dry_run)
        return absl::AbortedError(message);
      result.plan.add_errors(message);
    }
  }
  if (existing.has_value() && claims.std.issued_at < existing->issued_at()) {
    result.plan.add_errors(absl::StrCat("account ", key, ": JWT issued at ", claims.std.issued_at,
                                        " is older than the stored one (", existing->issued_at(),
                                        ")"));
  }
  jwt::Json before = nullptr;
  LATTICE_ASSIGN_OR_RETURN(accounts::AccountSet set, LoadAccountSet());
  if (auto it = set.find(key); it != set.end())
    before = accounts::AccountPlanView(it->second);
  AddChange(&result.plan, "account", key, before, accounts::AccountPlanView(claims));
  set[key] = claims;
  std::vector<std::string> check = {key};
  for (const auto& [other, other_claims] : set) {
    for (const auto& import : other_claims.nats.imports) {
      if (import.account == key && other != key) {
        check.push_back(other);
        break;
      }
    }
  }
  for (auto& error : accounts::ValidateAccountGraph(set, check, Seconds(now_())))
    result.plan.add_errors(std::move(error));
  if (dry_run)
    return result;
  LATTICE_RETURN_IF_ERROR(RefuseOnErrors(result.plan));
  if (existing.has_value() && !existing->deleted() && existing->jwt() == token)
    return result;  // identical upload
  v1::Account stored;
  *stored.mutable_meta() = NextMeta(actor);
  stored.set_public_key(key);
  stored.set_name(claims.std.name);
  stored.set_jwt(token);
  stored.set_managed(managed || (existing.has_value() && existing->managed()));
  stored.set_issued_at(claims.std.issued_at);
  store::Batch batch;
  batch.actor = actor;
  batch.reason = managed ? "SignAccount" : "PutAccount";
  batch.mutations.push_back(
      store::Mutation::Put(store::Kind::kAccount, key, stored.SerializeAsString()));
  for (auto& m : extra)
    batch.mutations.push_back(std::move(m));
  LATTICE_ASSIGN_OR_RETURN(result.revision, Commit(std::move(batch)));
  result.applied = true;
  return result;
}

absl::StatusOr<WriteResult> Frontend::PutAccount(const std::string& actor,
                                                 const v1::PutAccountRequest& req) {
  LATTICE_ASSIGN_OR_RETURN(v1::Operator op, GetOperator());
  LATTICE_ASSIGN_OR_RETURN(jwt::OperatorClaims op_claims, jwt::DecodeOperator(op.jwt()));
  LATTICE_ASSIGN_OR_RETURN(jwt::AccountClaims claims,
                           accounts::CheckAccountJwt(op_claims, req.jwt(), 0, Seconds(now_())));
  MutexLock lock(&write_mu_);
  return WriteAccountLocked(actor, claims, req.jwt(), req.expected_revision(), req.dry_run(),
                            /*managed=*/false, {});
}

absl::StatusOr<WriteResult> Frontend::SignAccount(const std::string& actor,
                                                  const v1::SignAccountRequest& req) {
  LATTICE_ASSIGN_OR_RETURN(v1::Operator op, GetOperator());
  LATTICE_ASSIGN_OR_RETURN(jwt::OperatorClaims op_claims, jwt::DecodeOperator(op.jwt()));
  const int64_t now = Seconds(now_());
  MutexLock lock(&write_mu_);
  LATTICE_ASSIGN_OR_RETURN(nkeys::KeyPair signer, PickOperatorSigner(op_claims));
  jwt::AccountClaims base;
  std::vector<store::Mutation> extra;
  bool managed = false;
  std::vector<std::string> name_errors;
  if (req.public_key().empty()) {
    LATTICE_ASSIGN_OR_RETURN(auto all, ListProto<v1::Account>(*store_, store::Kind::kAccount));
    for (const auto& a : all) {
      if (!a.deleted() && a.name() == req.spec().name())
        name_errors.push_back(
            absl::StrCat("an account named \"", a.name(), "\" exists (", a.public_key(), ")"));
    }
    LATTICE_ASSIGN_OR_RETURN(nkeys::KeyPair kp, nkeys::KeyPair::Generate(nkeys::KeyType::kAccount));
    base = jwt::NewAccountClaims(*nkeys::AccountPublicKey::FromKey(kp.public_key()));
    if (vault_ == nullptr)
      return absl::FailedPreconditionError("no key vault configured");
    v1::StoredSigningKey stored;
    *stored.mutable_key()->mutable_meta() = NextMeta(actor);
    stored.mutable_key()->set_public_key(kp.public_key().str());
    stored.mutable_key()->set_owner(kp.public_key().str());
    nkeys::SecretString seed = kp.EncodedSeed();
    stored.set_sealed_seed(vault_->Seal(seed.view()));
    extra.push_back(store::Mutation::Put(store::Kind::kSigningKey, kp.public_key().str(),
                                         stored.SerializeAsString()));
    managed = true;
  } else {
    LATTICE_ASSIGN_OR_RETURN(auto existing, LoadAccount(req.public_key()));
    if (!existing.has_value())
      return absl::NotFoundError(absl::StrCat("no account ", req.public_key()));
    LATTICE_ASSIGN_OR_RETURN(base, jwt::DecodeAccount(existing->jwt()));
  }
  LATTICE_ASSIGN_OR_RETURN(jwt::AccountClaims claims,
                           accounts::ApplyAccountSpec(req.spec(), std::move(base)));
  LATTICE_ASSIGN_OR_RETURN(std::string token, jwt::Encode(claims, signer, now));
  LATTICE_ASSIGN_OR_RETURN(WriteResult result,
                           WriteAccountLocked(actor, claims, token, req.expected_revision(),
                                              /*dry_run=*/true, managed, {}));
  for (auto& e : name_errors)
    result.plan.add_errors(std::move(e));
  if (req.dry_run())
    return result;
  LATTICE_RETURN_IF_ERROR(RefuseOnErrors(result.plan));
  return WriteAccountLocked(actor, claims, token, req.expected_revision(), false, managed,
                            std::move(extra));
}

absl::StatusOr<v1::Account> Frontend::GetAccount(const std::string& key_or_name) const {
  if (nkeys::IsValidPublicKey(key_or_name, nkeys::KeyType::kAccount)) {
    LATTICE_ASSIGN_OR_RETURN(auto account, LoadAccount(key_or_name));
    if (!account.has_value())
      return absl::NotFoundError(absl::StrCat("no account ", key_or_name));
    return *account;
  }
  LATTICE_ASSIGN_OR_RETURN(auto all, ListProto<v1::Account>(*store_, store::Kind::kAccount));
  for (const auto& a : all) {
    if (!a.deleted() && a.name() == key_or_name)
      return a;
  }
  return absl::NotFoundError(absl::StrCat("no account named ", key_or_name));
}

absl::StatusOr<v1::ListAccountsResponse> Frontend::ListAccounts(
    const v1::ListAccountsRequest& req) const {
  const size_t page = req.page_size() == 0 ? 100 : std::min<size_t>(req.page_size(), 1000);
  v1::ListAccountsResponse out;
  std::string after = req.page_token();
  while (static_cast<size_t>(out.accounts_size()) < page) {
    LATTICE_ASSIGN_OR_RETURN(
        auto entries, store_->List(store::Kind::kAccount, after, page - out.accounts_size()));
    if (entries.empty())
      return out;
    for (const auto& entry : entries) {
      after = entry.key;
      v1::Account account;
      if (!account.ParseFromString(entry.value))
        return absl::DataLossError(absl::StrCat("stored account ", entry.key, " does not parse"));
      if (account.deleted() && !req.include_deleted())
        continue;
      *out.add_accounts() = std::move(account);
    }
  }
  // A full page: more may follow.
  LATTICE_ASSIGN_OR_RETURN(auto more, store_->List(store::Kind::kAccount, after, 1));
  if (!more.empty())
    out.set_next_page_token(after);
  return out;
}

absl::StatusOr<WriteResult> Frontend::DeleteAccount(const std::string& actor,
                                                    const v1::DeleteAccountRequest& req) {
  MutexLock lock(&write_mu_);
  LATTICE_ASSIGN_OR_RETURN(auto existing, LoadAccount(req.public_key()));
  if (!existing.has_value() || existing->deleted())
    return absl::NotFoundError(absl::StrCat("no account ", req.public_key()));
  WriteResult result;
  result.key = req.public_key();
  if (req.expected_revision() != 0 && existing->meta().revision() != req.expected_revision()) {
    std::string message =
        absl::StrCat("account ", req.public_key(), ": expected revision ", req.expected_revision(),
                     ", stored revision is ", existing->meta().revision());
    if (!req.dry_run())
      return absl::AbortedError(message);
    result.plan.add_errors(message);
  }
  LATTICE_ASSIGN_OR_RETURN(accounts::AccountSet set, LoadAccountSet());
  AddChange(&result.plan, "account", req.public_key(),
            accounts::AccountPlanView(set.at(req.public_key())), nullptr);
  set.erase(req.public_key());
  std::vector<std::string> importers;
  for (const auto& [other, claims] : set) {
    for (const auto& import : claims.nats.imports) {
      if (import.account == req.public_key()) {
        importers.push_back(other);
        break;
      }
    }
  }
  for (auto& error : accounts::ValidateAccountGraph(set, importers, Seconds(now_())))
    result.plan.add_errors(std::move(error));
  if (req.dry_run())
    return result;
  LATTICE_RETURN_IF_ERROR(RefuseOnErrors(result.plan));
  v1::Account tombstone = *existing;
  *tombstone.mutable_meta() = NextMeta(actor);
  tombstone.set_deleted(true);
  tombstone.set_managed(false);
  store::Batch batch;
  batch.actor = actor;
  batch.reason = "DeleteAccount";
  batch.mutations.push_back(
      store::Mutation::Put(store::Kind::kAccount, req.public_key(), tombstone.SerializeAsString()));
  if (existing->managed())  // a revoked account's key can no longer issue users
    batch.mutations.push_back(store::Mutation::Delete(store::Kind::kSigningKey, req.public_key()));
  LATTICE_ASSIGN_OR_RETURN(result.revision, Commit(std::move(batch)));
  result.applied = true;
  return result;
}

// ---------------------------------------------------------------------------- users

absl::StatusOr<v1::CreateUserResponse> Frontend::CreateUser(const std::string& actor,
                                                            const v1::CreateUserRequest& req) {
  if (req.name().empty())
    return absl::InvalidArgumentError("user name is required");
  LATTICE_ASSIGN_OR_RETURN(v1::Account account, GetAccount(req.account()));
  if (account.deleted())
    return absl::NotFoundError(absl::StrCat("account ", account.public_key(), " is deleted"));
  if (!account.managed()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "account ", account.name(), " is not managed: the control plane holds no key for it"));
  }
  LATTICE_ASSIGN_OR_RETURN(nkeys::KeyPair account_kp, LoadSeed(account.public_key()));
  LATTICE_ASSIGN_OR_RETURN(nkeys::KeyPair user_kp, nkeys::KeyPair::Generate(nkeys::KeyType::kUser));
  jwt::UserClaims claims = jwt::NewUserClaims(*nkeys::UserPublicKey::FromKey(user_kp.public_key()));
  claims.std.name = req.name();
  claims.std.expires = req.expires_unix();
  auto& perms = claims.nats.permissions.permissions;
  perms.pub.allow.assign(req.pub_allow().begin(), req.pub_allow().end());
  perms.pub.deny.assign(req.pub_deny().begin(), req.pub_deny().end());
  perms.sub.allow.assign(req.sub_allow().begin(), req.sub_allow().end());
  perms.sub.deny.assign(req.sub_deny().begin(), req.sub_deny().end());
  claims.nats.permissions.bearer_token = req.bearer_token();
  LATTICE_ASSIGN_OR_RETURN(std::string token, jwt::Encode(claims, account_kp, Seconds(now_())));
  LATTICE_ASSIGN_OR_RETURN(nkeys::SecretString creds, creds::FormatUserCreds(token, user_kp));
  {
    // Nothing about the user is stored; the audit trail records that it was issued.
    MutexLock lock(&write_mu_);
    store::Batch batch;
    batch.actor = actor;
    batch.reason = absl::StrCat("CreateUser ", req.name(), " ", user_kp.public_key().str(), " in ",
                                account.public_key());
    LATTICE_RETURN_IF_ERROR(Commit(std::move(batch)).status());
  }
  v1::CreateUserResponse response;
  response.set_public_key(user_kp.public_key().str());
  response.set_jwt(token);
  response.set_creds(std::string(creds.view()));
  return response;
}

absl::StatusOr<v1::AccountsBundle> Frontend::BuildAccountsBundle() const {
  v1::AccountsBundle bundle;
  uint64_t version = 0;
  LATTICE_ASSIGN_OR_RETURN(auto op,
                           GetProto<v1::Operator>(*store_, store::Kind::kOperator, kOperatorKey));
  if (op.has_value()) {
    version = op->meta().revision();
    *bundle.mutable_operator_() = *op;
  }
  LATTICE_ASSIGN_OR_RETURN(auto all, ListProto<v1::Account>(*store_, store::Kind::kAccount));
  for (auto& account : all) {
    version = std::max(version, account.meta().revision());
    *bundle.add_accounts() = std::move(account);
  }
  bundle.set_version(absl::StrCat("a-", version));
  return bundle;
}

}  // namespace lattice::frontend
