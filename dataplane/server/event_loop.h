// One epoll event loop per worker thread: edge-triggered fds, eventfd wakeups, Post() as the
// only cross-thread entry, and timers driven by an injected Clock.
//
//   EventLoop loop(SystemClock::Get());
//   std::thread t([&] { loop.Run(); });
//   loop.Post([] { /* runs on the loop thread */ });
//   loop.Stop();  t.join();
#pragma once

#include <sys/epoll.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <thread>
#include <unordered_map>
#include <vector>

#include "absl/functional/any_invocable.h"

#include "common/base/mutex.h"
#include "dataplane/server/clock.h"

namespace lattice::server {

// Receives readiness events for one registered fd. Owned by whoever registered it; it must
// stay alive until it is unregistered and the current iteration has finished (use
// EventLoop::DeferDelete). Thread: its loop.
class IoHandler {
 public:
  virtual ~IoHandler() = default;
  virtual void OnIoEvents(uint32_t epoll_events) = 0;
};

using TimerId = uint64_t;

// Something with buffered output that its own loop writes out (a connection).
// Thread: FlushNow on its loop only; TryFlushFromOtherLoop from any loop.
class LoopFlushable {
 public:
  virtual ~LoopFlushable() = default;
  virtual void FlushNow() = 0;
  // Lets a loop that produced output for this target write it directly, saving the target
  // loop a wakeup. False when the owning loop must take over (socket full, busy, closed).
  virtual bool TryFlushFromOtherLoop() { return false; }
};

// Thread: Post/Stop/Wakeup/IsInLoopThread from any thread; everything else on the loop thread
// (or before Run starts). Owned by the Server (one per worker) or by a test.
class EventLoop {
 public:
  using Task = absl::AnyInvocable<void()>;

  explicit EventLoop(const Clock& clock);
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Runs until Stop(); the calling thread becomes the loop thread.
  void Run();
  // One iteration: waits at most `max_wait_ms` (0 = poll, -1 = until an event or timer),
  // dispatches I/O, due timers, posted tasks and end-of-iteration work. For tests.
  void RunOnce(int max_wait_ms);
  // Asks Run() to return after the current iteration. Thread: any.
  void Stop();

  // Queues `task` to run on the loop thread and wakes the loop. Thread: any.
  void Post(Task task);
  bool IsInLoopThread() const;

  // Edge-triggered registration of a non-blocking fd (EPOLLIN | EPOLLOUT | EPOLLRDHUP).
  bool Register(int fd, IoHandler* handler, uint32_t events);
  void Unregister(int fd);

  // Runs `fn` after `delay` (per the injected clock); Cancel is a no-op for fired ids.
  TimerId AddTimer(ClockDuration delay, Task fn);
  void CancelTimer(TimerId id);
  size_t timer_count() const { return timers_.size(); }

  // Work run once at the end of the current iteration, after all I/O events: flushes are
  // batched here, and objects are destroyed here so pending events never see freed memory.
  void RunAtEndOfIteration(Task task);

  // Makes `target`'s loop call target->FlushNow() at the end of an iteration. Requests made on
  // a loop thread for other loops are collected; at the end of the requester's iteration each
  // target first gets TryFlushFromOtherLoop(), and those that decline go out as one Post per
  // target loop (one wakeup per batch, not per message). Thread: any.
  static void RequestFlush(EventLoop& target_loop, std::shared_ptr<LoopFlushable> target);
  // The loop running on this thread, or nullptr.
  static EventLoop* Current();

  // Runs the flushes requested so far (local FlushNow, remote TryFlushFromOtherLoop or one
  // Post per target loop) without waiting for the end of the iteration. A connection calls
  // this after each read it has parsed, so subscribers receive while the publisher is still
  // being read (a pipeline, not read-everything-then-write). Loop thread.
  void FlushRequested();

  const Clock& clock() const { return clock_; }
  uint64_t iterations() const { return iterations_.load(std::memory_order_relaxed); }
  uint64_t posts_received() const { return posts_received_.load(std::memory_order_relaxed); }

 private:
  void Wake();
  void DrainWakeFd();
  void RunPostedTasks();
  void RunDueTimers();
  void RunEndOfIteration();
  void RunLocalFlushes();
  void RunRemoteFlushes();
  int NextTimeoutMs(int max_wait_ms) const;

  const Clock& clock_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<std::thread::id> thread_id_{};
  std::atomic<uint64_t> iterations_{0};
  std::atomic<uint64_t> posts_received_{0};
  // Set while a wakeup is in flight so a burst of Posts writes the eventfd once.
  std::atomic<bool> wake_pending_{false};

  Mutex posted_mu_;
  std::vector<Task> posted_ ABSL_GUARDED_BY(posted_mu_);
  std::vector<Task> running_;  // swapped with posted_ each iteration (loop thread only)

  // Timers ordered by (deadline, id); id -> deadline for cancellation.
  std::map<std::pair<ClockTime, TimerId>, Task> timers_;
  std::unordered_map<TimerId, ClockTime> timer_index_;
  TimerId next_timer_id_ = 1;

  using FlushBatch = std::vector<std::shared_ptr<LoopFlushable>>;
  FlushBatch local_flushes_;
  FlushBatch local_flushing_;
  std::unordered_map<EventLoop*, FlushBatch> remote_flushes_;
  std::vector<Task> end_of_iteration_;
  std::vector<Task> end_running_;
  std::vector<epoll_event> events_;
};

}  // namespace lattice::server
