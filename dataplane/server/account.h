// An account: an isolated subject space with its own subscription index. Only the global
// account "$G" exists for now; the accounts work adds a registry, imports and limits here.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "dataplane/sublist/sublist.h"

namespace lattice::server {

// Owned by the Server (it outlives every session). Thread: any (the Sublist is thread-safe
// and the counters are atomics).
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

 private:
  const std::string name_;
  sublist::Sublist sublist_;
  std::atomic<int64_t> connections_{0};
};

}  // namespace lattice::server
