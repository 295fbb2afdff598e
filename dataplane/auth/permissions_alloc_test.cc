// Checks that hot-path permission checks allocate nothing once their subject is cached.
// Replaces global operator new for this test binary only, to count allocations.
#include <atomic>
#include <cstdlib>
#include <new>

#include "gtest/gtest.h"

#include "dataplane/auth/permissions.h"

namespace {
std::atomic<long> g_allocations{0};
}  // namespace

void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) {
    return p;
  }
  std::abort();  // OOM is fatal here as everywhere in Lattice
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}

namespace lattice::auth {
namespace {

TEST(PermissionsAllocTest, CacheHitsAllocateNothing) {
  options::Permissions p;
  p.publish.allow = {"orders.*", "metrics.>"};
  p.publish.deny = {"orders.secret"};
  p.subscribe.deny = {"orders.secret"};
  ConnectionPermissions perms(CompiledPermissions::Compile(p));
  const PermTime now{};
  // Warm the caches (these allocate: one key each).
  ASSERT_TRUE(perms.CanPublish("orders.new", now));
  ASSERT_FALSE(perms.CanPublish("orders.secret", now));
  ASSERT_TRUE(perms.CanSubscribe("orders.*"));
  ASSERT_TRUE(perms.delivery_filter_active());
  ASSERT_TRUE(perms.IsDeliveryDenied("orders.secret"));
  ASSERT_FALSE(perms.IsDeliveryDenied("orders.new"));

  long before = g_allocations.load();
  for (int i = 0; i < 1000; ++i) {
    EXPECT_TRUE(perms.CanPublish("orders.new", now));
    EXPECT_FALSE(perms.CanPublish("orders.secret", now));
    EXPECT_TRUE(perms.IsDeliveryDenied("orders.secret"));
    EXPECT_FALSE(perms.IsDeliveryDenied("orders.new"));
  }
  EXPECT_EQ(g_allocations.load() - before, 0);

  // The counter does see allocations: a miss stores a new key.
  before = g_allocations.load();
  EXPECT_TRUE(perms.CanPublish("orders.a-subject-longer-than-sso-buffer", now));
  EXPECT_GT(g_allocations.load() - before, 0);
}

TEST(PermissionsAllocTest, ReplyChecksAllocateNothing) {
  options::Permissions p;
  p.allow_responses = options::ResponsePermission{0, std::chrono::milliseconds(0)};
  p.allow_responses->max_msgs = -1;  // unlimited
  ConnectionPermissions perms(CompiledPermissions::Compile(p));
  const PermTime now{};
  perms.OnDelivered("_INBOX.abc.1", now);
  ASSERT_TRUE(perms.CanPublish("_INBOX.abc.1", now));
  long before = g_allocations.load();
  for (int i = 0; i < 1000; ++i) {
    EXPECT_TRUE(perms.CanPublish("_INBOX.abc.1", now));
    perms.OnDelivered("_INBOX.abc.1", now);  // refresh of a known reply
  }
  EXPECT_EQ(g_allocations.load() - before, 0);
}

}  // namespace
}  // namespace lattice::auth
