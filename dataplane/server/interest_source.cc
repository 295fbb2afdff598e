// AccountInterestSource: registry lookups over the per-account local-interest views.
#include "dataplane/server/interest_source.h"

#include <memory>
#include <vector>

namespace lattice::server {

uint32_t AccountInterestSource::Weight(const interest::InterestKey& key) const {
  std::shared_ptr<Account> account = registry_.Find(key.account);
  if (account == nullptr || !account->active().load(std::memory_order_acquire)) {
    return 0;
  }
  return account->sublist().InterestAt(key.subject, key.queue);
}

void AccountInterestSource::ForEach(
    absl::FunctionRef<void(const interest::InterestKey& key, uint32_t weight)> fn) const {
  interest::InterestKey key;
  for (const std::shared_ptr<Account>& account : registry_.Accounts()) {
    key.account = account->name();
    account->sublist().ForEachInterest(
        [&](std::string_view subject, std::string_view queue, uint32_t weight) {
          key.subject.assign(subject.data(), subject.size());
          key.queue.assign(queue.data(), queue.size());
          fn(key, weight);
        });
  }
}

}  // namespace lattice::server
