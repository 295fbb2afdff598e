// Tests for the `accounts` block, mappings, system_account and the operator-mode keys.
#include "absl/strings/match.h"
#include "gtest/gtest.h"

#include "dataplane/options/options.h"
#include "dataplane/options/options_test_util.h"

namespace lattice::options {
namespace {

class AccountsOptionsTest : public ::testing::Test {
 protected:
  absl::StatusOr<Options> Load(const std::string& text) {
    return LoadConfigFile(dir_.Write("node.conf", text));
  }
  std::string Error(const std::string& text) {
    absl::StatusOr<Options> o = Load(text);
    return o.ok() ? std::string("<ok>") : std::string(o.status().message());
  }
  testing::TempConfigDir dir_;
};

constexpr char kTwoAccounts[] = R"(
accounts {
  A {
    users: [{user: a, password: pa}, {nkey: UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4}]
    exports: [
      {stream: "feed.>"}
      {stream: "private.>", accounts: [B]}
      {service: "svc.*", response_type: stream, threshold: "5s"}
    ]
    limits: {max_connections: 3, max_subscriptions: 10, max_payload: 512}
    default_permissions: {publish: "x.>"}
  }
  B {
    users: [{user: b, password: pb, permissions: {publish: ">"}}]
    imports: [
      {stream: {account: A, subject: "feed.>"}, prefix: from_a}
      {stream: {account: A, subject: "private.x"}, to: "priv.x"}
      {service: {account: A, subject: "svc.*"}, to: "ask.*"}
    ]
    mappings: {"m.a": "m.b", "w.x": [{destination: "w.1", weight: 40%}, {destination: "w.2", weight: 60}]}
  }
}
mappings { "top.a": "top.b" }
system_account: A
no_auth_user: b
)";

TEST_F(AccountsOptionsTest, ParsesAccountsUsersImportsExports) {
  absl::StatusOr<Options> o = Load(kTwoAccounts);
  ASSERT_TRUE(o.ok()) << o.status();
  ASSERT_EQ(o->accounts.size(), 2u);
  const accounts::AccountSpec& a = o->accounts[0];
  const accounts::AccountSpec& b = o->accounts[1];
  EXPECT_EQ(a.name, "A");
  ASSERT_EQ(a.stream_exports.size(), 2u);
  EXPECT_EQ(a.stream_exports[1].access.approved, std::vector<std::string>{"B"});
  ASSERT_EQ(a.service_exports.size(), 1u);
  EXPECT_EQ(a.service_exports[0].response_type, accounts::ResponseType::kStream);
  EXPECT_EQ(a.service_exports[0].response_threshold_ms, 5000);
  EXPECT_EQ(a.limits.max_connections, 3);
  EXPECT_EQ(a.limits.max_subscriptions, 10);
  EXPECT_EQ(a.limits.max_payload, 512);
  ASSERT_EQ(b.stream_imports.size(), 2u);
  EXPECT_EQ(b.stream_imports[0].prefix, "from_a");
  EXPECT_EQ(b.stream_imports[1].to, "priv.x");
  ASSERT_EQ(b.service_imports.size(), 1u);
  EXPECT_EQ(b.service_imports[0].to, "ask.*");
  ASSERT_EQ(b.mappings.size(), 2u);
  EXPECT_EQ(b.mappings[1].destinations[0].weight_percent, 40);
  ASSERT_EQ(o->mappings.size(), 1u);
  EXPECT_EQ(o->mappings[0].destinations[0].subject, "top.b");
  EXPECT_EQ(o->system_account, "A");
  ASSERT_EQ(o->users.size(), 3u);
  EXPECT_EQ(o->users[0].account, "A");
  ASSERT_TRUE(o->users[0].permissions.has_value());  // the account's default permissions
  EXPECT_EQ(o->users[0].permissions->publish.allow, std::vector<std::string>{"x.>"});
  EXPECT_EQ(o->users[2].account, "B");
  EXPECT_EQ(o->users[2].permissions->publish.allow, std::vector<std::string>{">"});
}

TEST_F(AccountsOptionsTest, StartupErrorsAsNatsServer) {
  struct Case {
    const char* config;
    const char* want;
  };
  const Case cases[] = {
      {"accounts { $G {} }\n", "\"$G\" is a Reserved Account"},
      {"accounts { A { imports: [{stream: {account: Z, subject: x}}] } }\n",
       "\"Z\" account not defined for stream import"},
      {"accounts { A { imports: [{service: {account: Z, subject: x}}] } }\n",
       "\"Z\" account not defined for service import"},
      {"accounts { A {}, B { imports: [{stream: {account: A, subject: x}}] } }\n",
       "stream import not authorized"},
      {"accounts { A { exports: [{service: s, accounts: [C]}] }, C {},"
       " B { imports: [{service: {account: A, subject: s}}] } }\n",
       "service import not authorized"},
      {"accounts { A { exports: [{stream: s, accounts: [Q]}] } }\n",
       "\"Q\" account not defined for stream export"},
      {"accounts { A { exports: [{stream: s}] }, B { imports: [{stream: {account: A, "
       "subject: s}, prefix: p, to: q}] } }\n",
       "can not have a 'prefix' and a 'to'"},
      {"accounts { A { exports: [{stream: s}] }, B { imports: [{stream: {account: A, "
       "subject: s}, prefix: \"p.*\"}] } }\n",
       "prefix can not contain wildcard"},
      {"accounts { A { exports: [{service: s, response_type: bogus}] } }\n",
       "Unknown response type"},
      {"accounts { A { exports: [{stream: s, response_type: stream}] } }\n",
       "response directive on non-service"},
      {"accounts { A { users: [{user: u}] }, B { users: [{user: u}] } }\n", "Duplicate user \"u\""},
      {"authorization { token: t }\naccounts { A { users: [{user: u}] } }\n",
       "Can not have a token and accounts"},
      {"accounts { A { bogus: 1 } }\n", "unknown field \"bogus\""},
      {"accounts { A { mappings: {a: [{destination: b, weight: 101}]} } }\n", "Invalid weight"},
      {"system_account: NOPE\n", "not a defined account"},
  };
  for (const Case& c : cases) {
    const std::string error = Error(c.config);
    EXPECT_TRUE(absl::StrContains(error, c.want)) << c.config << "\n=> " << error;
    EXPECT_TRUE(absl::StrContains(error, "node.conf")) << error;
  }
}

TEST_F(AccountsOptionsTest, AuthorizationUserMayNameAnAccount) {
  absl::StatusOr<Options> o =
      Load("accounts { A {} }\nauthorization { users: [{user: x, password: y, account: A}] }\n");
  ASSERT_TRUE(o.ok()) << o.status();
  ASSERT_EQ(o->users.size(), 1u);
  EXPECT_EQ(o->users[0].account, "A");
}

TEST_F(AccountsOptionsTest, OperatorModeKeysAreKept) {
  absl::StatusOr<Options> o = Load(
      "operator: [\"/etc/op.jwt\", \"eyJ0\"]\nresolver: MEMORY\n"
      "resolver_preload { ACCKEY: \"eyJhbGc\" }\n");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->operators, (std::vector<std::string>{"/etc/op.jwt", "eyJ0"}));
  EXPECT_EQ(o->resolver, "MEMORY");
  EXPECT_EQ(o->resolver_preload.at("ACCKEY"), "eyJhbGc");
}

TEST_F(AccountsOptionsTest, AccountNameList) {
  absl::StatusOr<Options> o = Load("accounts: [A, B]\n");
  ASSERT_TRUE(o.ok()) << o.status();
  ASSERT_EQ(o->accounts.size(), 2u);
  EXPECT_EQ(Error("accounts: [A, A]\n").find("Duplicate Account Entry") != std::string::npos, true);
}

}  // namespace
}  // namespace lattice::options
