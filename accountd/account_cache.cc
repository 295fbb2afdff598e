// AccountCache: validation against the operator, newest-iat-wins storage and disk persistence.
#include "accountd/account_cache.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"

#include "accountd/file_util.h"
#include "common/base/log.h"
#include "common/base/status_macros.h"
#include "common/jwt/chain.h"
#include "common/nkeys/nkeys.h"

namespace lattice::accountd {

std::string_view PutResultName(PutResult result) {
  switch (result) {
    case PutResult::kAdded:
      return "added";
    case PutResult::kUpdated:
      return "updated";
    case PutResult::kUnchanged:
      return "unchanged";
    case PutResult::kStale:
      return "stale";
  }
  return "unknown";
}

absl::StatusOr<AccountEntry> ValidateAccountJwt(const jwt::OperatorClaims& op, std::string_view jwt,
                                                std::string_view expected_key, int64_t now) {
  if (!expected_key.empty() && !nkeys::IsValidPublicKey(expected_key, nkeys::KeyType::kAccount)) {
    return absl::InvalidArgumentError(
        absl::StrCat("not an account public key: ", AsAbsl(expected_key)));
  }
  LATTICE_ASSIGN_OR_RETURN(jwt::AccountClaims claims, jwt::DecodeAccount(jwt));
  if (!expected_key.empty() && claims.std.subject != expected_key) {
    return absl::InvalidArgumentError("subject does not match jwt content");
  }
  LATTICE_RETURN_IF_ERROR(jwt::ValidateAccount(op, claims, now));
  AccountEntry entry;
  entry.public_key = claims.std.subject;
  entry.jwt = std::string(jwt);
  entry.jti = claims.std.id;
  entry.name = claims.std.name;
  entry.issued_at = claims.std.issued_at;
  entry.expires = claims.std.expires;
  return entry;
}

absl::StatusOr<std::unique_ptr<AccountCache>> AccountCache::Create(std::string_view operator_jwt,
                                                                   const std::string& dir,
                                                                   NowFn now) {
  if (now == nullptr)
    now = [] { return jwt::NowSeconds(); };
  LATTICE_ASSIGN_OR_RETURN(jwt::OperatorClaims op, jwt::DecodeOperator(operator_jwt));
  LATTICE_RETURN_IF_ERROR(jwt::ValidateOperator(op, now()));
  std::unique_ptr<AccountCache> cache(
      new AccountCache(std::move(op), std::string(operator_jwt), dir, std::move(now)));
  if (!dir.empty()) {
    LATTICE_RETURN_IF_ERROR(MakeDirs(dir));
    LATTICE_RETURN_IF_ERROR(cache->LoadDir());
  }
  return cache;
}

AccountCache::AccountCache(jwt::OperatorClaims op, std::string operator_jwt, std::string dir,
                           NowFn now)
    : operator_(std::move(op)),
      operator_jwt_(std::move(operator_jwt)),
      dir_(std::move(dir)),
      now_(std::move(now)) {}

absl::Status AccountCache::LoadDir() {
  LATTICE_ASSIGN_OR_RETURN(std::vector<std::string> names, ListJwtFiles(dir_));
  MutexLock lock(&mu_);
  for (const std::string& name : names) {
    const std::string key = name.substr(0, name.size() - 4);
    absl::StatusOr<std::string> text = ReadFile(absl::StrCat(dir_, "/", name));
    if (!text.ok()) {
      LATTICE_LOG(kWarn) << "accountd cache: skipping " << name << ": " << text.status();
      continue;
    }
    absl::StatusOr<AccountEntry> entry = Validate(StripWhitespace(*text), key);
    if (!entry.ok()) {
      LATTICE_LOG(kWarn) << "accountd cache: skipping " << name << ": " << entry.status();
      continue;
    }
    entries_[key] = std::make_shared<const AccountEntry>(*std::move(entry));
  }
  LATTICE_LOG(kInfo) << "accountd cache: loaded " << entries_.size() << " accounts from " << dir_;
  return absl::OkStatus();
}

absl::StatusOr<AccountEntry> AccountCache::Validate(std::string_view jwt,
                                                    std::string_view expected_key) const {
  return ValidateAccountJwt(operator_, jwt, expected_key, now_());
}

PutResult AccountCache::ApplyLocked(AccountEntry entry, bool authoritative,
                                    std::vector<AccountChange>* changes) {
  auto it = entries_.find(entry.public_key);
  PutResult result = PutResult::kAdded;
  if (it != entries_.end()) {
    if (it->second->jti == entry.jti && it->second->jwt == entry.jwt)
      return PutResult::kUnchanged;
    if (!authoritative && entry.issued_at < it->second->issued_at)
      return PutResult::kStale;
    result = PutResult::kUpdated;
  }
  if (!dir_.empty()) {
    absl::Status written =
        WriteFileAtomic(absl::StrCat(dir_, "/", entry.public_key, ".jwt"), entry.jwt);
    // The memory copy still serves; the next restart just lacks this version.
    if (!written.ok()) {
      LATTICE_LOG(kError) << "accountd cache: cannot persist " << entry.public_key << ": "
                          << written;
    }
  }
  auto shared = std::make_shared<const AccountEntry>(std::move(entry));
  entries_[shared->public_key] = shared;
  changes->push_back(AccountChange{shared->public_key, shared});
  return result;
}

void AccountCache::RemoveLocked(const std::string& public_key,
                                std::vector<AccountChange>* changes) {
  if (entries_.erase(public_key) == 0)
    return;
  if (!dir_.empty()) {
    const std::string path = absl::StrCat(dir_, "/", public_key, ".jwt");
    if (unlink(path.c_str()) != 0 && errno != ENOENT) {
      LATTICE_LOG(kError) << "accountd cache: cannot remove " << path << ": "
                          << std::strerror(errno);
    }
  }
  changes->push_back(AccountChange{public_key, nullptr});
}

absl::StatusOr<PutResult> AccountCache::Put(std::string_view jwt) {
  LATTICE_ASSIGN_OR_RETURN(AccountEntry entry, Validate(jwt, ""));
  MutexLock order(&notify_mu_);
  std::vector<AccountChange> changes;
  PutResult result;
  {
    MutexLock lock(&mu_);
    result = ApplyLocked(std::move(entry), /*authoritative=*/false, &changes);
  }
  Notify(changes);
  return result;
}

bool AccountCache::Remove(const std::string& public_key) {
  MutexLock order(&notify_mu_);
  std::vector<AccountChange> changes;
  {
    MutexLock lock(&mu_);
    RemoveLocked(public_key, &changes);
  }
  Notify(changes);
  return !changes.empty();
}

size_t AccountCache::ReplaceAll(const std::vector<std::string>& jwts) {
  std::vector<AccountEntry> valid;
  size_t invalid = 0;
  for (const std::string& token : jwts) {
    absl::StatusOr<AccountEntry> entry = Validate(token, "");
    if (!entry.ok()) {
      LATTICE_LOG(kWarn) << "accountd cache: snapshot entry rejected: " << entry.status();
      ++invalid;
      continue;
    }
    valid.push_back(*std::move(entry));
  }
  MutexLock order(&notify_mu_);
  std::vector<AccountChange> changes;
  {
    MutexLock lock(&mu_);
    std::set<std::string> keep;
    for (AccountEntry& entry : valid) {
      keep.insert(entry.public_key);
      ApplyLocked(std::move(entry), /*authoritative=*/true, &changes);
    }
    std::vector<std::string> gone;
    for (const auto& [key, entry] : entries_) {
      if (keep.count(key) == 0)
        gone.push_back(key);
    }
    for (const std::string& key : gone)
      RemoveLocked(key, &changes);
  }
  Notify(changes);
  return invalid;
}

std::shared_ptr<const AccountEntry> AccountCache::Get(const std::string& public_key) const {
  MutexLock lock(&mu_);
  auto it = entries_.find(public_key);
  return it == entries_.end() ? nullptr : it->second;
}

std::vector<std::string> AccountCache::Keys() const {
  MutexLock lock(&mu_);
  std::vector<std::string> keys;
  keys.reserve(entries_.size());
  for (const auto& [key, entry] : entries_)
    keys.push_back(key);
  return keys;
}

size_t AccountCache::size() const {
  MutexLock lock(&mu_);
  return entries_.size();
}

void AccountCache::AddListener(Listener listener) {
  listeners_.push_back(std::move(listener));
}

void AccountCache::Notify(const std::vector<AccountChange>& changes) {
  for (const AccountChange& change : changes) {
    for (const Listener& listener : listeners_)
      listener(change);
  }
}

}  // namespace lattice::accountd
