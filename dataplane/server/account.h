// An account: an isolated subject space with its own subscription index, connection and
// subscription counts and limits. The AccountRegistry creates accounts from AccountSpecs and
// wires their imports as internal subscriptions in the indexes.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "dataplane/sublist/sublist.h"

namespace lattice::server {

// Owned by the AccountRegistry and by every session bound to it (shared_ptr), so a removed
// account lives until its last connection closes. Thread: any (the Sublist is thread-safe and
// the counters and limits are atomics).
class Account {
 public:
  explicit Account(std::string name) : name_(std::move(name)) {}
  Account(const Account&) = delete;
  Account& operator=(const Account&) = delete;

  const std::string& name() const { return name_; }
  sublist::Sublist& sublist() { return sublist_; }
  const sublist::Sublist& sublist() const { return sublist_; }

  // Client connections currently bound to this account.
  std::atomic<int64_t>& connections() { return connections_; }
  // Client subscriptions in this account (internal ones are not counted).
  std::atomic<int64_t>& subscriptions() { return subscriptions_; }

  // Limits (-1 = unlimited), updated live by the registry.
  std::atomic<int64_t>& max_connections() { return max_connections_; }
  std::atomic<int64_t>& max_subscriptions() { return max_subscriptions_; }
  std::atomic<int64_t>& max_payload() { return max_payload_; }

  // False once the registry removed the account (its sessions are being closed).
  std::atomic<bool>& active() { return active_; }

 private:
  const std::string name_;
  sublist::Sublist sublist_;
  std::atomic<int64_t> connections_{0};
  std::atomic<int64_t> subscriptions_{0};
  std::atomic<int64_t> max_connections_{-1};
  std::atomic<int64_t> max_subscriptions_{-1};
  std::atomic<int64_t> max_payload_{-1};
  std::atomic<bool> active_{true};
};

}  // namespace lattice::server
