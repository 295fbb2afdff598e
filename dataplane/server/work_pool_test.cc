// WorkPool: tasks run on pool threads, in order per thread, and queued ones are dropped (not
// run) when the pool is destroyed.
#include "dataplane/server/work_pool.h"

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace lattice::server {
namespace {

// A one-shot latch for handing control between the test and pool threads.
class Latch {
 public:
  // Notifies under the lock: a waiter cannot return (and destroy the latch) before this
  // thread is done with the condition variable.
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  void Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return open_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

TEST(WorkPoolTest, RunsTasksOnPoolThreads) {
  std::thread::id ran_on;
  Latch done;  // declared first: the pool (joined on destruction) goes before it
  WorkPool pool(2);
  EXPECT_EQ(pool.thread_count(), 2u);
  pool.Submit([&] {
    ran_on = std::this_thread::get_id();
    done.Open();
  });
  done.Wait();
  EXPECT_NE(ran_on, std::this_thread::get_id());
}

TEST(WorkPoolTest, OneThreadRunsTasksInSubmissionOrder) {
  std::vector<int> order;
  Latch done;
  {
    WorkPool pool(1);
    for (int i = 0; i < 100; ++i) {
      pool.Submit([&order, i] { order.push_back(i); });
    }
    pool.Submit([&] { done.Open(); });
    done.Wait();
  }
  ASSERT_EQ(order.size(), 100u);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(order[i], i);
  }
}

TEST(WorkPoolTest, DestructionDropsQueuedTasksWithoutRunningThem) {
  auto witness = std::make_shared<int>(0);
  bool ran = false;
  {
    WorkPool pool(0);  // no threads: whatever is submitted stays queued
    pool.Submit([&ran, witness] { ran = true; });
    EXPECT_EQ(witness.use_count(), 2);
  }
  EXPECT_FALSE(ran);
  EXPECT_EQ(witness.use_count(), 1);  // the dropped task was destroyed with the pool
}

TEST(WorkPoolTest, ManySubmittersAllTasksRun) {
  std::atomic<int> count{0};
  Latch done;
  {
    WorkPool pool(2);
    std::vector<std::thread> submitters;
    for (int t = 0; t < 4; ++t) {
      submitters.emplace_back([&] {
        for (int i = 0; i < 250; ++i) {
          pool.Submit([&] {
            if (count.fetch_add(1) + 1 == 1000) {
              done.Open();
            }
          });
        }
      });
    }
    for (std::thread& t : submitters) {
      t.join();
    }
    done.Wait();
  }
  EXPECT_EQ(count.load(), 1000);
}

}  // namespace
}  // namespace lattice::server
