// ThreadSanitizer suppressions for Debian's system libraries, which are built without TSan:
// their own synchronisation (gpr/absl mutexes, libuv's fd hand-offs, libnats' and httplib's
// threads, RocksDB's background threads) is invisible to it, so it reports races inside them
// that are not races. Only whole uninstrumented libraries are listed: a race in our code is
// still reported unless one of these libraries' frames is on the racing stack. Linked into every
// binary and test under --config=tsan (bazel/lattice.bzl), so processes that tests start are
// covered too.
extern "C" const char* __tsan_default_suppressions() {
  return "race:libgrpc.so\n"
         "race:libgpr.so\n"
         "race:libgrpc++.so\n"
         "race:libabsl_*.so\n"
         "race:libnats.so\n"
         "race:libcpp-httplib.so\n"
         "race:libuv.so.1\n"
         "race:librocksdb.so\n"
         "race:libcrypto.so.3\n"  // OpenSSL inside gRPC's TLS threads
         "race:libssl.so.3\n"
         // gRPC++'s header-only call machinery is inlined into our binaries, but the core
         // that completes those calls on its own threads is not instrumented.
         "race:grpc::internal::\n"
         "race:grpc::CompletionQueue\n";
}
