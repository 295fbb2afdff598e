// Tests for LoadConfigFile: each nats-server key's mapping and each error message.
#include "dataplane/options/options.h"

#include <string>

#include "absl/strings/match.h"
#include <gtest/gtest.h>

#include "dataplane/options/options_test_util.h"

namespace lattice::options {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

class LoadConfigTest : public ::testing::Test {
 protected:
  Options Load(absl::string_view text) {
    const std::string path = dir_.Write("node.conf", text);
    absl::StatusOr<Options> options = LoadConfigFile(path);
    EXPECT_TRUE(options.ok()) << options.status() << "\n" << text;
    return options.ok() ? *options : Options();
  }

  std::string Error(absl::string_view text) {
    const std::string path = dir_.Write("node.conf", text);
    absl::StatusOr<Options> options = LoadConfigFile(path);
    EXPECT_FALSE(options.ok()) << text;
    return options.ok() ? "" : std::string(options.status().message());
  }

  testing::TempConfigDir dir_;
};

TEST_F(LoadConfigTest, DefaultsWhenEmpty) {
  const Options o = Load("# nothing\n");
  EXPECT_EQ(o.port, 4222);
  EXPECT_EQ(o.host, "0.0.0.0");
  EXPECT_EQ(o.max_payload, 1024 * 1024);
  EXPECT_TRUE(o.logtime);
  EXPECT_TRUE(absl::EndsWith(o.config_file, "node.conf"));
}

TEST_F(LoadConfigTest, Listeners) {
  Options o = Load("listen: 127.0.0.1:4333\nserver_name: n1\nhttp: localhost:8222\n");
  EXPECT_EQ(o.host, "127.0.0.1");
  EXPECT_EQ(o.port, 4333);
  EXPECT_EQ(o.server_name, "n1");
  EXPECT_EQ(o.http_host, "localhost");
  EXPECT_EQ(o.http_port, 8222);

  o = Load("host: 10.0.0.1\nport: -1\nhttp_port: 8000\nclient_advertise: \"ex.com:4222\"\n");
  EXPECT_EQ(o.host, "10.0.0.1");
  EXPECT_EQ(o.port, -1);
  EXPECT_EQ(o.http_port, 8000);
  EXPECT_EQ(o.client_advertise, std::vector<std::string>{"ex.com:4222"});

  o = Load("net: ::1\nlisten: 5000\nmonitor_port: 9000\nhttp: 9100\n");
  EXPECT_EQ(o.host, "::1");
  EXPECT_EQ(o.port, 5000);
  EXPECT_EQ(o.http_port, 9100);  // later key wins

  o = Load("listen: \"[::1]:4555\"\n");
  EXPECT_EQ(o.host, "::1");
  EXPECT_EQ(o.port, 4555);
}

TEST_F(LoadConfigTest, LimitsAndTimers) {
  const Options o = Load(
      "max_payload: 2MB\nmax_control_line: 8KB\nmax_connections: 100\nmax_subscriptions: 7\n"
      "max_pending: 32MB\nwrite_deadline: \"5s\"\nping_interval: \"30s\"\nping_max: 4\n"
      "lame_duck_duration: \"45s\"\nlame_duck_grace_period: \"3s\"\nworker_threads: 2\n");
  EXPECT_EQ(o.max_payload, 2 * 1024 * 1024);
  EXPECT_EQ(o.max_control_line, 8192);
  EXPECT_EQ(o.max_connections, 100);
  EXPECT_EQ(o.max_subscriptions, 7);
  EXPECT_EQ(o.max_pending, 32 * 1024 * 1024);
  EXPECT_EQ(o.write_deadline, seconds(5));
  EXPECT_EQ(o.ping_interval, seconds(30));
  EXPECT_EQ(o.ping_max, 4);
  EXPECT_EQ(o.lame_duck_duration, seconds(45));
  EXPECT_EQ(o.lame_duck_grace_period, seconds(3));
  EXPECT_EQ(o.worker_threads, 2);
}

TEST_F(LoadConfigTest, AliasesAndIntegerSeconds) {
  const Options o = Load("max_conn: 5\nmax_subs: 6\nping_interval: 60\nwrite_deadline: 2\n");
  EXPECT_EQ(o.max_connections, 5);
  EXPECT_EQ(o.max_subscriptions, 6);
  EXPECT_EQ(o.ping_interval, minutes(1));
  EXPECT_EQ(o.write_deadline, seconds(2));
}

TEST_F(LoadConfigTest, LoggingAndFiles) {
  const Options o = Load(
      "debug: true\ntrace: on\nlogtime: no\npid_file: \"/run/n.pid\"\nlog_file: /var/log/n.log\n");
  EXPECT_TRUE(o.debug);
  EXPECT_TRUE(o.trace);
  EXPECT_FALSE(o.logtime);
  EXPECT_EQ(o.pid_file, "/run/n.pid");
  EXPECT_EQ(o.log_file, "/var/log/n.log");
  const Options aliases = Load("pidfile: a\nlogfile: b\n");
  EXPECT_EQ(aliases.pid_file, "a");
  EXPECT_EQ(aliases.log_file, "b");
}

TEST_F(LoadConfigTest, KeysAreCaseInsensitive) {
  const Options o = Load("PORT: 1234\nServer_Name: x\nAuthorization { TOKEN: t }\n");
  EXPECT_EQ(o.port, 1234);
  EXPECT_EQ(o.server_name, "x");
  EXPECT_EQ(o.auth_token, "t");
}

TEST_F(LoadConfigTest, SimpleAuthorization) {
  Options o = Load("authorization { user: u, password: p, timeout: 3 }\n");
  EXPECT_EQ(o.username, "u");
  EXPECT_EQ(o.password, "p");
  EXPECT_EQ(o.auth_timeout, seconds(3));
  EXPECT_TRUE(o.auth_timeout_set);  // so TLS does not replace it with tls.timeout + 1 s
  EXPECT_FALSE(Load("authorization { user: u, password: p }\n").auth_timeout_set);
  o = Load("authorization { token: \"s3cr3t\"; timeout: 0.5 }\n");
  EXPECT_EQ(o.auth_token, "s3cr3t");
  EXPECT_EQ(o.auth_timeout, milliseconds(500));
}

TEST_F(LoadConfigTest, UsersWithPermissions) {
  const Options o = Load(R"(
PASS = "pw"
authorization {
  default_permissions {
    publish: "SANDBOX.*"
    subscribe: ["PUBLIC.>", "_INBOX.>"]
  }
  users = [
    {user: alice, password: $PASS, permissions: {
      publish: {allow: ["orders.>"], deny: "orders.secret"}
      subscribe: {deny: [">"]}
      allow_responses: {max: 5, expires: "30s"}
    }}
    {user: bob, password: b}
    {nkey: UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4}
    {username: carol, pass: c, permissions: {pub: x, sub: y, allow_responses: true}}
  ]
}
no_auth_user: bob
)");
  ASSERT_EQ(o.users.size(), 4u);
  const User& alice = o.users[0];
  EXPECT_EQ(alice.username, "alice");
  EXPECT_EQ(alice.password, "pw");
  ASSERT_TRUE(alice.permissions.has_value());
  EXPECT_EQ(alice.permissions->publish.allow, std::vector<std::string>{"orders.>"});
  EXPECT_EQ(alice.permissions->publish.deny, std::vector<std::string>{"orders.secret"});
  EXPECT_TRUE(alice.permissions->subscribe.allow.empty());
  EXPECT_EQ(alice.permissions->subscribe.deny, std::vector<std::string>{">"});
  ASSERT_TRUE(alice.permissions->allow_responses.has_value());
  EXPECT_EQ(alice.permissions->allow_responses->max_msgs, 5);
  EXPECT_EQ(alice.permissions->allow_responses->expires, seconds(30));

  // bob gets the default permissions.
  const User& bob = o.users[1];
  ASSERT_TRUE(bob.permissions.has_value());
  EXPECT_EQ(bob.permissions->publish.allow, std::vector<std::string>{"SANDBOX.*"});
  EXPECT_EQ(bob.permissions->subscribe.allow.size(), 2u);
  ASSERT_TRUE(o.default_permissions.has_value());

  EXPECT_EQ(o.users[2].nkey, "UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4");
  const User& carol = o.users[3];
  EXPECT_EQ(carol.username, "carol");
  EXPECT_EQ(carol.permissions->publish.allow, std::vector<std::string>{"x"});
  ASSERT_TRUE(carol.permissions->allow_responses.has_value());
  EXPECT_EQ(carol.permissions->allow_responses->max_msgs, 1);
  EXPECT_EQ(carol.permissions->allow_responses->expires, minutes(2));
  EXPECT_EQ(o.no_auth_user, "bob");
}

TEST_F(LoadConfigTest, Tls) {
  const Options o = Load(
      "tls {\n cert_file: \"s.pem\"\n key_file: \"k.pem\"\n ca_file: ca.pem\n verify: true\n"
      " timeout: 3\n}\n");
  ASSERT_TRUE(o.tls.has_value());
  EXPECT_EQ(o.tls->cert_file, "s.pem");
  EXPECT_EQ(o.tls->key_file, "k.pem");
  EXPECT_EQ(o.tls->ca_file, "ca.pem");
  EXPECT_TRUE(o.tls->verify);
  EXPECT_FALSE(o.tls->verify_and_map);
  EXPECT_EQ(o.tls->timeout, seconds(3));
  const Options mapped =
      Load("tls { cert_file: a, key_file: b, ca_file: c, verify_and_map: true }\n");
  EXPECT_TRUE(mapped.tls->verify_and_map);
  EXPECT_TRUE(mapped.tls->verify);
}

TEST_F(LoadConfigTest, Cluster) {
  Options o = Load(
      "cluster {\n name: east\n listen: 0.0.0.0:6222\n no_advertise: true\n"
      " routes = [\n  nats-route://127.0.0.1:6223\n  nats-route://127.0.0.1:6224\n ]\n}\n");
  EXPECT_EQ(o.cluster.name, "east");
  EXPECT_EQ(o.cluster.host, "0.0.0.0");
  EXPECT_EQ(o.cluster.port, 6222);
  EXPECT_TRUE(o.cluster.no_advertise);
  EXPECT_EQ(o.cluster.routes.size(), 2u);
  o = Load("cluster { host: 127.0.0.1, port: 7000 }\n");
  EXPECT_EQ(o.cluster.host, "127.0.0.1");
  EXPECT_EQ(o.cluster.port, 7000);
}

TEST_F(LoadConfigTest, IncludesAndVariables) {
  dir_.Write("auth.conf", "authorization { token: abc }\nmax_payload: 1KB\n");
  const Options o = Load("include auth.conf\nport: 4999\n");
  EXPECT_EQ(o.auth_token, "abc");
  EXPECT_EQ(o.max_payload, 1024);
  EXPECT_EQ(o.port, 4999);
  // As in nats-server, an included file is parsed on its own: the includer's variables are not
  // visible there.
  dir_.Write("var.conf", "authorization { token: $TOKEN_FROM_INCLUDER }\n");
  EXPECT_TRUE(
      absl::StrContains(Error("TOKEN_FROM_INCLUDER: x\ninclude var.conf\n"), "can not be found"));
}

struct ErrorCase {
  const char* config;
  const char* want;  // substring; every message also starts with file:line:col
};

TEST_F(LoadConfigTest, ErrorsNameTheProblemAndLocation) {
  const ErrorCase cases[] = {
      {"port: 1\nbogus_key: 1\n", "node.conf:2:12: unknown field \"bogus_key\""},
      {"port: \"x\"\n", "node.conf:1:7: expected integer, got string"},
      {"port: 70000\n", "node.conf:1:7: port 70000 is out of range"},
      {"listen: \"nohostport\"\n", "could not parse address string"},
      {"listen: \"h:99999\"\n", "could not parse port"},
      {"listen: [1]\n", "expected port or host:port"},
      {"debug: 1\n", "expected boolean, got integer"},
      {"max_payload: 4GB\n", "is greater than"},
      {"max_connections: -1\n", "out of range"},
      {"ping_interval: \"abc\"\n", "invalid duration"},
      {"ping_interval: \"0s\"\n", "greater than zero"},
      {"lame_duck_duration: \"10s\"\n", "minimum is 30 seconds"},
      {"authorization: 5\n", "expected a map to define authorization"},
      {"authorization { user: a, token: b }\n", "cannot have a user/pass and token"},
      {"authorization { user: a, users: [] }\n", "single user/pass and a users array"},
      {"authorization { token: a, users: [] }\n", "token and a users array"},
      {"authorization { bogus: 1 }\n", "unknown field \"bogus\" in authorization"},
      {"authorization { users: [{password: x}] }\n", "user entry requires a user"},
      {"authorization { users: [{user: a}, {user: a}] }\n", "duplicate user \"a\""},
      {"authorization { users: [{user: a, account: A}] }\n", "unknown account \"A\""},
      {"authorization { users: [{nkey: bad}] }\n", "not a valid public nkey"},
      {"authorization { users: [{user: a, permissions: {publish: 5}}] }\n",
       "expected subject permissions"},
      {"authorization { users: [{user: a, permissions: {publish: {allow: a, other: b}}}] }\n",
       "only 'allow' or 'deny'"},
      {"authorization { users: [{user: a, permissions: {bogus: b}}] }\n",
       "unknown field \"bogus\" parsing permissions"},
      {"authorization { users: [{user: a, permissions: {allow_responses: 5}}] }\n",
       "allow_responses expects a boolean or a map"},
      {"authorization { users: [{user: a, permissions: {allow_responses: {expires: 5}}}] }\n",
       "not a duration string"},
      {"no_auth_user: ghost\n", "no_auth_user: \"ghost\" not present"},
      {"tls { cert_file: a }\n", "missing 'key_file'"},
      {"tls { key_file: a }\n", "missing 'cert_file'"},
      {"tls { cert_file: a, key_file: b, cipher_suites: [] }\n", "unknown field \"cipher_suites\""},
      {"max_payload: 2MB\nmax_pending: 1MB\n", "cannot be higher than max_pending"},
      {"cluster { name: \"a b\" }\n", "cannot contain spaces"},
      {"cluster { routes: [\"nohost\"] }\n", "error parsing route url"},
      {"cluster { authorization { user: a } }\n", "cluster \"authorization\" is not supported"},
      {"cluster { wat: 1 }\n", "unknown field \"wat\" in cluster"},
      {"server_name: \"a b\"\n", "cannot contain spaces"},
  };
  for (const ErrorCase& c : cases) {
    const std::string error = Error(c.config);
    EXPECT_TRUE(absl::StrContains(error, c.want)) << c.config << "\n=> " << error;
    EXPECT_TRUE(absl::StrContains(error, "node.conf")) << error;
  }
}

TEST_F(LoadConfigTest, UnsupportedFeaturesAreRefusedByName) {
  const std::pair<const char*, const char*> cases[] = {
      {"jetstream { store_dir: /tmp }\n", "JetStream"},
      {"jetstream: enabled\n", "JetStream"},
      {"mqtt { port: 1883 }\n", "MQTT"},
      {"websocket { port: 8080 }\n", "WebSocket"},
      {"gateway { name: a }\n", "gateways"},
      {"leafnodes { port: 7422 }\n", "leaf nodes"},
      {"https: 8443\n", "HTTPS monitoring"},
  };
  for (const auto& [config, feature] : cases) {
    const std::string error = Error(config);
    EXPECT_TRUE(absl::StrContains(error, feature)) << config << "\n=> " << error;
    EXPECT_TRUE(absl::StrContains(error, "does not support")) << error;
    EXPECT_TRUE(absl::StrContains(error, "node.conf:1:")) << error;
  }
}

TEST_F(LoadConfigTest, VariableDefinitionsAreNotUnknownFields) {
  const Options o = Load("MY_PORT = 4555\nport: $MY_PORT\n");
  EXPECT_EQ(o.port, 4555);
  // An unused variable-looking key is still an unknown field, as in nats-server.
  EXPECT_TRUE(absl::StrContains(Error("UNUSED = 1\n"), "unknown field \"UNUSED\""));
}

TEST_F(LoadConfigTest, LoadsOverTheGivenBase) {
  Options base;
  base.port = 1111;
  base.server_name = "base";
  const std::string path = dir_.Write("over.conf", "server_name: file\n");
  absl::StatusOr<Options> o = LoadConfigFile(path, base);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->port, 1111);
  EXPECT_EQ(o->server_name, "file");
}

TEST_F(LoadConfigTest, MissingFileAndSyntaxErrors) {
  absl::StatusOr<Options> missing = LoadConfigFile(dir_.dir() + "/nope.conf");
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(absl::StrContains(missing.status().message(), "nope.conf"));
  EXPECT_TRUE(absl::StrContains(Error("port = [1 2]\n"), "node.conf:1:11:"));
}

// The same file passes `nats-server -c full_node.conf -t`; lattice-node must read it identically.
TEST(NatsServerCompatibleTest, FullNodeConfig) {
  absl::StatusOr<Options> o = LoadConfigFile("dataplane/options/testdata/full_node.conf");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->server_name, "node-1");
  EXPECT_EQ(o->host, "127.0.0.1");
  EXPECT_EQ(o->port, 4333);
  EXPECT_EQ(o->http_port, 8333);
  EXPECT_EQ(o->max_payload, 2 << 20);
  EXPECT_EQ(o->max_control_line, 8192);
  EXPECT_EQ(o->max_pending, 32 << 20);
  EXPECT_EQ(o->ping_interval, seconds(30));
  EXPECT_EQ(o->lame_duck_duration, seconds(45));
  EXPECT_EQ(o->auth_timeout, milliseconds(2500));
  ASSERT_EQ(o->users.size(), 3u);
  EXPECT_EQ(o->users[1].password, "app-secret");
  EXPECT_EQ(o->users[1].permissions->publish.allow.size(), 2u);
  EXPECT_EQ(o->users[1].permissions->allow_responses->max_msgs, 3);
  EXPECT_EQ(o->users[0].permissions->publish.deny, std::vector<std::string>{"admin.>"});
  EXPECT_EQ(o->no_auth_user, "guest");
  EXPECT_EQ(o->cluster.name, "east");
  EXPECT_EQ(o->cluster.port, 6333);
  EXPECT_EQ(o->cluster.routes, std::vector<std::string>{"nats-route://127.0.0.1:6334"});
}

}  // namespace
}  // namespace lattice::options
