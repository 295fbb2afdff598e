// Server: listener, worker loops, lifecycle and the thread-safe stats/snapshot API.
#include "dataplane/server/server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <future>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"

#include "common/base/check.h"
#include "common/base/log.h"

namespace lattice::server {

// One worker: an event loop on its own thread and the sessions living on it.
struct Worker {
  explicit Worker(const Clock& clock) : loop(clock) {}
  EventLoop loop;
  std::thread thread;
  WorkerStats stats;
  absl::flat_hash_map<uint64_t, std::shared_ptr<ClientSession>> sessions;  // loop only
};

// The client listening socket, registered with the accept loop. Thread: the accept loop.
class Listener final : public IoHandler {
 public:
  Listener(Server& server, EventLoop& loop, int fd) : server_(server), loop_(loop), fd_(fd) {}
  ~Listener() override { CloseSocket(); }

  void OnIoEvents(uint32_t events) override { AcceptAll(); }

  void CloseSocket() {
    if (fd_ >= 0) {
      loop_.Unregister(fd_);
      close(fd_);
      fd_ = -1;
    }
  }

 private:
  void AcceptAll() {
    while (fd_ >= 0) {
      sockaddr_storage addr{};
      socklen_t len = sizeof(addr);
      int fd = accept4(fd_, reinterpret_cast<sockaddr*>(&addr), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) {
          continue;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          return;
        }
        // Out of fds or memory: edge-triggered, so retry soon instead of waiting for an edge.
        LATTICE_LOG(kError) << "accept failed: " << std::strerror(errno);
        loop_.AddTimer(std::chrono::milliseconds(50), [this] { AcceptAll(); });
        return;
      }
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      ClientSession::Peer peer;
      char ip[INET6_ADDRSTRLEN] = {0};
      if (addr.ss_family == AF_INET) {
        auto* in = reinterpret_cast<sockaddr_in*>(&addr);
        inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
        peer.port = ntohs(in->sin_port);
      } else if (addr.ss_family == AF_INET6) {
        auto* in6 = reinterpret_cast<sockaddr_in6*>(&addr);
        inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
        peer.port = ntohs(in6->sin6_port);
      }
      peer.ip = ip;
      server_.OnAccepted(fd, std::move(peer));
    }
  }

  Server& server_;
  EventLoop& loop_;
  int fd_;
};

namespace {

int64_t UnixNanosNow() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// nats-server's default: with TLS and no explicit authorization timeout, clients get the TLS
// timeout plus one second to authenticate.
options::Options WithTlsAuthTimeout(options::Options options) {
  if (options.tls.has_value() && !options.auth_timeout_set) {
    options.auth_timeout = options.tls->timeout + std::chrono::seconds(1);
  }
  return options;
}

// The TLS context for `options` (null without tls {}); errors name the file and reason.
absl::StatusOr<std::shared_ptr<const tls::TlsContext>> MakeTlsContext(
    const options::Options& options) {
  if (!options.tls.has_value()) {
    return std::shared_ptr<const tls::TlsContext>();
  }
  auto context = tls::TlsContext::CreateServer(*options.tls);
  if (!context.ok()) {
    return absl::Status(context.status().code(),
                        absl::StrCat("TLS configuration: ", context.status().message()));
  }
  return *std::move(context);
}

absl::StatusOr<int> BindListener(const std::string& host, int port, int* bound_port) {
  std::string bind_host = host.empty() ? "0.0.0.0" : host;
  bool v6 = bind_host.find(':') != std::string::npos;
  int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  int rc;
  if (v6) {
    sockaddr_in6 addr{};
    addr.sin6_family = AF_INET6;
    addr.sin6_port = htons(static_cast<uint16_t>(port > 0 ? port : 0));
    if (inet_pton(AF_INET6, bind_host.c_str(), &addr.sin6_addr) != 1) {
      close(fd);
      return absl::InvalidArgumentError(absl::StrCat("invalid listen host: ", bind_host));
    }
    rc = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  } else {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port > 0 ? port : 0));
    std::string ip = bind_host == "localhost" ? "127.0.0.1" : bind_host;
    if (inet_pton(AF_INET, ip.c_str(), &addr.sin_addr) != 1) {
      close(fd);
      return absl::InvalidArgumentError(absl::StrCat("invalid listen host: ", bind_host));
    }
    rc = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  }
  if (rc != 0 || listen(fd, 4096) != 0) {
    int err = errno;
    close(fd);
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", bind_host, ":", port, ": ", std::strerror(err)));
  }
  sockaddr_storage bound{};
  socklen_t len = sizeof(bound);
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  *bound_port = bound.ss_family == AF_INET6
                    ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                    : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  return fd;
}

}  // namespace

Server::Server(options::Options options, const Clock& clock)
    : context_(std::make_unique<ServerContext>(clock, GenerateServerId())) {
  context_->registry().set_router(&RouteToAccount);
  auto config = std::make_shared<RuntimeConfig>();
  config->options =
      std::make_shared<const options::Options>(WithTlsAuthTimeout(std::move(options)));
  context_->set_config(std::move(config));
}

Server::~Server() {
  Shutdown();
  if (lame_duck_thread_.joinable()) {
    lame_duck_thread_.join();
  }
}

void Server::EnableInterestReporting(interest::InterestTracker::Options options) {
  LATTICE_CHECK(!started_.load());
  LATTICE_CHECK(interest_tracker_ == nullptr);
  interest_tracker_ = std::make_unique<interest::InterestTracker>(options);
  interest_source_ = std::make_unique<AccountInterestSource>(context_->registry());
  context_->set_interest_tracker(interest_tracker_.get());
}

absl::Status Server::Start() {
  LATTICE_CHECK(!started_.exchange(true));
  start_time_ = std::chrono::system_clock::now();
  {
    MutexLock lock(&config_time_mu_);
    config_load_time_ = start_time_;
  }
  std::shared_ptr<const options::Options> opts = context_->config()->options;
  if (absl::Status s = StartOperatorMode(*opts); !s.ok()) {
    return s;
  }
  auto authenticator = MakeAuthenticator(*opts);
  if (!authenticator.ok()) {
    return authenticator.status();
  }
  for (const std::string& warning : (*authenticator)->warnings()) {
    LATTICE_LOG(kWarn) << warning;
  }
  auto tls_context = MakeTlsContext(*opts);
  if (!tls_context.ok()) {
    return tls_context.status();
  }
  auto config = std::make_shared<RuntimeConfig>();
  config->options = opts;
  config->authenticator = *std::move(authenticator);
  // Operator mode checks every CONNECT on the auth pool: a first user of an account not held
  // yet waits for the resolver, never the loop.
  config->slow_auth = HasBcryptSecret(*opts) || operator_mode_ != nullptr;
  config->tls = *std::move(tls_context);
  context_->set_config(std::move(config));
  if (operator_mode_ == nullptr) {
    context_->registry().ApplyAll(opts->accounts, opts->mappings, opts->system_account,
                                  opts->no_system_account);
  }

  int bound_port = 0;
  auto fd = BindListener(opts->host, opts->port, &bound_port);
  if (!fd.ok()) {
    return fd.status();
  }
  context_->set_listen_address(opts->host, bound_port);

  int n = opts->worker_threads > 0 ? opts->worker_threads
                                   : static_cast<int>(std::thread::hardware_concurrency());
  n = std::max(n, 1);
  const Clock& clock = context_->clock();
  for (int i = 0; i < n; ++i) {
    workers_.push_back(std::make_unique<Worker>(clock));
  }
  for (auto& worker : workers_) {
    Worker* w = worker.get();
    w->thread = std::thread([w] { w->loop.Run(); });
  }
  accept_loop_ = std::make_unique<EventLoop>(clock);
  listener_ = std::make_unique<Listener>(*this, *accept_loop_, *fd);
  LATTICE_CHECK(accept_loop_->Register(*fd, listener_.get(), EPOLLIN));
  accept_thread_ = std::thread([this] { accept_loop_->Run(); });
  return absl::OkStatus();
}

void Server::OnAccepted(int fd, ClientSession::Peer peer) {
  uint64_t cid = next_cid_.fetch_add(1, std::memory_order_relaxed) + 1;
  context_->total_connections().fetch_add(1, std::memory_order_relaxed);
  std::shared_ptr<const RuntimeConfig> config = context_->config();
  int64_t now_connected = context_->connections().fetch_add(1, std::memory_order_acq_rel);
  bool reject = now_connected >= config->options->max_connections;
  if (reject) {
    context_->connections().fetch_sub(1, std::memory_order_acq_rel);
    LATTICE_LOG(kWarn) << "maximum connections exceeded, rejecting " << peer.ip << ":" << peer.port;
  }
  Worker* worker = workers_[next_worker_++ % workers_.size()].get();
  worker->loop.Post([this, worker, fd, cid, reject, peer = std::move(peer)]() mutable {
    auto session = std::make_shared<ClientSession>(worker->loop, fd, cid, std::move(peer),
                                                   *context_, worker->stats);
    if (std::shared_ptr<const tls::TlsContext> tls = context_->config()->tls; tls != nullptr) {
      session->EnableTls(std::move(tls));
    }
    if (reject) {
      session->StartAndReject(protocol::ProtocolError::kMaxConnectionsExceeded);
      return;  // already closed; the last reference goes with this task
    }
    session->set_on_connected([this](ClientSession* s) { NotifyClientConnected(*s); });
    session->set_on_closed([this, worker](ClientSession* s) {
      ConnectionSnapshot snapshot = s->Snapshot();
      NotifyClientClosed(snapshot, s->close_reason());
      closed_.Add(ClosedConnection{std::move(snapshot), UnixNanosNow(), s->close_reason()});
      worker->sessions.erase(s->cid());
      context_->connections().fetch_sub(1, std::memory_order_acq_rel);
    });
    worker->sessions.emplace(cid, session);
    session->Start();
  });
}

void Server::Shutdown() {
  if (shutdown_started_.exchange(true)) {
    WaitForShutdown();
    return;
  }
  WakeLameDuckWaiter();
  if (started_.load()) {
    if (has_sink_.load(std::memory_order_acquire)) {
      MutexLock lock(&sink_mu_);
      if (sink_ != nullptr) {
        sink_->OnServerShutdown();  // $SYS.SERVER.<id>.SHUTDOWN while clients can still read it
      }
    }
    if (accept_loop_ != nullptr) {
      accept_loop_->Post([this] { listener_->CloseSocket(); });
      accept_loop_->Stop();
      if (accept_thread_.joinable()) {
        accept_thread_.join();
      }
    }
    for (auto& worker : workers_) {
      Worker* w = worker.get();
      w->loop.Post([w] {
        std::vector<std::shared_ptr<ClientSession>> all;
        all.reserve(w->sessions.size());
        for (auto& [cid, session] : w->sessions) {
          all.push_back(session);
        }
        for (auto& session : all) {
          session->Close(CloseReason::kServerShutdown);
        }
      });
      w->loop.Stop();
    }
    for (auto& worker : workers_) {
      if (worker->thread.joinable()) {
        worker->thread.join();
      }
    }
    // Credential checks in flight post to the loops: finish them while the loops exist.
    context_->StopAuthPool();
    StopOperatorMode();
    // Sessions that were mid-teardown when the loops stopped; their sockets are closed.
    for (auto& worker : workers_) {
      for (auto& [cid, session] : worker->sessions) {
        session->set_on_closed(nullptr);
      }
      worker->sessions.clear();
    }
    // Match results cached in the index keep subscriptions (and sessions) alive; the
    // index is destroyed with the context.
  }
  {
    MutexLock lock(&shutdown_mu_);
    shutdown_done_ = true;
  }
  shutdown_cv_.notify_all();
}

void Server::WakeLameDuckWaiter() {
  { MutexLock lock(&shutdown_mu_); }
  shutdown_cv_.notify_all();
}

void Server::WaitForShutdown() {
  MutexLock lock(&shutdown_mu_);
  lock.Wait(shutdown_cv_, [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return shutdown_done_; });
}

ServerStats Server::Stats() const {
  ServerStats stats;
  for (const auto& worker : workers_) {
    stats.in_msgs += worker->stats.in_msgs.load(std::memory_order_relaxed);
    stats.in_bytes += worker->stats.in_bytes.load(std::memory_order_relaxed);
    stats.out_msgs += worker->stats.out_msgs.load(std::memory_order_relaxed);
    stats.out_bytes += worker->stats.out_bytes.load(std::memory_order_relaxed);
    stats.slow_consumers += worker->stats.slow_consumers.load(std::memory_order_relaxed);
  }
  stats.connections = context_->connections().load(std::memory_order_relaxed);
  stats.total_connections = context_->total_connections().load(std::memory_order_relaxed);
  stats.subscriptions = 0;
  for (const AccountInfo& account : context_->registry().List()) {
    stats.subscriptions += static_cast<uint64_t>(account.subscriptions);
  }
  return stats;
}

std::chrono::system_clock::time_point Server::config_load_time() const {
  MutexLock lock(&config_time_mu_);
  return config_load_time_;
}

std::vector<ConnectionSnapshot> Server::Connections() const {
  std::vector<ConnectionSnapshot> all;
  if (!started_.load() || shutdown_started_.load()) {
    return all;
  }
  auto collect = [](Worker* w) {
    std::vector<ConnectionSnapshot> out;
    out.reserve(w->sessions.size());
    for (const auto& [cid, session] : w->sessions) {
      if (!session->closed()) {
        out.push_back(session->Snapshot());
      }
    }
    return out;
  };
  std::vector<std::future<std::vector<ConnectionSnapshot>>> pending;
  for (const auto& worker : workers_) {
    Worker* w = worker.get();
    if (w->loop.IsInLoopThread()) {
      std::promise<std::vector<ConnectionSnapshot>> ready;
      ready.set_value(collect(w));
      pending.push_back(ready.get_future());
      continue;
    }
    auto promise = std::make_shared<std::promise<std::vector<ConnectionSnapshot>>>();
    pending.push_back(promise->get_future());
    w->loop.Post([promise, w, collect] { promise->set_value(collect(w)); });
  }
  for (auto& f : pending) {
    // A loop stopped by a concurrent Shutdown never answers: give up on it.
    if (f.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
      continue;
    }
    for (auto& snap : f.get()) {
      all.push_back(std::move(snap));
    }
  }
  std::sort(all.begin(), all.end(),
            [](const ConnectionSnapshot& a, const ConnectionSnapshot& b) { return a.cid < b.cid; });
  return all;
}

absl::Status Server::Reload(const options::Options& new_options) {
  options::Options options = WithTlsAuthTimeout(new_options);
  if (absl::Status s = ReloadOperatorMode(options); !s.ok()) {
    return s;
  }
  auto authenticator = MakeAuthenticator(options);
  if (!authenticator.ok()) {
    return authenticator.status();
  }
  // A new TLS context (certificates re-read) for connections accepted from now on; existing
  // sessions keep the one they began with.
  auto tls_context = MakeTlsContext(options);
  if (!tls_context.ok()) {
    return tls_context.status();
  }
  std::shared_ptr<const RuntimeConfig> old = context_->config();
  // Keep what cannot change without a restart.
  options::Options merged = options;
  merged.host = old->options->host;
  merged.port = old->options->port;
  merged.worker_threads = old->options->worker_threads;
  auto config = std::make_shared<RuntimeConfig>();
  config->options = std::make_shared<const options::Options>(std::move(merged));
  config->authenticator = *std::move(authenticator);
  config->slow_auth = HasBcryptSecret(*config->options) || operator_mode_ != nullptr;
  config->tls = *std::move(tls_context);
  if (operator_mode_ == nullptr) {
    context_->registry().ApplyAll(config->options->accounts, config->options->mappings,
                                  config->options->system_account,
                                  config->options->no_system_account);
  }
  context_->set_config(config);
  {
    MutexLock lock(&config_time_mu_);
    config_load_time_ = std::chrono::system_clock::now();
  }
  for (auto& worker : workers_) {
    Worker* w = worker.get();
    w->loop.Post([w, config] {
      for (auto& [cid, session] : w->sessions) {
        session->ApplyConfig(*config);
      }
    });
  }
  LATTICE_LOG(kInfo) << "Reloaded server configuration";
  return absl::OkStatus();
}

void Server::EnterLameDuckMode() {
  if (!started_.load() || shutdown_started_.load() || context_->lame_duck().exchange(true)) {
    return;
  }
  LATTICE_LOG(kInfo) << "Entering lame duck mode, stop accepting new clients";
  accept_loop_->Post([this] { listener_->CloseSocket(); });
  for (auto& worker : workers_) {
    Worker* w = worker.get();
    w->loop.Post([w] {
      for (auto& [cid, session] : w->sessions) {
        session->SendAsyncInfo();
      }
    });
  }
  lame_duck_thread_ = std::thread([this] { RunLameDuck(); });
}

void Server::RunLameDuck() {
  std::shared_ptr<const options::Options> opts = context_->config()->options;
  // Sleeps for `d` on the real clock, returning early when the server is shut down.
  auto wait = [this](ClockDuration d) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    std::unique_lock<std::mutex> lock(shutdown_mu_.native());
    shutdown_cv_.wait_for(lock, d, [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
      return shutdown_done_ || shutdown_started_.load();
    });
  };
  wait(opts->lame_duck_grace_period);
  if (shutdown_started_.load()) {
    return;
  }
  // Close clients spread over the duration: each loop gets its share of the time slots.
  ClockDuration duration = opts->lame_duck_duration;
  for (auto& worker : workers_) {
    Worker* w = worker.get();
    w->loop.Post([w, duration] {
      std::vector<std::weak_ptr<ClientSession>> sessions;
      for (auto& [cid, session] : w->sessions) {
        sessions.push_back(session);
      }
      if (sessions.empty()) {
        return;
      }
      ClockDuration step = duration / static_cast<int64_t>(sessions.size() + 1);
      for (size_t i = 0; i < sessions.size(); ++i) {
        w->loop.AddTimer(step * static_cast<int64_t>(i), [weak = sessions[i]] {
          if (auto s = weak.lock()) {
            s->Close(CloseReason::kLameDuck);
          }
        });
      }
    });
  }
  wait(duration);
  if (!shutdown_started_.load()) {
    LATTICE_LOG(kInfo) << "Lame duck mode complete, shutting down";
    Shutdown();
  }
}

void Server::SetClientEventSink(ClientEventSink* sink) {
  MutexLock lock(&sink_mu_);
  sink_ = sink;
  has_sink_.store(sink != nullptr, std::memory_order_release);
}

void Server::NotifyClientConnected(ClientSession& session) {
  if (!has_sink_.load(std::memory_order_acquire)) {
    return;
  }
  MutexLock lock(&sink_mu_);
  if (sink_ != nullptr) {
    sink_->OnClientConnected(session);
  }
}

void Server::NotifyClientClosed(const ConnectionSnapshot& snapshot, CloseReason reason) {
  if (!has_sink_.load(std::memory_order_acquire)) {
    return;
  }
  MutexLock lock(&sink_mu_);
  if (sink_ != nullptr) {
    sink_->OnClientClosed(snapshot, reason);
  }
}

void Server::PublishInternal(Account& account, std::string_view subject, std::string_view reply,
                             std::string_view payload) {
  protocol::PubOp op;
  op.subject = subject;
  op.reply = reply;
  op.payload = payload;
  RouteToAccount(account, op, nullptr, 0);
}

void Server::ForEachSession(std::function<void(ClientSession&)> fn) {
  auto shared = std::make_shared<std::function<void(ClientSession&)>>(std::move(fn));
  for (auto& worker : workers_) {
    Worker* w = worker.get();
    w->loop.Post([w, shared] {
      for (auto& [cid, session] : w->sessions) {
        if (!session->closed()) {
          (*shared)(*session);
        }
      }
    });
  }
}

void Server::ApplyAccount(accounts::AccountSpec spec) {
  std::string name = spec.name;
  std::vector<std::pair<std::string, int64_t>> revoked(spec.revoked_users.begin(),
                                                       spec.revoked_users.end());
  context_->registry().Apply(std::move(spec));
  EnforceAccountLimits(name);
  for (const auto& [key, before] : revoked) {
    RevokeUser(name, key, before);
  }
}

void Server::EnforceAccountLimits(const std::string& name) {
  std::shared_ptr<Account> account = context_->registry().Find(name);
  if (account == nullptr || workers_.empty()) {
    return;
  }
  // Every loop re-applies the limits to its sessions of the account and reports the ones
  // still open; the last loop to report picks the connections over max_connections. As
  // nats-server (updateAccountClaimsWithRefresh) the newest are kept: connections sorted by
  // start, newest first, and every one from index max_connections on is closed.
  struct Sweep {
    Mutex mu;
    size_t loops_left ABSL_GUARDED_BY(mu) = 0;
    std::vector<std::pair<uint64_t, std::weak_ptr<ClientSession>>> open ABSL_GUARDED_BY(mu);
    std::promise<void> done;  // set by the last loop
  };
  auto sweep = std::make_shared<Sweep>();
  std::future<void> done = sweep->done.get_future();
  {
    MutexLock lock(&sweep->mu);
    sweep->loops_left = workers_.size();
  }
  for (auto& worker : workers_) {
    Worker* w = worker.get();
    w->loop.Post([w, sweep, account] {
      std::vector<std::pair<uint64_t, std::weak_ptr<ClientSession>>> mine;
      for (auto& [cid, session] : w->sessions) {
        if (session->closed() || session->account() != account || !session->connect_received()) {
          continue;
        }
        session->ApplyAccountLimits();
        if (!session->closed()) {
          mine.emplace_back(cid, session);
        }
      }
      std::vector<std::pair<uint64_t, std::weak_ptr<ClientSession>>> all;
      {
        MutexLock lock(&sweep->mu);
        sweep->open.insert(sweep->open.end(), mine.begin(), mine.end());
        if (--sweep->loops_left > 0) {
          return;
        }
        all = std::move(sweep->open);
      }
      sweep->done.set_value();
      int64_t max = account->max_connections().load(std::memory_order_relaxed);
      if (max < 0 || static_cast<int64_t>(all.size()) <= max) {
        return;
      }
      // cids follow accept order, so a higher cid is a newer connection.
      std::sort(all.begin(), all.end(),
                [](const auto& a, const auto& b) { return a.first > b.first; });
      for (size_t i = static_cast<size_t>(max); i < all.size(); ++i) {
        std::shared_ptr<ClientSession> victim = all[i].second.lock();
        if (victim == nullptr) {
          continue;
        }
        victim->loop().Post([weak = all[i].second] {
          if (auto s = weak.lock()) {
            s->CloseWithError("maximum account active connections exceeded",
                              CloseReason::kMaxAccountConnectionsExceeded);
          }
        });
      }
    });
  }
  // Off the loops (claims updates on the auth pool, reload, agent pushes) the caller waits
  // for every loop's pass, so the new limits hold for every connection once this returns
  // (nats-server applies them before answering a claims update). A loop thread (a lookup
  // from a re-authentication) must not wait for itself. Bounded for a stopping server.
  for (auto& worker : workers_) {
    if (worker->loop.IsInLoopThread()) {
      return;
    }
  }
  done.wait_for(std::chrono::seconds(5));
}

void Server::RemoveAccount(const std::string& name) {
  context_->registry().Remove(name);
  ForEachSession([name](ClientSession& session) {
    if (session.account()->name() == name) {
      session.CloseWithError("Account Authentication Expired", CloseReason::kAuthenticationExpired);
    }
  });
}

void Server::RevokeUser(const std::string& account, const std::string& user_key,
                        int64_t issued_at_or_before_unix) {
  ForEachSession([account, user_key, issued_at_or_before_unix](ClientSession& session) {
    if (session.account()->name() != account || session.user_public_key().empty()) {
      return;
    }
    if (user_key != "*" && session.user_public_key() != user_key) {
      return;
    }
    if (session.issued_at_unix() <= issued_at_or_before_unix) {
      session.CloseWithError("User Authentication Revoked", CloseReason::kRevocation);
    }
  });
}

}  // namespace lattice::server
