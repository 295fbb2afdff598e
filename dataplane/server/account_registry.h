// AccountRegistry: name -> Account, built from AccountSpecs (config file today, account JWTs
// in operator mode), with imports wired as internal subscriptions between account indexes.
//
//   registry.set_router(&RouteToAccount);        // once, by the Server
//   registry.ApplyAll(options.accounts, ...);    // at start and on reload
//   registry.Apply(spec);                        // one account changed (JWT update)
//   std::shared_ptr<Account> a = registry.Find("A");
//
// Stream import (B imports "x.>" from A with prefix p): a handler on "x.>" in A's index
// republishes into B as "p.x...". Service import (B imports "svc" from A as "ask"): a handler
// on "ask" in B's index republishes into A as "svc" with the reply replaced by a fresh
// "_R_.<prefix>.<token>" subject; one "_R_.<prefix>.>" subscription per exporter looks the
// token up in a response table and republishes the answer into B on the requester's original
// reply, once (singleton) or until the export's response threshold passes (stream, chunked).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"

#include "common/base/mutex.h"
#include "dataplane/accounts/account_spec.h"
#include "dataplane/server/account.h"
#include "dataplane/server/internal_subscription.h"

namespace lattice::server {

struct ResponseTable;

inline constexpr std::string_view kSystemAccount = "$SYS";

// One account's state as /accountz shows it.
struct AccountInfo {
  std::string name;
  bool is_system = false;
  int64_t connections = 0;
  int64_t subscriptions = 0;  // index entries (client and internal)
  accounts::AccountSpec spec;
};

// Owned by the ServerContext. Thread: any (one mutex for changes; lookups take it briefly,
// the publish path never does).
class AccountRegistry {
 public:
  AccountRegistry();
  ~AccountRegistry();
  AccountRegistry(const AccountRegistry&) = delete;
  AccountRegistry& operator=(const AccountRegistry&) = delete;

  // The delivery function imports republish through. Must be set before imports are applied.
  void set_router(AccountRouter router);

  // The global account "$G" (always present).
  Account& global() { return *global_; }
  std::shared_ptr<Account> global_shared() const { return global_; }

  // nullptr when unknown.
  std::shared_ptr<Account> Find(std::string_view name) const;

  // Adds or replaces one account and rewires every import (an export change can grant or
  // revoke other accounts' imports). Imports that name an unknown account or an export that
  // does not admit the importer are skipped with a warning, as in operator mode; config
  // files are checked strictly by the options parser. Live connections stay.
  void Apply(accounts::AccountSpec spec);
  // Removes an account: it leaves the registry, its imports are unwired and it is marked
  // inactive; connections bound to it are closed by the server. "$G" cannot be removed.
  void Remove(std::string_view name);
  // Reload: applies every spec, removes accounts no longer listed (except $G and the system
  // account), sets $G's mappings and the system account (empty = "$SYS", none when
  // `no_system_account`).
  void ApplyAll(const std::vector<accounts::AccountSpec>& specs,
                const std::vector<accounts::SubjectMapping>& global_mappings,
                const std::string& system_account, bool no_system_account);

  // The system account's name ("" when disabled).
  std::string system_account() const;

  std::vector<AccountInfo> List() const;
  // Every account currently registered (a removed one is no longer listed even while its
  // connections are closing).
  std::vector<std::shared_ptr<Account>> Accounts() const;

  // Live response routes of service imports (for tests and monitoring).
  size_t ResponseRouteCount() const;

 private:
  struct Wiring;
  struct ServiceState;
  struct Entry {
    std::shared_ptr<Account> account;
    accounts::AccountSpec spec;
  };

  void RewireLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void UnwireLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ApplyLocked(accounts::AccountSpec spec) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Installs every authorized import; collects the accounts that export a service in use.
  void WireImportsLocked(absl::flat_hash_map<uint64_t, std::shared_ptr<Account>>* exporters)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::shared_ptr<Account> global_;
  const std::shared_ptr<ResponseTable> responses_;
  mutable Mutex mu_;
  AccountRouter router_ ABSL_GUARDED_BY(mu_) = nullptr;
  absl::flat_hash_map<std::string, Entry> accounts_ ABSL_GUARDED_BY(mu_);
  std::string system_account_ ABSL_GUARDED_BY(mu_){kSystemAccount};
  // Internal subscriptions installed for imports, removed on every rewire.
  std::vector<std::pair<std::weak_ptr<Account>, std::shared_ptr<InternalSubscription>>> wired_
      ABSL_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<ServiceState>> services_ ABSL_GUARDED_BY(mu_);
  // Account id -> that exporter's "_R_.<prefix>.>" response subscription (kept across
  // rewires while the account still exports a service someone imports).
  absl::flat_hash_map<uint64_t,
                      std::pair<std::weak_ptr<Account>, std::shared_ptr<InternalSubscription>>>
      response_subs_ ABSL_GUARDED_BY(mu_);
};

}  // namespace lattice::server
