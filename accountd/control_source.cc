// ControlSource: Watch stream into snapshots and changes; PutAccount for writes.
#include "accountd/control_source.h"

#include <algorithm>
#include <map>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "grpcpp/grpcpp.h"

#include "common/base/log.h"
#include "lattice/control/v1/admin.grpc.pb.h"

namespace lattice::accountd {
namespace {

namespace v1 = ::lattice::control::v1;

absl::Status FromGrpc(const grpc::Status& status) {
  if (status.ok())
    return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

bool IsDeletion(const v1::WatchEvent& event) {
  return event.deleted() || (event.has_account() && event.account().deleted());
}

}  // namespace

ControlSource::ControlSource(ControlSourceOptions options) : options_(std::move(options)) {
  for (const std::string& address : options_.addresses)
    channels_.push_back(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
}

ControlSource::~ControlSource() {
  Stop();
}

std::string ControlSource::Describe() const {
  std::string out = absl::StrCat("control ", absl::StrJoin(options_.addresses, ","));
  MutexLock lock(&mu_);
  if (!watching_.empty())
    absl::StrAppend(&out, " (watching ", watching_, ")");
  return out;
}

absl::Status ControlSource::Start(AccountSink* sink) {
  if (channels_.empty())
    return absl::InvalidArgumentError("--control needs at least one host:port");
  sink_ = sink;
  {
    MutexLock lock(&mu_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { WatchLoop(); });
  prober_ = std::thread([this] { ProbeLoop(); });
  return absl::OkStatus();
}

void ControlSource::Stop() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    if (active_ != nullptr)
      active_->TryCancel();
  }
  wake_.notify_all();
  if (thread_.joinable())
    thread_.join();
  if (prober_.joinable())
    prober_.join();
}

void ControlSource::AddAuth(grpc::ClientContext* ctx) const {
  if (!options_.token.empty())
    ctx->AddMetadata("authorization", "Bearer " + options_.token);
}

void ControlSource::WatchLoop() {
  size_t next = 0;
  std::chrono::milliseconds wait = options_.retry_wait;
  while (true) {
    {
      MutexLock lock(&mu_);
      if (stopping_)
        return;
    }
    const size_t index = next++ % channels_.size();
    bool synced = false;
    {
      MutexLock lock(&mu_);
      watching_ = options_.addresses[index];
    }
    absl::Status ended = WatchOnce(channels_[index], &synced);
    sink_->OnConnected(false);
    // Back off while no replica answers; start over quickly after a stream that worked.
    wait = synced ? options_.retry_wait
                  : std::min<std::chrono::milliseconds>(wait * 2, options_.retry_wait * 16);
    {
      std::unique_lock<std::mutex> lock(mu_.native());
      if (stopping_)
        return;
      if (synced || wait == options_.retry_wait * 2) {
        LATTICE_LOG(kWarn) << "accountd: watch on " << options_.addresses[index]
                           << " ended: " << ended << "; serving from the cache";
      }
      wake_.wait_for(lock, synced ? options_.retry_wait : wait,
                     [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return stopping_; });
    }
  }
}

absl::Status ControlSource::WatchOnce(const std::shared_ptr<grpc::Channel>& channel,
                                      bool* synced_out) {
  auto stub = v1::Admin::NewStub(channel);
  grpc::ClientContext ctx;
  AddAuth(&ctx);
  {
    MutexLock lock(&mu_);
    if (stopping_)
      return absl::CancelledError("stopping");
    active_ = &ctx;
    ++session_;
    for (size_t i = 0; i < channels_.size(); ++i) {
      if (channels_[i] == channel)
        active_index_ = i;
    }
  }
  v1::WatchRequest request;
  request.set_from_revision(0);
  request.add_kinds("account");
  std::unique_ptr<grpc::ClientReader<v1::WatchEvent>> reader = stub->Watch(&ctx, request);
  std::map<std::string, std::string> backlog;  // the state up to the synced marker
  bool synced = false;
  v1::WatchEvent event;
  while (reader->Read(&event)) {
    if (event.synced()) {
      if (!synced) {
        std::vector<std::string> jwts;
        jwts.reserve(backlog.size());
        for (auto& [key, jwt] : backlog)
          jwts.push_back(std::move(jwt));
        backlog.clear();
        sink_->OnSnapshot(jwts);
        sink_->OnConnected(true);
        synced = true;
        *synced_out = true;
      }
      continue;
    }
    if (event.kind() != "account")
      continue;
    const std::string key = event.has_account() ? event.account().public_key() : event.key();
    if (!synced) {
      if (IsDeletion(event))
        backlog.erase(key);
      else if (event.has_account())
        backlog[key] = event.account().jwt();
    } else if (IsDeletion(event)) {
      sink_->OnDelete(key);
    } else if (event.has_account()) {
      sink_->OnUpsert(event.account().jwt());
    }
  }
  absl::Status status = FromGrpc(reader->Finish());
  {
    MutexLock lock(&mu_);
    active_ = nullptr;
  }
  return status.ok() ? absl::UnavailableError("stream closed by the server") : status;
}

void ControlSource::ProbeLoop() {
  std::unique_lock<std::mutex> lock(mu_.native());
  // Reads guarded state with mu_ held through `lock` (the analysis cannot see unique_lock).
  auto stopping = [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return stopping_; };
  uint64_t leaderless_session = 0;  // the Watch whose replica answered without a leader
  int leaderless = 0;               // ... in that many probes in a row
  while (true) {
    wake_.wait_for(lock, options_.probe_interval, stopping);
    if (stopping())
      return;
    const auto [active, index, session] = [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
      return std::make_tuple(active_ != nullptr, active_index_, session_);
    }();
    if (!active)
      continue;
    lock.unlock();
    std::string why;
    const ProbeAnswer answer = ProbeReplica(channels_[index], &why);
    lock.lock();
    if (answer == ProbeAnswer::kLeaderless) {
      leaderless = leaderless_session == session ? leaderless + 1 : 1;
      leaderless_session = session;
      if (leaderless < options_.leaderless_probes)
        continue;
      why = absl::StrCat("no leader known for ", leaderless, " probes: cut off from the others");
    } else {
      leaderless = 0;
      if (answer == ProbeAnswer::kAlive)
        continue;
    }
    // Cancel only the Watch that was probed; it may have ended (and another begun) meanwhile.
    [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
      if (stopping_ || active_ == nullptr || session_ != session)
        return;
      LATTICE_LOG(kWarn) << "accountd: control replica " << options_.addresses[index] << ": " << why
                         << "; ending its watch";
      active_->TryCancel();
    }();
  }
}

ControlSource::ProbeAnswer ControlSource::ProbeReplica(
    const std::shared_ptr<grpc::Channel>& channel, std::string* why) const {
  auto stub = v1::Admin::NewStub(channel);
  grpc::ClientContext ctx;
  AddAuth(&ctx);
  ctx.set_deadline(std::chrono::system_clock::now() + options_.probe_timeout);
  v1::ListReplicasResponse response;
  grpc::Status status = stub->ListReplicas(&ctx, v1::ListReplicasRequest(), &response);
  switch (status.error_code()) {
    case grpc::StatusCode::OK:
      return response.replicated() && response.leader_id() == 0 ? ProbeAnswer::kLeaderless
                                                                : ProbeAnswer::kAlive;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::UNAVAILABLE:
      *why = absl::StrCat("stopped answering (", FromGrpc(status).ToString(), ")");
      return ProbeAnswer::kGone;
    default:
      return ProbeAnswer::kAlive;  // it answered, even if only to refuse the question
  }
}

absl::Status ControlSource::Post(const std::string& public_key, const std::string& jwt) {
  absl::Status last = absl::UnavailableError("no control-plane address");
  for (size_t i = 0; i < channels_.size(); ++i) {
    auto stub = v1::Admin::NewStub(channels_[i]);
    grpc::ClientContext ctx;
    AddAuth(&ctx);
    ctx.set_deadline(std::chrono::system_clock::now() + options_.write_timeout);
    v1::PutAccountRequest request;
    request.set_jwt(jwt);
    v1::WriteResponse response;
    grpc::Status status = stub->PutAccount(&ctx, request, &response);
    if (status.ok()) {
      if (!response.plan().errors().empty()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "control plane refused the account: ", absl::StrJoin(response.plan().errors(), "; ")));
      }
      return absl::OkStatus();
    }
    switch (status.error_code()) {
      case grpc::StatusCode::UNAVAILABLE:
      case grpc::StatusCode::DEADLINE_EXCEEDED:
      case grpc::StatusCode::CANCELLED:
        last = absl::UnavailableError(absl::StrCat("control plane ", options_.addresses[i],
                                                   " unreachable: ", status.error_message()));
        continue;
      case grpc::StatusCode::UNAUTHENTICATED:
      case grpc::StatusCode::PERMISSION_DENIED:
        // accountd's own credentials are wrong: the caller's JWT is not at fault.
        return absl::InternalError(
            absl::StrCat("control plane rejected accountd's token: ", status.error_message()));
      default:
        return absl::InvalidArgumentError(
            absl::StrCat("control plane refused the account: ", status.error_message()));
    }
  }
  return last;
}

}  // namespace lattice::accountd
