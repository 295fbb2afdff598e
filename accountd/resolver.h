// Resolver: the glue between an AccountSource, the AccountCache and the resolver front ends.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

#include "accountd/account_cache.h"
#include "accountd/account_source.h"

namespace lattice::accountd {

// Feeds the cache from the source (as its AccountSink) and runs the write path shared by
// `POST /jwt/v1/accounts/<key>` and `$SYS.REQ.CLAIMS.UPDATE`: validate against the operator,
// write through the source, then store (which notifies the cache's listeners, e.g. the NATS
// publisher). Owned by main; `cache` and `source` (may be null: cache only) outlive it.
// Thread: Submit/Announce from any thread; sink calls from the source's thread.
class Resolver : public AccountSink {
 public:
  Resolver(AccountCache& cache, AccountSource* source) : cache_(cache), source_(source) {}

  AccountCache& cache() { return cache_; }

  // Validates `jwt` (its subject must be `expected_key` when that is non-empty), writes it
  // through the source and stores it. Errors: InvalidArgument / PermissionDenied /
  // FailedPrecondition for a token that does not validate (nothing written), AlreadyExists when
  // the stored token is newer, Unavailable when the source cannot take the write.
  absl::StatusOr<PutResult> Submit(std::string_view jwt, std::string_view expected_key);

  // Re-announces a stored account to the announcers (`?notify=true`); false when unknown.
  bool Announce(const std::string& public_key);
  // Called with every changed or re-announced entry. Set up before serving starts.
  using Announcer = std::function<void(const AccountEntry&)>;
  void AddAnnouncer(Announcer announcer);

  // True when there is no source (standalone cache) or the source reports it is reachable.
  bool source_connected() const { return source_ == nullptr || connected_.load(); }
  std::string DescribeSource() const { return source_ ? source_->Describe() : "none"; }

  // AccountSink.
  void OnSnapshot(const std::vector<std::string>& jwts) override;
  void OnUpsert(const std::string& jwt) override;
  void OnDelete(const std::string& public_key) override;
  void OnConnected(bool connected) override;

 private:
  AccountCache& cache_;
  AccountSource* const source_;
  std::atomic<bool> connected_{false};
  std::vector<Announcer> announcers_;
};

}  // namespace lattice::accountd
