// Differential TLS e2e: the same tls {} configs (certificates generated at test time) in
// nats-server and lattice-node, driven by libnats (natsOptions_SetSecure, CA and client
// certificates) and raw sockets; /connz TLS fields and ?state=closed compared by shape.
#include <signal.h>

#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nats/nats.h"
#include "nlohmann/json.hpp"

#include "dataplane/tls/test_pki.h"
#include "e2e/core/server_test.h"
#include "e2e/harness/eventually.h"
#include "e2e/harness/nats_client.h"
#include "e2e/harness/net.h"

namespace lattice::e2e {
namespace {

using ::testing::HasSubstr;

constexpr std::chrono::milliseconds kHttpTimeout{5000};

class TlsTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    dir_ = tls::testing::MakeTempDir();
    auto pki = tls::testing::StandardPki::Create(dir_);
    ASSERT_TRUE(pki.ok()) << pki.status();
    ca_ = std::move(pki->ca);
    other_ca_ = std::move(pki->other_ca);
    server_ = pki->server;
    alice_ = pki->alice;
    dave_ = pki->dave;
    mallory_ = pki->mallory;
  }

  // A tls {} block with the server certificate; `extra` goes inside the block.
  std::string TlsBlock(const std::string& extra = "") const {
    return absl::StrCat("tls {\n  cert_file: \"", server_.cert_file, "\"\n  key_file: \"",
                        server_.key_file, "\"\n  ca_file: \"", ca_->ca_file(), "\"\n", extra,
                        "}\n");
  }

  // libnats over TLS trusting our CA, optionally presenting `leaf`.
  absl::StatusOr<NatsConnection> ConnectTls(ServerProcess* server,
                                            const tls::testing::TestCa::Leaf* leaf = nullptr) {
    std::string url = absl::StrCat("tls://localhost:", server->port());
    std::string ca = ca_->ca_file();
    return ConnectNats(url, [&](natsOptions* o) {
      natsOptions_SetSecure(o, true);
      natsOptions_LoadCATrustedCertificates(o, ca.c_str());
      if (leaf != nullptr) {
        natsOptions_LoadCertificatesChain(o, leaf->cert_file.c_str(), leaf->key_file.c_str());
      }
    });
  }

  nlohmann::json Connz(ServerProcess* server, const std::string& query) {
    absl::StatusOr<std::string> body = HttpGet(server->http_port(), "/connz" + query, kHttpTimeout);
    EXPECT_TRUE(body.ok()) << body.status();
    return body.ok() ? nlohmann::json::parse(*body, nullptr, false) : nlohmann::json();
  }

  std::string dir_;
  std::unique_ptr<tls::testing::TestCa> ca_;
  std::unique_ptr<tls::testing::TestCa> other_ca_;
  tls::testing::TestCa::Leaf server_;
  tls::testing::TestCa::Leaf alice_;
  tls::testing::TestCa::Leaf dave_;
  tls::testing::TestCa::Leaf mallory_;
};

TEST_P(TlsTest, InfoInClearAdvertisesTls) {
  START_SERVER_OR_FAIL(server, {.config_text = TlsBlock()});
  ASSERT_OK_AND_ASSIGN(auto raw, RawClient::Connect(server->port()));
  ASSERT_OK_AND_ASSIGN(nlohmann::json info, raw->ReadInfo());
  EXPECT_EQ(info.value("tls_required", false), true) << info;
  EXPECT_FALSE(info.contains("tls_verify")) << info;

  START_SERVER_OR_FAIL(verifying, {.config_text = TlsBlock("  verify: true\n")});
  ASSERT_OK_AND_ASSIGN(auto raw2, RawClient::Connect(verifying->port()));
  ASSERT_OK_AND_ASSIGN(nlohmann::json info2, raw2->ReadInfo());
  EXPECT_EQ(info2.value("tls_required", false), true) << info2;
  EXPECT_EQ(info2.value("tls_verify", false), true) << info2;
}

TEST_P(TlsTest, PlainProtocolAfterInfoIsClosedWithoutReply) {
  START_SERVER_OR_FAIL(server, {.config_text = TlsBlock()});
  ASSERT_OK_AND_ASSIGN(auto raw, RawClient::Connect(server->port()));
  ASSERT_OK(raw->ReadInfo().status());
  ASSERT_OK(raw->Send("CONNECT {\"verbose\":true}\r\nPING\r\n"));
  EXPECT_TRUE(raw->WaitClosed());
  EXPECT_TRUE(raw->drained().empty());
}

TEST_P(TlsTest, LibnatsWithoutOurCaFailsVerification) {
  START_SERVER_OR_FAIL(server, {.config_text = TlsBlock()});
  // libnats upgrades to TLS on its own when INFO says tls_required, then fails to verify the
  // server without our CA: the same for both servers.
  auto nc = ConnectNats(server->url());
  ASSERT_FALSE(nc.ok());
  EXPECT_THAT(std::string(nc.status().message()), HasSubstr("SSL"));
}

TEST_P(TlsTest, LibnatsPubSubOverTls) {
  START_SERVER_OR_FAIL(server, {.config_text = TlsBlock(), .monitoring = true});
  ASSERT_OK_AND_ASSIGN(NatsConnection sub_nc, ConnectTls(server));
  ASSERT_OK_AND_ASSIGN(NatsConnection pub_nc, ConnectTls(server));
  natsSubscription* raw_sub = nullptr;
  ASSERT_EQ(natsConnection_SubscribeSync(&raw_sub, sub_nc.get(), "tls.>"), NATS_OK);
  NatsSubscription sub(raw_sub);
  ASSERT_EQ(natsConnection_Flush(sub_nc.get()), NATS_OK);
  // Sizes around the 16 KiB record size and a large one.
  std::vector<size_t> sizes = {0, 1, 16383, 16384, 16385, 100000, 900000};
  for (size_t size : sizes) {
    std::string payload(size, static_cast<char>('a' + size % 26));
    ASSERT_EQ(natsConnection_Publish(pub_nc.get(), "tls.big", payload.data(),
                                     static_cast<int>(payload.size())),
              NATS_OK);
  }
  for (int i = 0; i < 500; ++i) {
    std::string payload = absl::StrCat("m", i);
    ASSERT_EQ(natsConnection_PublishString(pub_nc.get(), "tls.small", payload.c_str()), NATS_OK);
  }
  ASSERT_EQ(natsConnection_Flush(pub_nc.get()), NATS_OK);
  for (size_t size : sizes) {
    natsMsg* raw_msg = nullptr;
    ASSERT_EQ(natsSubscription_NextMsg(&raw_msg, sub.get(), 5000), NATS_OK) << size;
    NatsMsg msg(raw_msg);
    ASSERT_EQ(static_cast<size_t>(natsMsg_GetDataLength(msg.get())), size);
    if (size > 0) {
      EXPECT_EQ(natsMsg_GetData(msg.get())[size - 1], static_cast<char>('a' + size % 26));
    }
  }
  for (int i = 0; i < 500; ++i) {
    natsMsg* raw_msg = nullptr;
    ASSERT_EQ(natsSubscription_NextMsg(&raw_msg, sub.get(), 5000), NATS_OK) << i;
    NatsMsg msg(raw_msg);
    EXPECT_EQ(std::string(natsMsg_GetData(msg.get())), absl::StrCat("m", i));
  }
  // /connz reports the negotiated TLS version and suite for both connections.
  nlohmann::json connz = Connz(server, "");
  ASSERT_TRUE(connz.contains("connections")) << connz;
  int tls_conns = 0;
  for (const auto& c : connz["connections"]) {
    if (c.value("tls_version", "") == "1.3") {
      EXPECT_THAT(c.value("tls_cipher_suite", ""), HasSubstr("TLS_AES_")) << c;
      ++tls_conns;
    }
  }
  EXPECT_EQ(tls_conns, 2) << connz;
}

TEST_P(TlsTest, VerifyNeedsACertificateFromTheConfiguredCa) {
  START_SERVER_OR_FAIL(server, {.config_text = TlsBlock("  verify: true\n")});
  {
    ASSERT_OK_AND_ASSIGN(NatsConnection nc, ConnectTls(server, &alice_));
    EXPECT_EQ(natsConnection_Flush(nc.get()), NATS_OK);
  }
  // Without a client certificate, or with one from another CA, no working connection.
  for (const tls::testing::TestCa::Leaf* leaf :
       std::vector<const tls::testing::TestCa::Leaf*>{nullptr, &mallory_}) {
    auto nc = ConnectTls(server, leaf);
    if (nc.ok()) {
      // TLS 1.3: the client may finish before the server's alert arrives.
      EXPECT_NE(natsConnection_FlushTimeout(nc->get(), 2000), NATS_OK);
    }
  }
}

TEST_P(TlsTest, VerifyAndMapMapsCertificateToUser) {
  std::string config = TlsBlock("  verify_and_map: true\n") + R"(
authorization {
  users = [
    {user: "alice@acme.test", permissions: {publish: "allowed.>", subscribe: "allowed.>"}}
    {user: "CN=someone,O=Acme"}
  ]
}
)";
  START_SERVER_OR_FAIL(server, {.config_text = config, .monitoring = true});
  ASSERT_OK_AND_ASSIGN(NatsConnection nc, ConnectTls(server, &alice_));
  ASSERT_EQ(natsConnection_Flush(nc.get()), NATS_OK);
  nlohmann::json connz = Connz(server, "?auth=1");
  ASSERT_EQ(connz.value("num_connections", 0), 1) << connz;
  EXPECT_EQ(connz["connections"][0].value("authorized_user", ""), "alice@acme.test") << connz;

  // The mapped user's permissions apply: a denied subscription is refused.
  natsSubscription* raw_sub = nullptr;
  ASSERT_EQ(natsConnection_SubscribeSync(&raw_sub, nc.get(), "denied"), NATS_OK);
  NatsSubscription sub(raw_sub);
  natsConnection_Flush(nc.get());
  EXPECT_TRUE(Eventually([&] {
    const char* text = nullptr;
    natsConnection_GetLastError(nc.get(), &text);
    return text != nullptr && std::string(text).find("Permissions Violation") != std::string::npos;
  }));

  // A certificate that names no configured user.
  auto dave = ConnectTls(server, &dave_);
  ASSERT_FALSE(dave.ok());
  EXPECT_THAT(std::string(dave.status().message()), HasSubstr("Authorization Violation"));
}

TEST_P(TlsTest, SighupReloadSwapsTlsSettings) {
  START_SERVER_OR_FAIL(server, {.config_text = TlsBlock()});
  ASSERT_OK_AND_ASSIGN(NatsConnection before, ConnectTls(server));
  ASSERT_OK(server->RewriteConfig(TlsBlock("  verify: true\n")));
  ASSERT_OK(server->Signal(SIGHUP));
  // New connections see the reloaded context: tls_verify in INFO, a client certificate needed.
  ASSERT_TRUE(Eventually([&] {
    auto raw = RawClient::Connect(server->port());
    if (!raw.ok()) {
      return false;
    }
    auto info = (*raw)->ReadInfo();
    return info.ok() && info->value("tls_verify", false);
  }));
  ASSERT_OK_AND_ASSIGN(NatsConnection with_cert, ConnectTls(server, &alice_));
  EXPECT_EQ(natsConnection_Flush(with_cert.get()), NATS_OK);
  // The connection made before the reload keeps working.
  EXPECT_EQ(natsConnection_Flush(before.get()), NATS_OK);
}

// The key set of /connz?state=closed entries (values differ: ports, times).
std::set<std::string> Keys(const nlohmann::json& object) {
  std::set<std::string> keys;
  for (auto it = object.begin(); it != object.end(); ++it) {
    keys.insert(it.key());
  }
  return keys;
}

TEST_P(TlsTest, ClosedConnectionsInConnz) {
  START_SERVER_OR_FAIL(server, {.config_text = TlsBlock(), .monitoring = true});
  {
    ASSERT_OK_AND_ASSIGN(NatsConnection nc, ConnectTls(server));
    ASSERT_EQ(natsConnection_Flush(nc.get()), NATS_OK);
  }
  // A plain client that fails the handshake.
  ASSERT_OK_AND_ASSIGN(auto raw, RawClient::Connect(server->port()));
  ASSERT_OK(raw->ReadInfo().status());
  ASSERT_OK(raw->Send("CONNECT {}\r\nPING\r\n"));
  EXPECT_TRUE(raw->WaitClosed());

  // Closed: the harness' readiness probes (each connects and hangs up before any handshake; a
  // slow start, as under TSan, takes more than one), the libnats client and the plain client.
  nlohmann::json closed;
  ASSERT_TRUE(Eventually([&] {
    closed = Connz(server, "?state=closed");
    return closed.value("total", 0) >= 3 &&
           closed["connections"].back().value("reason", "") == "TLS Handshake Failure" &&
           closed["connections"].size() == static_cast<size_t>(closed.value("total", 0));
  })) << closed;
  const auto& conns = closed["connections"];
  const size_t probes = conns.size() - 2;
  const nlohmann::json& libnats = conns[probes];
  const nlohmann::json& plain = conns[probes + 1];
  for (size_t i = 0; i < probes; ++i)
    EXPECT_EQ(conns[i].value("reason", ""), "TLS Handshake Failure") << closed;
  EXPECT_EQ(libnats.value("reason", ""), "Client Closed") << closed;
  EXPECT_EQ(libnats.value("tls_version", ""), "1.3") << closed;
  // Go's TLS 1.3 server preference, which lattice-node's context follows.
  EXPECT_EQ(libnats.value("tls_cipher_suite", ""), "TLS_AES_128_GCM_SHA256") << closed;
  EXPECT_EQ(plain.value("reason", ""), "TLS Handshake Failure") << closed;
  // Every entry has nats-server's keys; the libnats one exactly these (name aside).
  std::set<std::string> base = {"cid",      "kind",          "type",          "ip",      "port",
                                "start",    "last_activity", "stop",          "reason",  "rtt",
                                "uptime",   "idle",          "pending_bytes", "in_msgs", "out_msgs",
                                "in_bytes", "out_bytes",     "subscriptions"};
  EXPECT_EQ(Keys(conns[0]), base) << conns[0];
  EXPECT_EQ(Keys(plain), base) << plain;
  std::set<std::string> expected = base;
  expected.insert({"lang", "version", "tls_version", "tls_cipher_suite"});
  std::set<std::string> keys = Keys(libnats);
  keys.erase("name");
  EXPECT_EQ(keys, expected) << libnats;

  nlohmann::json all = Connz(server, "?state=all");
  EXPECT_EQ(all.value("total", 0), static_cast<int>(conns.size())) << all;
  nlohmann::json open = Connz(server, "?state=open");
  EXPECT_EQ(open.value("total", -1), 0) << open;
  // Sorting by stop is for closed connections only: HTTP 400 from both.
  auto bad = HttpGet(server->http_port(), "/connz?state=open&sort=stop", kHttpTimeout);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("400"));
}

LATTICE_E2E_INSTANTIATE(TlsTest);

}  // namespace
}  // namespace lattice::e2e
