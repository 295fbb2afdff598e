// LATTICE_CHECK (always on) and LATTICE_DCHECK (debug builds) for broken invariants, never for
// untrusted input: a failed check means the process state cannot be trusted, so it aborts.
#pragma once

#include <cstdio>
#include <cstdlib>

#define LATTICE_CHECK(cond)                                                         \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                 \
    }                                                                               \
  } while (false)

#ifdef NDEBUG
#define LATTICE_DCHECK(cond) \
  do {                       \
    (void)sizeof(cond);      \
  } while (false)
#else
#define LATTICE_DCHECK(cond) LATTICE_CHECK(cond)
#endif
