// A small pool of threads for slow work that must not run on an event loop (bcrypt checks of
// CONNECT credentials): callers Submit a task and get the answer back with EventLoop::Post.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <thread>
#include <vector>

#include "absl/functional/any_invocable.h"

#include "common/base/mutex.h"

namespace lattice::server {

// Owned by the ServerContext. Thread: Submit from any thread; the destructor (which runs the
// queued tasks' destructors without running them and joins) from the owner.
class WorkPool {
 public:
  using Task = absl::AnyInvocable<void()>;

  explicit WorkPool(size_t threads);
  ~WorkPool();
  WorkPool(const WorkPool&) = delete;
  WorkPool& operator=(const WorkPool&) = delete;

  // Queues `task` for one of the pool threads. After shutdown began, the task is dropped.
  void Submit(Task task);

  size_t thread_count() const { return threads_.size(); }

 private:
  void Run();

  Mutex mu_;
  std::condition_variable cv_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::deque<Task> queue_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> threads_;
};

}  // namespace lattice::server
