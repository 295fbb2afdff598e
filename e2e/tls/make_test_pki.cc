// Writes a throwaway PKI for the nats.js TLS tests: root CA, a server certificate for
// localhost/127.0.0.1, client certificates alice (mapped by email) and dave (unmapped), and a
// certificate from another CA (mallory). Usage: make_test_pki <dir>.
#include <cstdio>
#include <string>

#include "dataplane/tls/test_pki.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <dir>\n", argv[0]);
    return 2;
  }
  using lattice::tls::testing::TestCa;
  const std::string dir = argv[1];
  auto ca = TestCa::Create(dir, "root");
  auto other = TestCa::Create(dir, "other");
  if (!ca.ok() || !other.ok()) {
    std::fprintf(stderr, "cannot create CAs in %s\n", dir.c_str());
    return 1;
  }
  bool ok =
      (*ca)->Issue("server", {{{"CN", "localhost"}}, "DNS:localhost,IP:127.0.0.1"}).ok() &&
      (*ca)->Issue("alice", {{{"O", "Acme"}, {"CN", "alice"}}, "email:alice@acme.test"}).ok() &&
      (*ca)->Issue("dave", {{{"CN", "dave"}}, ""}).ok() &&
      (*other)->Issue("mallory", {{{"CN", "alice"}}, "email:alice@acme.test"}).ok();
  if (!ok) {
    std::fprintf(stderr, "cannot issue certificates in %s\n", dir.c_str());
    return 1;
  }
  return 0;
}
