// ControlServer: the gRPC server of lattice-control (Admin + NodeSync) on one address.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/server.h"

#include "controlplane/api/admin_service.h"
#include "controlplane/api/auth.h"
#include "controlplane/api/leader_forwarder.h"
#include "controlplane/api/node_sync_service.h"
#include "controlplane/interest/interest_graph.h"

namespace lattice::api {

struct ServerOptions {
  std::string address = "127.0.0.1:0";  // port 0 picks a free port
  // TLS: PEM files. With client_ca_file, clients must present a certificate it signed (mTLS).
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string client_ca_file;
};

// Owned by main (or a test). Thread: Start/Shutdown from one thread; the services run on
// gRPC's threads.
class ControlServer {
 public:
  static absl::StatusOr<std::unique_ptr<ControlServer>> Start(const ServerOptions& options,
                                                              frontend::Frontend* frontend,
                                                              const Authenticator* auth,
                                                              Replication* replication = nullptr);
  ~ControlServer();

  int port() const { return port_; }
  // Stops accepting calls, wakes streaming calls and waits for them to finish.
  void Shutdown();
  void Wait() { server_->Wait(); }

 private:
  ControlServer(frontend::Frontend* frontend, const Authenticator* auth, Replication* replication,
                std::unique_ptr<LeaderForwarder> forwarder)
      : frontend_(frontend),
        forwarder_(std::move(forwarder)),
        admin_(frontend, auth, &interest_, replication, forwarder_.get()),
        node_sync_(frontend, auth, &interest_, forwarder_.get(), replication) {}

  frontend::Frontend* frontend_;
  std::unique_ptr<LeaderForwarder> forwarder_;  // replicated mode only
  // What the nodes registered here report (soft state; empty on a follower, whose NodeSync
  // streams are relayed to the leader).
  interest::InterestGraph interest_;
  AdminService admin_;
  NodeSyncService node_sync_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  bool shut_down_ = false;
};

}  // namespace lattice::api
