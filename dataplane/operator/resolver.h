// Account resolvers for operator mode: where a node finds the JWT of an account it has not
// seen yet. `resolver: MEMORY` (+ `resolver_preload`) and `resolver: URL(http://...)`.
//
//   LATTICE_ASSIGN_OR_RETURN(ResolverConfig cfg,
//   ParseResolverOption("URL(http://h:9090/jwt/v1/accounts/)")); LATTICE_ASSIGN_OR_RETURN(auto
//   resolver, MakeResolver(cfg, preload)); resolver->Fetch(pubkey, [](absl::StatusOr<std::string>
//   jwt) { ... });   // any thread
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include "common/base/mutex.h"

namespace lattice::operator_mode {

// The parsed `resolver` option.
struct ResolverConfig {
  enum class Kind : uint8_t { kMemory, kUrl };
  Kind kind = Kind::kMemory;
  std::string url;  // kUrl: base URL, always ending in '/'; the account key is appended
};

// Parses the raw string value of `resolver` (also `account_resolver`): "MEMORY"/"MEM" (any
// case) or "URL(http://host:port/path/)" (quotes and blanks inside the parentheses allowed,
// http only). Anything else, including the full/cache directory resolvers, is
// InvalidArgument with a message that says what is supported.
absl::StatusOr<ResolverConfig> ParseResolverOption(std::string_view value);

// Where a Fetch answer goes. Called exactly once, possibly on another thread and possibly
// before Fetch returns. NotFound = the resolver does not know the account.
using FetchCallback = absl::AnyInvocable<void(absl::StatusOr<std::string>)>;

// Looks up account JWTs by account public key. Owned by OperatorMode. Thread: any; every
// method is safe to call concurrently. A JWT returned here is NOT trusted: the caller decodes
// and validates it against the operator.
class AccountResolver {
 public:
  virtual ~AccountResolver() = default;
  // Answers through `done`, never blocking the caller on I/O.
  virtual void Fetch(const std::string& account, FetchCallback done) = 0;
  // Blocking form for callers that may wait (bounded by the resolver's timeout).
  absl::StatusOr<std::string> FetchSync(const std::string& account);
  // Remembers a (validated) JWT, e.g. from a claims update, so later fetches return it.
  virtual void Store(const std::string& account, const std::string& jwt) = 0;
  // Forgets what Store (or a preload, or the cache) holds for `account`.
  virtual void Erase(const std::string& account) = 0;
  // "MEMORY" or "URL", for logs.
  virtual std::string_view Name() const = 0;
};

// `resolver: MEMORY`: only what was preloaded or stored. Thread: any.
class MemoryResolver final : public AccountResolver {
 public:
  explicit MemoryResolver(std::map<std::string, std::string> preload = {});
  void Fetch(const std::string& account, FetchCallback done) override;
  void Store(const std::string& account, const std::string& jwt) override;
  void Erase(const std::string& account) override;
  std::string_view Name() const override { return "MEMORY"; }

 private:
  Mutex mu_;
  absl::flat_hash_map<std::string, std::string> jwts_ ABSL_GUARDED_BY(mu_);
};

// `resolver: URL(base)`: GET <base><account> with a timeout (nats-server's 1.9 s by default);
// 200 = the JWT (body), 404 = unknown (NotFound), anything else Unavailable. Answers are
// cached (successes only) for `cache_ttl`; stored JWTs go into the same cache. Misses are
// fetched on one owned worker thread, so Fetch never blocks. Owned by OperatorMode; the
// destructor joins the worker and answers queued fetches with Cancelled. Thread: any.
class UrlResolver final : public AccountResolver {
 public:
  struct Config {
    std::string url;  // base, ending in '/'
    std::chrono::milliseconds timeout{1900};
    std::chrono::seconds cache_ttl{600};
    size_t max_body_bytes = 1 << 20;
  };
  explicit UrlResolver(Config config);
  ~UrlResolver() override;
  UrlResolver(const UrlResolver&) = delete;
  UrlResolver& operator=(const UrlResolver&) = delete;

  void Fetch(const std::string& account, FetchCallback done) override;
  void Store(const std::string& account, const std::string& jwt) override;
  void Erase(const std::string& account) override;
  std::string_view Name() const override { return "URL"; }

  // Test hooks: HTTP requests made so far, and dropping the cache.
  int64_t requests_for_test() const;
  void ClearCacheForTest();

 private:
  struct Job {
    std::string account;
    FetchCallback done;
  };
  struct Cached {
    std::string jwt;
    std::chrono::steady_clock::time_point stored;
  };
  void Run();
  absl::StatusOr<std::string> Get(const std::string& account);
  bool LookupCache(const std::string& account, std::string* jwt);

  const Config config_;
  std::string scheme_host_port_;  // "http://host:port"
  std::string path_;              // "/path/"
  mutable Mutex mu_;
  std::condition_variable cv_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::deque<Job> queue_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Cached> cache_ ABSL_GUARDED_BY(mu_);
  int64_t requests_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread worker_;
};

// Builds the resolver for `config`; `preload` (resolver_preload: account key -> JWT) is only
// accepted with MEMORY, as in nats-server.
absl::StatusOr<std::unique_ptr<AccountResolver>> MakeResolver(
    const ResolverConfig& config, std::map<std::string, std::string> preload);

}  // namespace lattice::operator_mode
