// AccountClaimsToSpec: exports, imports, limits, mappings, revocations, and the activation
// token matrix (every bad token dropped with its reason).
#include "dataplane/operator/claims_to_spec.h"

#include <map>

#include "gtest/gtest.h"

#include "dataplane/operator/test_keys.h"

namespace lattice::operator_mode {
namespace {

using testing::kNow;
using testing::MakeImport;
using testing::NewKey;
using testing::ServiceExport;
using testing::StreamExport;
using testing::TestAccount;
using testing::TestOperator;

bool Contains(const std::vector<std::string>& notes, const std::string& part) {
  for (const std::string& n : notes) {
    if (n.find(part) != std::string::npos)
      return true;
  }
  return false;
}

class ClaimsToSpecTest : public ::testing::Test {
 protected:
  ClaimsToSpecTest() {
    exporter_.AddSigningKey();
    exporter_.claims.nats.exports = {
        ServiceExport("svc.private.>", true), ServiceExport("svc.public"),
        StreamExport("feed.private.>", true), StreamExport("feed.public.>")};
  }

  // Converts the importer with the exporter known (re-decoded, as OperatorMode holds it).
  accounts::AccountSpec Convert(bool exporter_known = true) {
    auto token = exporter_.Jwt(op_);
    auto exporter = std::make_shared<const jwt::AccountClaims>(*jwt::DecodeAccount(token));
    auto lookup = [&](const std::string& key) -> std::shared_ptr<const jwt::AccountClaims> {
      return exporter_known && key == exporter_.public_key() ? exporter : nullptr;
    };
    notes_.clear();
    auto decoded = jwt::DecodeAccount(importer_.Jwt(op_));
    EXPECT_TRUE(decoded.ok());
    return AccountClaimsToSpec(*decoded, lookup, kNow, &notes_);
  }

  // The importer imports svc.private.x with `token`; true when the import survived.
  bool ServiceImportKept(const std::string& token, const std::string& subject = "svc.private.x") {
    importer_.claims.nats.imports = {
        MakeImport(exporter_.public_key(), subject, jwt::ExportType::kService, token)};
    accounts::AccountSpec spec = Convert();
    return spec.service_imports.size() == 1;
  }

  TestOperator op_;
  TestAccount exporter_{"EXP"};
  TestAccount importer_{"IMP"};
  std::vector<std::string> notes_;
};

TEST_F(ClaimsToSpecTest, ConvertsExports) {
  exporter_.claims.nats.exports[0].response_type = "Stream";
  exporter_.claims.nats.exports[0].response_threshold_ns = 3'000'000'000;
  exporter_.claims.nats.exports[1].response_type = "Chunked";
  jwt::Export positional = ServiceExport("svc.by.*.acct");
  positional.account_token_position = 3;
  exporter_.claims.nats.exports.push_back(positional);
  auto lookup = [](const std::string&) { return std::shared_ptr<const jwt::AccountClaims>(); };
  auto decoded = jwt::DecodeAccount(exporter_.Jwt(op_));
  ASSERT_TRUE(decoded.ok());
  accounts::AccountSpec spec = AccountClaimsToSpec(*decoded, lookup, kNow, &notes_);
  EXPECT_EQ(spec.name, exporter_.public_key());
  ASSERT_EQ(spec.service_exports.size(), 3u);
  EXPECT_EQ(spec.service_exports[0].subject, "svc.private.>");
  EXPECT_TRUE(spec.service_exports[0].access.token_required);
  EXPECT_EQ(spec.service_exports[0].response_type, accounts::ResponseType::kStream);
  EXPECT_EQ(spec.service_exports[0].response_threshold_ms, 3000);
  EXPECT_FALSE(spec.service_exports[1].access.token_required);
  EXPECT_EQ(spec.service_exports[1].response_type, accounts::ResponseType::kChunked);
  // account_token_position is not modelled: the strict reading is token_required.
  EXPECT_TRUE(spec.service_exports[2].access.token_required);
  EXPECT_TRUE(Contains(notes_, "account_token_position"));
  ASSERT_EQ(spec.stream_exports.size(), 2u);
  EXPECT_TRUE(spec.stream_exports[0].access.token_required);
  EXPECT_FALSE(spec.stream_exports[1].access.token_required);
}

TEST_F(ClaimsToSpecTest, ConvertsPublicImportsWithTheirMappings) {
  jwt::Import svc = MakeImport(exporter_.public_key(), "svc.public", jwt::ExportType::kService);
  svc.local_subject = "my.svc";
  svc.share = true;
  jwt::Import old_svc = MakeImport(exporter_.public_key(), "local.svc", jwt::ExportType::kService);
  old_svc.to = "svc.public";  // deprecated form: `to` is the exporter's subject
  jwt::Import feed = MakeImport(exporter_.public_key(), "feed.public.>", jwt::ExportType::kStream);
  feed.to = "in";  // deprecated stream `to` is a prefix
  jwt::Import mapped =
      MakeImport(exporter_.public_key(), "feed.public.a", jwt::ExportType::kStream);
  mapped.local_subject = "a.local";
  importer_.claims.nats.imports = {svc, old_svc, feed, mapped};
  accounts::AccountSpec spec = Convert();
  EXPECT_TRUE(notes_.empty()) << notes_[0];
  ASSERT_EQ(spec.service_imports.size(), 2u);
  EXPECT_EQ(spec.service_imports[0].account, exporter_.public_key());
  EXPECT_EQ(spec.service_imports[0].subject, "svc.public");
  EXPECT_EQ(spec.service_imports[0].to, "my.svc");
  EXPECT_TRUE(spec.service_imports[0].share);
  EXPECT_EQ(spec.service_imports[1].subject, "svc.public");
  EXPECT_EQ(spec.service_imports[1].to, "local.svc");
  ASSERT_EQ(spec.stream_imports.size(), 2u);
  EXPECT_EQ(spec.stream_imports[0].prefix, "in");
  EXPECT_EQ(spec.stream_imports[0].to, "");
  EXPECT_EQ(spec.stream_imports[1].to, "a.local");
}

TEST_F(ClaimsToSpecTest, ValidActivationsAreKept) {
  std::string by_account =
      exporter_.Activation(importer_.public_key(), "svc.private.>", jwt::ExportType::kService);
  EXPECT_TRUE(ServiceImportKept(by_account)) << notes_[0];
  std::string by_signing_key = exporter_.Activation(importer_.public_key(), "svc.private.x",
                                                    jwt::ExportType::kService, &exporter_.signing);
  EXPECT_TRUE(ServiceImportKept(by_signing_key)) << notes_[0];
  accounts::AccountSpec spec = Convert();
  EXPECT_EQ(spec.service_imports[0].activation_token, by_signing_key);

  importer_.claims.nats.imports = {MakeImport(
      exporter_.public_key(), "feed.private.a", jwt::ExportType::kStream,
      exporter_.Activation(importer_.public_key(), "feed.private.a", jwt::ExportType::kStream))};
  EXPECT_EQ(Convert().stream_imports.size(), 1u);
}

// CVE-2021-3127: an activation granted to account X, copied into account Y's JWT.
TEST_F(ClaimsToSpecTest, ActivationForAnotherAccountIsDropped) {
  TestAccount other("OTHER");
  std::string token =
      exporter_.Activation(other.public_key(), "svc.private.>", jwt::ExportType::kService);
  EXPECT_FALSE(ServiceImportKept(token));
  EXPECT_TRUE(Contains(notes_, "was issued to " + other.public_key())) << notes_[0];
}

TEST_F(ClaimsToSpecTest, ActivationSignedByAStrangerIsDropped) {
  TestAccount stranger("STRANGER");
  std::string token =
      stranger.Activation(importer_.public_key(), "svc.private.>", jwt::ExportType::kService);
  EXPECT_FALSE(ServiceImportKept(token));
  EXPECT_TRUE(Contains(notes_, "not signed by the exporting account")) << notes_[0];

  // A stranger's key claiming to act for the exporter (issuer_account = exporter).
  auto act = jwt::NewActivationClaims(*nkeys::AccountPublicKey::Parse(importer_.public_key()));
  act.nats.subject = "svc.private.>";
  act.nats.kind = jwt::ExportType::kService;
  act.nats.issuer_account = exporter_.public_key();
  nkeys::KeyPair rogue = NewKey(nkeys::KeyType::kAccount);
  EXPECT_FALSE(ServiceImportKept(*jwt::Encode(act, rogue, kNow - 5)));
}

TEST_F(ClaimsToSpecTest, ExpiredOrNotYetValidActivationIsDropped) {
  EXPECT_FALSE(ServiceImportKept(exporter_.Activation(
      importer_.public_key(), "svc.private.>", jwt::ExportType::kService, nullptr, kNow - 1)));
  EXPECT_TRUE(Contains(notes_, "expired")) << notes_[0];
  auto act = jwt::NewActivationClaims(*nkeys::AccountPublicKey::Parse(importer_.public_key()));
  act.nats.subject = "svc.private.>";
  act.nats.kind = jwt::ExportType::kService;
  act.std.not_before = kNow + 100;
  EXPECT_FALSE(ServiceImportKept(*jwt::Encode(act, exporter_.key, kNow - 5)));
}

TEST_F(ClaimsToSpecTest, RevokedActivationIsDropped) {
  std::string token =
      exporter_.Activation(importer_.public_key(), "svc.private.>", jwt::ExportType::kService);
  exporter_.claims.nats.exports[0].revocations[importer_.public_key()] = kNow;
  EXPECT_FALSE(ServiceImportKept(token));
  EXPECT_TRUE(Contains(notes_, "revoked")) << notes_[0];
  exporter_.claims.nats.exports[0].revocations.clear();
  exporter_.claims.nats.exports[0].revocations["*"] = kNow;
  EXPECT_FALSE(ServiceImportKept(token));
  // A revocation older than the token's iat does not apply.
  exporter_.claims.nats.exports[0].revocations["*"] = kNow - 1000;
  EXPECT_TRUE(ServiceImportKept(token));
}

TEST_F(ClaimsToSpecTest, ActivationMustCoverTheImportAndItsKind) {
  std::string narrow =
      exporter_.Activation(importer_.public_key(), "svc.private.x", jwt::ExportType::kService);
  EXPECT_FALSE(ServiceImportKept(narrow, "svc.private.>"));
  EXPECT_TRUE(Contains(notes_, "does not cover")) << notes_[0];
  std::string stream =
      exporter_.Activation(importer_.public_key(), "svc.private.>", jwt::ExportType::kStream);
  EXPECT_FALSE(ServiceImportKept(stream));
}

TEST_F(ClaimsToSpecTest, TamperedOrGarbageActivationIsDropped) {
  std::string token =
      exporter_.Activation(importer_.public_key(), "svc.private.>", jwt::ExportType::kService);
  // Flip one character of the payload: the signature no longer matches.
  size_t dot = token.find('.');
  token[dot + 5] = token[dot + 5] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(ServiceImportKept(token));
  EXPECT_TRUE(Contains(notes_, "does not decode")) << notes_[0];
  EXPECT_FALSE(ServiceImportKept("not.a.jwt"));
  EXPECT_FALSE(ServiceImportKept("http://example.invalid/token"));
}

TEST_F(ClaimsToSpecTest, TokenRequiredExportWithoutTokenIsDropped) {
  EXPECT_FALSE(ServiceImportKept(""));
  EXPECT_TRUE(Contains(notes_, "requires an activation token"));
  EXPECT_FALSE(ServiceImportKept("", "svc.nothing"));
  EXPECT_TRUE(Contains(notes_, "no matching export"));
}

TEST_F(ClaimsToSpecTest, UnknownExporter) {
  importer_.claims.nats.imports = {
      MakeImport(exporter_.public_key(), "svc.public", jwt::ExportType::kService),
      MakeImport(exporter_.public_key(), "svc.private.x", jwt::ExportType::kService,
                 exporter_.Activation(importer_.public_key(), "svc.private.>",
                                      jwt::ExportType::kService))};
  accounts::AccountSpec spec = Convert(/*exporter_known=*/false);
  // Without a token the registry decides once the exporter is known; a token cannot be checked.
  ASSERT_EQ(spec.service_imports.size(), 1u);
  EXPECT_EQ(spec.service_imports[0].subject, "svc.public");
  EXPECT_TRUE(Contains(notes_, "cannot be verified"));
}

TEST_F(ClaimsToSpecTest, MalformedImportsAreDropped) {
  importer_.claims.nats.imports = {
      MakeImport("not-a-key", "svc.public", jwt::ExportType::kService),
      MakeImport(importer_.public_key(), "svc.public", jwt::ExportType::kService),
      MakeImport(exporter_.public_key(), "svc..public", jwt::ExportType::kService),
      MakeImport(exporter_.public_key(), "svc.public", jwt::ExportType::kUnknown)};
  accounts::AccountSpec spec = Convert();
  EXPECT_TRUE(spec.service_imports.empty());
  EXPECT_EQ(notes_.size(), 4u);
}

TEST_F(ClaimsToSpecTest, LimitsMappingsRevocationsAndExpiry) {
  importer_.claims.nats.limits.account.conn = 5;
  importer_.claims.nats.limits.nats.subs = 10;
  importer_.claims.nats.limits.nats.payload = 1024;
  importer_.claims.nats.limits.nats.data = -1;
  importer_.claims.nats.limits.account.imports = 3;
  importer_.claims.nats.limits.account.exports = 4;
  importer_.claims.nats.limits.account.leaf = 0;
  importer_.claims.nats.mappings["orders.*"] = {{"orders.a.$1", 30, ""}, {"orders.b.$1", 70, "c1"}};
  importer_.claims.nats.mappings["one"] = {{"two", 0, ""}};
  importer_.claims.nats.revocations["UABC"] = kNow - 3;
  importer_.claims.std.expires = kNow + 3600;
  accounts::AccountSpec spec = Convert();
  EXPECT_EQ(spec.limits.max_connections, 5);
  EXPECT_EQ(spec.limits.max_subscriptions, 10);
  EXPECT_EQ(spec.limits.max_payload, 1024);
  EXPECT_EQ(spec.limits.max_data, -1);
  EXPECT_EQ(spec.limits.max_imports, 3);
  EXPECT_EQ(spec.limits.max_exports, 4);
  EXPECT_EQ(spec.limits.max_leafnodes, 0);
  ASSERT_EQ(spec.mappings.size(), 2u);
  EXPECT_EQ(spec.mappings[0].source, "one");
  EXPECT_EQ(spec.mappings[0].destinations[0].weight_percent, 100);
  EXPECT_EQ(spec.mappings[1].destinations[1].subject, "orders.b.$1");
  EXPECT_EQ(spec.mappings[1].destinations[1].weight_percent, 70);
  EXPECT_EQ(spec.mappings[1].destinations[1].cluster, "c1");
  EXPECT_EQ(spec.revoked_users.at("UABC"), kNow - 3);
  EXPECT_EQ(spec.expires_unix, kNow + 3600);
}

// nats-server refuses a whole account JWT whose import tokens fail jwt's Import.Validate.
TEST(ValidateImportTokensTest, TokensForAnotherAccountOrKindOrSubjectAreBlocking) {
  TestAccount exp("E"), imp("I"), other("O");
  using T = jwt::ExportType;
  imp.claims.nats.imports = {MakeImport(exp.public_key(), "priv.x", T::kStream,
                                        exp.Activation(imp.public_key(), "priv.>", T::kStream)),
                             MakeImport(exp.public_key(), "open", T::kService)};
  EXPECT_TRUE(ValidateImportTokens(imp.claims).ok());
  auto refused = [&](const std::string& token, std::string_view why) {
    imp.claims.nats.imports[0].token = token;
    absl::Status s = ValidateImportTokens(imp.claims);
    EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << why;
    EXPECT_NE(std::string(s.message()).find(why), std::string::npos) << s;
  };
  refused(exp.Activation(other.public_key(), "priv.>", T::kStream), "being included in");
  refused(exp.Activation(imp.public_key(), "priv.>", T::kService), "import type");
  refused(exp.Activation(imp.public_key(), "priv.y", T::kStream), "subject");
  refused(other.Activation(imp.public_key(), "priv.>", T::kStream), "doesn't match account");
  refused("eyJnot.a.token", "invalid");
}

// jwt Account.Validate: the import/export limits and the wildcard export rule, with Go's
// zero values (an absent limit is 0, not unlimited).
TEST(ValidateAccountLimitsTest, ImportExportAndWildcardLimits) {
  TestAccount a("A"), e("E");
  using T = jwt::ExportType;
  a.claims.nats.limits = jwt::OperatorLimits::Unlimited();
  a.claims.nats.imports = {MakeImport(e.public_key(), "x", T::kStream),
                           MakeImport(e.public_key(), "y", T::kService)};
  a.claims.nats.exports = {StreamExport("feed.>"), ServiceExport("svc")};
  EXPECT_TRUE(ValidateAccountLimits(a.claims).ok());

  auto refused = [&](std::string_view why) {
    absl::Status s = ValidateAccountLimits(a.claims);
    EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << why;
    EXPECT_EQ(std::string(s.message()), why);
  };
  a.claims.nats.limits.account.imports = 1;
  refused("the account contains more imports than allowed by the operator");
  a.claims.nats.limits.account.imports = 0;  // what an absent "imports" decodes to
  refused("the account contains more imports than allowed by the operator");
  a.claims.nats.limits.account.imports = 2;
  EXPECT_TRUE(ValidateAccountLimits(a.claims).ok());

  a.claims.nats.limits.account.exports = 1;
  a.claims.nats.limits.account.wildcard_exports = true;
  refused("the account contains more exports than allowed by the operator");
  a.claims.nats.limits.account.exports = 2;
  EXPECT_TRUE(ValidateAccountLimits(a.claims).ok());
  a.claims.nats.limits.account.wildcard_exports = false;
  refused("the account contains wildcard exports that are not allowed by the operator");
  // Wildcards are only checked when exports are limited (as the jwt library does).
  a.claims.nats.limits.account.exports = -1;
  EXPECT_TRUE(ValidateAccountLimits(a.claims).ok());
  for (const char* subject : {"*", ">", "a.*", "*.b", "a.*.c", "a.>"}) {
    a.claims.nats.limits.account.exports = 5;
    a.claims.nats.exports = {StreamExport(subject)};
    EXPECT_FALSE(ValidateAccountLimits(a.claims).ok()) << subject;
  }
  a.claims.nats.exports = {StreamExport("a.b")};
  EXPECT_TRUE(ValidateAccountLimits(a.claims).ok());
}

// A scoped signing key's template limits reach the spec; limits the template leaves out are
// unlimited (the jwt library pre-fills a scope with NoLimit before decoding it).
TEST(ClaimsToSpecScopesTest, ScopedSigningKeyTemplateLimits) {
  TestOperator op;
  TestAccount a("A");
  nkeys::KeyPair set = NewKey(nkeys::KeyType::kAccount);
  nkeys::KeyPair unset = NewKey(nkeys::KeyType::kAccount);
  jwt::SigningKey with;
  with.key = set.public_key().str();
  jwt::UserScope scope;
  scope.templ.limits.subs = 3;
  scope.templ.limits.payload = 64;
  with.scope = scope;
  jwt::SigningKey without;
  without.key = unset.public_key().str();
  without.scope = jwt::UserScope{};
  a.claims.nats.signing_keys = {with, without, {a.signing.public_key().str(), {}, {}}};
  absl::StatusOr<jwt::AccountClaims> decoded = jwt::DecodeAccount(a.Jwt(op));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  std::vector<std::string> notes;
  auto no_exporters = [](const std::string&) -> std::shared_ptr<const jwt::AccountClaims> {
    return nullptr;
  };
  accounts::AccountSpec spec = AccountClaimsToSpec(*decoded, no_exporters, kNow, &notes);
  ASSERT_EQ(spec.scoped_signing_keys.size(), 2u);
  EXPECT_EQ(spec.scoped_signing_keys.at(with.key).max_subscriptions, 3);
  EXPECT_EQ(spec.scoped_signing_keys.at(with.key).max_payload, 64);
  EXPECT_EQ(spec.scoped_signing_keys.at(without.key).max_subscriptions, -1);
  EXPECT_EQ(spec.scoped_signing_keys.at(without.key).max_payload, -1);
}

}  // namespace
}  // namespace lattice::operator_mode
