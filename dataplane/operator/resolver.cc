// MemoryResolver, UrlResolver (cpp-httplib client on one worker thread) and option parsing.
#include "dataplane/operator/resolver.h"

#include <future>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "httplib.h"

namespace lattice::operator_mode {
namespace {

// Debian's Abseil has its own string_view type; StrCat/StrSplit need it explicitly.
absl::string_view Av(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && absl::ascii_isspace(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && absl::ascii_isspace(static_cast<unsigned char>(s.back())))
    s.remove_suffix(1);
  return s;
}

absl::Status Unsupported(std::string_view value) {
  return absl::InvalidArgumentError(absl::StrCat(
      "resolver '", Av(value),
      "' is not supported: use MEMORY (with resolver_preload) or URL(http://host:port/path/); "
      "the full and cache directory resolvers are not implemented"));
}

// Splits "http://host:port/path" into "http://host:port" and "/path/" (trailing '/' added).
absl::Status SplitUrl(std::string_view url, std::string* origin, std::string* path) {
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos)
    return absl::InvalidArgumentError(
        absl::StrCat("account resolver URL '", Av(url), "' has no scheme"));
  std::string scheme = absl::AsciiStrToLower(Av(url.substr(0, scheme_end)));
  if (scheme != "http" && scheme != "https") {
    return absl::InvalidArgumentError(
        absl::StrCat("account resolver URL '", Av(url), "': scheme must be http or https"));
  }
  size_t host_start = scheme_end + 3;
  size_t slash = url.find('/', host_start);
  std::string_view host = url.substr(
      host_start, slash == std::string_view::npos ? std::string_view::npos : slash - host_start);
  if (host.empty() || host.find_first_of(" \t?#@") != std::string_view::npos)
    return absl::InvalidArgumentError(
        absl::StrCat("account resolver URL '", Av(url), "' has no valid host"));
  *origin = absl::StrCat(scheme, "://", Av(host));
  *path = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  if (path->back() != '/')
    path->push_back('/');
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ResolverConfig> ParseResolverOption(std::string_view value) {
  std::string_view v = Trim(value);
  std::string upper = absl::AsciiStrToUpper(Av(v));
  ResolverConfig out;
  if (upper == "MEM" || upper == "MEMORY") {
    out.kind = ResolverConfig::Kind::kMemory;
    return out;
  }
  if (upper.size() < 5 || upper.compare(0, 4, "URL(") != 0 || upper.back() != ')')
    return Unsupported(value);
  std::string_view inner = Trim(v.substr(4, v.size() - 5));
  if (inner.size() >= 2 && inner.front() == '"' && inner.back() == '"')
    inner = Trim(inner.substr(1, inner.size() - 2));
  if (inner.empty() || inner.find_first_of(" \t\"") != std::string_view::npos)
    return absl::InvalidArgumentError(
        absl::StrCat("resolver '", Av(value), "': URL(...) needs one URL"));
  std::string origin;
  std::string path;
  absl::Status split = SplitUrl(inner, &origin, &path);
  if (!split.ok())
    return split;
  out.kind = ResolverConfig::Kind::kUrl;
  out.url = origin + path;
  return out;
}

absl::StatusOr<std::string> AccountResolver::FetchSync(const std::string& account) {
  std::promise<absl::StatusOr<std::string>> promise;
  std::future<absl::StatusOr<std::string>> future = promise.get_future();
  Fetch(account,
        [&promise](absl::StatusOr<std::string> jwt) { promise.set_value(std::move(jwt)); });
  return future.get();
}

MemoryResolver::MemoryResolver(std::map<std::string, std::string> preload) {
  for (auto& [account, jwt] : preload)
    jwts_[account] = std::move(jwt);
}

void MemoryResolver::Fetch(const std::string& account, FetchCallback done) {
  absl::StatusOr<std::string> answer =
      absl::NotFoundError(absl::StrCat("account ", account, " not found"));
  {
    MutexLock lock(&mu_);
    auto it = jwts_.find(account);
    if (it != jwts_.end())
      answer = it->second;
  }
  done(std::move(answer));
}

void MemoryResolver::Store(const std::string& account, const std::string& jwt) {
  MutexLock lock(&mu_);
  jwts_[account] = jwt;
}

void MemoryResolver::Erase(const std::string& account) {
  MutexLock lock(&mu_);
  jwts_.erase(account);
}

UrlResolver::UrlResolver(Config config) : config_(std::move(config)) {
  if (!SplitUrl(config_.url, &scheme_host_port_, &path_).ok()) {
    // MakeResolver validated the URL; a bad one here only makes every fetch fail.
    scheme_host_port_.clear();
  }
  worker_ = std::thread([this] { Run(); });
}

UrlResolver::~UrlResolver() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  worker_.join();
  std::deque<Job> left;
  {
    MutexLock lock(&mu_);
    left.swap(queue_);
  }
  for (Job& job : left)
    job.done(absl::CancelledError("account resolver shutting down"));
}

bool UrlResolver::LookupCache(const std::string& account, std::string* jwt) {
  MutexLock lock(&mu_);
  auto it = cache_.find(account);
  if (it == cache_.end())
    return false;
  if (std::chrono::steady_clock::now() - it->second.stored > config_.cache_ttl) {
    cache_.erase(it);
    return false;
  }
  *jwt = it->second.jwt;
  return true;
}

void UrlResolver::Fetch(const std::string& account, FetchCallback done) {
  std::string jwt;
  if (LookupCache(account, &jwt)) {
    done(std::move(jwt));
    return;
  }
  {
    MutexLock lock(&mu_);
    if (!stopping_) {
      queue_.push_back({account, std::move(done)});
      cv_.notify_one();
      return;
    }
  }
  done(absl::CancelledError("account resolver shutting down"));
}

void UrlResolver::Store(const std::string& account, const std::string& jwt) {
  MutexLock lock(&mu_);
  cache_[account] = {jwt, std::chrono::steady_clock::now()};
}

void UrlResolver::Erase(const std::string& account) {
  MutexLock lock(&mu_);
  cache_.erase(account);
}

int64_t UrlResolver::requests_for_test() const {
  MutexLock lock(&mu_);
  return requests_;
}

void UrlResolver::ClearCacheForTest() {
  MutexLock lock(&mu_);
  cache_.clear();
}

void UrlResolver::Run() {
  while (true) {
    Job job;
    {
      MutexLock lock(&mu_);
      lock.Wait(cv_,
                [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return stopping_ || !queue_.empty(); });
      if (stopping_)
        return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    std::string cached;
    if (LookupCache(job.account, &cached)) {  // an earlier job in the queue filled it
      job.done(std::move(cached));
      continue;
    }
    absl::StatusOr<std::string> answer = Get(job.account);
    if (answer.ok())
      Store(job.account, *answer);
    job.done(std::move(answer));
  }
}

absl::StatusOr<std::string> UrlResolver::Get(const std::string& account) {
  std::string url = absl::StrCat(scheme_host_port_, path_, account);
  if (scheme_host_port_.empty())
    return absl::InvalidArgumentError(absl::StrCat("invalid account resolver URL ", config_.url));
  // Account keys are base32 ([A-Z2-7]); anything else must not reach the URL path.
  for (char c : account) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)))
      return absl::InvalidArgumentError("account key is not base32");
  }
  {
    MutexLock lock(&mu_);
    ++requests_;
  }
  httplib::Client client(scheme_host_port_);
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(config_.timeout);
  auto usecs = std::chrono::duration_cast<std::chrono::microseconds>(config_.timeout - secs);
  client.set_connection_timeout(secs.count(), usecs.count());
  client.set_read_timeout(secs.count(), usecs.count());
  client.set_write_timeout(secs.count(), usecs.count());
  httplib::Result result = client.Get((path_ + account).c_str());
  if (!result) {
    return absl::UnavailableError(
        absl::StrCat("could not fetch <", url, ">: ", httplib::to_string(result.error())));
  }
  if (result->status == 404)
    return absl::NotFoundError(absl::StrCat("could not fetch <", url, ">: 404 Not Found"));
  if (result->status != 200) {
    return absl::UnavailableError(
        absl::StrCat("could not fetch <", url, ">: HTTP status ", result->status));
  }
  if (result->body.size() > config_.max_body_bytes)
    return absl::OutOfRangeError(absl::StrCat("could not fetch <", url, ">: body too large"));
  return std::string(Trim(result->body));
}

absl::StatusOr<std::unique_ptr<AccountResolver>> MakeResolver(
    const ResolverConfig& config, std::map<std::string, std::string> preload) {
  if (config.kind == ResolverConfig::Kind::kMemory)
    return std::unique_ptr<AccountResolver>(new MemoryResolver(std::move(preload)));
  if (!preload.empty()) {
    return absl::InvalidArgumentError(
        "resolver_preload is only available with resolver: MEMORY (the URL resolver is "
        "read-only)");
  }
  std::string origin;
  std::string path;
  absl::Status split = SplitUrl(config.url, &origin, &path);
  if (!split.ok())
    return split;
  UrlResolver::Config url_config;
  url_config.url = origin + path;
  return std::unique_ptr<AccountResolver>(new UrlResolver(std::move(url_config)));
}

}  // namespace lattice::operator_mode
