// Certificate SAN and subject extraction, RFC 2253 formatting and order-tolerant DN matching.
#include "dataplane/tls/peer_identity.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace lattice::tls {

namespace {

// RFC 2253 §2.3 names, plus the ones Go's pkix (and so nats-server) prints by name.
const char* ShortName(int nid) {
  switch (nid) {
    case NID_commonName:
      return "CN";
    case NID_localityName:
      return "L";
    case NID_stateOrProvinceName:
      return "ST";
    case NID_organizationName:
      return "O";
    case NID_organizationalUnitName:
      return "OU";
    case NID_countryName:
      return "C";
    case NID_streetAddress:
      return "STREET";
    case NID_domainComponent:
      return "DC";
    case NID_userId:
      return "UID";
    case NID_serialNumber:
      return "SERIALNUMBER";
    case NID_postalCode:
      return "POSTALCODE";
    default:
      return nullptr;
  }
}

void AppendEscaped(std::string_view value, std::string* out) {
  for (size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    bool special = c == ',' || c == '+' || c == '"' || c == '\\' || c == '<' || c == '>' ||
                   c == ';' || (i == 0 && (c == '#' || c == ' ')) ||
                   (i + 1 == value.size() && c == ' ');
    if (special) {
      out->push_back('\\');
    }
    out->push_back(c);
  }
}

void AppendHex(const unsigned char* bytes, int len, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < len; ++i) {
    out->push_back(kHex[bytes[i] >> 4]);
    out->push_back(kHex[bytes[i] & 0xf]);
  }
}

void AppendAttribute(const X509_NAME_ENTRY* entry, std::string* out) {
  const ASN1_OBJECT* object = X509_NAME_ENTRY_get_object(entry);
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(entry);
  const char* name = ShortName(OBJ_obj2nid(object));
  if (name == nullptr) {
    char oid[128];
    int n = OBJ_obj2txt(oid, sizeof(oid), object, /*no_name=*/1);
    out->append(oid, n > 0 ? std::min<size_t>(static_cast<size_t>(n), sizeof(oid) - 1) : 0);
    out->append("=#");
    // DER of the value (tag, length, contents), as RFC 2253 §2.4 asks for unknown types.
    ASN1_TYPE* any = ASN1_TYPE_new();
    if (any != nullptr && ASN1_TYPE_set1(any, ASN1_STRING_type(data), data) == 1) {
      unsigned char* der = nullptr;
      int len = i2d_ASN1_TYPE(any, &der);
      if (len > 0) {
        AppendHex(der, len, out);
      }
      OPENSSL_free(der);
    }
    ASN1_TYPE_free(any);
    return;
  }
  out->append(name);
  out->push_back('=');
  unsigned char* utf8 = nullptr;
  int len = ASN1_STRING_to_UTF8(&utf8, data);
  if (len >= 0) {
    AppendEscaped(std::string_view(reinterpret_cast<char*>(utf8), static_cast<size_t>(len)), out);
  }
  OPENSSL_free(utf8);
}

// Splits an RFC 2253 string at unescaped separators into (lowercased type, value) pairs, the
// values unescaped. False on a malformed DN.
bool ParseDn(std::string_view dn, std::vector<std::pair<std::string, std::string>>* out) {
  std::string type, value, current;
  bool in_value = false;
  auto finish = [&]() {
    if (!in_value) {
      return false;
    }
    std::string t(absl::StripAsciiWhitespace(type));
    if (t.empty()) {
      return false;
    }
    out->emplace_back(absl::AsciiStrToLower(t), current);
    type.clear();
    current.clear();
    in_value = false;
    return true;
  };
  for (size_t i = 0; i < dn.size(); ++i) {
    char c = dn[i];
    if (c == '\\') {
      if (i + 1 >= dn.size()) {
        return false;
      }
      (in_value ? current : type).push_back(dn[++i]);
    } else if (!in_value && c == '=') {
      in_value = true;
    } else if (c == ',' || c == '+' || c == ';') {
      if (!finish()) {
        return false;
      }
    } else {
      (in_value ? current : type).push_back(c);
    }
  }
  return finish();
}

}  // namespace

std::string_view IdentityKindName(IdentityKind kind) {
  switch (kind) {
    case IdentityKind::kEmail:
      return "email";
    case IdentityKind::kDns:
      return "dns";
    case IdentityKind::kUri:
      return "uri";
    case IdentityKind::kSubjectDn:
      return "subject";
  }
  return "unknown";
}

std::string DistinguishedNameRfc2253(const X509_NAME* name) {
  std::string out;
  if (name == nullptr) {
    return out;
  }
  int count = X509_NAME_entry_count(name);
  int previous_set = -1;
  for (int i = count - 1; i >= 0; --i) {
    const X509_NAME_ENTRY* entry = X509_NAME_get_entry(name, i);
    int set = X509_NAME_ENTRY_set(entry);
    if (!out.empty()) {
      out.push_back(set == previous_set ? '+' : ',');
    }
    previous_set = set;
    AppendAttribute(entry, &out);
  }
  return out;
}

std::vector<PeerIdentity> CertificateIdentities(const X509* cert) {
  std::vector<PeerIdentity> out;
  if (cert == nullptr) {
    return out;
  }
  auto* names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert, NID_subject_alt_name, /*crit=*/nullptr, /*idx=*/nullptr));
  if (names != nullptr) {
    const std::pair<int, IdentityKind> kOrder[] = {{GEN_EMAIL, IdentityKind::kEmail},
                                                   {GEN_DNS, IdentityKind::kDns},
                                                   {GEN_URI, IdentityKind::kUri}};
    for (const auto& [type, kind] : kOrder) {
      for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
        const GENERAL_NAME* general = sk_GENERAL_NAME_value(names, i);
        if (general->type != type) {
          continue;
        }
        // rfc822Name, dNSName and URI are all IA5Strings.
        const ASN1_IA5STRING* ia5 = general->d.ia5;
        out.push_back({kind, std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(ia5)),
                                         static_cast<size_t>(ASN1_STRING_length(ia5)))});
      }
    }
    GENERAL_NAMES_free(names);
  }
  std::string dn = DistinguishedNameRfc2253(X509_get_subject_name(cert));
  if (!dn.empty()) {
    out.push_back({IdentityKind::kSubjectDn, std::move(dn)});
  }
  return out;
}

bool DistinguishedNamesMatch(std::string_view a, std::string_view b) {
  std::vector<std::pair<std::string, std::string>> left, right;
  if (!ParseDn(a, &left) || !ParseDn(b, &right)) {
    return false;
  }
  std::sort(left.begin(), left.end());
  std::sort(right.begin(), right.end());
  return left == right;
}

}  // namespace lattice::tls
