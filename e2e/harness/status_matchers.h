// gtest helpers for absl::Status / absl::StatusOr in e2e tests.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gtest/gtest.h"

namespace lattice::e2e::internal {
inline const absl::Status& GetStatus(const absl::Status& status) {
  return status;
}
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}
}  // namespace lattice::e2e::internal

#define LATTICE_E2E_CONCAT_INNER(a, b) a##b
#define LATTICE_E2E_CONCAT(a, b) LATTICE_E2E_CONCAT_INNER(a, b)

#define ASSERT_OK(expr)                                       \
  ASSERT_TRUE(::lattice::e2e::internal::GetStatus(expr).ok()) \
      << ::lattice::e2e::internal::GetStatus(expr)
#define EXPECT_OK(expr)                                       \
  EXPECT_TRUE(::lattice::e2e::internal::GetStatus(expr).ok()) \
      << ::lattice::e2e::internal::GetStatus(expr)

// `ASSERT_OK_AND_ASSIGN(auto x, MaybeX());` binds the value or fails the test.
#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  ASSERT_OK_AND_ASSIGN_IMPL(LATTICE_E2E_CONCAT(e2e_statusor_, __LINE__), lhs, expr)
#define ASSERT_OK_AND_ASSIGN_IMPL(statusor, lhs, expr) \
  auto statusor = (expr);                              \
  ASSERT_TRUE(statusor.ok()) << statusor.status();     \
  lhs = std::move(statusor).value()
