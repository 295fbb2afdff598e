// LeaderForwarder: a follower's gRPC client to the leader, used to forward Admin writes and to
// proxy NodeSync streams, so callers connected to any replica are served.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/server_context.h"

#include "common/base/mutex.h"
#include "controlplane/api/auth.h"
#include "lattice/control/v1/admin.grpc.pb.h"
#include "lattice/control/v1/node_sync.grpc.pb.h"

namespace lattice::api {

namespace v1 = ::lattice::control::v1;

// Metadata a forwarding replica adds to its call; a replica never forwards such a call again
// (no loops while two replicas disagree about the leader).
inline constexpr char kForwardedHeader[] = "lattice-forwarded";

// Owned by ControlServer (replicated mode only). Thread: any; channels are cached per leader
// address under mu_.
class LeaderForwarder {
 public:
  explicit LeaderForwarder(std::shared_ptr<grpc::ChannelCredentials> credentials)
      : credentials_(std::move(credentials)) {}

  // The leader's address when `local` is a not-the-leader refusal naming one (error details) and
  // the call was not itself forwarded; empty otherwise (answer `local`).
  static std::string Target(const grpc::ServerContext& ctx, const grpc::Status& local);

  // A client context for a call to the leader on behalf of `ctx`'s caller, authenticated here as
  // `actor`: its bearer token (authorization metadata) or, for a certificate caller, its identity
  // in kForwardedForHeader (the leader trusts that only from a replica's certificate); its
  // deadline and cancellation (a cancelled or shut-down server call cancels the forwarded one),
  // and the forwarded marker.
  static std::unique_ptr<grpc::ClientContext> Prepare(const grpc::ServerContext& ctx,
                                                      const std::string& actor);

  std::shared_ptr<grpc::Channel> Channel(const std::string& address);

  // Asks the replica serving Admin at `address` for its ListReplicas, on behalf of `ctx`'s
  // caller (as Prepare), waiting at most `timeout`.
  grpc::Status ListReplicasAt(const grpc::ServerContext& ctx, const std::string& actor,
                              const std::string& address, std::chrono::milliseconds timeout,
                              v1::ListReplicasResponse* out);

  // Forwards a unary Admin call refused locally with `local`. Answers the leader's outcome, or
  // `local` (the leader hint) when the leader cannot be reached.
  template <typename Request, typename Response>
  grpc::Status Unary(grpc::ServerContext* ctx, const std::string& actor, const grpc::Status& local,
                     grpc::Status (v1::Admin::Stub::*method)(grpc::ClientContext*, const Request&,
                                                             Response*),
                     const Request& req, Response* resp) {
    const std::string target = Target(*ctx, local);
    if (target.empty())
      return local;
    v1::Admin::Stub stub(Channel(target));
    std::unique_ptr<grpc::ClientContext> client = Prepare(*ctx, actor);
    grpc::Status forwarded = (stub.*method)(client.get(), req, resp);
    if (forwarded.error_code() == grpc::StatusCode::UNAVAILABLE &&
        forwarded.error_details().empty())
      return local;  // the leader is unreachable: the caller follows the hint or moves on
    return forwarded;
  }

 private:
  const std::shared_ptr<grpc::ChannelCredentials> credentials_;
  Mutex mu_;
  std::map<std::string, std::shared_ptr<grpc::Channel>> channels_ ABSL_GUARDED_BY(mu_);
};

}  // namespace lattice::api
