// Shared helpers of the managed-deployment e2e tests.
#include "e2e/managed/managed_harness.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"

#include "common/jwt/claims.h"
#include "common/testing/child_process.h"
#include "common/testing/eventually.h"

namespace lattice::managed_e2e {

std::string Runfile(const std::string& path) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  // Under `bazel run` (benchmarks) there is no TEST_SRCDIR and the working directory is
  // <runfiles>/<workspace>.
  return absl::StrCat(srcdir ? srcdir : "..", "/", workspace ? workspace : "lattice", "/", path);
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::trunc) << text;
}

nkeys::KeyPair NewKey(nkeys::KeyType type) {
  return *nkeys::KeyPair::Generate(type);
}

std::string UserCreds(const nkeys::KeyPair& account, const std::string& name, int64_t iat,
                      std::string* user_key) {
  nkeys::KeyPair user = NewKey(nkeys::KeyType::kUser);
  auto claims = jwt::NewUserClaims(*nkeys::UserPublicKey::FromKey(user.public_key()));
  claims.std.name = name;
  if (user_key != nullptr)
    *user_key = user.public_key().str();
  std::string token = iat == 0 ? *jwt::Encode(claims, account) : *jwt::Encode(claims, account, iat);
  return absl::StrCat("-----BEGIN NATS USER JWT-----\n", token,
                      "\n------END NATS USER JWT------\n\n"
                      "-----BEGIN USER NKEY SEED-----\n",
                      std::string(user.EncodedSeed().view()), "\n------END USER NKEY SEED------\n");
}

CtlResult RunLatticectl(const std::string& servers, const std::string& token,
                        const std::vector<std::string>& args, const std::string& log_path) {
  std::vector<std::string> argv = {Runfile("tools/latticectl/latticectl"), "--server", servers};
  if (!token.empty()) {
    argv.push_back("--token");
    argv.push_back(token);
  }
  argv.insert(argv.end(), args.begin(), args.end());
  CtlResult result;
  auto child = testutil::ChildProcess::Spawn(argv, log_path);
  if (!child.ok())
    return result;
  absl::StatusOr<int> status = child->WaitExit(kWait);
  if (status.ok())
    result.exit_code = testutil::ExitCode(*status);
  result.output = ReadText(log_path);
  return result;
}

uint64_t AppliedRevision(const std::string& output) {
  constexpr std::string_view kApplied = "applied at revision ";
  const size_t at = output.rfind(kApplied);
  if (at == std::string::npos)
    return 0;
  const size_t begin = at + kApplied.size();
  size_t end = begin;
  while (end < output.size() && output[end] >= '0' && output[end] <= '9')
    ++end;
  uint64_t revision = 0;
  if (!absl::SimpleAtoi(output.substr(begin, end - begin), &revision))
    return 0;
  return revision;
}

std::unique_ptr<Client> Client::Connect(int port, const std::string& creds, std::string* error) {
  natsOptions* opts = nullptr;
  natsOptions_Create(&opts);
  natsOptions_SetURL(opts, absl::StrCat("nats://127.0.0.1:", port).c_str());
  natsOptions_SetUserCredentialsFromFiles(opts, creds.c_str(), nullptr);
  natsOptions_SetAllowReconnect(opts, false);
  natsOptions_SetTimeout(opts, 5000);
  natsConnection* nc = nullptr;
  natsStatus s = natsConnection_Connect(&nc, opts);
  natsOptions_Destroy(opts);
  if (s != NATS_OK) {
    if (error != nullptr)
      *error = absl::StrCat(natsStatus_GetText(s), ": ", nats_GetLastError(nullptr));
    return nullptr;
  }
  return std::unique_ptr<Client>(new Client(nc));
}

Client::~Client() {
  if (sub_ != nullptr)
    natsSubscription_Destroy(sub_);
  for (auto& [name, sub] : named_)
    natsSubscription_Destroy(sub);
  natsConnection_Destroy(nc_);
}

bool Client::Subscribe(const std::string& subject) {
  return natsConnection_SubscribeSync(&sub_, nc_, subject.c_str()) == NATS_OK &&
         natsConnection_Flush(nc_) == NATS_OK;
}

bool Client::AddSubscription(const std::string& name, const std::string& subject,
                             const std::string& queue) {
  if (named_.count(name) != 0)
    return false;
  natsSubscription* sub = nullptr;
  const natsStatus status =
      queue.empty() ? natsConnection_SubscribeSync(&sub, nc_, subject.c_str())
                    : natsConnection_QueueSubscribeSync(&sub, nc_, subject.c_str(), queue.c_str());
  if (status != NATS_OK)
    return false;
  named_[name] = sub;
  return natsConnection_Flush(nc_) == NATS_OK;
}

bool Client::DropSubscription(const std::string& name) {
  auto it = named_.find(name);
  if (it == named_.end())
    return false;
  const bool unsubscribed = natsSubscription_Unsubscribe(it->second) == NATS_OK;
  natsSubscription_Destroy(it->second);
  named_.erase(it);
  return unsubscribed && natsConnection_Flush(nc_) == NATS_OK;
}

bool Client::Publish(const std::string& subject, const std::string& data) {
  return natsConnection_PublishString(nc_, subject.c_str(), data.c_str()) == NATS_OK &&
         natsConnection_Flush(nc_) == NATS_OK;
}

std::optional<std::string> Client::Next(int timeout_ms) {
  natsMsg* msg = nullptr;
  if (sub_ == nullptr || natsSubscription_NextMsg(&msg, sub_, timeout_ms) != NATS_OK)
    return std::nullopt;
  std::string data(natsMsg_GetData(msg), static_cast<size_t>(natsMsg_GetDataLength(msg)));
  natsMsg_Destroy(msg);
  return data;
}

std::unique_ptr<Client> ConnectEventually(int port, const std::string& creds,
                                          const std::function<std::string()>& logs) {
  std::unique_ptr<Client> client;
  std::string error;
  testutil::Eventually(
      [&] {
        client = Client::Connect(port, creds, &error);
        return client != nullptr;
      },
      kWait);
  EXPECT_NE(client, nullptr) << "port " << port << ": " << error << logs();
  return client;
}

void ExpectExchange(int port, const std::string& creds, const std::string& subject,
                    const std::function<std::string()>& logs) {
  std::unique_ptr<Client> sub = ConnectEventually(port, creds, logs);
  std::unique_ptr<Client> pub = ConnectEventually(port, creds, logs);
  ASSERT_TRUE(sub != nullptr && pub != nullptr);
  ASSERT_TRUE(sub->Subscribe(subject));
  ASSERT_TRUE(pub->Publish(subject, "hello " + subject));
  EXPECT_EQ(sub->Next(), "hello " + subject) << "port " << port;
}

void WriteOperatorFiles(const std::string& dir, jwt::OperatorClaims& op,
                        const nkeys::KeyPair& op_key, const nkeys::KeyPair& signer,
                        const nkeys::KeyPair& sys_key) {
  op.nats.signing_keys = {signer.public_key().str()};
  op.nats.system_account = sys_key.public_key().str();
  WriteText(dir + "/op.jwt", *jwt::Encode(op, op_key));
  WriteText(dir + "/sk.seed", std::string(signer.EncodedSeed().view()));
  auto sys = jwt::NewAccountClaims(*nkeys::AccountPublicKey::FromKey(sys_key.public_key()));
  sys.std.name = "SYS";
  WriteText(dir + "/sys.jwt", *jwt::Encode(sys, signer));
  WriteText(dir + "/sys.creds", UserCreds(sys_key, "sys"));
}

absl::Status PushManagedOperator(const std::string& servers, const std::string& token,
                                 const std::string& dir, jwt::OperatorClaims& op,
                                 const nkeys::KeyPair& op_key, const nkeys::KeyPair& signer,
                                 const nkeys::KeyPair& sys_key) {
  WriteOperatorFiles(dir, op, op_key, signer, sys_key);
  WriteText(dir + "/token", token);
  int run = 0;
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"operator", "push", dir + "/op.jwt"},
           {"signing-key", "add", "--seed-file", dir + "/sk.seed"},
           {"account", "push", dir + "/sys.jwt"}}) {
    CtlResult r = RunLatticectl(servers, token, args, absl::StrCat(dir, "/setup.", ++run, ".out"));
    if (r.exit_code != 0)
      return absl::InternalError(
          absl::StrCat("latticectl ", absl::StrJoin(args, " "), ": ", r.output));
  }
  return absl::OkStatus();
}

std::vector<std::string> ManagedNodeCommand(const std::string& node_id, int port,
                                            const std::string& replicas, const std::string& cluster,
                                            const std::string& dir) {
  return {Runfile("dataplane/lattice-node"),
          "-a",
          "127.0.0.1",
          "-p",
          std::to_string(port),
          "--control",
          replicas,
          "--cluster",
          cluster,
          "--operator",
          dir + "/op.jwt",
          "--state_dir",
          absl::StrCat(dir, "/", node_id),
          "--node_id",
          node_id,
          "--control_token_file",
          dir + "/token"};
}

}  // namespace lattice::managed_e2e
