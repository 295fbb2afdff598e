// Resolver option parsing, MemoryResolver, and UrlResolver against a real in-process HTTP server.
#include "dataplane/operator/resolver.h"

#include <atomic>
#include <future>
#include <map>
#include <thread>

#include "gtest/gtest.h"
#include "httplib.h"

#include "dataplane/operator/test_keys.h"

namespace lattice::operator_mode {
namespace {

TEST(ParseResolverOptionTest, Memory) {
  for (const char* v : {"MEMORY", "memory", " MEM ", "Mem"}) {
    auto cfg = ParseResolverOption(v);
    ASSERT_TRUE(cfg.ok()) << v;
    EXPECT_EQ(cfg->kind, ResolverConfig::Kind::kMemory);
  }
}

TEST(ParseResolverOptionTest, Url) {
  auto cfg = ParseResolverOption("URL(http://127.0.0.1:9090/jwt/v1/accounts/)");
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->kind, ResolverConfig::Kind::kUrl);
  EXPECT_EQ(cfg->url, "http://127.0.0.1:9090/jwt/v1/accounts/");
  cfg = ParseResolverOption("url( \"http://h:1/accounts\" )");
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->url, "http://h:1/accounts/");  // a '/' is added, as nats-server does
}

TEST(ParseResolverOptionTest, RefusesOthersClearly) {
  for (const char* v : {"", "full", "cache", "DIR(/tmp)", "URL()", "URL(ftp://x/)",
                        "URL(http:///a)", "URL(http://a b/)", "MEMORYX"}) {
    auto cfg = ParseResolverOption(v);
    EXPECT_FALSE(cfg.ok()) << v;
  }
  auto cfg = ParseResolverOption("full");
  EXPECT_NE(cfg.status().message().find("MEMORY"), std::string::npos);
  EXPECT_NE(cfg.status().message().find("directory"), std::string::npos);
}

TEST(MakeResolverTest, PreloadOnlyWithMemory) {
  ResolverConfig url{ResolverConfig::Kind::kUrl, "http://127.0.0.1:1/"};
  auto r = MakeResolver(url, {{"A", "jwt"}});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("resolver_preload"), std::string::npos);
  ResolverConfig mem;
  auto m = MakeResolver(mem, {{"A", "jwt"}});
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(*(*m)->FetchSync("A"), "jwt");
}

TEST(MemoryResolverTest, FetchStoreErase) {
  MemoryResolver r(std::map<std::string, std::string>{{"A1", "one"}});
  EXPECT_EQ(*r.FetchSync("A1"), "one");
  EXPECT_EQ(r.FetchSync("A2").status().code(), absl::StatusCode::kNotFound);
  r.Store("A2", "two");
  EXPECT_EQ(*r.FetchSync("A2"), "two");
  r.Erase("A1");
  EXPECT_EQ(r.FetchSync("A1").status().code(), absl::StatusCode::kNotFound);
}

// A real HTTP server on a loopback port, serving /jwt/v1/accounts/<key>.
class UrlResolverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.Get(R"(/jwt/v1/accounts/([A-Z0-9]+))",
                [this](const httplib::Request& req, httplib::Response& res) {
                  ++hits_;
                  std::string key = req.matches[1];
                  if (key == "ABROKEN") {
                    res.status = 500;
                    return;
                  }
                  if (key != "AKNOWN") {
                    res.status = 404;
                    return;
                  }
                  res.set_content("the-jwt\n", "application/jwt");
                });
    port_ = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running())  // listen() has not reached its accept loop yet
      std::this_thread::yield();
  }
  void TearDown() override {
    server_.stop();
    thread_.join();
  }
  UrlResolver::Config Config() {
    UrlResolver::Config c;
    c.url = "http://127.0.0.1:" + std::to_string(port_) + "/jwt/v1/accounts/";
    return c;
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::atomic<int> hits_{0};
};

TEST_F(UrlResolverTest, FetchesCachesAndMapsStatuses) {
  UrlResolver r(Config());
  auto jwt = r.FetchSync("AKNOWN");
  ASSERT_TRUE(jwt.ok()) << jwt.status();
  EXPECT_EQ(*jwt, "the-jwt");  // trailing whitespace trimmed
  EXPECT_EQ(*r.FetchSync("AKNOWN"), "the-jwt");
  EXPECT_EQ(r.requests_for_test(), 1);  // the second answer came from the cache
  EXPECT_EQ(hits_.load(), 1);

  EXPECT_EQ(r.FetchSync("AUNKNOWN").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(r.FetchSync("AUNKNOWN").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(r.requests_for_test(), 3);  // failures are not cached
  auto broken = r.FetchSync("ABROKEN");
  EXPECT_EQ(broken.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(broken.status().message().find("500"), std::string::npos);

  r.ClearCacheForTest();
  EXPECT_EQ(*r.FetchSync("AKNOWN"), "the-jwt");
  EXPECT_EQ(r.requests_for_test(), 5);
}

TEST_F(UrlResolverTest, StoredJwtsAreServedWithoutARequest) {
  UrlResolver r(Config());
  r.Store("AOTHER", "pushed");
  EXPECT_EQ(*r.FetchSync("AOTHER"), "pushed");
  EXPECT_EQ(r.requests_for_test(), 0);
  r.Erase("AOTHER");
  EXPECT_EQ(r.FetchSync("AOTHER").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(UrlResolverTest, AsyncFetchAnswersOnTheWorker) {
  UrlResolver r(Config());
  std::promise<absl::StatusOr<std::string>> got;
  r.Fetch("AKNOWN", [&got](absl::StatusOr<std::string> jwt) { got.set_value(std::move(jwt)); });
  auto jwt = got.get_future().get();
  ASSERT_TRUE(jwt.ok());
  EXPECT_EQ(*jwt, "the-jwt");
}

TEST_F(UrlResolverTest, RefusesNonBase32KeysWithoutARequest) {
  UrlResolver r(Config());
  EXPECT_EQ(r.FetchSync("../../etc").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.requests_for_test(), 0);
}

TEST(UrlResolverNoServerTest, ConnectionRefusedIsUnavailable) {
  // Bind then release a port so nothing listens there.
  httplib::Server probe;
  int port = probe.bind_to_any_port("127.0.0.1");
  probe.stop();
  UrlResolver::Config c;
  c.url = "http://127.0.0.1:" + std::to_string(port) + "/";
  c.timeout = std::chrono::milliseconds(500);
  UrlResolver r(c);
  EXPECT_EQ(r.FetchSync("AKEY").status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace lattice::operator_mode
