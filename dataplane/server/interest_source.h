// AccountInterestSource: the node's local interest as the interest reporter reads it, from
// the account indexes of the registry (client subscriptions only).
#pragma once

#include "dataplane/interest/interest_tracker.h"
#include "dataplane/server/account_registry.h"

namespace lattice::server {

// Reads Sublist::InterestAt / ForEachInterest of the registry's accounts, keyed by account
// name (the configured name, or the public key in operator mode). An account the registry no
// longer holds has weight 0 everywhere and is absent from ForEach, even while its closing
// connections still hold subscriptions. Owned by the Server; the registry outlives it.
// Thread: any.
class AccountInterestSource final : public interest::InterestSource {
 public:
  explicit AccountInterestSource(const AccountRegistry& registry) : registry_(registry) {}

  uint32_t Weight(const interest::InterestKey& key) const override;
  void ForEach(
      absl::FunctionRef<void(const interest::InterestKey& key, uint32_t weight)> fn) const override;

 private:
  const AccountRegistry& registry_;
};

}  // namespace lattice::server
