// lattice-control: the control plane process (Admin + NodeSync gRPC over RocksDB state).
//
//   lattice-control --data-dir /var/lib/lattice/control --listen 0.0.0.0:7600
//       --tokens-file /etc/lattice/admin-tokens [--key-file /etc/lattice/master.key]
//       [--tls-cert cert.pem --tls-key key.pem [--client-ca ca.pem]] [--port-file FILE]
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>

#include "common/base/log.h"
#include "controlplane/accounts/key_vault.h"
#include "controlplane/api/server.h"
#include "controlplane/frontend/frontend.h"
#include "controlplane/store/rocks_store.h"

namespace lattice {
namespace {

constexpr char kUsage[] =
    "usage: lattice-control --data-dir DIR [--listen HOST:PORT] [--tokens-file FILE]\n"
    "       [--key-file FILE] [--tls-cert PEM --tls-key PEM [--client-ca PEM]]\n"
    "       [--port-file FILE] [--log-file FILE]\n"
    "Credentials: tokens from --tokens-file (\"name token\" lines) and/or the\n"
    "LATTICE_CONTROL_TOKEN environment variable (actor \"env\"), and/or client certificates\n"
    "signed by --client-ca. Without any of them the server refuses to start.\n";

struct Flags {
  std::string data_dir;
  std::string listen = "127.0.0.1:7600";
  std::string tokens_file;
  std::string key_file;
  std::string port_file;
  std::string log_file;
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

  auto store = store::RocksStore::Open(flags.data_dir);
  if (!store.ok()) {
    LATTICE_LOG(kFatal) << "store: " << store.status().message();
    return 1;
  }
  std::string key_file = flags.key_file.empty() ? flags.data_dir + "/master.key" : flags.key_file;
  auto vault = accounts::KeyVault::LoadOrCreate(key_file);
  if (!vault.ok()) {
    LATTICE_LOG(kFatal) << "key vault: " << vault.status().message();
    return 1;
  }
  frontend::Frontend frontend(store->get(), &*vault);
  api::Authenticator auth(std::move(tokens), mtls);

  // Block the stop signals before gRPC starts its threads, then wait for one here.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  flags.server.address = flags.listen;
  auto server = api::ControlServer::Start(flags.server, &frontend, &auth);
  if (!server.ok()) {
    LATTICE_LOG(kFatal) << server.status().message();
    return 1;
  }
  LATTICE_LOG(kInfo) << "lattice-control listening on port " << (*server)->port() << ", data in "
                     << flags.data_dir << ", revision " << frontend.revision();
  if (!flags.port_file.empty()) {
    std::string tmp = flags.port_file + ".tmp";
    std::ofstream(tmp) << (*server)->port() << "\n";
    std::rename(tmp.c_str(), flags.port_file.c_str());
  }
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
