// Admin service: authenticate, call the Frontend, convert the result.
#include "controlplane/api/admin_service.h"

#include <chrono>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"

#include "common/base/log.h"
#include "controlplane/api/grpc_status.h"

namespace lattice::api {
namespace {

// Binds `actor` to the caller's identity or returns Unauthenticated from the RPC.
#define LATTICE_API_AUTHENTICATE(ctx, actor)                            \
  absl::StatusOr<std::string> actor##_or = auth_->Authenticate(*(ctx)); \
  if (!actor##_or.ok())                                                 \
    return ToGrpc(actor##_or.status());                                 \
  [[maybe_unused]] const std::string& actor = *actor##_or

// Writes on a replicated control plane first pass the leader's once-per-term barrier. On a
// follower the call is forwarded to the leader (answered with the leader's outcome), or refused
// with the leader hint when it cannot be.
#define LATTICE_API_WRITE_FENCE(Method)                                                          \
  LATTICE_API_AUTHORIZE_WRITE(actor);                                                            \
  if (replication_ != nullptr) {                                                                 \
    if (absl::Status fence = replication_->WriteFence(); !fence.ok()) {                          \
      if (forwarder_ == nullptr)                                                                 \
        return ToGrpc(fence);                                                                    \
      return forwarder_->Unary(ctx, actor, ToGrpc(fence), &v1::Admin::Stub::Method, *req, resp); \
    }                                                                                            \
  }

// Writes need an actor that may write (checked on the replica the caller reached and again on
// the leader a write is forwarded to).
#define LATTICE_API_AUTHORIZE_WRITE(actor)                                \
  if (absl::Status allowed = auth_->AuthorizeWrite(actor); !allowed.ok()) \
  return ToGrpc(allowed)

// Serves a read locally: with "lattice-read: linearizable" first passes the replication read
// fence; the revision the read starts from goes out as trailing metadata "lattice-revision".
#define LATTICE_API_READ(ctx)                                            \
  if (absl::Status fence = ReadFence(*(ctx), replication_); !fence.ok()) \
    return ToGrpc(fence);                                                \
  (ctx)->AddTrailingMetadata("lattice-revision", std::to_string(frontend_->revision()))

absl::Status ReadFence(const grpc::ServerContext& ctx, Replication* replication) {
  auto it = ctx.client_metadata().find("lattice-read");
  if (it == ctx.client_metadata().end() || it->second != "linearizable" || replication == nullptr)
    return absl::OkStatus();
  return replication->ReadFence();
}

template <typename T, typename Out>
grpc::Status Copy(absl::StatusOr<T> result, Out* out) {
  if (!result.ok())
    return ToGrpc(result.status());
  *out = *std::move(result);
  return grpc::Status::OK;
}

grpc::Status Write(const std::string& actor, const char* rpc,
                   absl::StatusOr<frontend::WriteResult> result, v1::WriteResponse* resp) {
  if (!result.ok()) {
    LATTICE_LOG(kInfo) << rpc << " by " << actor << " refused: " << result.status().message();
    return ToGrpc(result.status());
  }
  resp->set_revision(result->revision);
  resp->set_applied(result->applied);
  resp->set_key(result->key);
  *resp->mutable_plan() = std::move(result->plan);
  if (result->applied) {
    LATTICE_LOG(kInfo) << rpc << " by " << actor << " applied at revision " << result->revision;
  }
  return grpc::Status::OK;
}

}  // namespace

grpc::Status AdminService::PutOperator(grpc::ServerContext* ctx, const v1::PutOperatorRequest* req,
                                       v1::WriteResponse* resp) {
  LATTICE_API_AUTHENTICATE(ctx, actor);
  LATTICE_API_WRITE_FENCE(PutOperator);
  return Write(actor, "PutOperator", frontend::RetryIfMoved([&] {
                 return frontend_->PutOperator(actor, req->jwt(), req->dry_run());
               }),
               resp);
}

grpc::Status AdminService::GetOperator(grpc::ServerContext* ctx, const v1::GetOperatorRequest*,
                                       v1::Operator* resp) {
  LATTICE_API_AUTHENTICATE(ctx, actor);
  LATTICE_API_READ(ctx);
  return Copy(frontend_->GetOperator(), resp);
}

grpc::Status AdminService::AddSigningKey(grpc::ServerContext* ctx,
                                         const v1::AddSigningKeyRequest* req,
                                         v1::AddSigningKeyResponse* resp) {
  LATTICE_API_AUTHENTICATE(ctx, actor);
  LATTICE_API_WRITE_FENCE(AddSigningKey);
  return Copy(frontend::RetryIfMoved([&] { return frontend_->AddSigningKey(actor, *req); }), resp);
}

grpc::Status AdminService::ListSigningKeys(grpc::ServerContext* ctx,
                                           const v1::ListSigningKeysRequest*,
                                           v1::ListSigningKeysResponse* resp) {
  LATTICE_API_AUTHENTICATE(ctx, actor);
  LATTICE_API_READ(ctx);
  auto keys = frontend_->ListSigningKeys();
  if (!keys.ok())
    return ToGrpc(keys.status());
  for (auto& key : *keys)
    *resp->add_keys() = std::move(key);
  return grpc::Status::OK;
}

grpc::Status AdminService::PutAccount(grpc::ServerContext* ctx, const v1::PutAccountRequest* req,
                                      v1::WriteResponse* resp) {
  LATTICE_API_AUTHENTICATE(ctx, actor);
  LATTICE_API_WRITE_FENCE(PutAccount);
  return Write(actor, "PutAccount",
               frontend::RetryIfMoved([&] { return frontend_->PutAccount(actor, *req); }), resp);
}

grpc::Status AdminService::SignAccount(grpc::ServerContext* ctx, const v1::SignAccountRequest* req,
                                       v1::WriteResponse* resp) {
  LATTICE_API_AUTHENTICATE(ctx, actor);
  LATTICE_API_WRITE_FENCE(SignAccount);
  return Write(actor, "SignAccount",
               frontend::RetryIfMoved([&] { return frontend_->SignAccount(actor, *req); }), resp);
}

grpc::Status AdminService::GetAccount(grpc::ServerContext* ctx, const v1::GetAccountRequest* req,
                                      v1::Account* resp) {
  LATTICE_API_AUTHENTICATE(ctx, actor);
  LATTICE_API_READ(ctx);
  return Copy(frontend_->GetAccount(req->public_key()), resp);
}

grpc::Status AdminService::ListAccounts(grpc::ServerContext* ctx,
                                        const v1::ListAccountsRequest* req,
                                        v1::ListAccountsResponse* resp) {
  LATTICE_API_AUTHENTICATE(ctx, actor);
  LATTICE_API_READ(ctx);
  return Copy(frontend_->ListAccounts(*req), resp);
}

grpc::Status AdminService::DeleteAccount(grpc::ServerContext* ctx,
                                         const v1::DeleteAccountRequest* req,
                                         v1::WriteResponse* resp) {
  LATTICE_API_AUTHENTICATE(ctx, actor);
  LATTICE_API_WRITE_FENCE(DeleteAccount);
  return Write(actor, "DeleteAccount",
               frontend::RetryIfMoved([&] { return frontend_->DeleteAccount(actor, *req); }), resp);
}

grpc::Status AdminService::CreateUser(grpc::ServerContext* ctx, const v1::CreateUserRequest* req,
                                      v1::CreateUserResponse* resp) {
  LATTICE_API_AUTHENTICATE(ctx, actor);
  LATTICE_API_WRITE_FENCE(CreateUser);
  return Copy(frontend::RetryIfMoved([&] { return frontend_->CreateUser(actor, *req); }), resp);
}

grpc::Status AdminService::PutTopology(grpc::ServerContext* ctx, const v1::PutTopologyRequest* req,
                                       v1::WriteResponse* resp) {
  LATTICE_API_AUTHENTICATE(ctx, actor);
  LATTICE_API_WRITE_FENCE(PutTopology);
  return Write(actor, "PutTopology",
               frontend::RetryIfMoved([&] { return frontend_->PutTopology(actor, *req); }), resp);
}

grpc::Status AdminService::DeleteTopology(grpc::ServerContext* ctx,
                                          const v1::DeleteTopologyRequest* req,
                                          v1::WriteResponse* resp) {
  LATTICE_API_AUTHENTICATE(ctx, actor);
  LATTICE_API_WRITE_FENCE(DeleteTopology);
  return Write(actor, "DeleteTopology",
               frontend::RetryIfMoved([&] { return frontend_->DeleteTopology(actor, *req); }),
               resp);
}

grpc::Status AdminService::GetTopology(grpc::ServerContext* ctx, const v1::GetTopologyRequest* req,
                                       v1::TopologyObject* resp) {
  LATTICE_API_AUTHENTICATE(ctx, actor);
  LATTICE_API_READ(ctx);
  return Copy(frontend_->GetTopology(req->kind(), req->key()), resp);
}

grpc::Status AdminService::ListTopology(grpc::ServerContext* ctx,
                                        const v1::ListTopologyRequest* req,
                                        v1::ListTopologyResponse* resp) {
  LATTICE_API_AUTHENTICATE(ctx, actor);
  LATTICE_API_READ(ctx);
  return Copy(frontend_->ListTopology(*req), resp);
}

grpc::Status AdminService::ListAudit(grpc::ServerContext* ctx, const v1::ListAuditRequest* req,
                                     v1::ListAuditResponse* resp) {
  LATTICE_API_AUTHENTICATE(ctx, actor);
  LATTICE_API_READ(ctx);
  return Copy(frontend_->ListAudit(*req), resp);
}

grpc::Status AdminService::Watch(grpc::ServerContext* ctx, const v1::WatchRequest* req,
                                 grpc::ServerWriter<v1::WatchEvent>* writer) {
  LATTICE_API_AUTHENTICATE(ctx, actor);
  const std::vector<std::string> kinds(req->kinds().begin(), req->kinds().end());
  uint64_t after = req->from_revision();
  // Sends everything after `after`, up to the current revision; false when the client is gone.
  auto drain = [&]() -> absl::StatusOr<bool> {
    const uint64_t target = frontend_->revision();
    while (after < target) {
      uint64_t scanned = after;
      auto events = frontend_->ReadChanges(after, kinds, 256, &scanned);
      if (!events.ok())
        return events.status();
      for (const auto& event : *events) {
        if (!writer->Write(event))
          return false;
      }
      if (scanned == after)
        break;  // audit trail ends before `target` (cannot happen with one writer)
      after = scanned;
    }
    return true;
  };
  auto sent = drain();
  if (!sent.ok())
    return ToGrpc(sent.status());
  if (!*sent)
    return grpc::Status::OK;
  v1::WatchEvent synced;
  synced.set_synced(true);
  synced.set_revision(std::max(after, req->from_revision()));
  if (!writer->Write(synced))
    return grpc::Status::OK;
  frontend::ChangeNotifier& notifier = frontend_->notifier();
  while (!ctx->IsCancelled() && !notifier.closed()) {
    notifier.WaitAfter(after, std::chrono::milliseconds(200));
    sent = drain();
    if (!sent.ok())
      return ToGrpc(sent.status());
    if (!*sent)
      break;
  }
  return grpc::Status::OK;
}

}  // namespace lattice::api

namespace lattice::api {

grpc::Status AdminService::ListReplicas(grpc::ServerContext* ctx, const v1::ListReplicasRequest*,
                                        v1::ListReplicasResponse* resp) {
  LATTICE_API_AUTHENTICATE(ctx, actor);
  if (replication_ == nullptr) {
    resp->set_revision(frontend_->revision());
    return grpc::Status::OK;
  }
  return Copy(replication_->ListReplicas(), resp);
}

absl::Status AdminService::CheckJoiner(const grpc::ServerContext& ctx, const std::string& actor,
                                       const v1::AddReplicaRequest& req) {
  if (forwarder_ == nullptr || req.admin_address().empty())
    return absl::OkStatus();
  absl::StatusOr<v1::ListReplicasResponse> ours = replication_->ListReplicas();
  v1::ListReplicasResponse theirs;
  if (!ours.ok() ||
      !forwarder_->ListReplicasAt(ctx, actor, req.admin_address(), std::chrono::seconds(3), &theirs)
           .ok()) {
    return absl::OkStatus();  // not reachable (yet): Raft adds it once it is up
  }
  if (theirs.answered_by() != req.id()) {
    return absl::FailedPreconditionError(absl::StrCat("the replica serving Admin at ",
                                                      req.admin_address(), " is replica ",
                                                      theirs.answered_by(), ", not ", req.id()));
  }
  // A joiner started empty knows no configuration until the leader sends one; one that knows a
  // configuration without this group's members was bootstrapped on its own (its entry 1 would
  // silently diverge from ours: controlplane/replication/README.md, "Wiped data directory").
  bool knows_us = theirs.replicas().empty();
  for (const v1::ReplicaInfo& member : theirs.replicas())
    knows_us = knows_us || member.id() == ours->answered_by();
  if (!knows_us) {
    return absl::FailedPreconditionError(absl::StrCat(
        "replica ", req.id(), " at ", req.admin_address(),
        " already has its own Raft configuration (started with --bootstrap?): wipe its data "
        "directory and start it without --bootstrap"));
  }
  return absl::OkStatus();
}

grpc::Status AdminService::AddReplica(grpc::ServerContext* ctx, const v1::AddReplicaRequest* req,
                                      v1::ListReplicasResponse* resp) {
  LATTICE_API_AUTHENTICATE(ctx, actor);
  LATTICE_API_AUTHORIZE_WRITE(actor);
  if (replication_ == nullptr)
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        "this control plane is not replicated");
  if (absl::Status joinable = CheckJoiner(*ctx, actor, *req); !joinable.ok()) {
    LATTICE_LOG(kInfo) << "AddReplica " << req->id() << " by " << actor << ": " << joinable;
    return ToGrpc(joinable);
  }
  absl::Status added = replication_->AddReplica(*req);
  LATTICE_LOG(kInfo) << "AddReplica " << req->id() << " at " << req->raft_address() << " by "
                     << actor << ": " << added;
  if (!added.ok()) {
    if (forwarder_ == nullptr)
      return ToGrpc(added);
    return forwarder_->Unary(ctx, actor, ToGrpc(added), &v1::Admin::Stub::AddReplica, *req, resp);
  }
  return Copy(replication_->ListReplicas(), resp);
}

grpc::Status AdminService::RemoveReplica(grpc::ServerContext* ctx,
                                         const v1::RemoveReplicaRequest* req,
                                         v1::ListReplicasResponse* resp) {
  LATTICE_API_AUTHENTICATE(ctx, actor);
  LATTICE_API_AUTHORIZE_WRITE(actor);
  if (replication_ == nullptr)
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        "this control plane is not replicated");
  absl::Status removed = replication_->RemoveReplica(*req);
  LATTICE_LOG(kInfo) << "RemoveReplica " << req->id() << " by " << actor << ": " << removed;
  if (!removed.ok()) {
    if (forwarder_ == nullptr)
      return ToGrpc(removed);
    return forwarder_->Unary(ctx, actor, ToGrpc(removed), &v1::Admin::Stub::RemoveReplica, *req,
                             resp);
  }
  return Copy(replication_->ListReplicas(), resp);
}

grpc::Status AdminService::QueryInterest(grpc::ServerContext* ctx,
                                         const v1::QueryInterestRequest* req,
                                         v1::QueryInterestResponse* resp) {
  LATTICE_API_AUTHENTICATE(ctx, actor);
  // A read, but only the leader holds the graph (followers relay their NodeSync streams to it).
  uint64_t answered_by = 0;
  if (replication_ != nullptr) {
    absl::StatusOr<v1::ListReplicasResponse> replicas = replication_->ListReplicas();
    if (!replicas.ok())
      return ToGrpc(replicas.status());
    if (replicas->leader_id() != replicas->answered_by()) {
      const grpc::Status local(grpc::StatusCode::UNAVAILABLE,
                               replicas->leader_id() == 0
                                   ? "no control-plane leader: the interest graph is unknown"
                                   : "not the control-plane leader (it holds the interest graph)",
                               replicas->leader_admin_address());
      if (forwarder_ == nullptr)
        return local;
      return forwarder_->Unary(ctx, actor, local, &v1::Admin::Stub::QueryInterest, *req, resp);
    }
    answered_by = replicas->answered_by();
  }
  absl::StatusOr<v1::QueryInterestResponse> answer = interest_->Query(*req);
  if (!answer.ok())
    return ToGrpc(answer.status());
  absl::StatusOr<topology::TopologySet> set = frontend_->LoadTopology();
  if (!set.ok())
    return ToGrpc(set.status());
  // A node is missing until its snapshot is in: a session without one (just registered, or
  // resyncing after a gap) says nothing about the node's interest yet.
  std::set<std::string> reporting;
  for (const v1::NodeInterestState& node : answer->nodes()) {
    if (node.snapshot_unix_ms() != 0)
      reporting.insert(node.node_id());
  }
  for (const auto& [id, node] : set->nodes) {
    if (node.state() == v1::NODE_STATE_UP && reporting.count(id) == 0 &&
        (req->node_id().empty() || req->node_id() == id))
      answer->add_missing_nodes(id);
  }
  answer->set_answered_by(answered_by);
  *resp = *std::move(answer);
  return grpc::Status::OK;
}

}  // namespace lattice::api
