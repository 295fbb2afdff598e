// EventLoop: epoll + eventfd + a deadline-ordered timer map.
#include "dataplane/server/event_loop.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>

#include "common/base/check.h"

namespace lattice::server {

namespace {
constexpr int kMaxEventsPerWait = 256;
thread_local EventLoop* tls_current_loop = nullptr;
}  // namespace

EventLoop* EventLoop::Current() {
  return tls_current_loop;
}

void EventLoop::RequestFlush(EventLoop& target_loop, std::shared_ptr<LoopFlushable> target) {
  EventLoop* current = tls_current_loop;
  if (current == &target_loop) {
    current->local_flushes_.push_back(std::move(target));
  } else if (current != nullptr) {
    current->remote_flushes_[&target_loop].push_back(std::move(target));
  } else {
    target_loop.Post([t = std::move(target)] { t->FlushNow(); });
  }
}

EventLoop::EventLoop(const Clock& clock) : clock_(clock), events_(kMaxEventsPerWait) {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  LATTICE_CHECK(epoll_fd_ >= 0);
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  LATTICE_CHECK(wake_fd_ >= 0);
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLET;
  ev.data.ptr = nullptr;  // nullptr marks the wake fd
  LATTICE_CHECK(epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev) == 0);
  thread_id_.store(std::this_thread::get_id());
}

EventLoop::~EventLoop() {
  // Tasks may own objects whose destructors expect the loop; run nothing, just drop them.
  {
    MutexLock lock(&posted_mu_);
    posted_.clear();
  }
  timers_.clear();
  close(wake_fd_);
  close(epoll_fd_);
}

void EventLoop::Run() {
  thread_id_.store(std::this_thread::get_id());
  while (!stop_.load(std::memory_order_acquire)) {
    RunOnce(-1);
  }
  // Drain work queued before Stop so that shutdown tasks still run.
  RunOnce(0);
}

void EventLoop::Stop() {
  stop_.store(true, std::memory_order_release);
  Wake();
}

bool EventLoop::IsInLoopThread() const {
  return thread_id_.load(std::memory_order_relaxed) == std::this_thread::get_id();
}

void EventLoop::Post(Task task) {
  {
    MutexLock lock(&posted_mu_);
    posted_.push_back(std::move(task));
  }
  posts_received_.fetch_add(1, std::memory_order_relaxed);
  Wake();
}

void EventLoop::Wake() {
  if (wake_pending_.exchange(true, std::memory_order_acq_rel)) {
    return;  // a wakeup is already on its way
  }
  uint64_t one = 1;
  ssize_t n = write(wake_fd_, &one, sizeof(one));
  (void)n;  // EAGAIN means the counter is already non-zero: the loop will wake anyway
}

void EventLoop::DrainWakeFd() {
  uint64_t value = 0;
  while (read(wake_fd_, &value, sizeof(value)) > 0) {
  }
}

bool EventLoop::Register(int fd, IoHandler* handler, uint32_t events) {
  LATTICE_DCHECK(handler != nullptr);
  epoll_event ev{};
  ev.events = events | EPOLLET;
  ev.data.ptr = handler;
  return epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) == 0;
}

void EventLoop::Unregister(int fd) {
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
}

TimerId EventLoop::AddTimer(ClockDuration delay, Task fn) {
  TimerId id = next_timer_id_++;
  ClockTime deadline = clock_.Now() + delay;
  timers_.emplace(std::make_pair(deadline, id), std::move(fn));
  timer_index_.emplace(id, deadline);
  return id;
}

void EventLoop::CancelTimer(TimerId id) {
  auto it = timer_index_.find(id);
  if (it == timer_index_.end()) {
    return;
  }
  timers_.erase(std::make_pair(it->second, id));
  timer_index_.erase(it);
}

void EventLoop::RunAtEndOfIteration(Task task) {
  end_of_iteration_.push_back(std::move(task));
}

int EventLoop::NextTimeoutMs(int max_wait_ms) const {
  if (!end_of_iteration_.empty() || !local_flushes_.empty()) {
    return 0;
  }
  if (timers_.empty()) {
    return max_wait_ms;
  }
  ClockDuration until = timers_.begin()->first.first - clock_.Now();
  if (until <= ClockDuration::zero()) {
    return 0;
  }
  // Round up so a timer is never woken for a little early and then spun on.
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(until).count();
  if (ms > 60000) {
    ms = 60000;
  }
  if (max_wait_ms >= 0 && ms > max_wait_ms) {
    return max_wait_ms;
  }
  return static_cast<int>(ms);
}

void EventLoop::RunOnce(int max_wait_ms) {
  EventLoop* previous = tls_current_loop;
  tls_current_loop = this;
  int timeout = NextTimeoutMs(max_wait_ms);
  int n = epoll_wait(epoll_fd_, events_.data(), static_cast<int>(events_.size()), timeout);
  if (n < 0 && errno != EINTR) {
    LATTICE_CHECK(false && "epoll_wait failed");
  }
  for (int i = 0; i < n; ++i) {
    auto* handler = static_cast<IoHandler*>(events_[i].data.ptr);
    if (handler == nullptr) {
      // Drain before clearing the flag: a Wake() after the clear writes again, so its
      // edge is never swallowed by this drain.
      DrainWakeFd();
      wake_pending_.store(false, std::memory_order_release);
      continue;
    }
    handler->OnIoEvents(events_[i].events);
  }
  RunDueTimers();
  RunPostedTasks();
  RunEndOfIteration();
  iterations_.fetch_add(1, std::memory_order_relaxed);
  tls_current_loop = previous;
}

void EventLoop::RunPostedTasks() {
  {
    MutexLock lock(&posted_mu_);
    running_.swap(posted_);
  }
  for (Task& task : running_) {
    task();
  }
  running_.clear();
}

void EventLoop::RunDueTimers() {
  ClockTime now = clock_.Now();
  while (!timers_.empty() && timers_.begin()->first.first <= now) {
    auto node = timers_.extract(timers_.begin());
    timer_index_.erase(node.key().second);
    node.mapped()();
  }
}

void EventLoop::RunEndOfIteration() {
  // Flushes first (they may close connections and queue more work), then queued tasks; work
  // queued meanwhile runs in the same pass.
  while (!local_flushes_.empty() || !end_of_iteration_.empty()) {
    RunLocalFlushes();
    end_running_.swap(end_of_iteration_);
    for (Task& task : end_running_) {
      task();
    }
    end_running_.clear();
  }
  RunRemoteFlushes();
}

void EventLoop::FlushRequested() {
  LATTICE_DCHECK(tls_current_loop == this);
  RunLocalFlushes();
  RunRemoteFlushes();
}

void EventLoop::RunLocalFlushes() {
  while (!local_flushes_.empty()) {
    local_flushing_.swap(local_flushes_);
    for (auto& target : local_flushing_) {
      target->FlushNow();
    }
    local_flushing_.clear();
  }
}

void EventLoop::RunRemoteFlushes() {
  for (auto& [target_loop, batch] : remote_flushes_) {
    if (batch.empty()) {
      continue;
    }
    // Write directly where possible: no wakeup of the target loop on the common path.
    size_t kept = 0;
    for (size_t i = 0; i < batch.size(); ++i) {
      if (!batch[i]->TryFlushFromOtherLoop()) {
        batch[kept++] = std::move(batch[i]);
      }
    }
    batch.resize(kept);
    if (batch.empty()) {
      continue;
    }
    target_loop->Post([flushes = std::move(batch)] {
      for (const auto& target : flushes) {
        target->FlushNow();
      }
    });
    batch = FlushBatch();
  }
}

}  // namespace lattice::server
