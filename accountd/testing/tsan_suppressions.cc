// ThreadSanitizer suppressions for accountd tests that run uninstrumented Debian libraries.
//
// gRPC (and the Abseil mutexes it locks), libnats and cpp-httplib are built without TSan: their own
// threads synchronise through atomics, epoll and eventfds TSan cannot see, so it reports "races"
// inside them (gRPC's epoll poller on its own descriptor, for one). Only reports whose frames are
// inside those libraries are suppressed; accountd's code and its handoffs stay fully checked.
extern "C" const char* __tsan_default_suppressions() {
  return "race:libgrpc.so\n"
         "race:libgpr.so\n"
         "race:libgrpc++.so\n"
         "race:libnats.so\n"
         "race:libcpp-httplib.so\n"
         "race:libabsl_*.so\n";
}
