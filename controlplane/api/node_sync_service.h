// NodeSync gRPC service: registers a node, pushes versioned accounts bundles and topology as
// they change, records the node's ACKs and NACKs (xDS-style) and feeds its interest deltas to
// the interest graph.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "common/base/mutex.h"
#include "controlplane/api/auth.h"
#include "controlplane/api/leader_forwarder.h"
#include "controlplane/api/replication.h"
#include "controlplane/frontend/frontend.h"
#include "controlplane/interest/interest_graph.h"
#include "lattice/control/v1/node_sync.grpc.pb.h"

namespace lattice::api {

namespace v1 = ::lattice::control::v1;

// Owned by ControlServer. Thread: each Sync call runs on a gRPC thread plus one reader thread
// it starts (both write on the stream, one at a time); the session table is guarded by mu_.
class NodeSyncService final : public v1::NodeSync::Service {
 public:
  // `forwarder` (replicated mode, may be null): a follower that cannot register a node proxies
  // the whole stream to the leader instead (registration, ACKs and DOWN are leader writes).
  // `replication` (with `forwarder`): a relay ends as soon as this replica learns that the
  // leader it relays to no longer leads (another replica does, or this one), so the node
  // reconnects at once instead of waiting on a dead or deposed leader.
  // `interest` (borrowed, not null) receives the interest deltas of streams registered here.
  NodeSyncService(frontend::Frontend* frontend, const Authenticator* auth,
                  interest::InterestGraph* interest, LeaderForwarder* forwarder = nullptr,
                  Replication* replication = nullptr)
      : frontend_(frontend),
        auth_(auth),
        interest_(interest),
        forwarder_(forwarder),
        replication_(replication) {}

  // Protocol: node sends Register; server answers Registered, then an AccountsBundle and a
  // Topology, and again whenever their versions change. The node answers each push with an
  // Ack (error set for a NACK). The node's InterestDelta messages (a snapshot first) go to the
  // interest graph; a sequence gap is answered with an InterestResync. When the stream ends the
  // node's interest is dropped and the node is marked DOWN, unless a newer stream for the same
  // node has registered since. A relayed stream (Proxy) passes all of it through to the leader.
  grpc::Status Sync(grpc::ServerContext* ctx,
                    grpc::ServerReaderWriter<v1::ControlMessage, v1::NodeMessage>* stream) override;

 private:
  // Applies one InterestDelta of the node's `session`; on a sequence gap sends the node an
  // InterestResync through `write` (the stream's serialized writer).
  void ApplyInterest(const std::string& node_id, uint64_t session, const v1::InterestDelta& delta,
                     const std::function<bool(const v1::ControlMessage&)>& write);

  // Relays the stream, starting with `first`, to the leader at `target` until either side ends
  // or the leader moves; `local` (the refusal with the leader hint) when the leader cannot be
  // reached.
  grpc::Status Proxy(grpc::ServerContext* ctx, const std::string& actor,
                     grpc::ServerReaderWriter<v1::ControlMessage, v1::NodeMessage>* stream,
                     const v1::NodeMessage& first, const std::string& target,
                     const grpc::Status& local);

  // The admin address of the replica that leads now when that is not `target` (this replica's
  // own when it leads); "" while `target` still leads or no leader is known.
  std::string LeaderMovedFrom(const std::string& target);

  frontend::Frontend* const frontend_;
  const Authenticator* const auth_;
  interest::InterestGraph* const interest_;
  LeaderForwarder* const forwarder_;
  Replication* const replication_;
  Mutex mu_;
  uint64_t next_session_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<std::string, uint64_t> sessions_ ABSL_GUARDED_BY(mu_);  // node id -> latest session
};

}  // namespace lattice::api
