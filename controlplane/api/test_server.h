// Component-test fixture: a real ControlServer on 127.0.0.1:0 over a fresh RocksStore, and
// gRPC stubs whose calls carry (or omit) the bearer token.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"

#include "common/jwt/claims.h"
#include "common/nkeys/nkeys.h"
#include "common/testing/eventually.h"
#include "controlplane/api/server.h"
#include "controlplane/store/rocks_store.h"

namespace lattice::api::testing {

inline constexpr char kToken[] = "test-token-0123456789abcdef";

inline nkeys::KeyPair NewKey(nkeys::KeyType type) {
  auto kp = nkeys::KeyPair::Generate(type);
  EXPECT_TRUE(kp.ok());
  return *std::move(kp);
}

// Polls `condition` until it holds or 10 s pass (component tests only; never a timing check).
inline bool Eventually(const std::function<bool()>& condition) {
  return testutil::Eventually(condition, std::chrono::seconds(10));
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    std::string dir = std::string(std::getenv("TEST_TMPDIR")) + "/srv" + std::to_string(counter++);
    auto store = store::RocksStore::Open(dir);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    frontend_ = std::make_unique<frontend::Frontend>(store_.get(), &vault_);
    auth_ = std::make_unique<Authenticator>(std::map<std::string, std::string>{{kToken, "admin"}},
                                            false);
    auto server = ControlServer::Start(ServerOptions(), frontend_.get(), auth_.get());
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()),
                                   grpc::InsecureChannelCredentials());
    admin_ = v1::Admin::NewStub(channel_);
    node_sync_ = v1::NodeSync::NewStub(channel_);

    op_claims_ = jwt::NewOperatorClaims(*nkeys::OperatorPublicKey::FromKey(op_kp_.public_key()));
    op_claims_.std.name = "op";
    op_jwt_ = *jwt::Encode(op_claims_, op_kp_);
  }
  void TearDown() override {
    if (server_)
      server_->Shutdown();
  }

  // A context with the bearer token.
  std::unique_ptr<grpc::ClientContext> Authed() {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->AddMetadata("authorization", std::string("Bearer ") + kToken);
    return ctx;
  }

  std::string AccountJwt(const nkeys::KeyPair& kp, const std::string& name, int64_t iat) {
    auto claims = jwt::NewAccountClaims(*nkeys::AccountPublicKey::FromKey(kp.public_key()));
    claims.std.name = name;
    return *jwt::Encode(claims, op_kp_, iat);
  }

  void PutOperator() {
    v1::PutOperatorRequest req;
    req.set_jwt(op_jwt_);
    v1::WriteResponse resp;
    grpc::Status status = admin_->PutOperator(Authed().get(), req, &resp);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  accounts::KeyVault vault_ = *accounts::KeyVault::FromKey(std::string(32, 'v'));
  std::unique_ptr<store::RocksStore> store_;
  std::unique_ptr<frontend::Frontend> frontend_;
  std::unique_ptr<Authenticator> auth_;
  std::unique_ptr<ControlServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Admin::Stub> admin_;
  std::unique_ptr<v1::NodeSync::Stub> node_sync_;
  nkeys::KeyPair op_kp_ = NewKey(nkeys::KeyType::kOperator);
  jwt::OperatorClaims op_claims_;
  std::string op_jwt_;
};

}  // namespace lattice::api::testing
