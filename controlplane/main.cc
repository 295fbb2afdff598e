// lattice-control: the control plane process (Admin + NodeSync gRPC over RocksDB state).
//
//   lattice-control --data-dir /var/lib/lattice/control --listen 0.0.0.0:7600
//       --tokens-file /etc/lattice/admin-tokens [--key-file /etc/lattice/master.key]
//       [--tls-cert cert.pem --tls-key key.pem [--client-ca ca.pem]] [--port-file FILE]
//       [--replica-id N --raft-listen HOST:PORT --peers ID=HOST:PORT[@ADMIN],... [--bootstrap]]
//
// With --replica-id the process is one replica of a Raft group: every write is a Raft entry,
// applied to the store in <data-dir>/store by every replica; the Raft log is in <data-dir>/raft.
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

#include "common/base/log.h"
#include "controlplane/accounts/key_vault.h"
#include "controlplane/api/server.h"
#include "controlplane/frontend/frontend.h"
#include "controlplane/raft/replica.h"
#include "controlplane/raft/store_state_machine.h"
#include "controlplane/replication/peers.h"
#include "controlplane/replication/raft_replication.h"
#include "controlplane/replication/replicated_store.h"
#include "controlplane/store/rocks_store.h"

namespace lattice {
namespace {

constexpr char kUsage[] =
    "usage: lattice-control --data-dir DIR [--listen HOST:PORT] [--tokens-file FILE]\n"
    "       [--key-file FILE] [--tls-cert PEM --tls-key PEM [--client-ca PEM]]\n"
    "       [--port-file FILE] [--log-file FILE]\n"
    "       [--replica-id N --raft-listen HOST:PORT --peers ID=HOST:PORT[@ADMIN_HOST:PORT],...\n"
    "        [--bootstrap] [--advertise ADMIN_HOST:PORT] [--election-timeout-ms N (500)]]\n"
    "Replicated mode: every replica shares the --key-file and the credentials; the first\n"
    "voters all start with --bootstrap and the same --peers; a replica added later through\n"
    "AddReplica starts without --bootstrap.\n"
    "Credentials: tokens from --tokens-file (\"name token\" lines) and/or the\n"
    "LATTICE_CONTROL_TOKEN environment variable (actor \"env\"), and/or client certificates\n"
    "signed by --client-ca. Without any of them the server refuses to start.\n"
    "  --read-only ACTOR,...   actors limited to reads (\"token:NAME\", \"cert:CN\")\n"
    "  --replica-names CN,...  client-certificate names of the replicas, trusted to forward a\n"
    "                          caller's certificate identity (default with --replica-id and\n"
    "                          --client-ca: the common name of --tls-cert)\n";

struct Flags {
  std::string data_dir;
  std::string listen = "127.0.0.1:7600";
  std::string tokens_file;
  std::string key_file;
  std::string port_file;
  std::string log_file;
  std::string replica_id;
  std::string raft_listen;
  std::string peers;
  std::string advertise;
  std::string election_timeout_ms;
  std::string read_only;
  std::string replica_names;
  bool bootstrap = false;
  api::ServerOptions server;
};

bool ParseFlags(int argc, char** argv, Flags* flags) {
  std::map<std::string, std::string*> values = {
      {"--data-dir", &flags->data_dir},
      {"--listen", &flags->listen},
      {"--tokens-file", &flags->tokens_file},
      {"--key-file", &flags->key_file},
      {"--port-file", &flags->port_file},
      {"--log-file", &flags->log_file},
      {"--tls-cert", &flags->server.tls_cert_file},
      {"--tls-key", &flags->server.tls_key_file},
      {"--client-ca", &flags->server.client_ca_file},
      {"--replica-id", &flags->replica_id},
      {"--raft-listen", &flags->raft_listen},
      {"--peers", &flags->peers},
      {"--advertise", &flags->advertise},
      {"--election-timeout-ms", &flags->election_timeout_ms},
      {"--read-only", &flags->read_only},
      {"--replica-names", &flags->replica_names},
  };
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    size_t eq = arg.find('=');
    if (eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    } else if (arg == "-h" || arg == "--help") {
      return false;
    } else if (arg == "--bootstrap") {
      flags->bootstrap = true;
      continue;
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      std::fprintf(stderr, "%s needs a value\n", arg.c_str());
      return false;
    }
    auto it = values.find(arg);
    if (it == values.end()) {
      std::fprintf(stderr, "unknown flag %s\n", arg.c_str());
      return false;
    }
    *it->second = value;
  }
  return !flags->data_dir.empty();
}

void WritePortFile(const std::string& path, int port) {
  if (path.empty())
    return;
  std::string tmp = path + ".tmp";
  std::ofstream(tmp) << port << "\n";
  std::rename(tmp.c_str(), path.c_str());
}

// One replica of a Raft group: Frontend -> ReplicatedStore -> Replica -> StoreStateMachine.
int RunReplicated(const Flags& flags, const accounts::KeyVault& vault,
                  const api::Authenticator& auth, const sigset_t& stop) {
  uint64_t self = 0;
  if (!absl::SimpleAtoi(flags.replica_id, &self) || self == 0 || flags.raft_listen.empty()) {
    LATTICE_LOG(kFatal) << "--replica-id needs a positive id and --raft-listen HOST:PORT";
    return 2;
  }
  auto peers = replication::ParsePeers(flags.peers);
  if (!peers.ok()) {
    LATTICE_LOG(kFatal) << "--peers: " << peers.status().message();
    return 2;
  }
  replication::AdminDirectory directory;
  raft::ReplicaConfig config;
  config.id = self;
  config.address = flags.raft_listen;
  config.data_dir = flags.data_dir + "/raft";
  // 500 ms: failover ~1.5 s, and no election under write load on a loaded 2-core box, where
  // 300 ms caused one (/work/notes/s2/raft_figures.md, "Election timeout").
  config.election_timeout_ms = 500;
  if (!flags.election_timeout_ms.empty() &&
      !absl::SimpleAtoi(flags.election_timeout_ms, &config.election_timeout_ms)) {
    LATTICE_LOG(kFatal) << "--election-timeout-ms: not a number";
    return 2;
  }
  bool self_listed = false;
  for (const replication::PeerSpec& peer : *peers) {
    if (!peer.admin_address.empty())
      directory.Set(peer.id, peer.admin_address);
    if (peer.id == self) {
      self_listed = true;
      if (peer.raft_address != flags.raft_listen) {
        LATTICE_LOG(kFatal) << "--peers lists replica " << self << " at " << peer.raft_address
                            << " but --raft-listen is " << flags.raft_listen;
        return 2;
      }
    }
    if (flags.bootstrap)
      config.bootstrap.push_back({peer.id, peer.raft_address});
  }
  if (flags.bootstrap && !self_listed)
    config.bootstrap.push_back({self, flags.raft_listen});
  if (!flags.advertise.empty())
    directory.Set(self, flags.advertise);
  else if (directory.Get(self).empty())
    directory.Set(self, flags.listen);

  auto machine = raft::StoreStateMachine::Open(flags.data_dir + "/store");
  if (!machine.ok()) {
    LATTICE_LOG(kFatal) << "store: " << machine.status().message();
    return 1;
  }
  directory.AttachStore(machine->get());  // the replicated replica set, then the local --peers
  raft::Replica replica(**machine);
  replication::ReplicatedStore store(&replica, machine->get(), &directory);
  frontend::Frontend frontend(&store, &vault);
  (*machine)->SetApplyListener(
      [&frontend](uint64_t revision) { frontend.notifier().Publish(revision); });
  if (absl::Status started = replica.Start(config); !started.ok()) {
    LATTICE_LOG(kFatal) << "raft: " << started.message();
    return 1;
  }
  replication::RaftReplication replication(self, &replica, machine->get(), &directory);
  api::ServerOptions options = flags.server;
  auto server = api::ControlServer::Start(options, &frontend, &auth, &replication);
  if (!server.ok()) {
    LATTICE_LOG(kFatal) << server.status().message();
    replica.Stop();
    return 1;
  }
  LATTICE_LOG(kInfo) << "lattice-control replica " << self << " listening on port "
                     << (*server)->port() << ", raft on " << flags.raft_listen << ", data in "
                     << flags.data_dir << ", revision " << frontend.revision();
  WritePortFile(flags.port_file, (*server)->port());
  int signal_number = 0;
  sigwait(&stop, &signal_number);
  LATTICE_LOG(kInfo) << "signal " << signal_number << ": shutting down";
  (*server)->Shutdown();
  replica.Stop();
  (*machine)->SetApplyListener(nullptr);
  return 0;
}

int Run(int argc, char** argv) {
  Flags flags;
  if (!ParseFlags(argc, argv, &flags)) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  if (!flags.log_file.empty() && !log::SetFile(flags.log_file)) {
    std::fprintf(stderr, "cannot open log file %s\n", flags.log_file.c_str());
    return 1;
  }
  std::map<std::string, std::string> tokens;
  if (!flags.tokens_file.empty()) {
    auto loaded = api::Authenticator::LoadTokensFile(flags.tokens_file);
    if (!loaded.ok()) {
      LATTICE_LOG(kFatal) << loaded.status().message();
      return 1;
    }
    tokens = *std::move(loaded);
  }
  if (const char* env = std::getenv("LATTICE_CONTROL_TOKEN"); env != nullptr && *env != '\0')
    tokens[env] = "env";
  const bool mtls = !flags.server.client_ca_file.empty();
  if (tokens.empty() && !mtls) {
    LATTICE_LOG(kFatal) << "no credentials configured: give --tokens-file, "
                           "LATTICE_CONTROL_TOKEN or --client-ca";
    return 1;
  }

  std::string key_file = flags.key_file.empty() ? flags.data_dir + "/master.key" : flags.key_file;
  const bool replicated = !flags.replica_id.empty();
  if (replicated && flags.key_file.empty()) {
    LATTICE_LOG(kFatal) << "--key-file is required with --replica-id: every replica must unseal "
                           "the same signing keys";
    return 1;
  }
  // The default key file lives in the data directory, which the store would create only later.
  std::error_code mkdir_error;
  std::filesystem::create_directories(flags.data_dir, mkdir_error);
  auto vault = accounts::KeyVault::LoadOrCreate(key_file);
  if (!vault.ok()) {
    LATTICE_LOG(kFatal) << "key vault: " << vault.status().message();
    return 1;
  }
  api::AuthPolicy policy;
  for (absl::string_view actor : absl::StrSplit(flags.read_only, ',', absl::SkipEmpty()))
    policy.read_only.insert(std::string(actor));
  for (absl::string_view name : absl::StrSplit(flags.replica_names, ',', absl::SkipEmpty()))
    policy.replica_names.insert(std::string(name));
  if (replicated && mtls && flags.replica_names.empty() && !flags.server.tls_cert_file.empty()) {
    // Replicas forward with their own certificate: by default, this one's name.
    auto own = api::CertificateCommonName(flags.server.tls_cert_file);
    if (!own.ok()) {
      LATTICE_LOG(kFatal) << "--tls-cert: " << own.status().message();
      return 1;
    }
    policy.replica_names.insert(*own);
  }
  api::Authenticator auth(std::move(tokens), mtls, std::move(policy));

  // Block the stop signals before gRPC and Raft start their threads, then wait for one here.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  flags.server.address = flags.listen;
  if (replicated)
    return RunReplicated(flags, *vault, auth, stop);

  auto store = store::RocksStore::Open(flags.data_dir);
  if (!store.ok()) {
    LATTICE_LOG(kFatal) << "store: " << store.status().message();
    return 1;
  }
  frontend::Frontend frontend(store->get(), &*vault);
  auto server = api::ControlServer::Start(flags.server, &frontend, &auth);
  if (!server.ok()) {
    LATTICE_LOG(kFatal) << server.status().message();
    return 1;
  }
  LATTICE_LOG(kInfo) << "lattice-control listening on port " << (*server)->port() << ", data in "
                     << flags.data_dir << ", revision " << frontend.revision();
  WritePortFile(flags.port_file, (*server)->port());
  int signal_number = 0;
  sigwait(&stop, &signal_number);
  LATTICE_LOG(kInfo) << "signal " << signal_number << ": shutting down";
  (*server)->Shutdown();
  return 0;
}

}  // namespace
}  // namespace lattice

int main(int argc, char** argv) {
  return lattice::Run(argc, argv);
}
