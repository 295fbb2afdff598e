// Component test: mTLS. Certificates come from the openssl CLI into TEST_TMPDIR; the server
// requires a client certificate signed by the test CA and records its CN as the actor. Clients
// dial 127.0.0.1 (an IP SAN) rather than localhost: c-ares leaks a few bytes per lookup.
#include <cstdlib>
#include <fstream>
#include <iterator>

#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"

#include "common/jwt/claims.h"
#include "common/nkeys/nkeys.h"
#include "controlplane/api/server.h"
#include "controlplane/store/rocks_store.h"

namespace lattice::api {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::string(std::getenv("TEST_TMPDIR")) + "/tls";
    std::string d = dir_;
    const std::string ec = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes ";
    std::string script =
        "set -e; mkdir -p " + d + "; cd " + d + "; exec 2>openssl.log;" + "openssl req -x509" + ec +
        "-keyout ca.key -out ca.pem -subj /CN=test-ca -days 2;" + "openssl req" + ec +
        "-keyout server.key -out server.csr -subj /CN=localhost;" +
        "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1' > san.ext;" +
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial"
        " -out server.pem -days 2 -extfile san.ext;" +
        "openssl req" + ec + "-keyout client.key -out client.csr -subj /CN=ops-bot;" +
        "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial"
        " -out client.pem -days 2;" +
        "openssl req -x509" + ec + "-keyout rogue.key -out rogue.pem -subj /CN=rogue -days 2";
    if (std::system(("sh -c \"" + script + "\"").c_str()) != 0)
      GTEST_SKIP() << "openssl CLI unavailable; see " << d << "/openssl.log";
    store_ = *store::RocksStore::Open(d + "/db");
    frontend_ = std::make_unique<frontend::Frontend>(store_.get(), &vault_);
    auth_ = std::make_unique<Authenticator>(std::map<std::string, std::string>{}, true);
    ServerOptions options;
    options.tls_cert_file = d + "/server.pem";
    options.tls_key_file = d + "/server.key";
    options.client_ca_file = d + "/ca.pem";
    auto server = ControlServer::Start(options, frontend_.get(), auth_.get());
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }
  void TearDown() override {
    if (server_)
      server_->Shutdown();
  }

  std::unique_ptr<v1::Admin::Stub> Stub(const std::string& cert, const std::string& key) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = Slurp(dir_ + "/ca.pem");
    if (!cert.empty()) {
      ssl.pem_cert_chain = Slurp(dir_ + "/" + cert);
      ssl.pem_private_key = Slurp(dir_ + "/" + key);
    }
    return v1::Admin::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()),
                                                  grpc::SslCredentials(ssl)));
  }

  std::string dir_;
  accounts::KeyVault vault_ = *accounts::KeyVault::FromKey(std::string(32, 't'));
  std::unique_ptr<store::RocksStore> store_;
  std::unique_ptr<frontend::Frontend> frontend_;
  std::unique_ptr<Authenticator> auth_;
  std::unique_ptr<ControlServer> server_;
};

TEST_F(TlsTest, VerifiedClientCertIsTheActorOthersAreRefused) {
  auto op_kp = *nkeys::KeyPair::Generate(nkeys::KeyType::kOperator);
  auto op = jwt::NewOperatorClaims(*nkeys::OperatorPublicKey::FromKey(op_kp.public_key()));
  v1::PutOperatorRequest put;
  put.set_jwt(*jwt::Encode(op, op_kp));
  v1::WriteResponse resp;
  auto trusted = Stub("client.pem", "client.key");
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  grpc::Status status = trusted->PutOperator(&ctx, put, &resp);
  ASSERT_TRUE(status.ok()) << status.error_message();
  auto stored = frontend_->GetOperator();
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->meta().updated_by(), "cert:ops-bot");

  for (auto [cert, key] : {std::pair<std::string, std::string>{"rogue.pem", "rogue.key"},
                           std::pair<std::string, std::string>{"", ""}}) {
    auto stub = Stub(cert, key);
    grpc::ClientContext c;
    c.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    v1::Operator got;
    grpc::Status refused = stub->GetOperator(&c, v1::GetOperatorRequest(), &got);
    EXPECT_FALSE(refused.ok()) << "client cert '" << cert << "' was accepted";
  }
}

}  // namespace
}  // namespace lattice::api
