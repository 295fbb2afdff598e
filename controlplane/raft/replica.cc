// Replica: libraft driven from a private libuv loop thread; cross-thread work via uv_async.
#include "controlplane/raft/replica.h"

#include <csignal>
#include <cstring>
#include <deque>
#include <filesystem>
#include <mutex>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "absl/strings/str_cat.h"

#include "common/base/check.h"
#include "common/base/log.h"
#include "common/base/mutex.h"
#include "controlplane/raft/internal/fsm_bridge.h"
#include "controlplane/raft/internal/libraft.h"

namespace lattice::raft {

using Task = absl::AnyInvocable<void()>;

struct Replica::Impl {
  explicit Impl(StateMachine& machine) : bridge(machine) {}

  // One raft_apply in flight; freed in OnApplied or, if libraft never answers, at close.
  struct ProposeRequest {
    struct ::raft_apply req {};
    Impl* impl = nullptr;
    ProposeCallback done;
    absl::Status verdict;
  };
  // One membership change in flight (AddVoter runs two: add as spare, then assign voter).
  struct ChangeRequest {
    ::raft_change req{};
    Impl* impl = nullptr;
    Peer peer;
    bool promote_after = false;
    StatusCallback done;
  };

  // One raft_barrier in flight.
  struct BarrierRequest {
    struct ::raft_barrier req {};
    Impl* impl = nullptr;
    StatusCallback done;
  };

  // --- any thread ---------------------------------------------------------------------------
  bool Post(Task task);
  bool InLoop() const { return std::this_thread::get_id() == loop_thread_id; }
  template <typename T, typename Fn>
  T RunOnLoop(Fn fn, T fallback);

  // --- loop thread --------------------------------------------------------------------------
  static void OnWakeup(uv_async_t* handle);
  void Drain();
  void BeginClose();
  static void OnRaftClosed(struct ::raft* raft);
  void StartPropose(std::string command, ProposeCallback done);
  static void OnApplied(struct ::raft_apply* req, int status, void* result);
  void StartChange(ChangeRequest* change, bool add);
  static void OnChanged(::raft_change* req, int status);
  void StartBarrier(StatusCallback done);
  static void OnBarrier(struct ::raft_barrier* req, int status);
  Peer KnownLeader();
  absl::Status NotLeaderError();
  ReplicaStats CollectStats();

  // Set in Start (before the loop thread exists), read-only afterwards.
  ReplicaConfig config;
  std::thread thread;
  std::thread::id loop_thread_id;

  uv_loop_t loop{};
  uv_async_t wakeup{};
  ::raft_uv_transport transport{};
  ::raft_io io{};
  struct ::raft raft {};
  internal::FsmBridge bridge;

  Mutex mu;
  std::deque<Task> tasks ABSL_GUARDED_BY(mu);
  bool accepting ABSL_GUARDED_BY(mu) = false;  // false before Start and once closing completes

  // Loop-thread state.
  bool closing = false;
  std::unordered_set<ProposeRequest*> proposals;
  std::unordered_map<uint64_t, ProposeRequest*> proposals_by_index;
  std::unordered_set<ChangeRequest*> changes;
  std::unordered_set<BarrierRequest*> barriers;

  // Caller-thread lifecycle (Start/Stop are not concurrent with each other).
  bool started = false;
  bool stopped = false;
};

namespace {

ProposeResult ShutdownResult() {
  ProposeResult result;
  result.code = ProposeCode::kShutdown;
  result.error = "raft replica is not running";
  return result;
}

Role RoleOf(int state) {
  switch (state) {
    case RAFT_FOLLOWER:
      return Role::kFollower;
    case RAFT_CANDIDATE:
      return Role::kCandidate;
    case RAFT_LEADER:
      return Role::kLeader;
    default:
      return Role::kUnavailable;
  }
}

}  // namespace

bool Replica::Impl::Post(Task task) {
  MutexLock lock(&mu);
  if (!accepting) {
    return false;
  }
  tasks.push_back(std::move(task));
  // Under the lock: the handle is closed only after `accepting` turns false under the same lock.
  uv_async_send(&wakeup);
  return true;
}

template <typename T, typename Fn>
T Replica::Impl::RunOnLoop(Fn fn, T fallback) {
  if (InLoop()) {
    return fn();
  }
  std::promise<T> promise;
  std::future<T> future = promise.get_future();
  if (!Post([&promise, &fn] { promise.set_value(fn()); })) {
    return fallback;
  }
  return future.get();  // every posted task runs, even during close
}

void Replica::Impl::OnWakeup(uv_async_t* handle) {
  static_cast<Impl*>(handle->data)->Drain();
}

void Replica::Impl::Drain() {
  std::deque<Task> batch;
  {
    MutexLock lock(&mu);
    batch.swap(tasks);
  }
  for (Task& task : batch) {
    task();
  }
}

void Replica::Impl::BeginClose() {
  if (closing) {
    return;
  }
  closing = true;
  raft_close(&raft, &Impl::OnRaftClosed);
}

void Replica::Impl::OnRaftClosed(struct ::raft* raft) {
  Impl* self = static_cast<Impl*>(raft->data);
  // libraft fails in-flight requests while closing; whatever it did not answer is answered here.
  for (ProposeRequest* request : self->proposals) {
    request->done(ShutdownResult());
    delete request;
  }
  self->proposals.clear();
  self->proposals_by_index.clear();
  for (ChangeRequest* change : self->changes) {
    change->done(absl::UnavailableError("raft replica stopped"));
    delete change;
  }
  self->changes.clear();
  for (BarrierRequest* barrier : self->barriers) {
    barrier->done(absl::UnavailableError("raft replica stopped"));
    delete barrier;
  }
  self->barriers.clear();
  {
    MutexLock lock(&self->mu);
    self->accepting = false;
  }
  self->Drain();  // tasks posted before `accepting` flipped still run (and see `closing`)
  uv_close(reinterpret_cast<uv_handle_t*>(&self->wakeup), nullptr);
  // With the async handle and libraft's handles closed, uv_run returns and the thread ends.
}

Peer Replica::Impl::KnownLeader() {
  raft_id id = 0;
  const char* address = nullptr;
  raft_leader(&raft, &id, &address);
  Peer leader;
  leader.id = id;
  if (address != nullptr) {
    leader.address = address;
  }
  return leader;
}

absl::Status Replica::Impl::NotLeaderError() {
  Peer leader = KnownLeader();
  if (leader.id == 0) {
    return absl::FailedPreconditionError("raft: not the leader; no leader known");
  }
  return absl::FailedPreconditionError(
      absl::StrCat("raft: not the leader; leader is ", leader.id, " at ", leader.address));
}

void Replica::Impl::StartPropose(std::string command, ProposeCallback done) {
  if (closing) {
    done(ShutdownResult());
    return;
  }
  if (raft_state(&raft) != RAFT_LEADER) {
    ProposeResult result;
    result.code = ProposeCode::kNotLeader;
    result.leader = KnownLeader();
    result.error = "not the leader";
    done(std::move(result));
    return;
  }
  // libraft takes ownership of the entry buffer, which must come from raft_malloc.
  std::string entry = internal::EncodeEntry(command);
  ::raft_buffer buf;
  buf.len = entry.size();
  buf.base = raft_malloc(entry.size());
  LATTICE_CHECK(buf.base != nullptr);
  std::memcpy(buf.base, entry.data(), entry.size());
  auto* request = new ProposeRequest;
  request->req.data = request;
  request->impl = this;
  request->done = std::move(done);
  int rv = raft_apply(&raft, &request->req, &buf, 1, &Impl::OnApplied);
  if (rv != 0) {
    raft_free(buf.base);
    ProposeResult result;
    result.code = rv == RAFT_NOTLEADER ? ProposeCode::kNotLeader : ProposeCode::kFailed;
    result.leader = KnownLeader();
    result.error = raft_strerror(rv);
    request->done(std::move(result));
    delete request;
    return;
  }
  proposals.insert(request);
  proposals_by_index[request->req.index] = request;
}

void Replica::Impl::OnApplied(struct ::raft_apply* req, int status, void* /*result*/) {
  auto* request = static_cast<ProposeRequest*>(req->data);
  Impl* self = request->impl;
  self->proposals.erase(request);
  auto it = self->proposals_by_index.find(req->index);
  if (it != self->proposals_by_index.end() && it->second == request) {
    self->proposals_by_index.erase(it);
  }
  ProposeResult result;
  result.index = req->index;
  if (status == 0) {
    result.code = ProposeCode::kCommitted;
    result.verdict = std::move(request->verdict);
  } else {
    result.code = status == RAFT_LEADERSHIPLOST || status == RAFT_NOTLEADER
                      ? ProposeCode::kLeadershipLost
                      : (status == RAFT_SHUTDOWN ? ProposeCode::kShutdown : ProposeCode::kFailed);
    result.leader = self->closing ? Peer{} : self->KnownLeader();
    result.error = raft_strerror(status);
  }
  request->done(std::move(result));
  delete request;
}

void Replica::Impl::StartChange(ChangeRequest* change, bool add) {
  if (closing) {
    change->done(absl::UnavailableError("raft replica stopped"));
    delete change;
    return;
  }
  int rv;
  if (add && change->promote_after) {
    // A retried AddVoter (the first try's answer was lost or its promotion failed): the same id
    // at the same address already in the configuration continues from where it stopped.
    for (unsigned i = 0; i < raft.configuration.n; ++i) {
      const raft_server& server = raft.configuration.servers[i];
      if (server.id != change->peer.id || change->peer.address != server.address)
        continue;
      if (server.role == RAFT_VOTER) {
        changes.erase(change);
        change->done(absl::OkStatus());
        delete change;
        return;
      }
      add = false;  // promote only
      break;
    }
  }
  if (add) {
    rv = raft_add(&raft, &change->req, change->peer.id, change->peer.address.c_str(),
                  &Impl::OnChanged);
  } else if (change->promote_after) {
    change->promote_after = false;
    rv = raft_assign(&raft, &change->req, change->peer.id, RAFT_VOTER, &Impl::OnChanged);
  } else {
    rv = raft_remove(&raft, &change->req, change->peer.id, &Impl::OnChanged);
  }
  if (rv != 0) {
    absl::Status error =
        rv == RAFT_NOTLEADER
            ? NotLeaderError()
            : absl::FailedPreconditionError(absl::StrCat(
                  "raft membership change: ", raft_strerror(rv), ": ", raft_errmsg(&raft)));
    changes.erase(change);
    change->done(std::move(error));
    delete change;
    return;
  }
  changes.insert(change);
}

void Replica::Impl::OnChanged(::raft_change* req, int status) {
  auto* change = static_cast<ChangeRequest*>(req->data);
  Impl* self = change->impl;
  if (status == 0 && change->promote_after) {
    self->StartChange(change, /*add=*/false);  // second step: promote to voter
    return;
  }
  self->changes.erase(change);
  change->done(status == 0 ? absl::OkStatus()
                           : absl::UnavailableError(
                                 absl::StrCat("raft membership change: ", raft_strerror(status))));
  delete change;
}

void Replica::Impl::StartBarrier(StatusCallback done) {
  if (closing) {
    done(absl::UnavailableError("raft replica stopped"));
    return;
  }
  auto* barrier = new BarrierRequest;
  barrier->req.data = barrier;
  barrier->impl = this;
  barrier->done = std::move(done);
  int rv = raft_barrier(&raft, &barrier->req, &Impl::OnBarrier);
  if (rv != 0) {
    barrier->done(rv == RAFT_NOTLEADER
                      ? NotLeaderError()
                      : absl::UnavailableError(absl::StrCat("raft barrier: ", raft_strerror(rv))));
    delete barrier;
    return;
  }
  barriers.insert(barrier);
}

void Replica::Impl::OnBarrier(struct ::raft_barrier* req, int status) {
  auto* barrier = static_cast<BarrierRequest*>(req->data);
  barrier->impl->barriers.erase(barrier);
  barrier->done(
      status == 0 ? absl::OkStatus()
                  : absl::UnavailableError(absl::StrCat("raft barrier: ", raft_strerror(status))));
  delete barrier;
}

ReplicaStats Replica::Impl::CollectStats() {
  ReplicaStats stats;
  stats.role = RoleOf(raft_state(&raft));
  stats.term = raft.current_term;
  stats.commit_index = raft.commit_index;
  stats.applied_index = raft_last_applied(&raft);
  stats.last_index = raft_last_index(&raft);
  stats.snapshot_index = raft.log.snapshot.last_index;
  stats.snapshots_restored = bridge.restores();
  stats.leader = KnownLeader();
  for (unsigned i = 0; i < raft.configuration.n; ++i) {
    const ::raft_server& server = raft.configuration.servers[i];
    MemberProgress member;
    member.id = server.id;
    member.address = server.address != nullptr ? server.address : "";
    member.voter = server.role == RAFT_VOTER;
    if (stats.role == Role::kLeader && raft.leader_state.progress != nullptr) {
      member.match_index = raft.leader_state.progress[i].match_index;
    }
    stats.members.push_back(std::move(member));
  }
  return stats;
}

// --- Replica ------------------------------------------------------------------------------------

Replica::Replica(StateMachine& machine) : impl_(std::make_unique<Impl>(machine)) {}

Replica::~Replica() {
  Stop();
}

absl::Status Replica::Start(const ReplicaConfig& config) {
  Impl& impl = *impl_;
  if (impl.started) {
    return absl::FailedPreconditionError("raft replica already started");
  }
  if (config.id == 0 || config.address.empty() || config.data_dir.empty()) {
    return absl::InvalidArgumentError("raft replica needs an id > 0, an address and a data_dir");
  }
  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  if (ec) {
    return absl::InternalError(
        absl::StrCat("raft: cannot create ", config.data_dir, ": ", ec.message()));
  }
  impl.config = config;
  impl.started = true;
  // libuv writes to peer sockets with write(2): a peer that went away must be an EPIPE error for
  // libraft to handle, not a process-killing SIGPIPE. (gRPC makes the same process-wide choice.)
  static std::once_flag ignore_sigpipe;
  std::call_once(ignore_sigpipe, [] { std::signal(SIGPIPE, SIG_IGN); });

  LATTICE_CHECK(uv_loop_init(&impl.loop) == 0);
  impl.wakeup.data = &impl;
  LATTICE_CHECK(uv_async_init(&impl.loop, &impl.wakeup, &Impl::OnWakeup) == 0);

  // Everything below runs before the loop thread exists; creating the thread publishes it.
  absl::Status status;
  bool raft_initialised = false;
  int rv = raft_uv_tcp_init(&impl.transport, &impl.loop);
  if (rv != 0) {
    status = absl::InternalError(absl::StrCat("raft_uv_tcp_init: ", raft_strerror(rv)));
  }
  if (status.ok()) {
    rv = raft_uv_init(&impl.io, &impl.loop, impl.config.data_dir.c_str(), &impl.transport);
    if (rv != 0) {
      status = absl::InternalError(absl::StrCat("raft_uv_init(", impl.config.data_dir,
                                                "): ", raft_strerror(rv), ": ", impl.io.errmsg));
      raft_uv_tcp_close(&impl.transport);
    }
  }
  if (status.ok()) {
    rv = raft_init(&impl.raft, &impl.io, impl.bridge.fsm(), config.id, config.address.c_str());
    if (rv != 0) {
      status = absl::InternalError(
          absl::StrCat("raft_init: ", raft_strerror(rv), ": ", raft_errmsg(&impl.raft)));
      raft_uv_close(&impl.io);
      raft_uv_tcp_close(&impl.transport);
    } else {
      raft_initialised = true;
      impl.raft.data = &impl;
      impl.bridge.Attach(&impl.raft);
      impl.bridge.SetAppliedHook([&impl](uint64_t index, const absl::Status& verdict) {
        auto it = impl.proposals_by_index.find(index);
        if (it != impl.proposals_by_index.end()) {
          it->second->verdict = verdict;
        }
      });
      raft_set_election_timeout(&impl.raft, config.election_timeout_ms);
      raft_set_heartbeat_timeout(&impl.raft, config.heartbeat_timeout_ms);
      raft_set_snapshot_threshold(&impl.raft, config.snapshot_threshold);
      raft_set_snapshot_trailing(&impl.raft, config.snapshot_trailing);
    }
  }
  if (status.ok() && !config.bootstrap.empty()) {
    ::raft_configuration conf;
    raft_configuration_init(&conf);
    for (const Peer& peer : config.bootstrap) {
      rv = raft_configuration_add(&conf, peer.id, peer.address.c_str(), RAFT_VOTER);
      if (rv != 0) {
        status = absl::InvalidArgumentError(absl::StrCat("raft bootstrap peer ", peer.id, " (",
                                                         peer.address, "): ", raft_strerror(rv)));
        break;
      }
    }
    if (status.ok()) {
      rv = raft_bootstrap(&impl.raft, &conf);
      // CANTBOOTSTRAP: the directory already holds Raft state; start from it.
      if (rv != 0 && rv != RAFT_CANTBOOTSTRAP) {
        status = absl::InternalError(
            absl::StrCat("raft_bootstrap: ", raft_strerror(rv), ": ", raft_errmsg(&impl.raft)));
      }
    }
    raft_configuration_close(&conf);
  }
  if (status.ok()) {
    rv = raft_start(&impl.raft);
    if (rv != 0) {
      status = absl::InternalError(
          absl::StrCat("raft_start: ", raft_strerror(rv), ": ", raft_errmsg(&impl.raft)));
    }
  }
  if (!status.ok()) {
    // Unwind on this thread: close what was opened and let the loop finish the closes.
    impl.closing = true;
    if (raft_initialised) {
      raft_close(&impl.raft, [](struct ::raft*) {});
    }
    uv_close(reinterpret_cast<uv_handle_t*>(&impl.wakeup), nullptr);
    uv_run(&impl.loop, UV_RUN_DEFAULT);
    if (raft_initialised) {
      raft_uv_close(&impl.io);
      raft_uv_tcp_close(&impl.transport);
    }
    uv_loop_close(&impl.loop);
    impl.stopped = true;
    return status;
  }

  {
    MutexLock lock(&impl.mu);
    impl.accepting = true;
  }
  std::promise<void> thread_known;
  std::future<void> ready = thread_known.get_future();
  impl.thread = std::thread([&impl, &thread_known] {
    impl.loop_thread_id = std::this_thread::get_id();
    thread_known.set_value();
    uv_run(&impl.loop, UV_RUN_DEFAULT);
  });
  ready.wait();
  LATTICE_LOG(kInfo) << "raft: replica " << config.id << " started at " << config.address
                     << " (data " << config.data_dir << ")";
  return absl::OkStatus();
}

void Replica::Stop() {
  Impl& impl = *impl_;
  if (!impl.started || impl.stopped) {
    return;
  }
  LATTICE_CHECK(!impl.InLoop());
  impl.stopped = true;
  impl.Post([&impl] { impl.BeginClose(); });
  impl.thread.join();
  raft_uv_close(&impl.io);
  raft_uv_tcp_close(&impl.transport);
  if (uv_loop_close(&impl.loop) != 0) {
    LATTICE_LOG(kWarn) << "raft: replica " << impl.config.id << " loop closed with live handles";
  }
  LATTICE_LOG(kInfo) << "raft: replica " << impl.config.id << " stopped";
}

void Replica::Propose(std::string command, ProposeCallback done) {
  Impl* impl = impl_.get();
  // The task owns the callback; if the loop refuses the task, the callback is still in `slot`.
  auto slot = std::make_shared<ProposeCallback>(std::move(done));
  bool posted = impl->Post([impl, command = std::move(command), slot]() mutable {
    impl->StartPropose(std::move(command), std::move(*slot));
  });
  if (!posted) {
    (*slot)(ShutdownResult());
  }
}

std::future<ProposeResult> Replica::Propose(std::string command) {
  auto promise = std::make_shared<std::promise<ProposeResult>>();
  std::future<ProposeResult> future = promise->get_future();
  Propose(std::move(command),
          [promise](ProposeResult result) { promise->set_value(std::move(result)); });
  return future;
}

void Replica::AddVoter(Peer peer, StatusCallback done) {
  Impl* impl = impl_.get();
  auto* change = new Impl::ChangeRequest;
  change->req.data = change;
  change->impl = impl;
  change->peer = std::move(peer);
  change->promote_after = true;
  change->done = std::move(done);
  if (!impl->Post([impl, change] { impl->StartChange(change, /*add=*/true); })) {
    change->done(absl::UnavailableError("raft replica is not running"));
    delete change;
  }
}

std::future<absl::Status> Replica::AddVoter(Peer peer) {
  auto promise = std::make_shared<std::promise<absl::Status>>();
  std::future<absl::Status> future = promise->get_future();
  AddVoter(std::move(peer), [promise](absl::Status status) { promise->set_value(status); });
  return future;
}

void Replica::Remove(uint64_t id, StatusCallback done) {
  Impl* impl = impl_.get();
  auto* change = new Impl::ChangeRequest;
  change->req.data = change;
  change->impl = impl;
  change->peer.id = id;
  change->done = std::move(done);
  if (!impl->Post([impl, change] { impl->StartChange(change, /*add=*/false); })) {
    change->done(absl::UnavailableError("raft replica is not running"));
    delete change;
  }
}

std::future<absl::Status> Replica::Remove(uint64_t id) {
  auto promise = std::make_shared<std::promise<absl::Status>>();
  std::future<absl::Status> future = promise->get_future();
  Remove(id, [promise](absl::Status status) { promise->set_value(status); });
  return future;
}

void Replica::Barrier(StatusCallback done) {
  Impl* impl = impl_.get();
  auto slot = std::make_shared<StatusCallback>(std::move(done));
  if (!impl->Post([impl, slot]() mutable { impl->StartBarrier(std::move(*slot)); })) {
    (*slot)(absl::UnavailableError("raft replica is not running"));
  }
}

std::future<absl::Status> Replica::Barrier() {
  auto promise = std::make_shared<std::promise<absl::Status>>();
  std::future<absl::Status> future = promise->get_future();
  Barrier([promise](absl::Status status) { promise->set_value(status); });
  return future;
}

namespace {

// Recover never applies anything; libraft just needs an fsm to initialise.
class NoApplyMachine : public StateMachine {
 public:
  absl::Status Apply(uint64_t, std::string_view) override {
    return absl::InternalError("recovery applies nothing");
  }
  absl::StatusOr<std::string> Snapshot(uint64_t) override {
    return absl::InternalError("recovery takes no snapshot");
  }
  absl::Status Restore(uint64_t, std::string_view) override { return absl::OkStatus(); }
};

}  // namespace

absl::Status Replica::Recover(const ReplicaConfig& config, const std::vector<Peer>& voters) {
  if (config.id == 0 || config.address.empty() || config.data_dir.empty() || voters.empty()) {
    return absl::InvalidArgumentError("raft recover needs an id, address, data_dir and voters");
  }
  NoApplyMachine machine;
  internal::FsmBridge bridge(machine);
  uv_loop_t loop;
  ::raft_uv_transport transport{};
  ::raft_io io{};
  struct ::raft raft {};
  LATTICE_CHECK(uv_loop_init(&loop) == 0);
  absl::Status status;
  bool initialised = false;
  int rv = raft_uv_tcp_init(&transport, &loop);
  if (rv == 0) {
    rv = raft_uv_init(&io, &loop, config.data_dir.c_str(), &transport);
    if (rv == 0) {
      rv = raft_init(&raft, &io, bridge.fsm(), config.id, config.address.c_str());
      if (rv == 0) {
        initialised = true;
      } else {
        raft_uv_close(&io);
        raft_uv_tcp_close(&transport);
      }
    } else {
      raft_uv_tcp_close(&transport);
    }
  }
  if (rv != 0) {
    status = absl::InternalError(absl::StrCat("raft recover setup: ", raft_strerror(rv)));
  }
  if (initialised) {
    bridge.Attach(&raft);
    ::raft_configuration conf;
    raft_configuration_init(&conf);
    for (const Peer& peer : voters) {
      if (status.ok()) {
        rv = raft_configuration_add(&conf, peer.id, peer.address.c_str(), RAFT_VOTER);
        if (rv != 0) {
          status = absl::InvalidArgumentError(
              absl::StrCat("raft recover peer ", peer.id, ": ", raft_strerror(rv)));
        }
      }
    }
    if (status.ok()) {
      rv = raft_recover(&raft, &conf);
      if (rv != 0) {
        status = absl::InternalError(
            absl::StrCat("raft_recover: ", raft_strerror(rv), ": ", raft_errmsg(&raft)));
      }
    }
    raft_configuration_close(&conf);
    raft_close(&raft, [](struct ::raft*) {});
    uv_run(&loop, UV_RUN_DEFAULT);
    raft_uv_close(&io);
    raft_uv_tcp_close(&transport);
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  return status;
}

bool Replica::IsLeader() {
  Impl* impl = impl_.get();
  return impl->RunOnLoop<bool>(
      [impl] { return !impl->closing && raft_state(&impl->raft) == RAFT_LEADER; }, false);
}

Peer Replica::Leader() {
  Impl* impl = impl_.get();
  return impl->RunOnLoop<Peer>([impl] { return impl->closing ? Peer{} : impl->KnownLeader(); },
                               Peer{});
}

ReplicaStats Replica::Stats() {
  Impl* impl = impl_.get();
  return impl->RunOnLoop<ReplicaStats>(
      [impl] { return impl->closing ? ReplicaStats{} : impl->CollectStats(); }, ReplicaStats{});
}

}  // namespace lattice::raft
