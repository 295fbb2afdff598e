// Apply and Map allocate nothing once `out` has capacity (global operator new is counted here).
#include <cstddef>
#include <cstdlib>
#include <new>
#include <string>

#include "gtest/gtest.h"

#include "dataplane/mapping/mapping_table.h"
#include "dataplane/mapping/subject_transform.h"

// Sanitizers bring their own allocator; replacing operator new there trips their checks.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define LATTICE_MAPPING_COUNT_ALLOCATIONS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define LATTICE_MAPPING_COUNT_ALLOCATIONS 0
#endif
#endif
#ifndef LATTICE_MAPPING_COUNT_ALLOCATIONS
#define LATTICE_MAPPING_COUNT_ALLOCATIONS 1
#endif

namespace {
size_t g_allocations = 0;
}  // namespace

#if LATTICE_MAPPING_COUNT_ALLOCATIONS
void* operator new(size_t n) {
  ++g_allocations;
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) {
    std::abort();  // OOM is fatal
  }
  return p;
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, size_t) noexcept {
  std::free(p);
}
#endif

namespace lattice::mapping {
namespace {

TEST(AllocationTest, ApplyAndMapDoNotAllocateIntoAReservedOutput) {
  if (!LATTICE_MAPPING_COUNT_ALLOCATIONS) {
    GTEST_SKIP() << "allocation counting is off under sanitizers";
  }
  auto t = SubjectTransform::Create(
      "a.*.*.>", "b.{{partition(7,1,2)}}.{{split(2,-)}}.{{sliceFromLeft(1,2)}}.$1.>");
  ASSERT_TRUE(t.ok()) << t.status();
  MappingTable table;
  ASSERT_TRUE(table.Add("x.*", "y.$1").ok());
  ASSERT_TRUE(table.Add("a.*.*.>", {{"b.$1.$2.>", 50, ""}}).ok());
  std::string out;
  out.reserve(256);

  const size_t before = g_allocations;
  ASSERT_TRUE(t->Apply("a.abcdef.p-q-r.s.t.u", &out));
  ASSERT_TRUE(table.Map("a.abcdef.p-q-r.s.t.u", 10, &out));
  ASSERT_TRUE(table.Map("a.abcdef.p-q-r.s.t.u", 90, &out));
  ASSERT_FALSE(table.Map("zzz.q", 0, &out));
  EXPECT_EQ(g_allocations, before);
}

}  // namespace
}  // namespace lattice::mapping
