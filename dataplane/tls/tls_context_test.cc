// TlsContext: options validation and load errors that name the file and OpenSSL's reason.
#include "dataplane/tls/tls_context.h"

#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "dataplane/tls/test_pki.h"

namespace lattice::tls {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

class TlsContextTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir();
    auto ca = testing::TestCa::Create(dir_, "ctx");
    ASSERT_TRUE(ca.ok()) << ca.status();
    ca_ = std::move(*ca);
    testing::CertSpec spec;
    spec.subject = {{"CN", "localhost"}};
    auto a = ca_->Issue("a", spec);
    auto b = ca_->Issue("b", spec);
    ASSERT_TRUE(a.ok() && b.ok());
    a_ = *a;
    b_ = *b;
  }

  options::TlsOptions Options() const {
    options::TlsOptions o;
    o.cert_file = a_.cert_file;
    o.key_file = a_.key_file;
    return o;
  }

  std::string WriteFile(const std::string& name, const std::string& content) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << content;
    return path;
  }

  std::string dir_;
  std::unique_ptr<testing::TestCa> ca_;
  testing::TestCa::Leaf a_, b_;
};

TEST_F(TlsContextTest, ServerWithoutVerify) {
  auto ctx = TlsContext::CreateServer(Options());
  ASSERT_TRUE(ctx.ok()) << ctx.status();
  EXPECT_TRUE((*ctx)->is_server());
  EXPECT_FALSE((*ctx)->verify_peer());
  EXPECT_FALSE((*ctx)->map_identities());
  EXPECT_EQ((*ctx)->handshake_timeout(), std::chrono::seconds(2));
  EXPECT_NE((*ctx)->native(), nullptr);
}

TEST_F(TlsContextTest, VerifyAndMapImpliesVerify) {
  options::TlsOptions o = Options();
  o.ca_file = ca_->ca_file();
  o.verify_and_map = true;
  o.timeout = std::chrono::milliseconds(500);
  auto ctx = TlsContext::CreateServer(o);
  ASSERT_TRUE(ctx.ok()) << ctx.status();
  EXPECT_TRUE((*ctx)->verify_peer());
  EXPECT_TRUE((*ctx)->map_identities());
  EXPECT_EQ((*ctx)->handshake_timeout(), std::chrono::milliseconds(500));
}

TEST_F(TlsContextTest, MissingSettings) {
  options::TlsOptions o = Options();
  o.cert_file.clear();
  EXPECT_THAT(TlsContext::CreateServer(o).status().message(), HasSubstr("missing 'cert_file'"));
  o = Options();
  o.key_file.clear();
  EXPECT_THAT(TlsContext::CreateServer(o).status().message(), HasSubstr("missing 'key_file'"));
  o = Options();
  o.timeout = std::chrono::milliseconds(0);
  EXPECT_FALSE(TlsContext::CreateServer(o).ok());
}

TEST_F(TlsContextTest, MissingFilesAreNamed) {
  options::TlsOptions o = Options();
  o.cert_file = dir_ + "/nope.pem";
  EXPECT_THAT(TlsContext::CreateServer(o).status().message(),
              AllOf(HasSubstr("certificate file"), HasSubstr("nope.pem"),
                    HasSubstr("No such file or directory")));
  o = Options();
  o.key_file = dir_ + "/nokey.pem";
  EXPECT_THAT(TlsContext::CreateServer(o).status().message(),
              AllOf(HasSubstr("key file"), HasSubstr("nokey.pem")));
  o = Options();
  o.ca_file = dir_ + "/noca.pem";
  EXPECT_THAT(TlsContext::CreateServer(o).status().message(),
              AllOf(HasSubstr("ca file"), HasSubstr("noca.pem")));
}

TEST_F(TlsContextTest, GarbageFilesGiveOpenSslReasons) {
  options::TlsOptions o = Options();
  o.cert_file = WriteFile("junk.pem", "not a certificate\n");
  auto status = TlsContext::CreateServer(o).status();
  EXPECT_THAT(status.message(), AllOf(HasSubstr("junk.pem"), HasSubstr("PEM")));
  o = Options();
  o.key_file =
      WriteFile("junkkey.pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
  EXPECT_THAT(TlsContext::CreateServer(o).status().message(), HasSubstr("junkkey.pem"));
  o = Options();
  o.ca_file = WriteFile("junkca.pem", "nothing here");
  EXPECT_THAT(TlsContext::CreateServer(o).status().message(), HasSubstr("junkca.pem"));
}

TEST_F(TlsContextTest, KeyThatDoesNotMatchTheCertificate) {
  options::TlsOptions o = Options();
  o.key_file = b_.key_file;
  auto status = TlsContext::CreateServer(o).status();
  EXPECT_THAT(status.message(),
              AllOf(HasSubstr("does not match"), HasSubstr(b_.key_file), HasSubstr(a_.cert_file)));
}

TEST_F(TlsContextTest, ClientContexts) {
  ClientTlsConfig config;
  config.ca_file = ca_->ca_file();
  auto ctx = TlsContext::CreateClient(config);
  ASSERT_TRUE(ctx.ok()) << ctx.status();
  EXPECT_FALSE((*ctx)->is_server());
  EXPECT_TRUE((*ctx)->verify_peer());
  config.cert_file = a_.cert_file;
  EXPECT_FALSE(TlsContext::CreateClient(config).ok());  // key missing
  config.key_file = a_.key_file;
  EXPECT_TRUE(TlsContext::CreateClient(config).ok());
}

}  // namespace
}  // namespace lattice::tls
