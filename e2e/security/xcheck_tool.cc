// Command-line bridge that lets the npm cross-check scripts drive Lattice's NKeys/JWT/creds code.
//
//   xcheck_tool seed-public SEED               -> public key of the seed
//   xcheck_tool sign SEED MESSAGE              -> base64url signature of MESSAGE
//   xcheck_tool verify PUBLIC MESSAGE SIG      -> exit 0 when SIG (base64url) is valid
//   xcheck_tool decode JWT                     -> verified payload JSON (re-encoded by us)
//   xcheck_tool validate-chain OP ACC USER NOW -> effective user permissions JSON
//   xcheck_tool make-chain NOW                 -> JSON with seeds, JWTs and a creds file we made
//   xcheck_tool parse-creds FILE               -> "<jwt> <user public key>"
//   xcheck_tool seal SEED RECIPIENT MESSAGE    -> base64url "xkv1" sealed box (curve keys)
//   xcheck_tool open SEED SENDER SEALED_B64    -> the opened message
// Errors go to stderr with exit code 1.
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include <sodium.h>

#include "common/creds/creds.h"
#include "common/jwt/chain.h"
#include "common/jwt/claims.h"
#include "common/nkeys/nkeys.h"

namespace lattice::xcheck {
namespace {

using jwt::Json;

int Fail(const std::string& message) {
  std::cerr << "xcheck_tool: " << message << "\n";
  return 1;
}

std::string B64Url(const std::string& bytes) {
  std::string out(sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                  '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.pop_back();
  return out;
}

bool FromB64Url(const std::string& text, std::string* out) {
  out->assign(text.size(), '\0');
  size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out->data()), out->size(), text.data(),
                        text.size(), nullptr, &len, nullptr,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
    return false;
  out->resize(len);
  return true;
}

Json PermissionsJson(const jwt::UserPermissionLimits& p) {
  Json j = Json::object();
  jwt::EncodeUserPermissionLimits(p, j);
  return j;
}

int MakeChain(int64_t now) {
  auto op = *nkeys::KeyPair::Generate(nkeys::KeyType::kOperator);
  auto op_sk = *nkeys::KeyPair::Generate(nkeys::KeyType::kOperator);
  auto acc = *nkeys::KeyPair::Generate(nkeys::KeyType::kAccount);
  auto acc_sk = *nkeys::KeyPair::Generate(nkeys::KeyType::kAccount);
  auto usr = *nkeys::KeyPair::Generate(nkeys::KeyType::kUser);
  jwt::OperatorClaims o =
      jwt::NewOperatorClaims(*nkeys::OperatorPublicKey::FromKey(op.public_key()));
  o.std.name = "lattice-op";
  o.nats.signing_keys = {op_sk.public_key().str()};
  jwt::AccountClaims a = jwt::NewAccountClaims(*nkeys::AccountPublicKey::FromKey(acc.public_key()));
  a.std.name = "lattice-acc";
  a.nats.signing_keys = {jwt::SigningKey{acc_sk.public_key().str(), std::nullopt}};
  jwt::Export e;
  e.subject = "help.>";
  e.type = jwt::ExportType::kService;
  a.nats.exports = {e};
  a.nats.limits.account.conn = 7;
  jwt::UserClaims u = jwt::NewUserClaims(*nkeys::UserPublicKey::FromKey(usr.public_key()));
  u.std.name = "lattice-user";
  u.std.expires = now + 3600;
  u.nats.issuer_account = acc.public_key().str();
  u.nats.permissions.permissions.pub.allow = {"help.>"};
  u.nats.permissions.permissions.sub.deny = {"secret.>"};
  u.generic.tags = {"team:blue"};
  absl::StatusOr<std::string> op_jwt = jwt::Encode(o, op, now);
  absl::StatusOr<std::string> acc_jwt = jwt::Encode(a, op_sk, now);
  absl::StatusOr<std::string> user_jwt = jwt::Encode(u, acc_sk, now);
  if (!op_jwt.ok() || !acc_jwt.ok() || !user_jwt.ok())
    return Fail("encode failed");
  absl::StatusOr<nkeys::SecretString> creds_text = creds::FormatUserCreds(*user_jwt, usr);
  Json out = {{"operator_public", op.public_key().str()},
              {"operator_signing_key", op_sk.public_key().str()},
              {"account_public", acc.public_key().str()},
              {"account_signing_key", acc_sk.public_key().str()},
              {"user_public", usr.public_key().str()},
              {"user_seed", std::string(usr.EncodedSeed().view())},
              {"operator_jwt", *op_jwt},
              {"account_jwt", *acc_jwt},
              {"user_jwt", *user_jwt},
              {"creds", std::string(creds_text->view())}};
  std::cout << out.dump() << "\n";
  return 0;
}

int Main(const std::vector<std::string>& args) {
  if (sodium_init() < 0)
    return Fail("sodium_init failed");
  if (args.empty())
    return Fail("no command");
  const std::string& cmd = args[0];
  if (cmd == "seed-public" && args.size() == 2) {
    absl::StatusOr<nkeys::KeyPair> kp = nkeys::KeyPair::FromSeed(args[1]);
    if (!kp.ok())
      return Fail(std::string(kp.status().message()));
    std::cout << kp->public_key().str() << "\n";
    return 0;
  }
  if (cmd == "sign" && args.size() == 3) {
    absl::StatusOr<nkeys::KeyPair> kp = nkeys::KeyPair::FromSeed(args[1]);
    if (!kp.ok())
      return Fail(std::string(kp.status().message()));
    absl::StatusOr<std::string> sig = kp->Sign(args[2]);
    if (!sig.ok())
      return Fail(std::string(sig.status().message()));
    std::cout << B64Url(*sig) << "\n";
    return 0;
  }
  if (cmd == "verify" && args.size() == 4) {
    absl::StatusOr<nkeys::PublicKey> key = nkeys::PublicKey::Parse(args[1]);
    std::string sig;
    if (!key.ok())
      return Fail(std::string(key.status().message()));
    if (!FromB64Url(args[3], &sig))
      return Fail("signature is not base64url");
    if (!nkeys::Verify(*key, args[2], sig))
      return Fail("signature verification failed");
    std::cout << "ok\n";
    return 0;
  }
  if (cmd == "decode" && args.size() == 2) {
    absl::StatusOr<jwt::AnyClaims> claims = jwt::Decode(args[1]);
    if (!claims.ok())
      return Fail(std::string(claims.status().message()));
    std::visit([](const auto& c) { std::cout << jwt::ToJson(c).dump() << "\n"; }, *claims);
    return 0;
  }
  if (cmd == "validate-chain" && args.size() == 5) {
    absl::StatusOr<jwt::UserPermissionLimits> p =
        jwt::ValidateChain(args[1], args[2], args[3], std::atoll(args[4].c_str()));
    if (!p.ok())
      return Fail(std::string(p.status().message()));
    std::cout << PermissionsJson(*p).dump() << "\n";
    return 0;
  }
  if (cmd == "make-chain" && args.size() == 2)
    return MakeChain(std::atoll(args[1].c_str()));
  if (cmd == "parse-creds" && args.size() == 2) {
    absl::StatusOr<creds::UserCreds> c = creds::ReadUserCredsFile(args[1]);
    if (!c.ok())
      return Fail(std::string(c.status().message()));
    std::cout << c->jwt << " " << nkeys::KeyPair::FromSeed(c->seed.view())->public_key().str()
              << "\n";
    return 0;
  }
  if ((cmd == "seal" || cmd == "open") && args.size() == 4) {
    absl::StatusOr<nkeys::KeyPair> kp = nkeys::KeyPair::FromSeed(args[1]);
    absl::StatusOr<nkeys::CurvePublicKey> peer = nkeys::CurvePublicKey::Parse(args[2]);
    if (!kp.ok() || !peer.ok())
      return Fail("bad curve seed or public key");
    std::string input = args[3];
    if (cmd == "open" && !FromB64Url(args[3], &input))
      return Fail("sealed message is not base64url");
    absl::StatusOr<std::string> result =
        cmd == "seal" ? kp->Seal(input, *peer) : kp->Open(input, *peer);
    if (!result.ok())
      return Fail(std::string(result.status().message()));
    std::cout << (cmd == "seal" ? B64Url(*result) : *result) << "\n";
    return 0;
  }
  return Fail("unknown command or wrong arguments: " + cmd);
}

}  // namespace
}  // namespace lattice::xcheck

int main(int argc, char** argv) {
  return lattice::xcheck::Main(std::vector<std::string>(argv + 1, argv + argc));
}
