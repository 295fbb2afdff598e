// make_operator_fixture DIR: writes an operator-mode server.conf (operator JWT, system account,
// MEMORY resolver with preloads) and creds files for the nats.js operator test: alice and bob
// (account A), mallory (revoked by A) and trudy (an account the operator never signed).
#include <cstdio>
#include <fstream>
#include <string>

#include "common/creds/creds.h"
#include "common/jwt/claims.h"
#include "common/nkeys/nkeys.h"

namespace lattice {
namespace {

nkeys::KeyPair Key(nkeys::KeyType type) {
  auto kp = nkeys::KeyPair::Generate(type);
  if (!kp.ok()) {
    std::fprintf(stderr, "key generation failed\n");
    std::exit(1);
  }
  return *std::move(kp);
}

template <typename Claims>
std::string Sign(Claims claims, const nkeys::KeyPair& signer) {
  auto token = jwt::Encode(claims, signer);
  if (!token.ok()) {
    std::fprintf(stderr, "encode failed\n");
    std::exit(1);
  }
  return *token;
}

bool Write(const std::string& path, std::string_view text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  return static_cast<bool>(out);
}

int Run(const std::string& dir) {
  nkeys::KeyPair op = Key(nkeys::KeyType::kOperator);
  nkeys::KeyPair sys = Key(nkeys::KeyType::kAccount);
  nkeys::KeyPair acc = Key(nkeys::KeyType::kAccount);
  nkeys::KeyPair rogue = Key(nkeys::KeyType::kAccount);
  jwt::OperatorClaims oc =
      jwt::NewOperatorClaims(*nkeys::OperatorPublicKey::FromKey(op.public_key()));
  oc.std.name = "js-op";
  oc.nats.system_account = sys.public_key().str();
  jwt::AccountClaims sc =
      jwt::NewAccountClaims(*nkeys::AccountPublicKey::FromKey(sys.public_key()));
  sc.std.name = "SYS";
  jwt::AccountClaims ac =
      jwt::NewAccountClaims(*nkeys::AccountPublicKey::FromKey(acc.public_key()));
  ac.std.name = "A";
  ac.nats.limits = jwt::OperatorLimits::Unlimited();
  struct Made {
    std::string name;
    const nkeys::KeyPair* account;
    bool revoke;
  };
  int64_t now = jwt::NowSeconds();
  for (const Made& m : {Made{"alice", &acc, false}, Made{"bob", &acc, false},
                        Made{"mallory", &acc, true}, Made{"trudy", &rogue, false}}) {
    nkeys::KeyPair user = Key(nkeys::KeyType::kUser);
    jwt::UserClaims uc = jwt::NewUserClaims(*nkeys::UserPublicKey::FromKey(user.public_key()));
    uc.std.name = m.name;
    std::string token = Sign(uc, *m.account);
    if (m.revoke) {
      ac.nats.revocations[user.public_key().str()] = now + 60;
    }
    auto creds = creds::FormatUserCreds(token, user);
    if (!creds.ok() || !Write(dir + "/" + m.name + ".creds", creds->view())) {
      std::fprintf(stderr, "cannot write %s.creds\n", m.name.c_str());
      return 1;
    }
  }
  std::string conf = "operator: " + Sign(oc, op) + "\nsystem_account: " + sys.public_key().str() +
                     "\nresolver: MEMORY\nresolver_preload: {\n  " + sys.public_key().str() + ": " +
                     Sign(sc, op) + "\n  " + acc.public_key().str() + ": " + Sign(ac, op) + "\n}\n";
  if (!Write(dir + "/server.conf", conf)) {
    std::fprintf(stderr, "cannot write server.conf\n");
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace lattice

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_operator_fixture DIR\n");
    return 2;
  }
  return lattice::Run(argv[1]);
}
