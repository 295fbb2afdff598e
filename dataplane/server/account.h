// An account: an isolated subject space with its own subscription index, connection and
// subscription counts and limits. The AccountRegistry creates accounts from AccountSpecs and
// wires their imports as internal subscriptions in the indexes.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"

#include "common/base/mutex.h"
#include "dataplane/accounts/account_spec.h"
#include "dataplane/mapping/mapping_table.h"
#include "dataplane/sublist/sublist.h"

namespace lattice::server {

// Owned by the AccountRegistry and by every session bound to it (shared_ptr), so a removed
// account lives until its last connection closes. Thread: any (the Sublist is thread-safe and
// the counters and limits are atomics).
class Account {
 public:
  explicit Account(std::string name) : name_(std::move(name)), id_(NextId()) {}
  Account(const Account&) = delete;
  Account& operator=(const Account&) = delete;

  const std::string& name() const { return name_; }
  // Unique for the process lifetime (never reused, unlike addresses): per-loop caches key on it.
  uint64_t id() const { return id_; }
  sublist::Sublist& sublist() { return sublist_; }
  const sublist::Sublist& sublist() const { return sublist_; }

  // Client connections currently bound to this account.
  std::atomic<int64_t>& connections() { return connections_; }
  // Client subscriptions in this account (internal ones are not counted).
  std::atomic<int64_t>& subscriptions() { return subscriptions_; }

  // Limits (-1 = unlimited), updated live by the registry. max_subscriptions and max_payload
  // bound each connection of the account (nats-server's per-client application).
  std::atomic<int64_t>& max_connections() { return max_connections_; }
  std::atomic<int64_t>& max_subscriptions() { return max_subscriptions_; }
  std::atomic<int64_t>& max_payload() { return max_payload_; }
  // Unix seconds at which the account's JWT expires (0 = never): its sessions close then
  // with -ERR 'Account Authentication Expired'.
  std::atomic<int64_t>& expires_unix() { return expires_unix_; }

  // Scoped signing keys' template limits (operator mode), replaced on every update.
  void set_scoped_signing_keys(absl::flat_hash_map<std::string, accounts::ScopedUserLimits> keys) {
    MutexLock lock(&mu_);
    scoped_signing_keys_ = std::move(keys);
  }
  // The template limits when `signing_key` is one of the account's scoped keys.
  std::optional<accounts::ScopedUserLimits> ScopedLimits(const std::string& signing_key) const {
    MutexLock lock(&mu_);
    auto it = scoped_signing_keys_.find(signing_key);
    if (it == scoped_signing_keys_.end()) {
      return std::nullopt;
    }
    return it->second;
  }

  // Subject mappings applied to subjects published into this account (null = none).
  // Publishers cache the table and re-read it when the generation changes, so the publish
  // path pays one atomic load.
  void set_mappings(std::shared_ptr<const mapping::MappingTable> table) {
    MutexLock lock(&mu_);
    mappings_ = std::move(table);
    mappings_generation_.fetch_add(1, std::memory_order_acq_rel);
  }
  std::shared_ptr<const mapping::MappingTable> mappings() const {
    MutexLock lock(&mu_);
    return mappings_;
  }
  uint64_t mappings_generation() const {
    return mappings_generation_.load(std::memory_order_acquire);
  }

  // False once the registry removed the account (its sessions are being closed).
  std::atomic<bool>& active() { return active_; }

 private:
  static uint64_t NextId() {
    static std::atomic<uint64_t> next{1};
    return next.fetch_add(1, std::memory_order_relaxed);
  }

  const std::string name_;
  const uint64_t id_;
  sublist::Sublist sublist_;
  std::atomic<int64_t> connections_{0};
  std::atomic<int64_t> subscriptions_{0};
  std::atomic<int64_t> max_connections_{-1};
  std::atomic<int64_t> max_subscriptions_{-1};
  std::atomic<int64_t> max_payload_{-1};
  std::atomic<int64_t> expires_unix_{0};
  std::atomic<bool> active_{true};
  mutable Mutex mu_;
  std::shared_ptr<const mapping::MappingTable> mappings_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, accounts::ScopedUserLimits> scoped_signing_keys_
      ABSL_GUARDED_BY(mu_);
  std::atomic<uint64_t> mappings_generation_{1};
};

}  // namespace lattice::server
