// RFC 2253 formatting of certificate names and order-tolerant DN comparison.
#include "dataplane/tls/peer_identity.h"

#include <memory>

#include "gtest/gtest.h"
#include <openssl/x509.h>

namespace lattice::tls {
namespace {

struct NameDeleter {
  void operator()(X509_NAME* name) const { X509_NAME_free(name); }
};
using NamePtr = std::unique_ptr<X509_NAME, NameDeleter>;

// One attribute in certificate order; set = -1 joins the previous RDN.
struct Entry {
  const char* field;
  const char* value;
  int set = 0;
};

NamePtr MakeName(std::initializer_list<Entry> entries) {
  NamePtr name(X509_NAME_new());
  for (const auto& [field, value, set] : entries) {
    EXPECT_EQ(
        X509_NAME_add_entry_by_txt(name.get(), field, MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(value), -1, -1, set),
        1)
        << field;
  }
  return name;
}

TEST(DistinguishedNameTest, ReversedOrderWithShortNames) {
  auto name = MakeName({{"C", "US"},
                        {"ST", "CA"},
                        {"L", "Los Angeles"},
                        {"O", "NATS"},
                        {"OU", "NATS"},
                        {"CN", "localhost"}});
  EXPECT_EQ(DistinguishedNameRfc2253(name.get()),
            "CN=localhost,OU=NATS,O=NATS,L=Los Angeles,ST=CA,C=US");
}

TEST(DistinguishedNameTest, DomainComponentsStreetSerialAndPostalCode) {
  auto name = MakeName({{"DC", "org"},
                        {"DC", "example"},
                        {"street", "Main St 1"},
                        {"postalCode", "12345"},
                        {"serialNumber", "77"},
                        {"CN", "svc"}});
  EXPECT_EQ(DistinguishedNameRfc2253(name.get()),
            "CN=svc,SERIALNUMBER=77,POSTALCODE=12345,STREET=Main St 1,DC=example,DC=org");
}

TEST(DistinguishedNameTest, EscapesSpecialCharacters) {
  auto name = MakeName({{"O", "Acme, Inc."}, {"OU", "#ops"}, {"CN", " a+b;c<d>\"e\\ "}});
  EXPECT_EQ(DistinguishedNameRfc2253(name.get()),
            "CN=\\ a\\+b\\;c\\<d\\>\\\"e\\\\\\ ,OU=\\#ops,O=Acme\\, Inc.");
}

TEST(DistinguishedNameTest, MultiValuedRdnUsesPlus) {
  auto name = MakeName({{"O", "Acme", 0}, {"CN", "alice", 0}, {"UID", "42", -1}});
  EXPECT_EQ(DistinguishedNameRfc2253(name.get()), "UID=42+CN=alice,O=Acme");
}

TEST(DistinguishedNameTest, UnknownAttributesAsHexDer) {
  auto name = MakeName({{"emailAddress", "a@b.c"}, {"CN", "x"}});
  // 1.2.840.113549.1.9.1 is an IA5String (tag 0x16), length 5, "a@b.c".
  EXPECT_EQ(DistinguishedNameRfc2253(name.get()), "CN=x,1.2.840.113549.1.9.1=#16056140622e63");
}

TEST(DistinguishedNameTest, Utf8PassesThrough) {
  auto name = MakeName({{"CN", "J\xc3\xbcrgen"}});
  EXPECT_EQ(DistinguishedNameRfc2253(name.get()), "CN=J\xc3\xbcrgen");
}

TEST(DistinguishedNameTest, EmptyAndNull) {
  auto name = MakeName({});
  EXPECT_EQ(DistinguishedNameRfc2253(name.get()), "");
  EXPECT_EQ(DistinguishedNameRfc2253(nullptr), "");
  EXPECT_TRUE(CertificateIdentities(nullptr).empty());
}

TEST(DistinguishedNamesMatchTest, IgnoresOrderAndAttributeCase) {
  EXPECT_TRUE(DistinguishedNamesMatch("CN=alice,O=Acme,C=US", "C=US,O=Acme,CN=alice"));
  EXPECT_TRUE(DistinguishedNamesMatch("cn=alice, o=Acme", "CN=alice,O=Acme"));
  EXPECT_TRUE(DistinguishedNamesMatch("O=Acme\\, Inc.,CN=a", "CN=a,O=Acme\\, Inc."));
}

TEST(DistinguishedNamesMatchTest, DifferentValuesOrCountsDoNotMatch) {
  EXPECT_FALSE(DistinguishedNamesMatch("CN=alice,O=Acme", "CN=Alice,O=Acme"));
  EXPECT_FALSE(DistinguishedNamesMatch("CN=alice,O=Acme", "CN=alice"));
  EXPECT_FALSE(DistinguishedNamesMatch("CN=alice,CN=alice", "CN=alice"));
  EXPECT_FALSE(DistinguishedNamesMatch("CN=alice\\", "CN=alice"));
  EXPECT_FALSE(DistinguishedNamesMatch("alice", "alice"));
  EXPECT_FALSE(DistinguishedNamesMatch("", ""));
}

}  // namespace
}  // namespace lattice::tls
