// Candidate user names in a peer certificate, for `tls { verify_and_map: true }`.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

typedef struct x509_st X509;
typedef struct X509_name_st X509_NAME;

namespace lattice::tls {

enum class IdentityKind : uint8_t { kEmail, kDns, kUri, kSubjectDn };
std::string_view IdentityKindName(IdentityKind kind);

struct PeerIdentity {
  IdentityKind kind;
  std::string name;
  bool operator==(const PeerIdentity& other) const {
    return kind == other.kind && name == other.name;
  }
};

// The names to try against the configured users, in nats-server's order: every email SAN,
// then every DNS SAN, then every URI SAN (each in certificate order), then the subject DN in
// RFC 2253 form. The first one naming a configured user wins. Empty for a null certificate.
std::vector<PeerIdentity> CertificateIdentities(const X509* cert);

// RFC 2253 string of a distinguished name: last RDN first, "," between RDNs, "+" inside a
// multi-valued RDN, the short names CN L ST O OU C STREET DC UID SERIALNUMBER POSTALCODE
// (others as dotted OID=#hex DER), values as UTF-8 with , + " \ < > ; and leading # or
// space and trailing space escaped. E.g. "CN=alice,OU=eng,O=Acme,C=US".
std::string DistinguishedNameRfc2253(const X509_NAME* name);

// True when two RFC 2253 DNs hold the same attribute=value pairs in any RDN order (attribute
// names compared case-insensitively, values exactly): a user configured as "O=Acme,CN=alice"
// matches a certificate whose DN prints as "CN=alice,O=Acme". False if either does not parse.
bool DistinguishedNamesMatch(std::string_view a, std::string_view b);

}  // namespace lattice::tls
