// libFuzzer target: CONNECT JSON decoding must never crash, throw or half-apply.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "dataplane/auth/connect_options.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view json(reinterpret_cast<const char*>(data), size);
  lattice::auth::ConnectOptions opts;
  opts.name = "sentinel";
  absl::Status s = lattice::auth::ParseConnectOptions(json, &opts);
  if (!s.ok() && opts.name != "sentinel") {
    std::abort();  // a failed parse must leave the options untouched
  }
  // Parsing again over the result must give the same outcome (idempotent overlay).
  lattice::auth::ConnectOptions again = opts;
  absl::Status s2 = lattice::auth::ParseConnectOptions(json, &again);
  if (s.ok() != s2.ok()) {
    std::abort();
  }
  return 0;
}
