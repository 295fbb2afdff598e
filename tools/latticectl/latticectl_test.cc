// In-process tests of latticectl commands: the store they build, the JWTs they sign, errors.
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

#include "common/creds/creds.h"
#include "common/jwt/chain.h"
#include "common/jwt/claims.h"
#include "tools/latticectl/cli.h"
#include "tools/latticectl/flags.h"
#include "tools/latticectl/store.h"

namespace lattice::latticectl {
namespace {

constexpr int64_t kNow = 1800000000;

class LatticectlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TEST_TMPDIR");
    char templ[256];
    std::snprintf(templ, sizeof(templ), "%s/store.XXXXXX", tmp != nullptr ? tmp : "/tmp");
    ASSERT_NE(mkdtemp(templ), nullptr);
    dir_ = templ;
  }
  int Run(std::vector<std::string> args, int64_t now = kNow) {
    args.push_back("--store");
    args.push_back(dir_);
    out_.str("");
    err_.str("");
    return latticectl::Run(args, out_, err_, now);
  }
  std::string Read(const std::string& rel) { return *ReadWholeFile(dir_ + "/" + rel); }
  std::string Jwt(const std::string& rel) { return *creds::ParseDecoratedJwt(Read(rel)); }

  std::string dir_;
  std::ostringstream out_, err_;
};

TEST_F(LatticectlTest, BuildsAValidChain) {
  ASSERT_EQ(Run({"add", "operator", "O", "--sys"}), 0) << err_.str();
  ASSERT_EQ(Run({"add", "account", "A", "--conn", "10", "--export", "service:help.>:private",
                 "--signing-key"}),
            0)
      << err_.str();
  ASSERT_EQ(Run({"add", "user", "u", "--account", "A", "--pub-allow", "help.>", "--sub-allow",
                 "_INBOX.>", "--expiry", "1h"}),
            0)
      << err_.str();
  std::string op = Jwt("operators/O/O.jwt");
  std::string acc = Jwt("operators/O/accounts/A/A.jwt");
  std::string user = Jwt("operators/O/accounts/A/users/u.jwt");
  absl::StatusOr<jwt::UserPermissionLimits> perms = jwt::ValidateChain(op, acc, user, kNow);
  ASSERT_TRUE(perms.ok()) << perms.status();
  EXPECT_EQ(perms->permissions.pub.allow, std::vector<std::string>{"help.>"});
  absl::StatusOr<jwt::OperatorClaims> op_claims = jwt::DecodeOperator(op);
  absl::StatusOr<jwt::AccountClaims> sys =
      jwt::DecodeAccount(Jwt("operators/O/accounts/SYS/SYS.jwt"));
  ASSERT_TRUE(sys.ok());
  EXPECT_EQ(op_claims->nats.system_account, sys->std.subject);
  absl::StatusOr<jwt::AccountClaims> a = jwt::DecodeAccount(acc);
  EXPECT_EQ(a->nats.limits.account.conn, 10);
  EXPECT_EQ(a->nats.limits.nats.subs, jwt::kNoLimit);
  ASSERT_EQ(a->nats.exports.size(), 1u);
  EXPECT_TRUE(a->nats.exports[0].token_req);
  EXPECT_EQ(a->nats.signing_keys.size(), 1u);
  absl::StatusOr<jwt::UserClaims> u = jwt::DecodeUser(user);
  EXPECT_EQ(u->std.expires, kNow + 3600);
  // Expired an hour later.
  EXPECT_FALSE(jwt::ValidateChain(op, acc, user, kNow + 3600).ok());
}

TEST_F(LatticectlTest, CredsAndConfig) {
  ASSERT_EQ(Run({"add", "operator", "O", "--sys"}), 0);
  ASSERT_EQ(Run({"add", "account", "A"}), 0);
  ASSERT_EQ(Run({"add", "user", "u", "--account", "A"}), 0);
  ASSERT_EQ(Run({"generate", "creds", "--account", "A", "--name", "u"}), 0) << err_.str();
  absl::StatusOr<creds::UserCreds> c = creds::ParseUserCreds(out_.str());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->jwt, Jwt("operators/O/accounts/A/users/u.jwt"));
  absl::StatusOr<nkeys::KeyPair> kp = nkeys::KeyPair::FromSeed(c->seed.view());
  EXPECT_EQ(kp->public_key().str(), jwt::DecodeUser(c->jwt)->std.subject);

  ASSERT_EQ(Run({"generate", "config", "--mem-resolver"}), 0) << err_.str();
  std::string conf = out_.str();
  EXPECT_NE(conf.find("operator: " + Jwt("operators/O/O.jwt")), std::string::npos);
  EXPECT_NE(conf.find("resolver: MEMORY"), std::string::npos);
  std::string acc = Jwt("operators/O/accounts/A/A.jwt");
  EXPECT_NE(conf.find(jwt::DecodeAccount(acc)->std.subject + ": " + acc), std::string::npos);
  EXPECT_NE(conf.find("system_account: "), std::string::npos);
}

TEST_F(LatticectlTest, RevokeUserAndActivation) {
  ASSERT_EQ(Run({"add", "operator", "O"}), 0);
  ASSERT_EQ(Run({"add", "account", "B"}), 0);
  ASSERT_EQ(Run({"add", "account", "A", "--export", "stream:feed.>:private"}), 0);
  ASSERT_EQ(Run({"add", "user", "u", "--account", "A"}, kNow - 10), 0);
  ASSERT_EQ(Run({"revoke", "user", "--account", "A", "--name", "u"}), 0) << err_.str();
  std::string op = Jwt("operators/O/O.jwt");
  std::string acc = Jwt("operators/O/accounts/A/A.jwt");
  std::string user = Jwt("operators/O/accounts/A/users/u.jwt");
  absl::StatusOr<jwt::UserPermissionLimits> p = jwt::ValidateChain(op, acc, user, kNow);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("revoked"), std::string::npos);

  ASSERT_EQ(Run({"generate", "activation", "--account", "A", "--subject", "feed.>",
                 "--target-account", "B"},
                kNow - 10),
            0)
      << err_.str();
  absl::StatusOr<jwt::ActivationClaims> act =
      jwt::DecodeActivation(*creds::ParseDecoratedJwt(out_.str()));
  ASSERT_TRUE(act.ok()) << act.status();
  EXPECT_EQ(act->nats.kind, jwt::ExportType::kStream);
  absl::StatusOr<jwt::AccountClaims> exporter =
      jwt::DecodeAccount(Jwt("operators/O/accounts/A/A.jwt"));
  EXPECT_TRUE(jwt::ValidateActivation(*exporter, *act, kNow).ok());
  ASSERT_EQ(Run({"revoke", "activation", "--account", "A", "--subject", "feed.>",
                 "--target-account", "B"}),
            0)
      << err_.str();
  exporter = jwt::DecodeAccount(Jwt("operators/O/accounts/A/A.jwt"));
  EXPECT_FALSE(jwt::ValidateActivation(*exporter, *act, kNow).ok());
}

TEST_F(LatticectlTest, ImportsWithActivationTokens) {
  ASSERT_EQ(Run({"add", "operator", "O"}), 0);
  ASSERT_EQ(Run({"add", "account", "A", "--export", "service:help.>:private", "--export",
                 "stream:news.>"}),
            0)
      << err_.str();
  ASSERT_EQ(Run({"add", "account", "B", "--import", "stream:A:news.>"}), 0) << err_.str();
  std::string token_file = dir_ + "/b.activation";
  ASSERT_EQ(Run({"generate", "activation", "--account", "A", "--subject", "help.>",
                 "--target-account", "B", "--output", token_file}),
            0)
      << err_.str();
  ASSERT_EQ(Run({"edit", "account", "B", "--import", "service:A:help.>:ask.>", "--import-token",
                 token_file}),
            0)
      << err_.str();
  absl::StatusOr<jwt::AccountClaims> a = jwt::DecodeAccount(Jwt("operators/O/accounts/A/A.jwt"));
  absl::StatusOr<jwt::AccountClaims> b = jwt::DecodeAccount(Jwt("operators/O/accounts/B/B.jwt"));
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(b->nats.imports.size(), 2u);
  EXPECT_EQ(b->nats.imports[0].type, jwt::ExportType::kStream);
  EXPECT_EQ(b->nats.imports[0].account, a->std.subject);
  EXPECT_TRUE(b->nats.imports[0].token.empty());
  const jwt::Import& svc = b->nats.imports[1];
  EXPECT_EQ(svc.local_subject, "ask.>");
  absl::StatusOr<jwt::ActivationClaims> act = jwt::DecodeActivation(svc.token);
  ASSERT_TRUE(act.ok()) << act.status();
  EXPECT_EQ(act->std.subject, b->std.subject);
  EXPECT_TRUE(jwt::ValidateActivation(*a, *act, kNow).ok());
  // Public exports need no activation; unknown accounts and bad specs are refused.
  EXPECT_EQ(Run({"generate", "activation", "--account", "A", "--subject", "news.>",
                 "--target-account", "B"}),
            1);
  EXPECT_NE(err_.str().find("is public"), std::string::npos);
  EXPECT_EQ(Run({"edit", "account", "B", "--import", "stream:Nobody:x"}), 1);
  EXPECT_EQ(Run({"edit", "account", "B", "--import", "stream:A"}), 1);
  EXPECT_NE(err_.str().find("--import expects"), std::string::npos);
}

TEST_F(LatticectlTest, ScopedSigningKeyUsers) {
  ASSERT_EQ(Run({"add", "operator", "O"}), 0);
  ASSERT_EQ(Run({"add", "account", "A", "--scoped-signing-key", "dev", "--scope-pub-allow",
                 "dev.{{name()}}.>"}),
            0)
      << err_.str();
  absl::StatusOr<jwt::AccountClaims> acc = jwt::DecodeAccount(Jwt("operators/O/accounts/A/A.jwt"));
  ASSERT_EQ(acc->nats.signing_keys.size(), 1u);
  std::string sk = acc->nats.signing_keys[0].key;
  EXPECT_EQ(Run({"add", "user", "bad", "--account", "A", "--signing-key", sk, "--pub-allow", "x"}),
            1);
  EXPECT_NE(err_.str().find("sets the permissions"), std::string::npos);
  ASSERT_EQ(Run({"add", "user", "bob", "--account", "A", "--signing-key", sk}), 0) << err_.str();
  absl::StatusOr<jwt::UserPermissionLimits> p =
      jwt::ValidateChain(Jwt("operators/O/O.jwt"), Jwt("operators/O/accounts/A/A.jwt"),
                         Jwt("operators/O/accounts/A/users/bob.jwt"), kNow);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->permissions.pub.allow, std::vector<std::string>{"dev.bob.>"});
}

TEST_F(LatticectlTest, StrictOperatorSignsWithSigningKeys) {
  ASSERT_EQ(Run({"add", "operator", "O", "--strict"}), 0);
  ASSERT_EQ(Run({"add", "account", "A"}), 0) << err_.str();
  EXPECT_EQ(Run({"add", "user", "u", "--account", "A"}), 1);
  EXPECT_NE(err_.str().find("requires signing keys"), std::string::npos);
  ASSERT_EQ(Run({"edit", "account", "A", "--signing-key"}), 0) << err_.str();
  ASSERT_EQ(Run({"add", "user", "u", "--account", "A"}), 0) << err_.str();
  EXPECT_TRUE(jwt::ValidateChain(Jwt("operators/O/O.jwt"), Jwt("operators/O/accounts/A/A.jwt"),
                                 Jwt("operators/O/accounts/A/users/u.jwt"), kNow)
                  .ok());
}

TEST_F(LatticectlTest, DescribeTableAndJson) {
  ASSERT_EQ(Run({"add", "operator", "O"}), 0);
  ASSERT_EQ(Run({"add", "account", "A", "--conn", "3"}), 0);
  std::string path = dir_ + "/operators/O/accounts/A/A.jwt";
  ASSERT_EQ(Run({"describe", "jwt", path}), 0) << err_.str();
  EXPECT_NE(out_.str().find("| Type                 | account"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("| Max Connections      | 3"), std::string::npos);
  EXPECT_NE(out_.str().find("Status               | valid"), std::string::npos);
  ASSERT_EQ(Run({"describe", "jwt", path, "--json"}), 0);
  jwt::Json j = jwt::Json::parse(out_.str(), nullptr, false);
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["nats"]["limits"]["conn"], 3);
  EXPECT_EQ(j["nats"]["type"], "account");
}

TEST_F(LatticectlTest, ClearErrors) {
  EXPECT_EQ(Run({"add", "account", "A"}), 1);
  EXPECT_NE(err_.str().find("the store has no operator"), std::string::npos);
  ASSERT_EQ(Run({"add", "operator", "O"}), 0);
  EXPECT_EQ(Run({"add", "operator", "O"}), 1);
  EXPECT_NE(err_.str().find("already exists"), std::string::npos);
  EXPECT_EQ(Run({"add", "user", "u", "--account", "Nope"}), 1);
  EXPECT_NE(err_.str().find("account \"Nope\" does not exist"), std::string::npos);
  EXPECT_EQ(Run({"add", "account", "A", "--conn", "many"}), 1);
  EXPECT_NE(err_.str().find("--conn must be an integer"), std::string::npos);
  EXPECT_EQ(Run({"add", "account", "A", "--export", "queue:x"}), 1);
  EXPECT_NE(err_.str().find("export kind must be"), std::string::npos);
  EXPECT_EQ(Run({"add", "account", "A", "--bogus"}), 2);
  EXPECT_NE(err_.str().find("unknown flag --bogus"), std::string::npos);
  EXPECT_EQ(Run({"frobnicate", "it"}), 2);
  EXPECT_EQ(Run({"add", "account", "../evil"}), 1);
  EXPECT_NE(err_.str().find("invalid account name"), std::string::npos);

  // describe: tampered, wrong type of file, expired.
  ASSERT_EQ(Run({"add", "account", "A"}), 0);
  std::string path = dir_ + "/operators/O/accounts/A/A.jwt";
  std::string token = Jwt("operators/O/accounts/A/A.jwt");
  token[token.find('.') + 5] ^= 1;
  ASSERT_TRUE(WriteWholeFile(dir_ + "/tampered.jwt", token).ok());
  EXPECT_EQ(Run({"describe", "jwt", dir_ + "/tampered.jwt"}), 1);
  EXPECT_FALSE(err_.str().empty());
  ASSERT_TRUE(WriteWholeFile(dir_ + "/junk.jwt", "hello world").ok());
  EXPECT_EQ(Run({"describe", "jwt", dir_ + "/junk.jwt"}), 1);
  EXPECT_NE(err_.str().find("no JWT found"), std::string::npos);
  ASSERT_EQ(Run({"add", "user", "old", "--account", "A", "--expires-at", "5"}), 0);
  ASSERT_EQ(Run({"describe", "jwt", dir_ + "/operators/O/accounts/A/users/old.jwt"}), 0);
  EXPECT_NE(out_.str().find("jwt: token has expired"), std::string::npos);
}

TEST(FlagsTest, ParsesAndRejects) {
  absl::StatusOr<Flags> f =
      Flags::Parse({"name", "--a", "1", "--a=2", "--b", "--c=x"}, {"a", "c"}, {"b"});
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->positionals(), std::vector<std::string>{"name"});
  EXPECT_EQ(f->GetAll("a"), (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(*f->GetInt("a", 0), 2);
  EXPECT_TRUE(f->Has("b"));
  EXPECT_EQ(f->Get("c"), "x");
  EXPECT_FALSE(Flags::Parse({"--a"}, {"a"}, {}).ok());
  EXPECT_FALSE(Flags::Parse({"--b=7"}, {}, {"b"}).ok());
  EXPECT_EQ(*ParseDuration("90s"), 90);
  EXPECT_EQ(*ParseDuration("2h"), 7200);
  EXPECT_EQ(*ParseDuration("7d"), 604800);
  EXPECT_EQ(*ParseDuration("15"), 15);
  EXPECT_FALSE(ParseDuration("x").ok());
  EXPECT_FALSE(ParseDuration("-1h").ok());
}

}  // namespace
}  // namespace lattice::latticectl
