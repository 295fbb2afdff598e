// Shared helpers of the managed-deployment e2e tests: runfiles, files, creds, latticectl runs
// and a libnats client that never reconnects (so a server-side close is final and visible).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include <nats/nats.h>

#include "common/jwt/claims.h"
#include "common/nkeys/nkeys.h"

namespace lattice::managed_e2e {

// Every "eventually" in these suites polls with this bound (never asserted as a time).
inline constexpr auto kWait = std::chrono::seconds(30);

// Path of `path` in this test's runfiles ("accountd/accountd").
std::string Runfile(const std::string& path);
std::string ReadText(const std::string& path);
void WriteText(const std::string& path, const std::string& text);
nkeys::KeyPair NewKey(nkeys::KeyType type);

// A creds file (text) for a new user of `account`, signed by the account key (pre-signed
// accounts). `iat` 0 = now; `user_key` receives the user's public key.
std::string UserCreds(const nkeys::KeyPair& account, const std::string& name, int64_t iat = 0,
                      std::string* user_key = nullptr);

struct CtlResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

// Runs the real latticectl (admin commands over gRPC) to completion: `--server servers --token
// token args...` (no --token when empty); its output lands in `log_path` too.
CtlResult RunLatticectl(const std::string& servers, const std::string& token,
                        const std::vector<std::string>& args, const std::string& log_path);

// The revision in latticectl's "applied at revision N" line, 0 when absent.
uint64_t AppliedRevision(const std::string& output);

// A libnats connection that never reconnects, so a server-side close is final. Thread: test.
class Client {
 public:
  // Connects with a creds file; nullptr (and the error text in `error`) when refused.
  static std::unique_ptr<Client> Connect(int port, const std::string& creds, std::string* error);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool Closed() { return natsConnection_IsClosed(nc_); }
  bool Subscribe(const std::string& subject);
  bool Publish(const std::string& subject, const std::string& data);
  // The next message's payload (of the Subscribe subscription), or nullopt after `timeout_ms`.
  std::optional<std::string> Next(int timeout_ms = 2000);
  // Further subscriptions, known by `name`, plain or in queue group `queue`; the server has
  // processed the SUB (or UNSUB) when these return true.
  bool AddSubscription(const std::string& name, const std::string& subject,
                       const std::string& queue = "");
  bool DropSubscription(const std::string& name);

 private:
  explicit Client(natsConnection* nc) : nc_(nc) {}
  natsConnection* nc_;
  natsSubscription* sub_ = nullptr;
  std::map<std::string, natsSubscription*> named_;
};

// Connects to `port` with `creds`, retrying (up to kWait) until the account has reached that
// server; on failure the test fails with `logs()` appended.
std::unique_ptr<Client> ConnectEventually(int port, const std::string& creds,
                                          const std::function<std::string()>& logs);

// A subscriber and a publisher of `creds` on `port` exchange one message on `subject`.
void ExpectExchange(int port, const std::string& creds, const std::string& subject,
                    const std::function<std::string()>& logs);

// Writes into `dir` an operator (op.jwt: `op` signed by `op_key`, with `signer` as its signing
// key and `sys_key` as its system account), sk.seed (the signer's seed, for the control plane),
// sys.jwt (the system account signed by `signer`) and sys.creds (a system user).
void WriteOperatorFiles(const std::string& dir, jwt::OperatorClaims& op,
                        const nkeys::KeyPair& op_key, const nkeys::KeyPair& signer,
                        const nkeys::KeyPair& sys_key);

// WriteOperatorFiles into `dir`, plus dir/token (`token`); then pushes the operator, its signing
// key (so the control plane signs managed accounts) and the system account through latticectl
// at `servers`. The failing latticectl's output otherwise.
absl::Status PushManagedOperator(const std::string& servers, const std::string& token,
                                 const std::string& dir, jwt::OperatorClaims& op,
                                 const nkeys::KeyPair& op_key, const nkeys::KeyPair& signer,
                                 const nkeys::KeyPair& sys_key);

// The command line of managed lattice-node `node_id` on `port`, registering with `replicas`
// ("a,b,c") in `cluster`, with the files PushManagedOperator wrote into `dir` (its state goes
// to dir/<node_id>).
std::vector<std::string> ManagedNodeCommand(const std::string& node_id, int port,
                                            const std::string& replicas, const std::string& cluster,
                                            const std::string& dir);

}  // namespace lattice::managed_e2e
