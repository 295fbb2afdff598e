// NodeSync: one reader thread records ACKs and interest deltas; the call's thread pushes new
// versions.
#include "controlplane/api/node_sync_service.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "common/base/log.h"
#include "controlplane/api/grpc_status.h"
#include "controlplane/topology/topology_rules.h"

namespace lattice::api {
namespace {

// How often a relay checks whether the leader it relays to still leads (a ListReplicas: one
// round trip to the Raft loop). Failover itself takes over a second.
constexpr std::chrono::milliseconds kLeaderWatchPeriod(100);

}  // namespace

grpc::Status NodeSyncService::Sync(
    grpc::ServerContext* ctx,
    grpc::ServerReaderWriter<v1::ControlMessage, v1::NodeMessage>* stream) {
  absl::StatusOr<std::string> actor = auth_->Authenticate(*ctx);
  if (!actor.ok())
    return ToGrpc(actor.status());
  // Registering, ACKing and going DOWN are writes.
  if (absl::Status allowed = auth_->AuthorizeWrite(*actor); !allowed.ok())
    return ToGrpc(allowed);
  v1::NodeMessage first;
  if (!stream->Read(&first))
    return grpc::Status::OK;
  if (!first.has_register_())
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "the first message must be register");
  const v1::Register reg = first.register_();
  // Claim the node's session before registering, so an older stream of the same node that is
  // closing now cannot mark it DOWN after this registration.
  uint64_t session = 0;
  {
    MutexLock lock(&mu_);
    session = next_session_++;
    sessions_[reg.node_id()] = session;
  }
  absl::StatusOr<uint64_t> registered =
      frontend::RetryIfMoved([&] { return frontend_->RegisterNode(reg); });
  if (!registered.ok()) {
    MutexLock lock(&mu_);
    auto it = sessions_.find(reg.node_id());
    if (it != sessions_.end() && it->second == session)
      sessions_.erase(it);
    const grpc::Status local = ToGrpc(registered.status());
    const std::string target =
        forwarder_ == nullptr ? std::string() : LeaderForwarder::Target(*ctx, local);
    if (!target.empty())
      return Proxy(ctx, *actor, stream, first, target, local);
    return local;
  }
  LATTICE_LOG(kInfo) << "node " << reg.node_id() << " (cluster " << reg.cluster()
                     << ") registered by " << *actor;
  interest_->Open(reg.node_id(), reg.cluster(), session);
  // gRPC allows one Write in flight per stream: the pusher and the reader (resyncs) take turns.
  Mutex write_mu;
  auto write = [&](const v1::ControlMessage& message) {
    MutexLock lock(&write_mu);
    return stream->Write(message);
  };
  v1::ControlMessage hello;
  hello.mutable_registered()->set_node_id(reg.node_id());
  hello.mutable_registered()->set_revision(*registered);
  bool writable = write(hello);

  std::atomic<bool> reader_done{false};
  std::thread reader([&] {
    v1::NodeMessage message;
    while (stream->Read(&message)) {
      if (message.has_ack()) {
        absl::Status status = frontend::RetryIfMoved(
            [&] { return frontend_->RecordAck(reg.node_id(), message.ack()); });
        if (!status.ok()) {
          LATTICE_LOG(kWarn) << "node " << reg.node_id() << ": ack not recorded: " << status;
        } else if (!message.ack().error().empty()) {
          LATTICE_LOG(kWarn) << "node " << reg.node_id() << " NACKed "
                             << message.ack().resource_type() << " " << message.ack().version()
                             << ": " << message.ack().error();
        }
      }
      if (message.has_interest())
        ApplyInterest(reg.node_id(), session, message.interest(), write);
    }
    reader_done = true;  // the pusher notices within one wait period
  });

  std::string sent_accounts =
      reg.held_versions().count("accounts") ? reg.held_versions().at("accounts") : std::string();
  std::string sent_topology =
      reg.held_versions().count("topology") ? reg.held_versions().at("topology") : std::string();
  uint64_t seen = 0;
  bool first_round = true;
  grpc::Status result = grpc::Status::OK;
  while (writable && !reader_done && !ctx->IsCancelled() && !frontend_->notifier().closed()) {
    const uint64_t revision = frontend_->revision();
    if (first_round || revision != seen) {
      first_round = false;
      seen = revision;
      auto bundle = frontend_->BuildAccountsBundle();
      auto set = frontend_->LoadTopology();
      if (!bundle.ok() || !set.ok()) {
        result = ToGrpc(!bundle.ok() ? bundle.status() : set.status());
        break;
      }
      if (bundle->version() != sent_accounts) {
        v1::ControlMessage push;
        *push.mutable_accounts() = *std::move(bundle);
        sent_accounts = push.accounts().version();
        writable = write(push);
      }
      v1::ControlMessage push;
      *push.mutable_topology() = topology::BuildNodeTopology(*set, reg.node_id(), reg.cluster());
      if (writable && push.topology().version() != sent_topology) {
        sent_topology = push.topology().version();
        writable = write(push);
      }
    }
    frontend_->notifier().WaitAfter(seen, std::chrono::milliseconds(200));
  }
  if (!reader_done)
    ctx->TryCancel();  // the pusher stopped first: unblock the reader
  reader.join();
  interest_->Close(reg.node_id(), session);
  bool latest = false;
  {
    MutexLock lock(&mu_);
    auto it = sessions_.find(reg.node_id());
    latest = it != sessions_.end() && it->second == session;
    if (latest)
      sessions_.erase(it);
  }
  if (latest) {
    absl::Status down =
        frontend::RetryIfMoved([&] { return frontend_->MarkNodeDown(reg.node_id()); });
    if (!down.ok()) {
      LATTICE_LOG(kWarn) << "node " << reg.node_id() << ": not marked down: " << down;
    }
  }
  LATTICE_LOG(kInfo) << "node " << reg.node_id() << " stream closed";
  return result;
}

void NodeSyncService::ApplyInterest(const std::string& node_id, uint64_t session,
                                    const v1::InterestDelta& delta,
                                    const std::function<bool(const v1::ControlMessage&)>& write) {
  interest::ApplyOutcome outcome = interest_->Apply(node_id, session, delta);
  if (outcome.rejected > 0) {
    LATTICE_LOG(kWarn) << "node " << node_id << ": " << outcome.rejected
                       << " malformed interest changes skipped (sequence " << delta.sequence()
                       << ")";
  }
  if (outcome.result != interest::ApplyResult::kResync)
    return;
  LATTICE_LOG(kInfo) << "node " << node_id << ": interest resync requested: " << outcome.reason;
  v1::ControlMessage resync;
  resync.mutable_interest_resync()->set_reason(outcome.reason);
  (void)write(resync);  // a failed write ends the stream; the reader sees it next
}

grpc::Status NodeSyncService::Proxy(
    grpc::ServerContext* ctx, const std::string& actor,
    grpc::ServerReaderWriter<v1::ControlMessage, v1::NodeMessage>* stream,
    const v1::NodeMessage& first, const std::string& target, const grpc::Status& local) {
  v1::NodeSync::Stub stub(forwarder_->Channel(target));
  std::unique_ptr<grpc::ClientContext> client = LeaderForwarder::Prepare(*ctx, actor);
  std::unique_ptr<grpc::ClientReaderWriter<v1::NodeMessage, v1::ControlMessage>> upstream =
      stub.Sync(client.get());
  v1::ControlMessage message;
  if (!upstream->Write(first) || !upstream->Read(&message)) {
    grpc::Status status = upstream->Finish();
    if (status.error_code() == grpc::StatusCode::UNAVAILABLE && status.error_details().empty())
      return local;  // the leader is unreachable: the node follows the hint or moves on
    return status;
  }
  LATTICE_LOG(kInfo) << "node " << first.register_().node_id()
                     << ": stream relayed to the leader at " << target;
  // Leadership watch: polls this replica's view of the leader while the relay runs.
  std::mutex watch_mu;
  std::condition_variable watch_cv;
  bool relay_over = false;  // guarded by watch_mu
  std::string moved_to;     // guarded by watch_mu
  std::thread watcher;
  if (replication_ != nullptr) {
    watcher = std::thread([&] {
      std::unique_lock<std::mutex> lock(watch_mu);
      while (!watch_cv.wait_for(lock, kLeaderWatchPeriod, [&] { return relay_over; })) {
        lock.unlock();
        std::string now_leading = LeaderMovedFrom(target);
        lock.lock();
        if (!now_leading.empty()) {
          moved_to = std::move(now_leading);
          client->TryCancel();  // ends the upstream; the relay loop below returns
          return;
        }
      }
    });
  }
  std::atomic<bool> node_done{false};
  std::thread relay_up([&] {
    v1::NodeMessage up;
    while (stream->Read(&up)) {
      if (!upstream->Write(up))
        break;
    }
    upstream->WritesDone();
    node_done = true;
  });
  bool writable = stream->Write(message);
  while (writable && upstream->Read(&message))
    writable = stream->Write(message);
  if (!writable)
    client->TryCancel();  // the node is gone: end the leader's side too
  if (!node_done)
    ctx->TryCancel();  // the leader's side ended first: unblock the node reader
  relay_up.join();
  {
    std::lock_guard<std::mutex> lock(watch_mu);
    relay_over = true;
  }
  watch_cv.notify_all();
  if (watcher.joinable())
    watcher.join();
  grpc::Status status = upstream->Finish();
  if (!moved_to.empty()) {
    LATTICE_LOG(kInfo) << "node " << first.register_().node_id() << ": relay to " << target
                       << " ended: the leader is now at " << moved_to;
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the control-plane leader changed",
                        moved_to);
  }
  LATTICE_LOG(kInfo) << "node " << first.register_().node_id() << ": relayed stream closed ("
                     << status.error_message() << ")";
  return status;
}

std::string NodeSyncService::LeaderMovedFrom(const std::string& target) {
  absl::StatusOr<v1::ListReplicasResponse> replicas = replication_->ListReplicas();
  if (!replicas.ok() || replicas->leader_id() == 0)
    return "";  // no leader known: keep relaying (the relayed leader may still be it)
  const std::string& leader = replicas->leader_admin_address();
  if (replicas->leader_id() == replicas->answered_by())
    return leader.empty() ? std::string("this replica") : leader;
  return !leader.empty() && leader != target ? leader : "";
}

}  // namespace lattice::api
