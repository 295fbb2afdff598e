// WorkPool: a mutex-and-condition-variable task queue served by a few threads.
#include "dataplane/server/work_pool.h"

#include <utility>

namespace lattice::server {

WorkPool::WorkPool(size_t threads) {
  threads_.reserve(threads);
  for (size_t i = 0; i < threads; ++i) {
    threads_.emplace_back([this] { Run(); });
  }
}

WorkPool::~WorkPool() {
  std::deque<Task> dropped;
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    dropped.swap(queue_);
  }
  cv_.notify_all();
  for (std::thread& t : threads_) {
    t.join();
  }
  // `dropped` is destroyed here, outside the lock (a task may own objects with side effects).
}

void WorkPool::Submit(Task task) {
  {
    MutexLock lock(&mu_);
    if (stopping_) {
      return;
    }
    queue_.push_back(std::move(task));
  }
  cv_.notify_one();
}

void WorkPool::Run() {
  for (;;) {
    Task task;
    {
      MutexLock lock(&mu_);
      lock.Wait(cv_,
                [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return stopping_ || !queue_.empty(); });
      if (stopping_) {
        return;
      }
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
  }
}

}  // namespace lattice::server
