// Writes the shared throwaway PKI (tls::testing::StandardPki: root CA, server, alice, bob, dave,
// and mallory from another CA) for the nats.js TLS tests. Usage: make_test_pki <dir>.
#include <cstdio>
#include <string>

#include "dataplane/tls/test_pki.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <dir>\n", argv[0]);
    return 2;
  }
  auto pki = lattice::tls::testing::StandardPki::Create(argv[1]);
  if (!pki.ok()) {
    std::fprintf(stderr, "cannot write the test PKI into %s: %s\n", argv[1],
                 std::string(pki.status().message()).c_str());
    return 1;
  }
  return 0;
}
