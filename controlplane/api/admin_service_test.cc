// Component tests: the real Admin service over gRPC on port 0.
#include "controlplane/api/test_server.h"

namespace lattice::api {
namespace {

using testing::Eventually;
using testing::NewKey;
using testing::ServerTest;

// A second server on a port in use fails to start instead of sharing it (SO_REUSEPORT off).
TEST_F(ServerTest, APortInUseIsRefused) {
  ServerOptions options;
  options.address = "127.0.0.1:" + std::to_string(server_->port());
  auto second = ControlServer::Start(options, frontend_.get(), auth_.get());
  EXPECT_FALSE(second.ok());
}

TEST_F(ServerTest, UnauthenticatedCallsAreRefused) {
  v1::GetOperatorRequest req;
  v1::Operator resp;
  grpc::ClientContext none;
  EXPECT_EQ(admin_->GetOperator(&none, req, &resp).error_code(), grpc::UNAUTHENTICATED);
  grpc::ClientContext wrong;
  wrong.AddMetadata("authorization", "Bearer not-the-token-at-all");
  EXPECT_EQ(admin_->GetOperator(&wrong, req, &resp).error_code(), grpc::UNAUTHENTICATED);
  v1::PutOperatorRequest put;
  put.set_jwt(op_jwt_);
  v1::WriteResponse write;
  grpc::ClientContext none2;
  EXPECT_EQ(admin_->PutOperator(&none2, put, &write).error_code(), grpc::UNAUTHENTICATED);
  EXPECT_EQ(frontend_->revision(), 0u);
  EXPECT_EQ(admin_->GetOperator(Authed().get(), req, &resp).error_code(), grpc::NOT_FOUND);
}

TEST_F(ServerTest, AccountsOverGrpcWithPlansAndCas) {
  PutOperator();
  nkeys::KeyPair acc = NewKey(nkeys::KeyType::kAccount);
  v1::PutAccountRequest put;
  put.set_jwt(AccountJwt(acc, "orders", jwt::NowSeconds()));
  put.set_dry_run(true);
  v1::WriteResponse resp;
  ASSERT_TRUE(admin_->PutAccount(Authed().get(), put, &resp).ok());
  EXPECT_FALSE(resp.applied());
  ASSERT_EQ(resp.plan().changes_size(), 1);
  EXPECT_EQ(resp.plan().changes(0).op(), v1::Change::OP_CREATE);
  put.set_dry_run(false);
  ASSERT_TRUE(admin_->PutAccount(Authed().get(), put, &resp).ok());
  EXPECT_TRUE(resp.applied());
  EXPECT_EQ(resp.key(), acc.public_key().str());

  v1::GetAccountRequest get;
  get.set_public_key("orders");
  v1::Account account;
  ASSERT_TRUE(admin_->GetAccount(Authed().get(), get, &account).ok());
  EXPECT_EQ(account.public_key(), acc.public_key().str());
  EXPECT_EQ(account.meta().updated_by(), "token:admin");

  v1::DeleteAccountRequest del;
  del.set_public_key(acc.public_key().str());
  del.set_expected_revision(account.meta().revision() + 1);
  grpc::Status aborted = admin_->DeleteAccount(Authed().get(), del, &resp);
  EXPECT_EQ(aborted.error_code(), grpc::ABORTED) << aborted.error_message();
  del.set_expected_revision(account.meta().revision());
  ASSERT_TRUE(admin_->DeleteAccount(Authed().get(), del, &resp).ok());

  v1::ListAccountsResponse list;
  ASSERT_TRUE(admin_->ListAccounts(Authed().get(), v1::ListAccountsRequest(), &list).ok());
  EXPECT_EQ(list.accounts_size(), 0);

  nkeys::KeyPair stranger = NewKey(nkeys::KeyType::kOperator);
  auto claims = jwt::NewAccountClaims(*nkeys::AccountPublicKey::FromKey(acc.public_key()));
  put.set_jwt(*jwt::Encode(claims, stranger));
  EXPECT_EQ(admin_->PutAccount(Authed().get(), put, &resp).error_code(), grpc::PERMISSION_DENIED);

  v1::ListAuditResponse audit;
  ASSERT_TRUE(admin_->ListAudit(Authed().get(), v1::ListAuditRequest(), &audit).ok());
  ASSERT_EQ(audit.entries_size(), 3);
  EXPECT_EQ(audit.entries(2).reason(), "DeleteAccount");
}

TEST_F(ServerTest, WatchSendsBacklogSyncedThenLiveChanges) {
  PutOperator();
  nkeys::KeyPair a = NewKey(nkeys::KeyType::kAccount);
  v1::PutAccountRequest put;
  put.set_jwt(AccountJwt(a, "a", jwt::NowSeconds()));
  v1::WriteResponse resp;
  ASSERT_TRUE(admin_->PutAccount(Authed().get(), put, &resp).ok());

  auto ctx = Authed();
  v1::WatchRequest req;
  req.add_kinds("account");
  auto reader = admin_->Watch(ctx.get(), req);
  v1::WatchEvent event;
  ASSERT_TRUE(reader->Read(&event));
  EXPECT_EQ(event.kind(), "account");
  EXPECT_EQ(event.account().public_key(), a.public_key().str());
  ASSERT_TRUE(reader->Read(&event));
  EXPECT_TRUE(event.synced());
  EXPECT_EQ(event.revision(), 2u);

  nkeys::KeyPair b = NewKey(nkeys::KeyType::kAccount);
  put.set_jwt(AccountJwt(b, "b", jwt::NowSeconds()));
  ASSERT_TRUE(admin_->PutAccount(Authed().get(), put, &resp).ok());
  ASSERT_TRUE(reader->Read(&event));
  EXPECT_EQ(event.revision(), 3u);
  EXPECT_EQ(event.account().name(), "b");
  ctx->TryCancel();
  while (reader->Read(&event)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::CANCELLED);

  grpc::ClientContext none;
  auto refused = admin_->Watch(&none, req);
  EXPECT_FALSE(refused->Read(&event));
  EXPECT_EQ(refused->Finish().error_code(), grpc::UNAUTHENTICATED);
}

TEST_F(ServerTest, TopologyOverGrpc) {
  v1::PutTopologyRequest put;
  put.mutable_object()->mutable_cluster()->set_name("east");
  v1::WriteResponse resp;
  ASSERT_TRUE(admin_->PutTopology(Authed().get(), put, &resp).ok());
  put.set_create_only(true);
  EXPECT_EQ(admin_->PutTopology(Authed().get(), put, &resp).error_code(), grpc::ALREADY_EXISTS);
  v1::PutTopologyRequest gw;
  gw.mutable_object()->mutable_gateway()->set_from_cluster("east");
  gw.mutable_object()->mutable_gateway()->set_to_cluster("west");
  grpc::Status refused = admin_->PutTopology(Authed().get(), gw, &resp);
  EXPECT_EQ(refused.error_code(), grpc::FAILED_PRECONDITION);
  EXPECT_NE(refused.error_message().find("\"west\" does not exist"), std::string::npos);
  v1::ListTopologyRequest list;
  list.set_kind(v1::TOPOLOGY_KIND_CLUSTER);
  v1::ListTopologyResponse objects;
  ASSERT_TRUE(admin_->ListTopology(Authed().get(), list, &objects).ok());
  ASSERT_EQ(objects.objects_size(), 1);
  EXPECT_EQ(objects.objects(0).cluster().name(), "east");
}

}  // namespace
}  // namespace lattice::api
