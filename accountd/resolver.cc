// Resolver: validated writes through the source, and the source's feed into the cache.
#include "accountd/resolver.h"

#include "absl/strings/str_cat.h"

#include "common/base/log.h"
#include "common/base/status_macros.h"

namespace lattice::accountd {

absl::StatusOr<PutResult> Resolver::Submit(std::string_view jwt, std::string_view expected_key) {
  LATTICE_ASSIGN_OR_RETURN(AccountEntry entry, cache_.Validate(jwt, expected_key));
  std::shared_ptr<const AccountEntry> stored = cache_.Get(entry.public_key);
  if (stored != nullptr && stored->jwt == entry.jwt)
    return PutResult::kUnchanged;
  if (stored != nullptr && stored->issued_at > entry.issued_at) {
    return absl::AlreadyExistsError(
        absl::StrCat("a newer jwt is already stored for ", entry.public_key));
  }
  if (source_ != nullptr) {
    LATTICE_RETURN_IF_ERROR(source_->Post(entry.public_key, entry.jwt));
  }
  return cache_.Put(entry.jwt);
}

bool Resolver::Announce(const std::string& public_key) {
  std::shared_ptr<const AccountEntry> entry = cache_.Get(public_key);
  if (entry == nullptr)
    return false;
  for (const Announcer& announcer : announcers_)
    announcer(*entry);
  return true;
}

void Resolver::AddAnnouncer(Announcer announcer) {
  announcers_.push_back(announcer);
  cache_.AddListener([announcer](const AccountChange& change) {
    if (change.entry != nullptr)
      announcer(*change.entry);
  });
}

void Resolver::OnSnapshot(const std::vector<std::string>& jwts) {
  const size_t invalid = cache_.ReplaceAll(jwts);
  LATTICE_LOG(kInfo) << "accountd: snapshot from " << DescribeSource() << ": " << jwts.size()
                     << " accounts, " << invalid << " rejected";
}

void Resolver::OnUpsert(const std::string& jwt) {
  absl::StatusOr<PutResult> result = cache_.Put(jwt);
  if (!result.ok()) {
    LATTICE_LOG(kWarn) << "accountd: rejected account from " << DescribeSource() << ": "
                       << result.status();
  }
}

void Resolver::OnDelete(const std::string& public_key) {
  if (cache_.Remove(public_key)) {
    LATTICE_LOG(kInfo) << "accountd: account " << public_key << " deleted at the source";
  }
}

void Resolver::OnConnected(bool connected) {
  if (connected_.exchange(connected) != connected) {
    LATTICE_LOG(kInfo) << "accountd: source " << DescribeSource()
                       << (connected ? " connected" : " unreachable; serving from the cache");
  }
}

}  // namespace lattice::accountd
