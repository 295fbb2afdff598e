// ControlSource against an in-process fake Admin service: snapshot at `synced`, upserts,
// tombstones, resync after the server goes away, and PutAccount error mapping.
#include "accountd/control_source.h"

#include <deque>
#include <map>
#include <memory>

#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"

#include "accountd/testing/process.h"
#include "common/base/mutex.h"
#include "lattice/control/v1/admin.grpc.pb.h"

namespace lattice::accountd {
namespace {

namespace v1 = ::lattice::control::v1;
using ::testing::ElementsAre;
using testing::Eventually;
using ::testing::HasSubstr;

constexpr char kToken[] = "fake-token";

v1::WatchEvent AccountEvent(uint64_t revision, const std::string& key, const std::string& jwt,
                            bool tombstone = false) {
  v1::WatchEvent event;
  event.set_revision(revision);
  event.set_kind("account");
  event.set_key(key);
  event.mutable_account()->set_public_key(key);
  event.mutable_account()->set_jwt(jwt);
  event.mutable_account()->set_deleted(tombstone);
  return event;
}

// The Admin service subset accountd uses. Thread: gRPC's threads and the test's, under mu_.
class FakeAdmin final : public v1::Admin::Service {
 public:
  explicit FakeAdmin(std::map<std::string, std::string> accounts)
      : accounts_(std::move(accounts)) {}

  grpc::Status Watch(grpc::ServerContext* ctx, const v1::WatchRequest* req,
                     grpc::ServerWriter<v1::WatchEvent>* writer) override {
    if (!Authorized(ctx))
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "bad token");
    uint64_t revision = 0;
    {
      MutexLock lock(&mu_);
      for (const auto& [key, jwt] : accounts_)
        writer->Write(AccountEvent(++revision, key, jwt));
    }
    v1::WatchEvent synced;
    synced.set_synced(true);
    synced.set_revision(revision);
    writer->Write(synced);
    while (!ctx->IsCancelled()) {
      if (frozen())
        continue;  // a stopped process sends nothing more (the loop only waits for the cancel)
      std::deque<v1::WatchEvent> batch;
      {
        std::unique_lock<std::mutex> lock(mu_.native());
        pushed_.wait_for(lock, std::chrono::milliseconds(20));
        batch.swap(pending_);
      }
      for (const v1::WatchEvent& event : batch) {
        if (!writer->Write(event))
          return grpc::Status::OK;
      }
    }
    return grpc::Status::OK;
  }

  grpc::Status PutAccount(grpc::ServerContext* ctx, const v1::PutAccountRequest* req,
                          v1::WriteResponse* resp) override {
    if (!Authorized(ctx))
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "bad token");
    if (req->jwt() == "refused") {
      resp->mutable_plan()->add_errors("iat older than stored");
      return grpc::Status::OK;
    }
    if (req->jwt() == "invalid")
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "not a jwt");
    MutexLock lock(&mu_);
    puts_.push_back(req->jwt());
    resp->set_applied(true);
    return grpc::Status::OK;
  }

  // Alive: the replica view of a replicated control plane with a leader. Frozen (a SIGSTOPped
  // or hung replica): no answer until the caller gives up.
  grpc::Status ListReplicas(grpc::ServerContext* ctx, const v1::ListReplicasRequest*,
                            v1::ListReplicasResponse* resp) override {
    if (!Authorized(ctx))
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "bad token");
    while (frozen() && !ctx->IsCancelled()) {
      std::unique_lock<std::mutex> lock(mu_.native());
      pushed_.wait_for(lock, std::chrono::milliseconds(10));
    }
    MutexLock lock(&mu_);
    resp->set_replicated(true);
    resp->set_leader_id(isolated_ ? 0 : 1);
    return grpc::Status::OK;
  }

  void Freeze() {
    MutexLock lock(&mu_);
    frozen_ = true;
  }
  // Cut off from the other replicas: it still answers, and knows no leader.
  void Isolate() {
    MutexLock lock(&mu_);
    isolated_ = true;
  }
  bool frozen() {
    MutexLock lock(&mu_);
    return frozen_;
  }

  void Push(v1::WatchEvent event) {
    {
      MutexLock lock(&mu_);
      pending_.push_back(std::move(event));
    }
    pushed_.notify_all();
  }
  std::vector<std::string> puts() {
    MutexLock lock(&mu_);
    return puts_;
  }

 private:
  static bool Authorized(grpc::ServerContext* ctx) {
    auto it = ctx->client_metadata().find("authorization");
    return it != ctx->client_metadata().end() &&
           std::string(it->second.data(), it->second.size()) == std::string("Bearer ") + kToken;
  }

  Mutex mu_;
  std::condition_variable pushed_;
  std::map<std::string, std::string> accounts_ ABSL_GUARDED_BY(mu_);
  std::deque<v1::WatchEvent> pending_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> puts_ ABSL_GUARDED_BY(mu_);
  bool frozen_ ABSL_GUARDED_BY(mu_) = false;
  bool isolated_ ABSL_GUARDED_BY(mu_) = false;
};

// Records what the source delivers. Thread: the source's thread writes, the test reads.
class RecordingSink : public AccountSink {
 public:
  void OnSnapshot(const std::vector<std::string>& jwts) override {
    MutexLock lock(&mu_);
    snapshots_.push_back(jwts);
  }
  void OnUpsert(const std::string& jwt) override {
    MutexLock lock(&mu_);
    log_.push_back("upsert " + jwt);
  }
  void OnDelete(const std::string& key) override {
    MutexLock lock(&mu_);
    log_.push_back("delete " + key);
  }
  void OnConnected(bool connected) override {
    MutexLock lock(&mu_);
    connected_ = connected;
  }
  std::vector<std::vector<std::string>> snapshots() {
    MutexLock lock(&mu_);
    return snapshots_;
  }
  std::vector<std::string> log() {
    MutexLock lock(&mu_);
    return log_;
  }
  bool connected() {
    MutexLock lock(&mu_);
    return connected_;
  }

 private:
  Mutex mu_;
  std::vector<std::vector<std::string>> snapshots_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> log_ ABSL_GUARDED_BY(mu_);
  bool connected_ ABSL_GUARDED_BY(mu_) = false;
};

class ControlSourceTest : public ::testing::Test {
 protected:
  void StartServer(std::map<std::string, std::string> accounts, int port = 0) {
    admin_ = std::make_unique<FakeAdmin>(std::move(accounts));
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:" + std::to_string(port), grpc::InsecureServerCredentials(),
                             &port_);
    builder.RegisterService(admin_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
  }
  void StopServer() {
    server_->Shutdown(std::chrono::system_clock::now());
    server_->Wait();
    server_.reset();
  }
  void TearDown() override {
    if (source_ != nullptr)
      source_->Stop();
    if (server_ != nullptr)
      StopServer();
  }
  ControlSource& NewSource(const std::string& token = kToken) {
    ControlSourceOptions options;
    options.addresses = {"127.0.0.1:" + std::to_string(port_)};
    options.token = token;
    options.retry_wait = std::chrono::milliseconds(20);
    options.write_timeout = std::chrono::milliseconds(2000);
    source_ = std::make_unique<ControlSource>(std::move(options));
    return *source_;
  }

  int port_ = 0;
  std::unique_ptr<FakeAdmin> admin_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<ControlSource> source_;
  RecordingSink sink_;
};

TEST_F(ControlSourceTest, SnapshotThenChangesThenResyncAfterTheServerReturns) {
  StartServer({{"A1", "jwt-a"}, {"B1", "jwt-b"}});
  ASSERT_TRUE(NewSource().Start(&sink_).ok());
  ASSERT_TRUE(Eventually([&] { return sink_.connected(); }));
  EXPECT_THAT(sink_.snapshots(), ElementsAre(ElementsAre("jwt-a", "jwt-b")));

  admin_->Push(AccountEvent(3, "C1", "jwt-c"));
  admin_->Push(AccountEvent(4, "B1", "jwt-b", /*tombstone=*/true));
  ASSERT_TRUE(Eventually([&] { return sink_.log().size() == 2; }));
  EXPECT_THAT(sink_.log(), ElementsAre("upsert jwt-c", "delete B1"));

  const int port = port_;
  StopServer();
  ASSERT_TRUE(Eventually([&] { return !sink_.connected(); }));
  StartServer({{"A1", "jwt-a2"}}, port);
  ASSERT_TRUE(Eventually([&] { return sink_.connected() && sink_.snapshots().size() == 2; }));
  EXPECT_THAT(sink_.snapshots()[1], ElementsAre("jwt-a2"));
}

// Two replicas: the fixture's server (first in the list, so watched first) and a healthy one
// holding one more account; probes every 20 ms.
class TwoReplicaControlSourceTest : public ControlSourceTest {
 protected:
  void SetUp() override {
    StartServer({{"A1", "jwt-a"}});
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &healthy_port_);
    builder.RegisterService(&healthy_);
    healthy_server_ = builder.BuildAndStart();
    ASSERT_NE(healthy_server_, nullptr);

    ControlSourceOptions options;
    options.addresses = {"127.0.0.1:" + std::to_string(port_),
                         "127.0.0.1:" + std::to_string(healthy_port_)};
    options.token = kToken;
    options.retry_wait = std::chrono::milliseconds(20);
    options.probe_interval = std::chrono::milliseconds(20);
    options.probe_timeout = std::chrono::milliseconds(200);
    source_ = std::make_unique<ControlSource>(std::move(options));
    ASSERT_TRUE(source_->Start(&sink_).ok());
    ASSERT_TRUE(Eventually([&] { return sink_.connected(); }));
    EXPECT_THAT(sink_.snapshots(), ElementsAre(ElementsAre("jwt-a")));
    EXPECT_THAT(source_->Describe(), HasSubstr("(watching 127.0.0.1:" + std::to_string(port_)));
  }
  void TearDown() override {
    source_->Stop();
    healthy_server_->Shutdown(std::chrono::system_clock::now());
    healthy_server_->Wait();
    ControlSourceTest::TearDown();
  }

  // The next snapshot comes from the healthy replica, which is watched from then on.
  void ExpectMovedToTheHealthyReplica() {
    ASSERT_TRUE(Eventually([&] { return sink_.snapshots().size() == 2; }));
    EXPECT_THAT(sink_.snapshots()[1], ElementsAre("jwt-a", "jwt-b"));
    EXPECT_THAT(source_->Describe(),
                HasSubstr("(watching 127.0.0.1:" + std::to_string(healthy_port_)));
  }

  FakeAdmin healthy_{{{"A1", "jwt-a"}, {"B1", "jwt-b"}}};
  int healthy_port_ = 0;
  std::unique_ptr<grpc::Server> healthy_server_;
};

// A replica whose process stops (its TCP connection stays up, nothing answers) is left for the
// next one: the probe times out, the Watch is cancelled and the next replica's snapshot is used.
TEST_F(TwoReplicaControlSourceTest, AReplicaThatStopsAnsweringIsLeftForTheNext) {
  admin_->Freeze();
  ExpectMovedToTheHealthyReplica();
}

// A replica cut off from the others still answers, but knows no leader and serves what it had:
// after `leaderless_probes` such answers in a row its Watch ends too.
TEST_F(TwoReplicaControlSourceTest, AReplicaWithoutALeaderIsLeftForTheNext) {
  admin_->Isolate();
  ExpectMovedToTheHealthyReplica();
}

TEST_F(ControlSourceTest, WrongTokenNeverConnects) {
  StartServer({{"A1", "jwt-a"}});
  ControlSource& source = NewSource("wrong");
  ASSERT_TRUE(source.Start(&sink_).ok());
  EXPECT_EQ(source.Post("A1", "jwt").code(), absl::StatusCode::kInternal);
  EXPECT_FALSE(sink_.connected());
  EXPECT_TRUE(sink_.snapshots().empty());
}

TEST_F(ControlSourceTest, PostMapsControlPlaneAnswers) {
  StartServer({});
  ControlSource& source = NewSource();
  EXPECT_TRUE(source.Post("A1", "jwt-new").ok());
  EXPECT_THAT(admin_->puts(), ElementsAre("jwt-new"));
  absl::Status refused = source.Post("A1", "refused");
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(refused.message()), HasSubstr("iat older than stored"));
  EXPECT_EQ(source.Post("A1", "invalid").code(), absl::StatusCode::kInvalidArgument);
  StopServer();
  EXPECT_EQ(source.Post("A1", "jwt").code(), absl::StatusCode::kUnavailable);
}

TEST_F(ControlSourceTest, StopsPromptlyWhileWatching) {
  StartServer({{"A1", "jwt-a"}});
  ASSERT_TRUE(NewSource().Start(&sink_).ok());
  ASSERT_TRUE(Eventually([&] { return sink_.connected(); }));
  source_->Stop();  // cancels the open stream
  source_.reset();
}

}  // namespace
}  // namespace lattice::accountd
