// SysResolver against a real nats-server (operator mode, system account, MEMORY resolver):
// $SYS claim lookup, list and update requests, and change announcements.
#include "accountd/sys_resolver.h"

#include <fstream>
#include <memory>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include <nats/nats.h>

#include "accountd/testing/fake_source.h"
#include "accountd/testing/process.h"
#include "accountd/testing/temp_dir.h"
#include "accountd/testing/test_chain.h"

namespace lattice::accountd {
namespace {

using ::testing::Contains;
using testing::FakeSource;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using testing::TestOperator;

struct NatsDeleter {
  void operator()(natsConnection* nc) const { natsConnection_Destroy(nc); }
  void operator()(natsSubscription* sub) const { natsSubscription_Destroy(sub); }
  void operator()(natsMsg* msg) const { natsMsg_Destroy(msg); }
};
using Connection = std::unique_ptr<natsConnection, NatsDeleter>;
using Subscription = std::unique_ptr<natsSubscription, NatsDeleter>;
using Message = std::unique_ptr<natsMsg, NatsDeleter>;

std::string Data(const Message& msg) {
  return std::string(natsMsg_GetData(msg.get()), natsMsg_GetDataLength(msg.get()));
}

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::trunc) << text;
}

class SysResolverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("sysres");
    WriteText(dir_ + "/op.jwt", op_.jwt());
    WriteText(dir_ + "/sys.creds", op_.SystemUserCreds());
    WriteText(dir_ + "/client.creds", op_.SystemUserCreds());
    absl::StatusOr<testing::NatsServer> server = testing::StartNatsServer(
        dir_, "operator: \"" + dir_ + "/op.jwt\"\nsystem_account: " + op_.system_account() +
                  "\nresolver: MEMORY\nresolver_preload: {\n  " + op_.system_account() + ": \"" +
                  op_.system_account_jwt() + "\"\n}\n");
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::make_unique<testing::NatsServer>(*std::move(server));

    auto cache = AccountCache::Create(op_.jwt(), "");
    ASSERT_TRUE(cache.ok());
    cache_ = *std::move(cache);
    ASSERT_TRUE(cache_->Put(op_.system_account_jwt()).ok());
    ASSERT_TRUE(cache_->Put(op_.AccountJwt(a_, "A")).ok());
    resolver_ = std::make_unique<Resolver>(*cache_, &source_);
    ASSERT_TRUE(source_.Start(resolver_.get()).ok());
    sys_ = std::make_unique<SysResolver>(*resolver_,
                                         SysResolverOptions{server_->url(), dir_ + "/sys.creds"});
    resolver_->AddAnnouncer([this](const AccountEntry& e) { sys_->Announce(e); });
    ASSERT_TRUE(sys_->Start().ok());

    natsOptions* opts = nullptr;
    ASSERT_EQ(natsOptions_Create(&opts), NATS_OK);
    natsOptions_SetURL(opts, server_->url().c_str());
    natsOptions_SetUserCredentialsFromFiles(opts, (dir_ + "/client.creds").c_str(), nullptr);
    natsConnection* nc = nullptr;
    natsStatus s = NATS_ERR;
    // Under load libnats 3.4.1 now and then sends CONNECT without the nonce signature
    // (nats-server: "Signature missing"); a new attempt succeeds. Bounded retries.
    for (int attempt = 0; attempt < 5 && s != NATS_OK; ++attempt)
      s = natsConnection_Connect(&nc, opts);
    natsOptions_Destroy(opts);
    ASSERT_EQ(s, NATS_OK) << natsStatus_GetText(s) << " " << server_->process.Log();
    client_.reset(nc);
    // accountd's subscriptions reach the server asynchronously: wait until LIST is answered.
    ASSERT_TRUE(testing::Eventually([this] { return Request("$SYS.REQ.CLAIMS.LIST", "", 200); }))
        << server_->process.Log();
  }

  void TearDown() override {
    client_.reset();
    sys_->Stop();
  }

  Message Request(const std::string& subject, const std::string& data, int64_t timeout_ms = 5000) {
    natsMsg* reply = nullptr;
    natsConnection_Request(&reply, client_.get(), subject.c_str(), data.data(),
                           static_cast<int>(data.size()), timeout_ms);
    return Message(reply);
  }
  Subscription SubscribeSync(const std::string& subject) {
    natsSubscription* sub = nullptr;
    EXPECT_EQ(natsConnection_SubscribeSync(&sub, client_.get(), subject.c_str()), NATS_OK);
    EXPECT_EQ(natsConnection_Flush(client_.get()), NATS_OK);
    return Subscription(sub);
  }
  Message Next(const Subscription& sub) {
    natsMsg* msg = nullptr;
    natsSubscription_NextMsg(&msg, sub.get(), 10000);
    return Message(msg);
  }
  std::string Key(const nkeys::KeyPair& kp) { return kp.public_key().str(); }

  TestOperator op_;
  nkeys::KeyPair a_ = TestOperator::NewAccountKey();
  std::string dir_;
  std::unique_ptr<testing::NatsServer> server_;
  FakeSource source_;
  std::unique_ptr<AccountCache> cache_;
  std::unique_ptr<Resolver> resolver_;
  std::unique_ptr<SysResolver> sys_;
  Connection client_;
};

TEST_F(SysResolverTest, LookupAnswersKnownAccountsAndIgnoresUnknownOnes) {
  Subscription inbox = SubscribeSync("_INBOX.lookup");
  nkeys::KeyPair unknown = TestOperator::NewAccountKey();
  // The unknown lookup goes first on the same inbox: if it were answered, it would arrive first.
  ASSERT_EQ(natsConnection_PublishRequestString(
                client_.get(), ("$SYS.REQ.ACCOUNT." + Key(unknown) + ".CLAIMS.LOOKUP").c_str(),
                "_INBOX.lookup", ""),
            NATS_OK);
  ASSERT_EQ(natsConnection_PublishRequestString(
                client_.get(), ("$SYS.REQ.ACCOUNT." + Key(a_) + ".CLAIMS.LOOKUP").c_str(),
                "_INBOX.lookup", ""),
            NATS_OK);
  Message reply = Next(inbox);
  ASSERT_NE(reply, nullptr);
  EXPECT_EQ(Data(reply), cache_->Get(Key(a_))->jwt);
}

TEST_F(SysResolverTest, ListReturnsEveryAccountId) {
  Message reply = Request("$SYS.REQ.CLAIMS.LIST", "");
  ASSERT_NE(reply, nullptr);
  nlohmann::json body = nlohmann::json::parse(Data(reply));
  EXPECT_THAT(body["data"].get<std::vector<std::string>>(), Contains(Key(a_)));
  EXPECT_THAT(body["data"].get<std::vector<std::string>>(), Contains(op_.system_account()));
  EXPECT_EQ(body["data"].size(), 2u);
  EXPECT_THAT(body["server"]["id"].get<std::string>(), StartsWith("N"));
}

TEST_F(SysResolverTest, UpdateValidatesStoresWritesThroughAndAnnounces) {
  Subscription updates = SubscribeSync("$SYS.ACCOUNT.*.CLAIMS.UPDATE");
  nkeys::KeyPair b = TestOperator::NewAccountKey();
  const std::string token = op_.AccountJwt(b, "B");
  Message reply = Request("$SYS.REQ.CLAIMS.UPDATE", token);
  ASSERT_NE(reply, nullptr);
  nlohmann::json body = nlohmann::json::parse(Data(reply));
  EXPECT_EQ(body["data"]["account"], Key(b));
  EXPECT_EQ(body["data"]["code"], 200);
  EXPECT_EQ(body["data"]["message"], "jwt updated");
  EXPECT_EQ(cache_->Get(Key(b))->jwt, token);
  EXPECT_EQ(source_.posts().at(Key(b)), token);

  Message announced = Next(updates);
  ASSERT_NE(announced, nullptr);
  EXPECT_EQ(std::string(natsMsg_GetSubject(announced.get())),
            "$SYS.ACCOUNT." + Key(b) + ".CLAIMS.UPDATE");
  EXPECT_EQ(Data(announced), token);
}

TEST_F(SysResolverTest, UpdateErrorsUseNatsServerShapes) {
  Message garbage = Request("$SYS.REQ.CLAIMS.UPDATE", "garbage");
  ASSERT_NE(garbage, nullptr);
  nlohmann::json body = nlohmann::json::parse(Data(garbage));
  EXPECT_EQ(body["error"]["account"], "n/a");
  EXPECT_EQ(body["error"]["code"], 500);
  EXPECT_THAT(body["error"]["description"].get<std::string>(),
              StartsWith("jwt update resulted in error - "));

  TestOperator other;
  nkeys::KeyPair b = TestOperator::NewAccountKey();
  Message untrusted = Request("$SYS.REQ.CLAIMS.UPDATE", other.AccountJwt(b, "B"));
  ASSERT_NE(untrusted, nullptr);
  body = nlohmann::json::parse(Data(untrusted));
  EXPECT_EQ(body["error"]["account"], Key(b));
  EXPECT_THAT(body["error"]["description"].get<std::string>(),
              StartsWith("jwt validation failed - "));

  source_.set_reachable(false);
  Message down = Request("$SYS.REQ.CLAIMS.UPDATE", op_.AccountJwt(b, "B"));
  ASSERT_NE(down, nullptr);
  body = nlohmann::json::parse(Data(down));
  EXPECT_THAT(body["error"]["description"].get<std::string>(), HasSubstr("unreachable"));
  EXPECT_EQ(cache_->Get(Key(b)), nullptr);
}

TEST_F(SysResolverTest, ChangesFromTheSourceAreAnnounced) {
  Subscription updates = SubscribeSync("$SYS.ACCOUNT." + Key(a_) + ".CLAIMS.UPDATE");
  const std::string token = op_.AccountJwt(a_, "A2", cache_->Get(Key(a_))->issued_at + 1);
  source_.sink()->OnUpsert(token);
  Message announced = Next(updates);
  ASSERT_NE(announced, nullptr);
  EXPECT_EQ(Data(announced), token);
}

}  // namespace
}  // namespace lattice::accountd
