// HttpResolver on port 0, driven by cpp-httplib's client: the routes nats-server and
// nats-account-server users rely on.
#include "accountd/http_resolver.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "nlohmann/json.hpp"

#include "accountd/testing/fake_source.h"
#include "accountd/testing/test_chain.h"

namespace lattice::accountd {
namespace {

using testing::FakeSource;
using ::testing::HasSubstr;
using testing::TestOperator;

constexpr int64_t kNow = 1'900'000'000;

class HttpResolverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cache = AccountCache::Create(op_.jwt(), "", [this] { return now_; });
    ASSERT_TRUE(cache.ok()) << cache.status();
    cache_ = *std::move(cache);
    resolver_ = std::make_unique<Resolver>(*cache_, &source_);
    resolver_->AddAnnouncer([this](const AccountEntry& e) { announced_.push_back(e.public_key); });
    ASSERT_TRUE(source_.Start(resolver_.get()).ok());
    http_ = std::make_unique<HttpResolver>(*resolver_);
    ASSERT_TRUE(http_->Start("127.0.0.1", 0).ok());
    client_ = std::make_unique<httplib::Client>("127.0.0.1", http_->port());
  }
  void TearDown() override { http_->Stop(); }

  std::string Key() const { return acc_.public_key().str(); }
  std::string Path() const { return "/jwt/v1/accounts/" + Key(); }

  int64_t now_ = kNow;
  TestOperator op_;
  nkeys::KeyPair acc_ = TestOperator::NewAccountKey();
  FakeSource source_;
  std::unique_ptr<AccountCache> cache_;
  std::unique_ptr<Resolver> resolver_;
  std::unique_ptr<HttpResolver> http_;
  std::unique_ptr<httplib::Client> client_;
  std::vector<std::string> announced_;  // written on the HTTP thread before the reply is sent
};

TEST_F(HttpResolverTest, ProbeAnswers200WithAndWithoutSlash) {
  for (const char* path : {"/jwt/v1/accounts/", "/jwt/v1/accounts"}) {
    auto res = client_->Get(path);
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 200) << path;
    EXPECT_EQ(res->body, "");
  }
}

TEST_F(HttpResolverTest, UnknownAccountIs404TextPlain) {
  auto res = client_->Get(Path());
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  EXPECT_THAT(res->get_header_value("Content-Type"), HasSubstr("text/plain"));
  auto other = client_->Get("/nope");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 404);
}

TEST_F(HttpResolverTest, ServesJwtWithEtagAnd304) {
  const std::string token = op_.AccountJwt(acc_, "A", kNow);
  ASSERT_TRUE(cache_->Put(token).ok());
  const std::string jti = cache_->Get(Key())->jti;

  auto res = client_->Get(Path());
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, token);
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/jwt");
  EXPECT_EQ(res->get_header_value("ETag"), "\"" + jti + "\"");

  for (const std::string& tag :
       {"\"" + jti + "\"", jti, "W/\"" + jti + "\"", "\"x\", \"" + jti + "\""}) {
    auto cached = client_->Get(Path(), {{"If-None-Match", tag}});
    ASSERT_TRUE(cached);
    EXPECT_EQ(cached->status, 304) << tag;
    EXPECT_EQ(cached->body, "");
  }
  auto stale = client_->Get(Path(), {{"If-None-Match", "\"old\""}});
  ASSERT_TRUE(stale);
  EXPECT_EQ(stale->status, 200);
  EXPECT_EQ(stale->body, token);

  auto text = client_->Get(Path() + "?text=true");
  ASSERT_TRUE(text);
  EXPECT_THAT(text->get_header_value("Content-Type"), HasSubstr("text/plain"));
  EXPECT_EQ(text->body, token);
}

TEST_F(HttpResolverTest, DecodeReturnsClaimsJson) {
  ASSERT_TRUE(cache_->Put(op_.AccountJwt(acc_, "A", kNow)).ok());
  auto res = client_->Get(Path() + "?decode=true");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  nlohmann::json body = nlohmann::json::parse(res->body);
  EXPECT_EQ(body["claims"]["sub"], Key());
  EXPECT_EQ(body["claims"]["name"], "A");
  EXPECT_EQ(body["header"]["alg"], "ed25519-nkey");
}

TEST_F(HttpResolverTest, CheckHidesExpiredAndNotifyReannounces) {
  jwt::AccountClaims claims =
      jwt::NewAccountClaims(*nkeys::AccountPublicKey::FromKey(acc_.public_key()));
  claims.std.expires = kNow + 10;
  ASSERT_TRUE(cache_->Put(op_.SignAccount(claims, kNow)).ok());
  ASSERT_EQ(announced_.size(), 1u);  // the Put itself

  auto fresh = client_->Get(Path() + "?check=true&notify=true");
  ASSERT_TRUE(fresh);
  EXPECT_EQ(fresh->status, 200);
  EXPECT_EQ(announced_.size(), 2u);

  now_ = kNow + 11;
  auto expired = client_->Get(Path() + "?check=true");
  ASSERT_TRUE(expired);
  EXPECT_EQ(expired->status, 404);
  EXPECT_THAT(expired->body, HasSubstr("expired"));
  auto unchecked = client_->Get(Path());
  ASSERT_TRUE(unchecked);
  EXPECT_EQ(unchecked->status, 200);
}

TEST_F(HttpResolverTest, PostValidatesWritesThroughAndAnnounces) {
  const std::string token = op_.AccountJwt(acc_, "A", kNow);
  auto res = client_->Post(Path(), token + "\n", "application/jwt");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(source_.posts().at(Key()), token);
  EXPECT_EQ(cache_->Get(Key())->jwt, token);
  EXPECT_EQ(announced_, std::vector<std::string>{Key()});

  auto get = client_->Get(Path());
  ASSERT_TRUE(get);
  EXPECT_EQ(get->body, token);
}

TEST_F(HttpResolverTest, PostRejectsBadUntrustedMismatchedAndStale) {
  auto garbage = client_->Post(Path(), "not-a-jwt", "application/jwt");
  ASSERT_TRUE(garbage);
  EXPECT_EQ(garbage->status, 400);
  EXPECT_THAT(garbage->get_header_value("Content-Type"), HasSubstr("text/plain"));

  TestOperator other;
  auto untrusted = client_->Post(Path(), other.AccountJwt(acc_, "A"), "application/jwt");
  ASSERT_TRUE(untrusted);
  EXPECT_EQ(untrusted->status, 400);

  nkeys::KeyPair b = TestOperator::NewAccountKey();
  auto mismatch = client_->Post(Path(), op_.AccountJwt(b, "B"), "application/jwt");
  ASSERT_TRUE(mismatch);
  EXPECT_EQ(mismatch->status, 400);
  EXPECT_THAT(mismatch->body, HasSubstr("subject does not match"));

  auto bad_key = client_->Post("/jwt/v1/accounts/UABC", op_.AccountJwt(b, "B"), "application/jwt");
  ASSERT_TRUE(bad_key);
  EXPECT_EQ(bad_key->status, 400);

  ASSERT_TRUE(client_->Post(Path(), op_.AccountJwt(acc_, "new", kNow), "application/jwt"));
  auto stale = client_->Post(Path(), op_.AccountJwt(acc_, "old", kNow - 60), "application/jwt");
  ASSERT_TRUE(stale);
  EXPECT_EQ(stale->status, 400);
  EXPECT_EQ(cache_->Get(Key())->name, "new");
  EXPECT_EQ(source_.posts().size(), 1u);
}

TEST_F(HttpResolverTest, PostFailsWhenSourceIsDownButReadsKeepServing) {
  const std::string token = op_.AccountJwt(acc_, "A", kNow);
  ASSERT_TRUE(cache_->Put(token).ok());
  source_.set_reachable(false);
  resolver_->OnConnected(false);

  nkeys::KeyPair b = TestOperator::NewAccountKey();
  auto post = client_->Post("/jwt/v1/accounts/" + b.public_key().str(), op_.AccountJwt(b, "B"),
                            "application/jwt");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 503);
  EXPECT_EQ(cache_->Get(b.public_key().str()), nullptr);  // never reported as saved

  auto get = client_->Get(Path());
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 200);
  EXPECT_EQ(get->body, token);
  auto health = client_->Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  nlohmann::json body = nlohmann::json::parse(health->body);
  EXPECT_EQ(body["source_connected"], false);
  EXPECT_EQ(body["accounts"], 1);
}

TEST_F(HttpResolverTest, HostileRequestsAreRefusedWithoutHarm) {
  auto empty = client_->Post(Path(), "", "application/jwt");
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->status, 400);
  auto huge = client_->Post(Path(), std::string(2 << 20, 'a'), "application/jwt");
  if (huge) {  // the server may close before the client finished sending
    EXPECT_EQ(huge->status, 413);
  }
  auto dots = client_->Post("/jwt/v1/accounts/..%2F..%2Fetc", "x", "application/jwt");
  ASSERT_TRUE(dots);
  EXPECT_EQ(dots->status, 404);  // httplib decodes %2F first: no route has a '/' in the key
  auto nested = client_->Get("/jwt/v1/accounts/" + Key() + "/extra");
  ASSERT_TRUE(nested);
  EXPECT_EQ(nested->status, 404);
  auto binary = client_->Post(Path(), std::string("\0\xff.\x01.\x02", 6), "application/jwt");
  ASSERT_TRUE(binary);
  EXPECT_EQ(binary->status, 400);
  EXPECT_EQ(cache_->size(), 0u);
  EXPECT_TRUE(source_.posts().empty());
  // Still serving.
  auto probe = client_->Get("/jwt/v1/accounts/");
  ASSERT_TRUE(probe);
  EXPECT_EQ(probe->status, 200);
}

TEST_F(HttpResolverTest, OperatorAndHelp) {
  auto op = client_->Get("/jwt/v1/operator");
  ASSERT_TRUE(op);
  EXPECT_EQ(op->status, 200);
  EXPECT_EQ(op->body, op_.jwt());
  auto help = client_->Get("/jwt/v1/help");
  ASSERT_TRUE(help);
  EXPECT_EQ(help->status, 200);
}

}  // namespace
}  // namespace lattice::accountd
