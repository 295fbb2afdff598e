// Throwaway certificate authorities and leaf certificates for TLS tests (testonly).
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

typedef struct evp_pkey_st EVP_PKEY;
typedef struct x509_st X509;

namespace lattice::tls::testing {

// What a certificate says about its holder.
struct CertSpec {
  // Subject attributes in certificate order (first = outermost, e.g. C). A type starting with
  // '+' joins the previous RDN (multi-valued), e.g. {"+UID", "42"}.
  std::vector<std::pair<std::string, std::string>> subject;
  // subjectAltName in openssl's syntax, e.g. "email:a@b.c,DNS:localhost,URI:nats://x,IP:127.0.0.1".
  std::string subject_alt_names;
};

// A P-256 CA that writes its certificate to `<dir>/<name>-ca.pem` and issues leaves into
// `<dir>/<leaf>.pem` + `<dir>/<leaf>-key.pem`. Owned by a test. Thread: single owner.
class TestCa {
 public:
  static absl::StatusOr<std::unique_ptr<TestCa>> Create(const std::string& dir,
                                                        const std::string& name);
  ~TestCa();

  const std::string& ca_file() const { return ca_file_; }
  // Paths of the written leaf certificate and key.
  struct Leaf {
    std::string cert_file;
    std::string key_file;
  };
  absl::StatusOr<Leaf> Issue(const std::string& leaf_name, const CertSpec& spec);

 private:
  TestCa() = default;
  std::string dir_;
  std::string ca_file_;
  EVP_PKEY* key_ = nullptr;
  X509* cert_ = nullptr;
  long next_serial_ = 2;
};

// The certificates the TLS suites share, written into one directory: CA "root" issuing
// "server" (CN=localhost, DNS:localhost, IP:127.0.0.1), "alice" (O=Acme, CN=alice,
// email:alice@acme.test), "bob" (O=Acme, CN=bob) and "dave" (CN=dave); CA "other" issuing
// "mallory", who claims alice's names. Owned by a test. Thread: single owner.
struct StandardPki {
  std::unique_ptr<TestCa> ca;
  std::unique_ptr<TestCa> other_ca;
  TestCa::Leaf server, alice, bob, dave, mallory;

  static absl::StatusOr<StandardPki> Create(const std::string& dir);
};

// A fresh directory under $TEST_TMPDIR (or /tmp) for certificate files.
std::string MakeTempDir();

}  // namespace lattice::tls::testing
