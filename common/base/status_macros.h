// LATTICE_RETURN_IF_ERROR / LATTICE_ASSIGN_OR_RETURN: Debian 12's Abseil predates absl's own.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define LATTICE_STATUS_CONCAT_INNER(a, b) a##b
#define LATTICE_STATUS_CONCAT(a, b) LATTICE_STATUS_CONCAT_INNER(a, b)

// Returns the status from the enclosing function when `expr` is not OK.
#define LATTICE_RETURN_IF_ERROR(expr)        \
  do {                                       \
    ::absl::Status lattice_status_ = (expr); \
    if (!lattice_status_.ok())               \
      return lattice_status_;                \
  } while (false)

// `LATTICE_ASSIGN_OR_RETURN(auto x, MaybeX());` binds the value or returns the error.
#define LATTICE_ASSIGN_OR_RETURN(lhs, expr) \
  LATTICE_ASSIGN_OR_RETURN_IMPL(LATTICE_STATUS_CONCAT(lattice_statusor_, __LINE__), lhs, expr)

#define LATTICE_ASSIGN_OR_RETURN_IMPL(statusor, lhs, expr) \
  auto statusor = (expr);                                  \
  if (!statusor.ok())                                      \
    return statusor.status();                              \
  lhs = std::move(statusor).value()
