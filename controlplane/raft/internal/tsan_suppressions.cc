// ThreadSanitizer suppressions for tests that run real libuv loops (linked into those tests only).
//
// Debian's libuv is not instrumented: its threadpool workers (libraft's disk I/O) hand results
// and file descriptors back to the loop thread through libuv's own atomics and eventfd, which
// TSan cannot see. A descriptor closed by a worker and reused by another open on the loop thread
// (RocksDB's checkpoint, for one) is then reported as a "race" on the descriptor. Only frames
// inside libuv are suppressed; our own cross-thread handoff stays fully checked.
extern "C" const char* __tsan_default_suppressions() {
  return "race:libuv.so.1\n";
}
