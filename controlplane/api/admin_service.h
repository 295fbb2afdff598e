// Admin gRPC service: a thin adapter from lattice.control.v1.Admin to the Frontend.
#pragma once

#include "controlplane/api/auth.h"
#include "controlplane/api/leader_forwarder.h"
#include "controlplane/api/replication.h"
#include "controlplane/frontend/frontend.h"
#include "controlplane/interest/interest_graph.h"
#include "lattice/control/v1/admin.grpc.pb.h"

namespace lattice::api {

namespace v1 = ::lattice::control::v1;

// Owned by ControlServer; borrows the Frontend, the Authenticator and the interest graph.
// Thread: gRPC's sync server calls it from its thread pool; all state lives in the Frontend and
// the interest graph.
class AdminService final : public v1::Admin::Service {
 public:
  // `interest` (not null) is the graph this replica's NodeSync streams feed.
  // `replication` is nullptr for a single, unreplicated control plane.
  // `forwarder` (replicated mode, may be null) forwards writes a follower receives to the
  // leader, and QueryInterest (only the leader holds the graph).
  AdminService(frontend::Frontend* frontend, const Authenticator* auth,
               const interest::InterestGraph* interest, Replication* replication = nullptr,
               LeaderForwarder* forwarder = nullptr)
      : frontend_(frontend),
        auth_(auth),
        interest_(interest),
        replication_(replication),
        forwarder_(forwarder) {}

  grpc::Status PutOperator(grpc::ServerContext* ctx, const v1::PutOperatorRequest* req,
                           v1::WriteResponse* resp) override;
  grpc::Status GetOperator(grpc::ServerContext* ctx, const v1::GetOperatorRequest* req,
                           v1::Operator* resp) override;
  grpc::Status AddSigningKey(grpc::ServerContext* ctx, const v1::AddSigningKeyRequest* req,
                             v1::AddSigningKeyResponse* resp) override;
  grpc::Status ListSigningKeys(grpc::ServerContext* ctx, const v1::ListSigningKeysRequest* req,
                               v1::ListSigningKeysResponse* resp) override;
  grpc::Status PutAccount(grpc::ServerContext* ctx, const v1::PutAccountRequest* req,
                          v1::WriteResponse* resp) override;
  grpc::Status SignAccount(grpc::ServerContext* ctx, const v1::SignAccountRequest* req,
                           v1::WriteResponse* resp) override;
  grpc::Status GetAccount(grpc::ServerContext* ctx, const v1::GetAccountRequest* req,
                          v1::Account* resp) override;
  grpc::Status ListAccounts(grpc::ServerContext* ctx, const v1::ListAccountsRequest* req,
                            v1::ListAccountsResponse* resp) override;
  grpc::Status DeleteAccount(grpc::ServerContext* ctx, const v1::DeleteAccountRequest* req,
                             v1::WriteResponse* resp) override;
  grpc::Status CreateUser(grpc::ServerContext* ctx, const v1::CreateUserRequest* req,
                          v1::CreateUserResponse* resp) override;
  grpc::Status PutTopology(grpc::ServerContext* ctx, const v1::PutTopologyRequest* req,
                           v1::WriteResponse* resp) override;
  grpc::Status DeleteTopology(grpc::ServerContext* ctx, const v1::DeleteTopologyRequest* req,
                              v1::WriteResponse* resp) override;
  grpc::Status GetTopology(grpc::ServerContext* ctx, const v1::GetTopologyRequest* req,
                           v1::TopologyObject* resp) override;
  grpc::Status ListTopology(grpc::ServerContext* ctx, const v1::ListTopologyRequest* req,
                            v1::ListTopologyResponse* resp) override;
  grpc::Status ListAudit(grpc::ServerContext* ctx, const v1::ListAuditRequest* req,
                         v1::ListAuditResponse* resp) override;
  grpc::Status Watch(grpc::ServerContext* ctx, const v1::WatchRequest* req,
                     grpc::ServerWriter<v1::WatchEvent>* writer) override;
  grpc::Status ListReplicas(grpc::ServerContext* ctx, const v1::ListReplicasRequest* req,
                            v1::ListReplicasResponse* resp) override;
  grpc::Status AddReplica(grpc::ServerContext* ctx, const v1::AddReplicaRequest* req,
                          v1::ListReplicasResponse* resp) override;
  grpc::Status RemoveReplica(grpc::ServerContext* ctx, const v1::RemoveReplicaRequest* req,
                             v1::ListReplicasResponse* resp) override;
  // Answered by the leader from its interest graph (a follower forwards it); missing_nodes are
  // the nodes the store lists as UP whose snapshot the leader has not received (no session, or
  // a session still waiting for it).
  grpc::Status QueryInterest(grpc::ServerContext* ctx, const v1::QueryInterestRequest* req,
                             v1::QueryInterestResponse* resp) override;

 private:
  // AddReplica's sanity check of the joiner (when its admin address is given and answers): it
  // must be the replica named and must not run a Raft configuration of its own.
  absl::Status CheckJoiner(const grpc::ServerContext& ctx, const std::string& actor,
                           const v1::AddReplicaRequest& req);

  frontend::Frontend* const frontend_;
  const Authenticator* const auth_;
  const interest::InterestGraph* const interest_;
  Replication* const replication_;
  LeaderForwarder* const forwarder_;
};

}  // namespace lattice::api
