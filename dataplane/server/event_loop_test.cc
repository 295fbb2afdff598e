// EventLoop: timers on a fake clock, Post from other threads, fd events and batched flushes.
#include "dataplane/server/event_loop.h"

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace lattice::server {
namespace {

using std::chrono::milliseconds;

TEST(EventLoopTest, TimersFireInDeadlineOrderOnlyWhenDue) {
  FakeClock clock;
  EventLoop loop(clock);
  std::vector<int> fired;
  loop.AddTimer(milliseconds(30), [&] { fired.push_back(30); });
  loop.AddTimer(milliseconds(10), [&] { fired.push_back(10); });
  loop.AddTimer(milliseconds(20), [&] { fired.push_back(20); });
  loop.RunOnce(0);
  EXPECT_TRUE(fired.empty());
  clock.Advance(milliseconds(15));
  loop.RunOnce(0);
  EXPECT_EQ(fired, std::vector<int>({10}));
  clock.Advance(milliseconds(100));
  loop.RunOnce(0);
  EXPECT_EQ(fired, std::vector<int>({10, 20, 30}));
  EXPECT_EQ(loop.timer_count(), 0u);
}

TEST(EventLoopTest, CancelledTimerNeverFires) {
  FakeClock clock;
  EventLoop loop(clock);
  int fired = 0;
  TimerId a = loop.AddTimer(milliseconds(5), [&] { fired += 1; });
  loop.AddTimer(milliseconds(5), [&] { fired += 10; });
  loop.CancelTimer(a);
  loop.CancelTimer(a);  // twice is harmless
  clock.Advance(milliseconds(5));
  loop.RunOnce(0);
  EXPECT_EQ(fired, 10);
}

TEST(EventLoopTest, TimerCanRearmItself) {
  FakeClock clock;
  EventLoop loop(clock);
  int ticks = 0;
  std::function<void()> arm = [&] {
    loop.AddTimer(milliseconds(10), [&] {
      ++ticks;
      arm();
    });
  };
  arm();
  for (int i = 0; i < 5; ++i) {
    clock.Advance(milliseconds(10));
    loop.RunOnce(0);
  }
  EXPECT_EQ(ticks, 5);
}

TEST(EventLoopTest, PostFromOtherThreadsRunsOnLoopThreadInOrder) {
  EventLoop loop(SystemClock::Get());
  std::thread runner([&] { loop.Run(); });
  constexpr int kThreads = 4;
  constexpr int kPerThread = 1000;
  std::atomic<int> ran{0};
  std::atomic<bool> wrong_thread{false};
  std::vector<std::vector<int>> seen(kThreads);
  std::vector<std::thread> posters;
  for (int t = 0; t < kThreads; ++t) {
    posters.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        loop.Post([&, t, i] {
          if (!loop.IsInLoopThread()) {
            wrong_thread = true;
          }
          seen[t].push_back(i);
          ran.fetch_add(1);
        });
      }
    });
  }
  for (auto& p : posters) {
    p.join();
  }
  std::atomic<bool> done{false};
  loop.Post([&] { done = true; });
  while (!done.load()) {
    std::this_thread::yield();
  }
  loop.Stop();
  runner.join();
  EXPECT_EQ(ran.load(), kThreads * kPerThread);
  EXPECT_FALSE(wrong_thread.load());
  for (const auto& per_thread : seen) {
    ASSERT_EQ(per_thread.size(), static_cast<size_t>(kPerThread));
    for (int i = 0; i < kPerThread; ++i) {
      EXPECT_EQ(per_thread[i], i);
    }
  }
}

TEST(EventLoopTest, IsInLoopThreadFalseElsewhere) {
  EventLoop loop(SystemClock::Get());
  std::thread runner([&] { loop.Run(); });
  std::atomic<bool> inside{false};
  loop.Post([&] { inside = loop.IsInLoopThread(); });
  loop.Stop();
  runner.join();
  EXPECT_TRUE(inside.load());
  EXPECT_FALSE(loop.IsInLoopThread());
}

class CountingHandler : public IoHandler {
 public:
  void OnIoEvents(uint32_t events) override {
    if (events & EPOLLIN) {
      ++readable;
    }
  }
  int readable = 0;
};

TEST(EventLoopTest, RegisteredFdReportsReadable) {
  FakeClock clock;
  EventLoop loop(clock);
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
  CountingHandler handler;
  ASSERT_TRUE(loop.Register(fds[0], &handler, EPOLLIN));
  loop.RunOnce(0);
  EXPECT_EQ(handler.readable, 0);
  ASSERT_EQ(write(fds[1], "x", 1), 1);
  loop.RunOnce(1000);
  EXPECT_EQ(handler.readable, 1);
  loop.Unregister(fds[0]);
  close(fds[0]);
  close(fds[1]);
}

class CountingFlushable : public LoopFlushable {
 public:
  explicit CountingFlushable(EventLoop& loop) : loop_(loop) {}
  void FlushNow() override {
    if (!loop_.IsInLoopThread()) {
      wrong_thread = true;
    }
    flushes.fetch_add(1);
  }
  EventLoop& loop_;
  std::atomic<int> flushes{0};
  std::atomic<bool> wrong_thread{false};
};

TEST(EventLoopTest, CrossLoopFlushesArriveAsOneBatchPerIteration) {
  FakeClock clock;
  EventLoop source(clock);
  EventLoop target(clock);
  auto a = std::make_shared<CountingFlushable>(target);
  auto b = std::make_shared<CountingFlushable>(target);
  source.Post([&] {
    EventLoop::RequestFlush(target, a);
    EventLoop::RequestFlush(target, b);
    EventLoop::RequestFlush(target, a);
  });
  source.RunOnce(0);
  EXPECT_EQ(target.posts_received(), 1u);  // one wakeup for the whole batch
  EXPECT_EQ(a->flushes.load(), 0);
  target.RunOnce(0);
  EXPECT_EQ(a->flushes.load(), 2);
  EXPECT_EQ(b->flushes.load(), 1);
  // The next iteration of the source sends nothing new.
  source.RunOnce(0);
  EXPECT_EQ(target.posts_received(), 1u);
}

TEST(EventLoopTest, CrossThreadFlushRunsOnTargetThread) {
  EventLoop source(SystemClock::Get());
  EventLoop target(SystemClock::Get());
  auto a = std::make_shared<CountingFlushable>(target);
  std::thread target_thread([&] { target.Run(); });
  source.Post([&] { EventLoop::RequestFlush(target, a); });
  source.RunOnce(0);
  while (a->flushes.load() < 1) {
    std::this_thread::yield();
  }
  target.Stop();
  target_thread.join();
  EXPECT_FALSE(a->wrong_thread.load());
}

TEST(EventLoopTest, LocalFlushRunsAtEndOfIteration) {
  FakeClock clock;
  EventLoop loop(clock);
  auto f = std::make_shared<CountingFlushable>(loop);
  loop.Post([&] {
    EventLoop::RequestFlush(loop, f);
    EXPECT_EQ(f->flushes.load(), 0);  // deferred, not immediate
  });
  loop.RunOnce(0);
  EXPECT_EQ(f->flushes.load(), 1);
}

}  // namespace
}  // namespace lattice::server
