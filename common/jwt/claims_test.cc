// Unit tests for JWT v2 encode/decode: every claim type, Go-produced tokens, rejection paths.
#include "common/jwt/claims.h"

#include <string>

#include "gtest/gtest.h"
#include <sodium.h>

#include "common/jwt/json_fields.h"

namespace lattice::jwt {
namespace {

using nkeys::KeyPair;
using nkeys::KeyType;

// A user JWT and seed produced by the NATS Go library (its creds test data).
constexpr char kGoUserJwt[] =
    "eyJ0eXAiOiJqd3QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ."
    "eyJqdGkiOiJHVDROVU5NRUY3Wk1XQ1JCWFZWVURLUVQ2WllQWjc3VzRKUlFYRDNMMjRIS1VKRUNRSDdRIiwiaWF0Ijox"
    "NTkwNzgxNTkzLCJpc3MiOiJBQURXTFRISUNWNFNVQUdGNkVLTlZFVzVCQlA3WVJESUJHV0dHSFo1SkJET1FZQTdHVUZN"
    "NkFRVSIsIm5hbWUiOiJPUEVSQVRPUiIsInN1YiI6IlVERTZXVEdMVFRQQ1JKUkpDS0JKUkdWTlpUTElWUjdMRUVFTFI0"
    "Q1lXV1dCS0pTN1hZSUtYRFVVIiwibmF0cyI6eyJwdWIiOnt9LCJzdWIiOnt9LCJ0eXBlIjoidXNlciIsInZlcnNpb24i"
    "OjJ9fQ."
    "c_XQT04wEoVVNDRjPHeKwe17BOrSpQTcftwIbB7KoNEIz6peZCJDc4-J3emVepHofUOWy7IAo9TlLwYhuGHWAQ";

KeyPair Gen(KeyType type) {
  return *KeyPair::Generate(type);
}

std::string B64(std::string_view s) {
  std::string out(sodium_base64_encoded_len(s.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                  '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(s.data()),
                    s.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.pop_back();
  return out;
}

// Builds a token with arbitrary header/payload text, signed by `signer`.
std::string Forge(std::string_view header, std::string_view payload, const KeyPair& signer) {
  std::string input = B64(header) + "." + B64(payload);
  return input + "." + B64(*signer.Sign(input));
}

TEST(ClaimsTest, ReproducesGoJtiAndRejectsPayloadOnlySignature) {
  // This early-v2 token was signed over the payload segment only; the Go v2 decoder (and we)
  // verify "header.payload" and so refuse it. Its jti still pins the hash algorithm.
  absl::StatusOr<UserClaims> user = DecodeUser(kGoUserJwt);
  ASSERT_FALSE(user.ok());
  EXPECT_EQ(user.status().message(), "jwt: signature verification failed");
  StandardClaims std;
  std.subject = "UDE6WTGLTTPCRJRJCKBJRGVNZTLIVR7LEEELR4CYWWWBKJS7XYIKXDUU";
  std.issuer = "AADWLTHICV4SUAGF6EKNVEW5BBP7YRDIBGWGGHZ5JBDOQYA7GUFM6AQU";
  std.name = "OPERATOR";
  std.issued_at = 1590781593;
  EXPECT_EQ(ComputeJti(std), "GT4NUNMEF7ZMWCRBXVVUDKQT6ZYPZ77W4JRQXD3L24HKUJECQH7Q");
  std.id = "ignored";
  EXPECT_EQ(ComputeJti(std), "GT4NUNMEF7ZMWCRBXVVUDKQT6ZYPZ77W4JRQXD3L24HKUJECQH7Q");
}

TEST(ClaimsTest, GoQuoteMatchesGoEncodingJson) {
  using internal::GoQuote;
  EXPECT_EQ(GoQuote("plain"), R"("plain")");
  EXPECT_EQ(GoQuote("a<b>&c"), R"("a\u003cb\u003e\u0026c")");
  EXPECT_EQ(GoQuote("q\"b\\n\n\t\x01"), R"("q\"b\\n\n\t\u0001")");
  EXPECT_EQ(GoQuote("\xe2\x80\xa8"), R"("\u2028")");
  EXPECT_EQ(GoQuote("\xc3\xa9"), "\"\xc3\xa9\"");
  EXPECT_EQ(GoQuote("\xff"), R"("\ufffd")");
}

TEST(ClaimsTest, OperatorRoundTripsEveryField) {
  KeyPair op = Gen(KeyType::kOperator);
  KeyPair sk = Gen(KeyType::kOperator);
  KeyPair sys = Gen(KeyType::kAccount);
  OperatorClaims c = NewOperatorClaims(*nkeys::OperatorPublicKey::FromKey(op.public_key()));
  c.std.name = "O";
  c.std.expires = 2000000000;
  c.std.not_before = 1000;
  c.std.audience = "aud";
  c.generic.tags = {"env:prod"};
  c.nats.signing_keys = {sk.public_key().str()};
  c.nats.account_server_url = "http://localhost:9090/jwt/v1";
  c.nats.operator_service_urls = {"nats://localhost:4222"};
  c.nats.system_account = sys.public_key().str();
  c.nats.assert_server_version = "2.9.0";
  c.nats.strict_signing_key_usage = true;
  c.nats.description = "d";
  c.nats.info_url = "https://example.invalid/info";
  absl::StatusOr<std::string> token = Encode(c, op, 1700000000);
  ASSERT_TRUE(token.ok()) << token.status();
  absl::StatusOr<OperatorClaims> back = DecodeOperator(*token);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->std.issuer, op.public_key().str());
  EXPECT_EQ(back->std.issued_at, 1700000000);
  EXPECT_EQ(back->std.expires, 2000000000);
  EXPECT_EQ(back->std.not_before, 1000);
  EXPECT_EQ(back->std.audience, "aud");
  EXPECT_EQ(back->std.id, ComputeJti(back->std));
  EXPECT_EQ(back->std.id.size(), 52u);
  EXPECT_EQ(back->generic.tags, c.generic.tags);
  EXPECT_EQ(back->nats.signing_keys, c.nats.signing_keys);
  EXPECT_EQ(back->nats.account_server_url, c.nats.account_server_url);
  EXPECT_EQ(back->nats.operator_service_urls, c.nats.operator_service_urls);
  EXPECT_EQ(back->nats.system_account, c.nats.system_account);
  EXPECT_EQ(back->nats.assert_server_version, "2.9.0");
  EXPECT_TRUE(back->nats.strict_signing_key_usage);
  EXPECT_EQ(back->nats.description, "d");
  EXPECT_EQ(back->nats.info_url, c.nats.info_url);
}

TEST(ClaimsTest, AccountRoundTripsExportsImportsLimitsAndScopedKeys) {
  KeyPair op = Gen(KeyType::kOperator);
  KeyPair acc = Gen(KeyType::kAccount);
  KeyPair scoped = Gen(KeyType::kAccount);
  KeyPair plain = Gen(KeyType::kAccount);
  KeyPair other = Gen(KeyType::kAccount);
  AccountClaims c = NewAccountClaims(*nkeys::AccountPublicKey::FromKey(acc.public_key()));
  c.std.name = "A";
  Export svc;
  svc.name = "help";
  svc.subject = "help.>";
  svc.type = ExportType::kService;
  svc.token_req = true;
  svc.revocations = {{other.public_key().str(), 123}};
  svc.response_type = "Stream";
  svc.response_threshold_ns = 5000000000;
  svc.latency = ServiceLatency{false, 50, "lat.results"};
  svc.account_token_position = 2;
  svc.advertise = true;
  svc.description = "help service";
  Export stream;
  stream.subject = "events.*";
  stream.type = ExportType::kStream;
  stream.latency = ServiceLatency{true, 0, "r"};
  c.nats.exports = {svc, stream};
  Import imp;
  imp.name = "their";
  imp.subject = "their.>";
  imp.account = other.public_key().str();
  imp.local_subject = "mine.>";
  imp.type = ExportType::kStream;
  imp.share = true;
  imp.token = "tok";
  c.nats.imports = {imp};
  c.nats.limits.nats.subs = 100;
  c.nats.limits.account.conn = 5;
  c.nats.limits.account.disallow_bearer = true;
  c.nats.limits.jetstream.mem_storage = 1 << 20;
  c.nats.limits.tiered["R3"].disk_storage = 99;
  UserScope scope;
  scope.role = "dev";
  scope.templ.permissions.pub.allow = {"dev.{{name()}}.>"};
  scope.templ.limits = {kNoLimit, kNoLimit, kNoLimit};
  c.nats.signing_keys = {SigningKey{plain.public_key().str(), std::nullopt},
                         SigningKey{scoped.public_key().str(), scope}};
  c.nats.revocations = {{"*", 100}};
  c.nats.default_permissions.sub.deny = {"secret.>"};
  c.nats.default_permissions.resp = ResponsePermission{1, 1000};
  c.nats.mappings["a.b"] = {WeightedMapping{"c.d", 60, ""}, WeightedMapping{"e.f", 40, "east"}};
  absl::StatusOr<std::string> token = Encode(c, op);
  ASSERT_TRUE(token.ok()) << token.status();
  absl::StatusOr<AccountClaims> back = DecodeAccount(*token);
  ASSERT_TRUE(back.ok()) << back.status();
  const AccountFields& n = back->nats;
  ASSERT_EQ(n.exports.size(), 2u);
  EXPECT_EQ(n.exports[0].name, "help");
  EXPECT_EQ(n.exports[0].type, ExportType::kService);
  EXPECT_TRUE(n.exports[0].token_req);
  EXPECT_EQ(n.exports[0].revocations, svc.revocations);
  EXPECT_EQ(n.exports[0].response_type, "Stream");
  EXPECT_EQ(n.exports[0].response_threshold_ns, 5000000000);
  ASSERT_TRUE(n.exports[0].latency.has_value());
  EXPECT_EQ(n.exports[0].latency->sampling, 50);
  EXPECT_EQ(n.exports[0].account_token_position, 2);
  EXPECT_TRUE(n.exports[0].advertise);
  EXPECT_EQ(n.exports[0].description, "help service");
  EXPECT_TRUE(n.exports[1].latency->sampling_headers);
  ASSERT_EQ(n.imports.size(), 1u);
  EXPECT_EQ(n.imports[0].account, imp.account);
  EXPECT_EQ(n.imports[0].local_subject, "mine.>");
  EXPECT_TRUE(n.imports[0].share);
  EXPECT_EQ(n.imports[0].token, "tok");
  EXPECT_EQ(n.limits.nats.subs, 100);
  EXPECT_EQ(n.limits.nats.data, kNoLimit);
  EXPECT_EQ(n.limits.account.conn, 5);
  EXPECT_TRUE(n.limits.account.disallow_bearer);
  EXPECT_TRUE(n.limits.account.wildcard_exports);
  EXPECT_EQ(n.limits.jetstream.mem_storage, 1 << 20);
  EXPECT_EQ(n.limits.tiered.at("R3").disk_storage, 99);
  ASSERT_EQ(n.signing_keys.size(), 2u);
  EXPECT_FALSE(n.signing_keys[0].scope.has_value());
  ASSERT_TRUE(n.signing_keys[1].scope.has_value());
  EXPECT_EQ(n.signing_keys[1].scope->role, "dev");
  EXPECT_EQ(n.signing_keys[1].scope->templ, scope.templ);
  EXPECT_EQ(n.revocations, c.nats.revocations);
  EXPECT_EQ(n.default_permissions, c.nats.default_permissions);
  ASSERT_EQ(n.mappings.at("a.b").size(), 2u);
  EXPECT_EQ(n.mappings.at("a.b")[1].cluster, "east");
  EXPECT_EQ(n.mappings.at("a.b")[0].weight, 60);
}

TEST(ClaimsTest, UserAndActivationRoundTrip) {
  KeyPair acc = Gen(KeyType::kAccount);
  KeyPair usr = Gen(KeyType::kUser);
  UserClaims u = NewUserClaims(*nkeys::UserPublicKey::FromKey(usr.public_key()));
  UserPermissionLimits& p = u.nats.permissions;
  p.permissions.pub.allow = {"a.>", "b"};
  p.permissions.sub.deny = {"c.*"};
  p.permissions.resp = ResponsePermission{5, 60000000000};
  p.src = {"127.0.0.1/32", "10.0.0.0/8"};
  p.times = {TimeRange{"08:00:00", "17:00:00"}};
  p.times_location = "UTC";
  p.limits = {10, 2048, 512};
  p.bearer_token = true;
  p.allowed_connection_types = {"STANDARD", "WEBSOCKET"};
  u.nats.issuer_account = acc.public_key().str();
  u.generic.tags = {"team:a"};
  absl::StatusOr<std::string> token = Encode(u, acc);
  ASSERT_TRUE(token.ok());
  absl::StatusOr<UserClaims> back = DecodeUser(*token);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->nats.permissions, p);
  EXPECT_EQ(back->nats.issuer_account, acc.public_key().str());

  KeyPair importer = Gen(KeyType::kAccount);
  ActivationClaims a =
      NewActivationClaims(*nkeys::AccountPublicKey::FromKey(importer.public_key()));
  a.nats.subject = "help.*.x";
  a.nats.kind = ExportType::kService;
  absl::StatusOr<std::string> act = Encode(a, acc);
  ASSERT_TRUE(act.ok());
  absl::StatusOr<ActivationClaims> aback = DecodeActivation(*act);
  ASSERT_TRUE(aback.ok()) << aback.status();
  EXPECT_EQ(aback->nats.subject, "help.*.x");
  EXPECT_EQ(aback->nats.kind, ExportType::kService);
  std::string hash = ActivationHashId(*aback);
  EXPECT_EQ(hash.size(), 56u);
  EXPECT_EQ(hash.substr(52), "====");
  // Everything from the first wildcard on is cut before hashing.
  aback->nats.subject = "help.*.y";
  EXPECT_EQ(ActivationHashId(*aback), hash);
  aback->nats.subject = "other.*";
  EXPECT_NE(ActivationHashId(*aback), hash);
}

TEST(ClaimsTest, DecodeDispatchesOnType) {
  KeyPair acc = Gen(KeyType::kAccount);
  KeyPair usr = Gen(KeyType::kUser);
  UserClaims u = NewUserClaims(*nkeys::UserPublicKey::FromKey(usr.public_key()));
  absl::StatusOr<AnyClaims> any = Decode(*Encode(u, acc));
  ASSERT_TRUE(any.ok());
  EXPECT_TRUE(std::holds_alternative<UserClaims>(*any));
  absl::StatusOr<AccountClaims> wrong = DecodeAccount(*Encode(u, acc));
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("expected account claims, got user"), std::string::npos);
}

TEST(ClaimsTest, UnknownFieldsSurviveReencoding) {
  KeyPair acc = Gen(KeyType::kAccount);
  KeyPair usr = Gen(KeyType::kUser);
  std::string payload = R"({"sub":")" + usr.public_key().str() + R"(","iss":")" +
                        acc.public_key().str() +
                        R"(","iat":5,"x_top":{"a":[1,2]},"nats":{"type":"user","version":2,)"
                        R"("x_nats":"keep me","pub":{"allow":["a"]},"future":{"deep":true}}})";
  std::string token = Forge(R"({"typ":"JWT","alg":"ed25519-nkey"})", payload, acc);
  absl::StatusOr<UserClaims> user = DecodeUser(token);
  ASSERT_TRUE(user.ok()) << user.status();
  user->nats.permissions.permissions.sub.allow = {"new"};
  absl::StatusOr<std::string> again = Encode(*user, acc);
  ASSERT_TRUE(again.ok());
  absl::StatusOr<VerifiedToken> verified = DecodeVerified(*again);
  ASSERT_TRUE(verified.ok());
  const Json& out = verified->payload;
  EXPECT_EQ(out["x_top"], Json::parse(R"({"a":[1,2]})"));
  EXPECT_EQ(out["nats"]["x_nats"], "keep me");
  EXPECT_EQ(out["nats"]["future"]["deep"], true);
  EXPECT_EQ(out["nats"]["pub"]["allow"][0], "a");
  EXPECT_EQ(out["nats"]["sub"]["allow"][0], "new");
}

TEST(ClaimsTest, NestedUnknownFieldsSurviveReencoding) {
  KeyPair op = Gen(KeyType::kOperator);
  KeyPair acc = Gen(KeyType::kAccount);
  std::string a = acc.public_key().str();
  std::string payload = R"({"sub":")" + a + R"(","iss":")" + op.public_key().str() +
                        R"(","nats":{"type":"account","version":2,"limits":{"conn":2,"x_lim":1},)"
                        R"("exports":[{"subject":"s","type":"stream","x_exp":"e"}],)"
                        R"("imports":[{"subject":"i","account":")" +
                        a +
                        R"(","type":"stream","x_imp":[1]}],)"
                        R"("signing_keys":[{"kind":"user_scope","key":")" +
                        a + R"(","role":"r","x_sk":true,"template":{"x_tpl":2}}]}})";
  std::string token = Forge(R"({"typ":"JWT","alg":"ed25519-nkey"})", payload, op);
  absl::StatusOr<AccountClaims> claims = DecodeAccount(token);
  ASSERT_TRUE(claims.ok()) << claims.status();
  claims->nats.limits.account.conn = 9;
  claims->nats.exports[0].advertise = true;
  absl::StatusOr<std::string> again = Encode(*claims, op);
  ASSERT_TRUE(again.ok());
  Json nats = DecodeVerified(*again)->payload["nats"];
  EXPECT_EQ(nats["limits"]["conn"], 9);
  EXPECT_EQ(nats["limits"]["x_lim"], 1);
  EXPECT_EQ(nats["exports"][0]["x_exp"], "e");
  EXPECT_EQ(nats["exports"][0]["advertise"], true);
  EXPECT_EQ(nats["imports"][0]["x_imp"], Json::parse("[1]"));
  EXPECT_EQ(nats["signing_keys"][0]["x_sk"], true);
  EXPECT_EQ(nats["signing_keys"][0]["template"]["x_tpl"], 2);
}

TEST(ClaimsTest, EncodeRejectsWrongSignerKind) {
  KeyPair op = Gen(KeyType::kOperator);
  KeyPair usr = Gen(KeyType::kUser);
  UserClaims u = NewUserClaims(*nkeys::UserPublicKey::FromKey(usr.public_key()));
  absl::StatusOr<std::string> token = Encode(u, op);
  ASSERT_FALSE(token.ok());
  EXPECT_NE(token.status().message().find("user claims cannot be signed by operator key"),
            std::string::npos);
  AccountClaims a =
      NewAccountClaims(*nkeys::AccountPublicKey::Parse(Gen(KeyType::kAccount).public_key().str()));
  EXPECT_FALSE(Encode(a, Gen(KeyType::kAccount)).ok());
  UserClaims empty;
  EXPECT_FALSE(Encode(empty, Gen(KeyType::kAccount)).ok());
}

class RejectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    UserClaims u = NewUserClaims(*nkeys::UserPublicKey::FromKey(usr_.public_key()));
    token_ = *Encode(u, acc_);
    size_t d1 = token_.find('.');
    size_t d2 = token_.find('.', d1 + 1);
    header_ = token_.substr(0, d1);
    payload_ = token_.substr(d1 + 1, d2 - d1 - 1);
    sig_ = token_.substr(d2 + 1);
  }
  std::string Message(std::string_view token) {
    absl::StatusOr<UserClaims> u = DecodeUser(token);
    EXPECT_FALSE(u.ok()) << token;
    return u.ok() ? "" : std::string(u.status().message());
  }
  KeyPair acc_ = Gen(KeyType::kAccount);
  KeyPair usr_ = Gen(KeyType::kUser);
  std::string token_, header_, payload_, sig_;
};

TEST_F(RejectTest, Baseline) {
  EXPECT_TRUE(DecodeUser(token_).ok());
}

TEST_F(RejectTest, WrongChunkCount) {
  EXPECT_EQ(Message(header_ + "." + payload_), "jwt: expected 3 chunks");
  EXPECT_EQ(Message(token_ + ".x"), "jwt: expected 3 chunks");
  EXPECT_EQ(Message(""), "jwt: expected 3 chunks");
}

TEST_F(RejectTest, BadBase64) {
  EXPECT_NE(Message("!!." + payload_ + "." + sig_).find("header is not valid base64url"),
            std::string::npos);
  EXPECT_NE(Message(header_ + ".%%." + sig_).find("payload is not valid base64url"),
            std::string::npos);
  EXPECT_NE(Message(header_ + "." + payload_ + ".@@").find("signature is not valid"),
            std::string::npos);
}

TEST_F(RejectTest, TamperedPayloadFailsSignature) {
  std::string payload = R"({"sub":")" + usr_.public_key().str() + R"(","iss":")" +
                        acc_.public_key().str() +
                        R"(","nats":{"type":"user","version":2,"pub":{"allow":[">"]}}})";
  EXPECT_EQ(Message(header_ + "." + B64(payload) + "." + sig_),
            "jwt: signature verification failed");
}

TEST_F(RejectTest, BadSignature) {
  std::string sig = sig_;
  sig[3] = sig[3] == 'A' ? 'B' : 'A';
  EXPECT_EQ(Message(header_ + "." + payload_ + "." + sig), "jwt: signature verification failed");
  EXPECT_EQ(Message(header_ + "." + payload_ + "." + B64("short")),
            "jwt: signature verification failed");
}

TEST_F(RejectTest, SignedBySomeoneElse) {
  // Claims say the account issued it, but another account signed.
  KeyPair mallory = Gen(KeyType::kAccount);
  std::string input = header_ + "." + payload_;
  EXPECT_EQ(Message(input + "." + B64(*mallory.Sign(input))), "jwt: signature verification failed");
}

TEST_F(RejectTest, BadHeaders) {
  std::string p = R"({"sub":")" + usr_.public_key().str() + R"(","iss":")" +
                  acc_.public_key().str() + R"(","nats":{"type":"user","version":2}})";
  EXPECT_TRUE(DecodeUser(Forge(R"({"typ":"jwt","alg":"ED25519-NKEY"})", p, acc_)).ok());
  EXPECT_NE(Message(Forge(R"({"typ":"JWS","alg":"ed25519-nkey"})", p, acc_)).find("type"),
            std::string::npos);
  EXPECT_NE(Message(Forge(R"({"typ":"JWT","alg":"HS256"})", p, acc_)).find("algorithm"),
            std::string::npos);
  EXPECT_NE(Message(Forge(R"({"typ":"JWT","alg":"ed25519"})", p, acc_)).find("v1"),
            std::string::npos);
  EXPECT_NE(Message(Forge(R"(["JWT"])", p, acc_)).find("header is not a JSON object"),
            std::string::npos);
  EXPECT_NE(Message(Forge(R"({"typ":7})", p, acc_)).find("\"typ\" must be a string"),
            std::string::npos);
}

TEST_F(RejectTest, BadPayloads) {
  std::string h = R"({"typ":"JWT","alg":"ed25519-nkey"})";
  std::string iss = acc_.public_key().str();
  std::string sub = usr_.public_key().str();
  EXPECT_NE(Message(Forge(h, "{nope", acc_)).find("not valid JSON"), std::string::npos);
  EXPECT_NE(
      Message(Forge(h, R"({"sub":")" + sub + R"(","iss":")" + iss + R"("})", acc_)).find("v1"),
      std::string::npos);
  EXPECT_NE(Message(Forge(h,
                          R"({"sub":")" + sub + R"(","iss":")" + iss +
                              R"(","nats":{"type":"user","version":3}})",
                          acc_))
                .find("newer than 2"),
            std::string::npos);
  EXPECT_NE(Message(Forge(h,
                          R"({"sub":")" + sub + R"(","iss":")" + iss +
                              R"(","nats":{"type":"wizard","version":2}})",
                          acc_))
                .find("unsupported claim type"),
            std::string::npos);
  EXPECT_NE(Message(Forge(h,
                          R"({"sub":")" + sub + R"(","iss":")" + iss +
                              R"(","iat":"yesterday","nats":{"type":"user","version":2}})",
                          acc_))
                .find("\"iat\" must be an integer"),
            std::string::npos);
  EXPECT_NE(Message(Forge(h,
                          R"({"sub":")" + sub + R"(","iss":")" + iss +
                              R"(","nats":{"type":"user","version":2,"pub":{"allow":"x"}}})",
                          acc_))
                .find("\"allow\" must be an array"),
            std::string::npos);
  std::string deep(200, '[');
  EXPECT_NE(Message(Forge(h, R"({"x":)" + deep + "}", acc_)).find("nested too deeply"),
            std::string::npos);
}

TEST_F(RejectTest, WrongKeyKinds) {
  std::string h = R"({"typ":"JWT","alg":"ed25519-nkey"})";
  KeyPair op = Gen(KeyType::kOperator);
  // A user "issued" by an operator key, correctly signed by it.
  std::string p = R"({"sub":")" + usr_.public_key().str() + R"(","iss":")" + op.public_key().str() +
                  R"(","nats":{"type":"user","version":2}})";
  EXPECT_EQ(Message(Forge(h, p, op)), "jwt: issuer must be account key, got operator key");
  // Subject of the wrong kind.
  p = R"({"sub":")" + acc_.public_key().str() + R"(","iss":")" + acc_.public_key().str() +
      R"(","nats":{"type":"user","version":2}})";
  EXPECT_EQ(Message(Forge(h, p, acc_)), "jwt: subject must be user key, got account key");
  // Issuer that is no key at all.
  p = R"({"sub":")" + usr_.public_key().str() +
      R"(","iss":"nobody","nats":{"type":"user","version":2}})";
  EXPECT_NE(Message(Forge(h, p, acc_)).find("is not a valid public key"), std::string::npos);
}

}  // namespace
}  // namespace lattice::jwt
