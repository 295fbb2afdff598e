// libFuzzer target for the claims-update path: $SYS.ACCOUNT.<id>.CLAIMS.UPDATE subject and
// payload as received, and (mode 1) fuzzer JSON signed by the trusted operator so mutations
// get past the signature check into claims decoding, activation checks and AccountSpec
// conversion. Keys are fixed so every input replays the same way.
//
// Input: byte 0 = mode. Mode 0: "<subject>\n<payload>". Mode 1: byte 1 picks the account
// (A or B), the rest is the account JWT's payload JSON; "$A"/"$B" become the two account keys
// and an import token "@ACT" becomes a valid activation from A for the updated account.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/strings/str_replace.h"
#include <sodium.h>

#include "common/jwt/claims.h"
#include "common/nkeys/nkeys.h"
#include "dataplane/operator/operator_mode.h"

namespace lattice::operator_mode {
namespace {

constexpr int64_t kNow = 1795737600;

class NullSink : public AccountSink {
 public:
  void ApplyAccount(const accounts::AccountSpec& spec) override { applied += spec.name.size(); }
  void RemoveAccount(const std::string&) override {}
  void CloseUserConnections(const std::string&, const std::string&, int64_t) override {}
  size_t applied = 0;
};

nkeys::KeyPair FixedKey(nkeys::KeyType type, char fill) {
  return *nkeys::KeyPair::FromRawSeed(type, std::string(nkeys::kRawKeySize, fill));
}

std::string B64(std::string_view s) {
  std::string out(sodium_base64_encoded_len(s.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                  '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(s.data()),
                    s.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.pop_back();
  return out;
}

struct Fixture {
  nkeys::KeyPair op = FixedKey(nkeys::KeyType::kOperator, 'o');
  nkeys::KeyPair op_signing = FixedKey(nkeys::KeyType::kOperator, 's');
  nkeys::KeyPair a = FixedKey(nkeys::KeyType::kAccount, 'a');
  nkeys::KeyPair b = FixedKey(nkeys::KeyType::kAccount, 'b');
  std::string op_jwt;
  std::string a_jwt;
  std::string b_jwt;

  Fixture() {
    auto op_claims = jwt::NewOperatorClaims(*nkeys::OperatorPublicKey::FromKey(op.public_key()));
    op_claims.nats.signing_keys = {op_signing.public_key().str()};
    op_jwt = *jwt::Encode(op_claims, op, kNow - 1000);
    auto ac = jwt::NewAccountClaims(*nkeys::AccountPublicKey::FromKey(a.public_key()));
    jwt::Export e;
    e.subject = "svc.>";
    e.type = jwt::ExportType::kService;
    e.token_req = true;
    ac.nats.exports = {e};
    a_jwt = *jwt::Encode(ac, op_signing, kNow - 500);
    auto bc = jwt::NewAccountClaims(*nkeys::AccountPublicKey::FromKey(b.public_key()));
    b_jwt = *jwt::Encode(bc, op_signing, kNow - 500);
  }

  // Signs `payload` (a JSON object) as an account JWT by the operator's signing key.
  std::string Sign(jwt::Json payload) {
    payload["iss"] = op_signing.public_key().str();
    std::string header = B64(R"({"typ":"JWT","alg":"ed25519-nkey"})");
    std::string body = B64(payload.dump(-1, ' ', false, jwt::Json::error_handler_t::replace));
    std::string signing_input = header + "." + body;
    return signing_input + "." + B64(*op_signing.Sign(signing_input));
  }

  std::string Activation(const std::string& importer, const std::string& subject,
                         jwt::ExportType kind) {
    auto key = nkeys::AccountPublicKey::Parse(importer);
    if (!key.ok())
      return "";
    auto act = jwt::NewActivationClaims(*key);
    act.nats.subject = subject;
    act.nats.kind = kind;
    auto token = jwt::Encode(act, a, kNow - 100);
    return token.ok() ? *token : "";
  }
};

Fixture& GetFixture() {
  static Fixture* fixture = new Fixture();
  return *fixture;
}

bool ShallowEnough(std::string_view text) {
  int depth = 0;
  for (char c : text) {
    if (c == '{' || c == '[')
      ++depth;
    if (depth > 32)
      return false;
  }
  return true;
}

void Run(const uint8_t* data, size_t size) {
  if (size < 2)
    return;
  Fixture& f = GetFixture();
  NullSink sink;
  OperatorModeConfig config;
  config.operators = {f.op_jwt};
  config.resolver = "MEMORY";
  config.resolver_preload = {{f.a.public_key().str(), f.a_jwt}, {f.b.public_key().str(), f.b_jwt}};
  config.now = [] { return kNow; };
  auto mode = OperatorMode::Create(std::move(config), &sink);
  if (!mode.ok())
    __builtin_trap();  // the fixture itself must always be valid
  std::string why;
  (*mode)->FindAccount(f.a.public_key().str(), &why);
  (*mode)->FindAccount(f.b.public_key().str(), &why);

  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    size_t nl = in.find('\n');
    std::string_view subject = nl == std::string_view::npos ? in : in.substr(0, nl);
    std::string_view payload = nl == std::string_view::npos ? "" : in.substr(nl + 1);
    (void)(*mode)->HandleClaimsUpdate(subject, payload);
    (void)(*mode)->ApplyAccountJwt(payload);
    return;
  }
  const std::string& target = in[0] % 2 == 0 ? f.a.public_key().str() : f.b.public_key().str();
  std::string text =
      absl::StrReplaceAll(absl::string_view(in.data() + 1, in.size() - 1),
                          {{"$A", f.a.public_key().str()}, {"$B", f.b.public_key().str()}});
  if (!ShallowEnough(text))
    return;
  jwt::Json payload = jwt::Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!payload.is_object())
    return;
  if (!payload.contains("sub"))
    payload["sub"] = target;
  std::string sub = payload["sub"].is_string() ? payload["sub"].get<std::string>() : target;
  jwt::Json* nats =
      payload.contains("nats") && payload["nats"].is_object() ? &payload["nats"] : nullptr;
  if (nats != nullptr && nats->contains("imports") && (*nats)["imports"].is_array()) {
    for (jwt::Json& imp : (*nats)["imports"]) {
      if (!imp.is_object() || !imp.contains("token") || imp["token"] != "@ACT")
        continue;
      std::string subject = imp.contains("subject") && imp["subject"].is_string()
                                ? imp["subject"].get<std::string>()
                                : "svc.x";
      imp["token"] = f.Activation(sub, subject, jwt::ExportType::kService);
    }
  }
  std::string token = f.Sign(std::move(payload));
  (void)(*mode)->HandleClaimsUpdate("$SYS.ACCOUNT." + sub + ".CLAIMS.UPDATE", token);
  (void)(*mode)->ApplyAccountJwt(token);
  (*mode)->FindAccount(f.a.public_key().str(), &why);
  (*mode)->FindAccount(f.b.public_key().str(), &why);
}

}  // namespace
}  // namespace lattice::operator_mode

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  lattice::operator_mode::Run(data, size);
  return 0;
}
