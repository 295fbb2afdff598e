// TestCa: certificates made with OpenSSL's API at test time (nothing checked into the tree).
#include "dataplane/tls/test_pki.h"

#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/base/status_macros.h"
#include "dataplane/tls/tls_context.h"

namespace lattice::tls::testing {

namespace {

absl::Status Fail(const std::string& what) {
  return absl::InternalError(absl::StrCat("test pki: ", what, ": ", DrainOpenSslErrors()));
}

absl::Status AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) {
    return Fail(absl::StrCat("extension ", value));
  }
  int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  return ok == 1 ? absl::OkStatus() : Fail("X509_add_ext");
}

// Builds and signs a certificate for `key`; a null issuer means self-signed.
absl::StatusOr<X509*> MakeCert(EVP_PKEY* key, const CertSpec& spec, long serial, X509* issuer,
                               EVP_PKEY* issuer_key, bool is_ca) {
  X509* cert = X509_new();
  if (cert == nullptr) {
    return Fail("X509_new");
  }
  auto fail = [cert](const std::string& what) {
    X509_free(cert);
    return Fail(what);
  };
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 30L * 24 * 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  for (const auto& [type, value] : spec.subject) {
    bool join = !type.empty() && type[0] == '+';
    std::string field = join ? type.substr(1) : type;
    if (X509_NAME_add_entry_by_txt(name, field.c_str(), MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(value.data()),
                                   static_cast<int>(value.size()), -1, join ? -1 : 0) != 1) {
      return fail(absl::StrCat("subject ", field));
    }
  }
  X509_set_issuer_name(cert, issuer == nullptr ? name : X509_get_subject_name(issuer));
  X509* signer = issuer == nullptr ? cert : issuer;
  absl::Status status = AddExtension(cert, signer, NID_basic_constraints,
                                     is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
  if (status.ok()) {
    status = AddExtension(cert, signer, NID_key_usage,
                          is_ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
  }
  if (status.ok() && !is_ca) {
    status = AddExtension(cert, signer, NID_ext_key_usage, "serverAuth,clientAuth");
  }
  if (status.ok() && !spec.subject_alt_names.empty()) {
    status = AddExtension(cert, signer, NID_subject_alt_name, spec.subject_alt_names);
  }
  if (!status.ok()) {
    X509_free(cert);
    return status;
  }
  if (X509_sign(cert, issuer_key == nullptr ? key : issuer_key, EVP_sha256()) == 0) {
    return fail("X509_sign");
  }
  return cert;
}

absl::Status WritePem(const std::string& path, X509* cert, EVP_PKEY* key) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) {
    return absl::InternalError(absl::StrCat("test pki: cannot write ", path));
  }
  int ok = cert != nullptr ? PEM_write_X509(f, cert)
                           : PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
  return ok == 1 ? absl::OkStatus() : Fail(absl::StrCat("PEM write ", path));
}

}  // namespace

std::string MakeTempDir() {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string pattern = absl::StrCat(base != nullptr ? base : "/tmp", "/tlspki.XXXXXX");
  char* made = mkdtemp(pattern.data());
  return made != nullptr ? std::string(made) : std::string();
}

absl::StatusOr<std::unique_ptr<TestCa>> TestCa::Create(const std::string& dir,
                                                       const std::string& name) {
  std::unique_ptr<TestCa> ca(new TestCa());
  ca->dir_ = dir;
  ca->key_ = EVP_EC_gen("P-256");
  if (ca->key_ == nullptr) {
    return Fail("EVP_EC_gen");
  }
  CertSpec spec;
  spec.subject = {{"O", "Lattice Test"}, {"CN", name + " CA"}};
  auto cert = MakeCert(ca->key_, spec, 1, nullptr, nullptr, /*is_ca=*/true);
  if (!cert.ok()) {
    return cert.status();
  }
  ca->cert_ = *cert;
  ca->ca_file_ = absl::StrCat(dir, "/", name, "-ca.pem");
  absl::Status status = WritePem(ca->ca_file_, ca->cert_, nullptr);
  if (!status.ok()) {
    return status;
  }
  return ca;
}

TestCa::~TestCa() {
  X509_free(cert_);
  EVP_PKEY_free(key_);
}

absl::StatusOr<TestCa::Leaf> TestCa::Issue(const std::string& leaf_name, const CertSpec& spec) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  if (key == nullptr) {
    return Fail("EVP_EC_gen");
  }
  auto cert = MakeCert(key, spec, next_serial_++, cert_, key_, /*is_ca=*/false);
  if (!cert.ok()) {
    EVP_PKEY_free(key);
    return cert.status();
  }
  Leaf leaf{absl::StrCat(dir_, "/", leaf_name, ".pem"),
            absl::StrCat(dir_, "/", leaf_name, "-key.pem")};
  absl::Status status = WritePem(leaf.cert_file, *cert, nullptr);
  if (status.ok()) {
    status = WritePem(leaf.key_file, nullptr, key);
  }
  X509_free(*cert);
  EVP_PKEY_free(key);
  if (!status.ok()) {
    return status;
  }
  return leaf;
}

absl::StatusOr<StandardPki> StandardPki::Create(const std::string& dir) {
  StandardPki pki;
  LATTICE_ASSIGN_OR_RETURN(pki.ca, TestCa::Create(dir, "root"));
  LATTICE_ASSIGN_OR_RETURN(pki.other_ca, TestCa::Create(dir, "other"));
  LATTICE_ASSIGN_OR_RETURN(
      pki.server, pki.ca->Issue("server", {{{"CN", "localhost"}}, "DNS:localhost,IP:127.0.0.1"}));
  LATTICE_ASSIGN_OR_RETURN(pki.alice, pki.ca->Issue("alice", {{{"O", "Acme"}, {"CN", "alice"}},
                                                              "email:alice@acme.test"}));
  LATTICE_ASSIGN_OR_RETURN(pki.bob, pki.ca->Issue("bob", {{{"O", "Acme"}, {"CN", "bob"}}, ""}));
  LATTICE_ASSIGN_OR_RETURN(pki.dave, pki.ca->Issue("dave", {{{"CN", "dave"}}, ""}));
  LATTICE_ASSIGN_OR_RETURN(
      pki.mallory, pki.other_ca->Issue("mallory", {{{"CN", "alice"}}, "email:alice@acme.test"}));
  return pki;
}

}  // namespace lattice::tls::testing
