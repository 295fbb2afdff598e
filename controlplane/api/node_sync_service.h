// NodeSync gRPC service: registers a node, pushes versioned accounts bundles and topology as
// they change, and records the node's ACKs and NACKs (xDS-style).
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "common/base/mutex.h"
#include "controlplane/api/auth.h"
#include "controlplane/frontend/frontend.h"
#include "lattice/control/v1/node_sync.grpc.pb.h"

namespace lattice::api {

namespace v1 = ::lattice::control::v1;

// Owned by ControlServer. Thread: each Sync call runs on a gRPC thread plus one reader thread
// it starts; the session table is guarded by mu_.
class NodeSyncService final : public v1::NodeSync::Service {
 public:
  NodeSyncService(frontend::Frontend* frontend, const Authenticator* auth)
      : frontend_(frontend), auth_(auth) {}

  // Protocol: node sends Register; server answers Registered, then an AccountsBundle and a
  // Topology, and again whenever their versions change. The node answers each push with an
  // Ack (error set for a NACK). When the stream ends the node is marked DOWN, unless a newer
  // stream for the same node has registered since.
  grpc::Status Sync(grpc::ServerContext* ctx,
                    grpc::ServerReaderWriter<v1::ControlMessage, v1::NodeMessage>* stream) override;

 private:
  frontend::Frontend* const frontend_;
  const Authenticator* const auth_;
  Mutex mu_;
  uint64_t next_session_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<std::string, uint64_t> sessions_ ABSL_GUARDED_BY(mu_);  // node id -> latest session
};

}  // namespace lattice::api
