// Options shared by every lattice-bench scenario, filled from the command line.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "tools/bench/conn.h"

namespace lattice::bench {

struct BenchConfig {
  std::string scenario;
  std::string url = "nats://127.0.0.1:4222";
  Endpoint server;  // --url (+ --user/--pass): memory scenarios and the default for both sides
  // The sending side (publishers, requesters) and the receiving side (subscribers, queue
  // members, responders). They differ for cross-account runs: each side logs in as a user of
  // its own account (--pub-url/--sub-url with credentials, or --pub-user/--sub-user ...).
  Endpoint pub_server;
  Endpoint sub_server;
  std::string subject = "bench.subject";  // what publishers/requesters publish to
  // What subscribers/responders subscribe to; defaults to `subject`. Differs when an import
  // maps names (stream import `to`/`prefix`, service import `to`).
  std::string sub_subject;
  uint64_t msgs = 1'000'000;  // per round, split across publishers (or requesters)
  size_t size = 16;           // payload bytes
  int pubs = 1;               // publishers; requesters for reqrep
  int subs = 1;               // subscribers; queue members; responders for reqrep
  int concurrency = 1;        // outstanding requests per requester (reqrep)
  double duration_s = 30;     // hard cap per round on the sending phase
  double drain_s = 5;         // how long receivers may lag once sending stopped
  int rounds = 1;
  uint64_t conns = 1000;            // idle-conns
  uint64_t sub_count = 100'000;     // subs
  int sub_conns = 4;                // connections carrying the subs scenario's subscriptions
  double hold_s = 2;                // idle-conns/subs: settle time before RSS is read
  size_t window_bytes = 32u << 20;  // publishers' lead over the slowest receiver
  pid_t server_pid = 0;
  bool json = false;
  bool progress = true;
};

}  // namespace lattice::bench
