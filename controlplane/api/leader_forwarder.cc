// LeaderForwarder: who forwards, with which credentials, over which channel.
#include "controlplane/api/leader_forwarder.h"

#include "grpcpp/create_channel.h"

namespace lattice::api {

std::string LeaderForwarder::Target(const grpc::ServerContext& ctx, const grpc::Status& local) {
  if (local.error_code() != grpc::StatusCode::UNAVAILABLE || local.error_details().empty())
    return "";
  if (ctx.client_metadata().count(kForwardedHeader) != 0)
    return "";
  return local.error_details();
}

std::unique_ptr<grpc::ClientContext> LeaderForwarder::Prepare(const grpc::ServerContext& ctx,
                                                              const std::string& actor) {
  std::unique_ptr<grpc::ClientContext> out = grpc::ClientContext::FromServerContext(ctx);
  for (const auto& [key, value] : ctx.client_metadata()) {
    if (key == "authorization" || key == "lattice-read")
      out->AddMetadata(std::string(key.data(), key.size()),
                       std::string(value.data(), value.size()));
  }
  // The caller's own kForwardedForHeader is never copied: only what this replica verified.
  if (std::string identity = Authenticator::ForwardedIdentity(actor); !identity.empty())
    out->AddMetadata(kForwardedForHeader, identity);
  out->AddMetadata(kForwardedHeader, "1");
  return out;
}

std::shared_ptr<grpc::Channel> LeaderForwarder::Channel(const std::string& address) {
  MutexLock lock(&mu_);
  std::shared_ptr<grpc::Channel>& channel = channels_[address];
  if (channel == nullptr)
    channel = grpc::CreateChannel(address, credentials_);
  return channel;
}

grpc::Status LeaderForwarder::ListReplicasAt(const grpc::ServerContext& ctx,
                                             const std::string& actor, const std::string& address,
                                             std::chrono::milliseconds timeout,
                                             v1::ListReplicasResponse* out) {
  // A fresh context (not FromServerContext): the probe gets its own short deadline.
  grpc::ClientContext client;
  client.set_deadline(std::chrono::system_clock::now() + timeout);
  auto it = ctx.client_metadata().find("authorization");
  if (it != ctx.client_metadata().end())
    client.AddMetadata("authorization", std::string(it->second.data(), it->second.size()));
  if (std::string identity = Authenticator::ForwardedIdentity(actor); !identity.empty())
    client.AddMetadata(kForwardedForHeader, identity);
  v1::Admin::Stub stub(Channel(address));
  return stub.ListReplicas(&client, v1::ListReplicasRequest(), out);
}

}  // namespace lattice::api
