// OperatorMode: account JWT verification, conversion, claims updates and lookups.
#include "dataplane/operator/operator_mode.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

#include "common/base/log.h"
#include "common/base/status_macros.h"
#include "common/jwt/chain.h"
#include "common/nkeys/nkeys.h"
#include "dataplane/operator/claims_to_spec.h"

namespace lattice::operator_mode {
namespace {

// Debian's Abseil has its own string_view type; StrCat/StrSplit need it explicitly.
absl::string_view Av(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

// Account JWTs are a few KB; a much larger claims update is refused before decoding.
constexpr size_t kMaxAccountJwtBytes = 1 << 20;

}  // namespace

std::string ClaimsUpdateAccount(std::string_view subject) {
  std::vector<absl::string_view> t = absl::StrSplit(Av(subject), '.');
  if (t.size() != 5 || t[0] != "$SYS" || t[1] != "ACCOUNT" || t[3] != "CLAIMS" || t[4] != "UPDATE")
    return "";
  return std::string(t[2]);
}

absl::StatusOr<std::unique_ptr<OperatorMode>> OperatorMode::Create(OperatorModeConfig config,
                                                                   AccountSink* sink) {
  if (sink == nullptr)
    return absl::InvalidArgumentError("operator mode needs an account sink");
  std::function<int64_t()> now = config.now ? config.now : [] { return jwt::NowSeconds(); };
  LATTICE_ASSIGN_OR_RETURN(
      OperatorTrust trust,
      OperatorTrust::FromOptionValues(config.operators, config.system_account, now()));
  auto shared_trust = std::make_shared<const OperatorTrust>(std::move(trust));

  std::unique_ptr<AccountResolver> resolver = std::move(config.resolver_for_test);
  if (resolver == nullptr) {
    ResolverConfig rc;
    if (!config.resolver.empty()) {
      LATTICE_ASSIGN_OR_RETURN(rc, ParseResolverOption(config.resolver));
    } else if (shared_trust->operators().size() == 1 &&
               !shared_trust->operators()[0].claims.nats.account_server_url.empty()) {
      std::string url = shared_trust->operators()[0].claims.nats.account_server_url;
      while (!url.empty() && url.back() == '/')
        url.pop_back();
      LATTICE_ASSIGN_OR_RETURN(rc, ParseResolverOption(absl::StrCat("URL(", url, "/accounts)")));
    } else {
      return absl::InvalidArgumentError(
          "operator mode needs a resolver: set resolver to MEMORY or URL(...)");
    }
    // Preloads are verified and stored below; as in nats-server only MEMORY takes them.
    LATTICE_ASSIGN_OR_RETURN(resolver, MakeResolver(rc, {}));
    if (rc.kind != ResolverConfig::Kind::kMemory && !config.resolver_preload.empty())
      return absl::InvalidArgumentError("resolver_preload is only available with resolver: MEMORY");
  }

  std::unique_ptr<OperatorMode> mode(
      new OperatorMode(shared_trust, std::move(resolver), sink, std::move(now)));
  for (const auto& [key, token] : config.resolver_preload) {
    if (!nkeys::IsValidPublicKey(key, nkeys::KeyType::kAccount))
      return absl::InvalidArgumentError(
          absl::StrCat("resolver_preload: '", key, "' is not an account public key"));
    absl::StatusOr<jwt::AccountClaims> claims = mode->Verify(token, key, false);
    if (!claims.ok())
      return absl::InvalidArgumentError(
          absl::StrCat("resolver_preload ", key, ": ", claims.status().message()));
    // As nats-server: a preload with bad import tokens is a start-up warning; the account
    // itself is refused when a client needs it.
    for (const absl::Status& issue :
         {ValidateImportTokens(*claims), ValidateAccountLimits(*claims)}) {
      if (!issue.ok()) {
        LATTICE_LOG(kWarn) << "Account [" << key << "] has validation issues: " << issue.message();
      }
    }
    mode->resolver_->Store(key, token);
  }
  return mode;
}

OperatorMode::OperatorMode(std::shared_ptr<const OperatorTrust> trust,
                           std::unique_ptr<AccountResolver> resolver, AccountSink* sink,
                           std::function<int64_t()> now)
    : trust_(std::move(trust)), resolver_(std::move(resolver)), sink_(sink), now_(std::move(now)) {}

void OperatorMode::Start() {
  if (system_account().empty())
    return;
  std::string why;
  if (FindAccount(system_account(), &why) == nullptr) {
    LATTICE_LOG(kWarn) << "operator mode: system account " << system_account() << ": " << why;
  }
}

std::unique_ptr<JwtAuthProvider> OperatorMode::NewAuthProvider() const {
  return std::make_unique<JwtAuthProvider>(trust_, this, now_);
}

absl::StatusOr<jwt::AccountClaims> OperatorMode::Verify(std::string_view token,
                                                        std::string_view expected,
                                                        bool import_tokens) const {
  if (token.size() > kMaxAccountJwtBytes)
    return absl::InvalidArgumentError("account JWT too large");
  LATTICE_ASSIGN_OR_RETURN(jwt::AccountClaims claims, jwt::DecodeAccount(token));
  if (!expected.empty() && claims.std.subject != expected) {
    return absl::InvalidArgumentError(
        absl::StrCat("JWT is for account ", claims.std.subject, ", expected ", Av(expected)));
  }
  absl::StatusOr<size_t> op = trust_->ValidateAccount(claims, now_());
  if (!op.ok())
    return op.status();
  // nats-server refuses the whole account JWT when an import token is malformed or was
  // issued to another account (jwt Import.Validate is blocking).
  // The same holds for its import/export limits (jwt Account.Validate).
  if (import_tokens) {
    LATTICE_RETURN_IF_ERROR(ValidateImportTokens(claims));
    LATTICE_RETURN_IF_ERROR(ValidateAccountLimits(claims));
  }
  return claims;
}

std::shared_ptr<const jwt::AccountClaims> OperatorMode::HeldClaims(
    const std::string& account) const {
  MutexLock lock(&state_mu_);
  auto it = held_.find(account);
  return it == held_.end() ? nullptr : it->second.claims;
}

std::string OperatorMode::HeldJwt(const std::string& account) const {
  MutexLock lock(&state_mu_);
  auto it = held_.find(account);
  return it == held_.end() ? "" : it->second.jwt;
}

OperatorMode::Held OperatorMode::HeldAccount(const std::string& account) const {
  MutexLock lock(&state_mu_);
  auto it = held_.find(account);
  return it == held_.end() ? Held() : it->second;
}

std::vector<std::string> OperatorMode::HeldAccounts() const {
  MutexLock lock(&state_mu_);
  std::vector<std::string> keys;
  keys.reserve(held_.size());
  for (const auto& [key, held] : held_)
    keys.push_back(key);
  return keys;
}

std::shared_ptr<const jwt::AccountClaims> OperatorMode::FindAccount(const std::string& account,
                                                                    std::string* why) const {
  if (auto held = HeldClaims(account))
    return held;
  if (!nkeys::IsValidPublicKey(account, nkeys::KeyType::kAccount)) {
    *why = "not an account public key";
    return nullptr;
  }
  MutexLock lock(&update_mu_);
  return LoadLocked(account, why);
}

std::shared_ptr<const jwt::AccountClaims> OperatorMode::LoadLocked(const std::string& account,
                                                                   std::string* why) const {
  if (auto held = HeldClaims(account))  // loaded while we waited, or an import cycle
    return held;
  absl::StatusOr<std::string> token = resolver_->FetchSync(account);
  if (!token.ok()) {
    *why = std::string(token.status().message());
    return nullptr;
  }
  absl::StatusOr<jwt::AccountClaims> claims = Verify(*token, account);
  if (!claims.ok()) {
    *why = std::string(claims.status().message());
    LATTICE_LOG(kWarn) << "operator mode: account " << account << " refused: " << *why;
    return nullptr;
  }
  InstallLocked(*std::move(token), *std::move(claims));
  return HeldClaims(account);
}

void OperatorMode::InstallLocked(std::string token, jwt::AccountClaims claims) const {
  auto shared = std::make_shared<const jwt::AccountClaims>(std::move(claims));
  std::shared_ptr<const jwt::AccountClaims> old;
  {
    MutexLock lock(&state_mu_);
    Held& h = held_[shared->std.subject];
    old = std::move(h.claims);
    h.jwt = std::move(token);
    h.claims = shared;
  }
  // Held before converting, so an import cycle finds this account instead of fetching again.
  ConvertAndApplyLocked(*shared);
  const std::string& account = shared->std.subject;
  // A first load has no live connections to close; an update closes users it newly revokes.
  if (old != nullptr) {
    for (const auto& [user, when] : shared->nats.revocations) {
      auto it = old->nats.revocations.find(user);
      if (it == old->nats.revocations.end() || it->second < when)
        sink_->CloseUserConnections(account, user, when);
    }
  }
  // Importers converted while this account was unknown or different get the new view
  // (activation revocations, removed exports, a late exporter).
  ReconvertImportersLocked(account);
}

void OperatorMode::ConvertAndApplyLocked(const jwt::AccountClaims& claims) const {
  // Runs synchronously inside AccountClaimsToSpec, still under update_mu_.
  auto exporters = [this](const std::string& key)
                       ABSL_NO_THREAD_SAFETY_ANALYSIS -> std::shared_ptr<const jwt::AccountClaims> {
    std::string why;
    return LoadLocked(key, &why);
  };
  std::vector<std::string> notes;
  accounts::AccountSpec spec = AccountClaimsToSpec(claims, exporters, now_(), &notes);
  for (const std::string& note : notes)
    LATTICE_LOG(kWarn) << "operator mode: " << note;
  sink_->ApplyAccount(spec);
}

void OperatorMode::ReconvertImportersLocked(const std::string& exporter) const {
  std::vector<std::shared_ptr<const jwt::AccountClaims>> importers;
  {
    MutexLock lock(&state_mu_);
    for (const auto& [key, held] : held_) {
      if (key == exporter || held.claims == nullptr)
        continue;
      for (const std::string& from : ImportedAccounts(*held.claims)) {
        if (from == exporter) {
          importers.push_back(held.claims);
          break;
        }
      }
    }
  }
  for (const auto& claims : importers)
    ConvertAndApplyLocked(*claims);
}

absl::StatusOr<OperatorMode::ClaimsUpdateOutcome> OperatorMode::HandleClaimsUpdate(
    std::string_view subject, std::string_view payload) {
  std::string account = ClaimsUpdateAccount(subject);
  if (!nkeys::IsValidPublicKey(account, nkeys::KeyType::kAccount))
    return absl::InvalidArgumentError(
        absl::StrCat("claims update subject '", Av(subject), "' does not name an account"));
  // nats-server's order: decode errors and a subject mismatch are reported as such, an account
  // it does not hold is skipped before any trust check, and every other refusal of a held
  // account (trust, time bounds, jwt validation) is "account validation failed".
  if (payload.empty())
    return absl::InvalidArgumentError("request body is empty");
  if (payload.size() > kMaxAccountJwtBytes)
    return absl::InvalidArgumentError("account JWT too large");
  LATTICE_ASSIGN_OR_RETURN(jwt::AccountClaims decoded, jwt::DecodeAccount(payload));
  if (decoded.std.subject != account)
    return absl::InvalidArgumentError("subject does not match jwt content");
  if (HeldClaims(account) == nullptr)
    return ClaimsUpdateOutcome::kSkipped;
  absl::StatusOr<jwt::AccountClaims> verified = Verify(payload, account);
  if (!verified.ok()) {
    LATTICE_LOG(kWarn) << "operator mode: claims update for " << account
                       << " refused: " << verified.status().message();
    return absl::Status(verified.status().code(), "account validation failed");
  }
  jwt::AccountClaims claims = *std::move(verified);
  MutexLock lock(&update_mu_);
  std::shared_ptr<const jwt::AccountClaims> held = HeldClaims(account);
  if (held == nullptr)
    return ClaimsUpdateOutcome::kSkipped;  // removed (reload) while we verified
  if (HeldJwt(account) == payload)
    return ClaimsUpdateOutcome::kUpdated;
  if (claims.std.issued_at < held->std.issued_at) {
    return absl::FailedPreconditionError(
        absl::StrCat("claims update for ", account, " is older (iat ", claims.std.issued_at,
                     ") than the held JWT (iat ", held->std.issued_at, ")"));
  }
  resolver_->Store(account, std::string(payload));
  InstallLocked(std::string(payload), std::move(claims));
  return ClaimsUpdateOutcome::kUpdated;
}

absl::Status OperatorMode::ApplyAccountJwt(std::string_view account_jwt) {
  LATTICE_ASSIGN_OR_RETURN(jwt::AccountClaims claims, Verify(account_jwt, ""));
  MutexLock lock(&update_mu_);
  std::shared_ptr<const jwt::AccountClaims> held = HeldClaims(claims.std.subject);
  if (held != nullptr && HeldJwt(claims.std.subject) == account_jwt)
    return absl::OkStatus();
  if (held != nullptr && claims.std.issued_at < held->std.issued_at)
    return absl::FailedPreconditionError(
        absl::StrCat("account JWT for ", claims.std.subject, " is older than the held one"));
  resolver_->Store(claims.std.subject, std::string(account_jwt));
  InstallLocked(std::string(account_jwt), std::move(claims));
  return absl::OkStatus();
}

void OperatorMode::ForgetAccount(const std::string& account) {
  MutexLock lock(&update_mu_);
  {
    MutexLock state(&state_mu_);
    held_.erase(account);
  }
  resolver_->Erase(account);
  sink_->RemoveAccount(account);
  ReconvertImportersLocked(account);
}

absl::Status OperatorMode::ApplySnapshot(const std::map<std::string, std::string>& accounts,
                                         const std::vector<std::string>& deleted) {
  std::vector<std::pair<std::string, jwt::AccountClaims>> verified;
  for (const auto& [key, token] : accounts) {
    absl::StatusOr<jwt::AccountClaims> claims = Verify(token, key);
    if (!claims.ok()) {
      return absl::Status(claims.status().code(),
                          absl::StrCat("account ", key, ": ", claims.status().message()));
    }
    verified.emplace_back(key, *std::move(claims));
  }
  MutexLock lock(&update_mu_);
  for (auto& [key, claims] : verified) {
    const std::string& token = accounts.at(key);
    if (HeldJwt(key) == token)
      continue;
    resolver_->Store(key, token);
    InstallLocked(token, std::move(claims));
  }
  std::vector<std::string> gone(deleted.begin(), deleted.end());
  {
    MutexLock state(&state_mu_);
    for (const auto& [key, held] : held_) {
      if (accounts.count(key) == 0)
        gone.push_back(key);
    }
  }
  for (const std::string& key : gone) {
    bool was_held = false;
    {
      MutexLock state(&state_mu_);
      was_held = held_.erase(key) > 0;
    }
    resolver_->Erase(key);
    if (was_held) {
      sink_->RemoveAccount(key);
      ReconvertImportersLocked(key);
    }
  }
  return absl::OkStatus();
}

}  // namespace lattice::operator_mode
