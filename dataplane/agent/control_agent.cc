// ControlAgent: NodeSync session loop with failover, verification, persistence and ACK/NACK.
#include "dataplane/agent/control_agent.h"

#include <optional>
#include <random>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"

#include "common/base/log.h"
#include "common/base/status_macros.h"
#include "common/jwt/claims.h"
#include "dataplane/agent/reconnect_policy.h"
#include "dataplane/interest/interest_batcher.h"
#include "lattice/control/v1/admin.grpc.pb.h"
#include "lattice/control/v1/node_sync.grpc.pb.h"

namespace lattice::agent {
namespace {

constexpr char kAccounts[] = "accounts";
constexpr char kTopology[] = "topology";

v1::Ack MakeAck(const char* type, const std::string& version, const absl::Status& status) {
  v1::Ack ack;
  ack.set_resource_type(type);
  ack.set_version(version);
  if (!status.ok())
    ack.set_error(status.message().empty() ? status.ToString() : std::string(status.message()));
  return ack;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ControlAgent>> ControlAgent::Create(AgentConfig config,
                                                                   AgentSink* sink,
                                                                   InterestReporting interest) {
  if (sink == nullptr)
    return absl::InvalidArgumentError("control agent needs a sink");
  if ((interest.tracker == nullptr) != (interest.source == nullptr))
    return absl::InvalidArgumentError("interest reporting needs both a tracker and a source");
  if (config.control_addresses.empty())
    return absl::InvalidArgumentError("control agent needs at least one control address");
  if (config.cluster.empty())
    return absl::InvalidArgumentError("control agent needs a cluster name");
  if (config.initial_backoff.count() <= 0 || config.max_backoff < config.initial_backoff)
    return absl::InvalidArgumentError("backoff must be positive and max >= initial");
  if (config.register_timeout.count() <= 0)
    return absl::InvalidArgumentError("register timeout must be positive");
  if (config.probe_interval.count() <= 0 || config.probe_timeout.count() <= 0)
    return absl::InvalidArgumentError("probe interval and timeout must be positive");
  absl::StatusOr<TrustedOperator> trusted =
      TrustedOperator::FromJwt(config.operator_jwt, jwt::NowSeconds());
  if (!trusted.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("trusted operator JWT: ", trusted.status().message()));
  }
  std::optional<BundleStore> store;
  if (!config.state_dir.empty()) {
    LATTICE_ASSIGN_OR_RETURN(BundleStore opened, BundleStore::Open(config.state_dir));
    store.emplace(std::move(opened));
  }
  std::string node_id = config.node_id;
  if (node_id.empty()) {
    if (!store.has_value())
      return absl::InvalidArgumentError("control agent needs a node id or a state dir");
    LATTICE_ASSIGN_OR_RETURN(node_id, store->LoadOrCreateNodeId());
  }
  return std::unique_ptr<ControlAgent>(new ControlAgent(std::move(config), sink,
                                                        *std::move(trusted), std::move(store),
                                                        std::move(node_id), interest));
}

ControlAgent::ControlAgent(AgentConfig config, AgentSink* sink, TrustedOperator trusted,
                           std::optional<BundleStore> store, std::string node_id,
                           InterestReporting interest)
    : config_(std::move(config)),
      sink_(sink),
      interest_(interest),
      trusted_(std::move(trusted)),
      store_(std::move(store)),
      node_id_(std::move(node_id)) {
  const ControlCredentials& creds = config_.credentials;
  if (creds.tls) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = creds.root_certs_pem;
    ssl.pem_cert_chain = creds.client_cert_chain_pem;
    ssl.pem_private_key = creds.client_key_pem;
    channel_credentials_ = grpc::SslCredentials(ssl);
  } else {
    channel_credentials_ = grpc::InsecureChannelCredentials();
  }
}

ControlAgent::~ControlAgent() {
  Stop();
}

absl::Status ControlAgent::Start() {
  {
    MutexLock lock(&mu_);
    if (started_)
      return absl::FailedPreconditionError("control agent already started");
    started_ = true;
  }
  LoadLastKnownGood();
  thread_ = std::thread([this] { Run(); });
  watchdog_ = std::thread([this] { Watchdog(); });
  return absl::OkStatus();
}

void ControlAgent::Stop() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    if (current_ != nullptr)
      current_->TryCancel();
    if (probe_ != nullptr)
      probe_->TryCancel();
  }
  wake_.notify_all();
  if (thread_.joinable())
    thread_.join();
  if (watchdog_.joinable())
    watchdog_.join();
}

AgentStatus ControlAgent::status() const {
  MutexLock lock(&mu_);
  return status_;
}

bool ControlAgent::stopping() const {
  MutexLock lock(&mu_);
  return stopping_;
}

bool ControlAgent::SleepUnlessStopped(std::chrono::milliseconds delay) {
  std::unique_lock<std::mutex> lock(mu_.native());
  wake_.wait_for(lock, delay, [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return stopping_; });
  return !stopping_;
}

// mu_ is held through `lock` except around the probe call (the analysis cannot follow a
// unique_lock, hence ABSL_NO_THREAD_SAFETY_ANALYSIS).
void ControlAgent::Watchdog() ABSL_NO_THREAD_SAFETY_ANALYSIS {
  constexpr auto kNever = std::chrono::steady_clock::time_point::max();
  std::unique_lock<std::mutex> lock(mu_.native());
  uint64_t leader_session = 0;  // the stream whose leader the first probe naming one recorded
  uint64_t leader_id = 0;
  uint64_t probed_session = 0;      // the last stream probed while it waited for Registered
  uint64_t leaderless_session = 0;  // the stream whose replica answered without a leader
  int leaderless = 0;               // ... in that many probes in a row
  while (!stopping_) {
    const uint64_t session = session_;
    if (current_ != nullptr && !status_.registered && register_deadline_ != kNever) {
      // A stream waiting for Registered: probe its replica once at once (a stopped process
      // accepts TCP but never answers, and would hold the node for the whole register
      // timeout), then cancel the stream at its deadline.
      const auto deadline = register_deadline_;
      if (probed_session != session) {
        probed_session = session;
        std::shared_ptr<grpc::Channel> channel = channel_;
        lock.unlock();
        const ProbeResult probe = Probe(channel);
        lock.lock();
        if (stopping_ || session_ != session || status_.registered || current_ == nullptr)
          continue;
        if (!probe.answered) {
          LATTICE_LOG(kWarn) << "agent: " << status_.address << " does not answer (" << probe.error
                             << "); trying the next replica";
          current_->TryCancel();
          register_deadline_ = kNever;
          continue;
        }
        if (probe.leader_id != 0) {
          // The leader this registration goes to (directly or relayed by a follower).
          leader_session = session;
          leader_id = probe.leader_id;
        }
      }
      wake_.wait_until(lock, deadline,
                       [&] { return stopping_ || session_ != session || status_.registered; });
      if (stopping_ || session_ != session || status_.registered || current_ == nullptr ||
          std::chrono::steady_clock::now() < deadline) {
        continue;
      }
      LATTICE_LOG(kWarn) << "agent: " << status_.address << " did not answer Register within "
                         << config_.register_timeout.count() << " ms; trying the next replica";
      current_->TryCancel();
      register_deadline_ = kNever;
      continue;
    }
    if (current_ != nullptr && status_.registered) {
      wake_.wait_for(lock, config_.probe_interval,
                     [&] { return stopping_ || session_ != session; });
      if (stopping_ || session_ != session || current_ == nullptr)
        continue;
      std::shared_ptr<grpc::Channel> channel = channel_;
      lock.unlock();
      const ProbeResult probe = Probe(channel);
      lock.lock();
      if (stopping_ || session_ != session || current_ == nullptr)
        continue;
      if (!probe.leaderless)
        leaderless = 0;  // only probes in a row count
      if (!probe.answered) {
        LATTICE_LOG(kWarn) << "agent: " << status_.address << " stopped answering (" << probe.error
                           << "); registering elsewhere";
        current_->TryCancel();
      } else if (probe.leaderless) {
        leaderless = leaderless_session == session ? leaderless + 1 : 1;
        leaderless_session = session;
        if (leaderless >= config_.leaderless_probes) {
          LATTICE_LOG(kWarn) << "agent: " << status_.address << " has known no leader for "
                             << leaderless << " probes (cut off from the others); registering "
                             << "elsewhere";
          current_->TryCancel();
        }
      } else if (probe.leader_id != 0 && leader_session != session) {
        leader_session = session;
        leader_id = probe.leader_id;
      } else if (probe.leader_id != 0 && probe.leader_id != leader_id) {
        LATTICE_LOG(kWarn) << "agent: the control-plane leader changed from replica " << leader_id
                           << " to " << probe.leader_id << "; registering again";
        current_->TryCancel();
      }
      continue;
    }
    wake_.wait(lock, [&] {
      return stopping_ || (current_ != nullptr && session_ != session) ||
             (current_ != nullptr && (status_.registered || register_deadline_ != kNever));
    });
  }
}

ControlAgent::ProbeResult ControlAgent::Probe(const std::shared_ptr<grpc::Channel>& channel) {
  ProbeResult result;
  std::unique_ptr<v1::Admin::Stub> stub = v1::Admin::NewStub(channel);
  grpc::ClientContext context;
  if (!config_.credentials.bearer_token.empty())
    context.AddMetadata("authorization", "Bearer " + config_.credentials.bearer_token);
  context.set_deadline(std::chrono::system_clock::now() + config_.probe_timeout);
  {
    MutexLock lock(&mu_);
    if (stopping_) {
      result.answered = true;
      return result;
    }
    probe_ = &context;
  }
  v1::ListReplicasResponse response;
  const grpc::Status status = stub->ListReplicas(&context, v1::ListReplicasRequest(), &response);
  {
    MutexLock lock(&mu_);
    probe_ = nullptr;
  }
  switch (status.error_code()) {
    case grpc::StatusCode::OK:
      result.answered = true;
      if (response.replicated() && response.leader_id() != 0)
        result.leader_id = response.leader_id();
      result.leaderless = response.replicated() && response.leader_id() == 0;
      break;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::UNAVAILABLE:
      result.error = status.error_message();
      break;
    default:
      result.answered = true;  // a refusal (an older server, a token without the right) is alive
      break;
  }
  return result;
}

void ControlAgent::LoadLastKnownGood() {
  if (!store_.has_value())
    return;
  absl::StatusOr<v1::AccountsBundle> accounts = store_->LoadAccounts();
  if (accounts.ok()) {
    absl::StatusOr<AccountsBundle> verified =
        VerifyAccountsBundle(*accounts, trusted_, jwt::NowSeconds());
    absl::Status applied = verified.status();
    if (verified.ok())
      applied = sink_->ApplyAccounts(std::make_shared<const AccountsBundle>(*std::move(verified)));
    if (applied.ok()) {
      applied_accounts_ = accounts->version();
      LATTICE_LOG(kInfo) << "agent: serving last-known-good accounts " << applied_accounts_;
      MutexLock lock(&mu_);
      status_.accounts_version = applied_accounts_;
      status_.accounts_from_disk = true;
    } else {
      LATTICE_LOG(kWarn) << "agent: last-known-good accounts not used: " << applied;
    }
  } else if (!absl::IsNotFound(accounts.status())) {
    LATTICE_LOG(kWarn) << "agent: ignoring stored accounts: " << accounts.status();
  }
  absl::StatusOr<v1::Topology> topology = store_->LoadTopology();
  if (topology.ok()) {
    absl::Status applied = VerifyTopology(*topology, config_.cluster);
    if (applied.ok())
      applied = sink_->ApplyTopology(std::make_shared<const v1::Topology>(*topology));
    if (applied.ok()) {
      applied_topology_ = topology->version();
      LATTICE_LOG(kInfo) << "agent: serving last-known-good topology " << applied_topology_;
      MutexLock lock(&mu_);
      status_.topology_version = applied_topology_;
      status_.topology_from_disk = true;
    } else {
      LATTICE_LOG(kWarn) << "agent: last-known-good topology not used: " << applied;
    }
  } else if (!absl::IsNotFound(topology.status())) {
    LATTICE_LOG(kWarn) << "agent: ignoring stored topology: " << topology.status();
  }
}

void ControlAgent::Run() {
  std::minstd_rand jitter(std::random_device{}());
  ReconnectPolicy policy(config_.control_addresses.size(), config_.initial_backoff,
                         config_.max_backoff);
  while (!stopping()) {
    const bool registered = RunSession(config_.control_addresses[policy.index()]);
    if (!registered) {
      MutexLock lock(&mu_);
      ++status_.failed_attempts;
    }
    // Sleep between half and all of the pause so restarted nodes do not reconnect in step.
    const int64_t pause = policy.Next(registered).count();
    const int64_t half = pause / 2;
    const std::chrono::milliseconds delay(half + static_cast<int64_t>(jitter() % (half + 1)));
    if (delay.count() > 0 ? !SleepUnlessStopped(delay) : stopping())
      break;
  }
}

v1::NodeMessage ControlAgent::BuildRegister() const {
  v1::NodeMessage message;
  v1::Register* reg = message.mutable_register_();
  reg->set_node_id(node_id_);
  reg->set_cluster(config_.cluster);
  reg->set_version(config_.version);
  for (const auto& url : config_.client_urls)
    reg->add_client_urls(url);
  for (const auto& url : config_.route_urls)
    reg->add_route_urls(url);
  for (const auto& url : config_.gateway_urls)
    reg->add_gateway_urls(url);
  for (const auto& url : config_.leaf_urls)
    reg->add_leaf_urls(url);
  if (!applied_accounts_.empty())
    (*reg->mutable_held_versions())[kAccounts] = applied_accounts_;
  if (!applied_topology_.empty())
    (*reg->mutable_held_versions())[kTopology] = applied_topology_;
  return message;
}

bool ControlAgent::RunSession(const std::string& address) {
  grpc::ChannelArguments args;
  if (!config_.credentials.tls_server_name.empty())
    args.SetSslTargetNameOverride(config_.credentials.tls_server_name);
  // A fresh channel per attempt: a replica that went away is not retried behind our back.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  // Detect a silently dead replica on an idle stream. lattice-control keeps gRPC's default
  // server ping policy (at most one ping per 5 minutes while a call is open); pinging more
  // often would get the connection closed with too_many_pings.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 5 * 60 * 1000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20 * 1000);
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateCustomChannel(address, channel_credentials_, args);
  std::unique_ptr<v1::NodeSync::Stub> stub = v1::NodeSync::NewStub(channel);
  grpc::ClientContext context;
  if (!config_.credentials.bearer_token.empty())
    context.AddMetadata("authorization", "Bearer " + config_.credentials.bearer_token);
  {
    MutexLock lock(&mu_);
    if (stopping_)
      return false;
    current_ = &context;
    channel_ = channel;
    ++session_;
    status_.address = address;
    register_deadline_ = std::chrono::steady_clock::now() + config_.register_timeout;
  }
  wake_.notify_all();  // arm the watchdog
  auto stream = stub->Sync(&context);
  bool registered = false;
  // gRPC allows one Write at a time: the ACKs below and the interest writer take this.
  Mutex write_mu;
  std::thread interest_writer;
  if (stream->Write(BuildRegister())) {
    v1::ControlMessage message;
    while (stream->Read(&message)) {
      if (message.has_registered()) {
        registered = true;
        LATTICE_LOG(kInfo) << "agent: node " << node_id_ << " registered with " << address
                           << " at revision " << message.registered().revision();
        {
          MutexLock lock(&mu_);
          status_.registered = true;
          ++status_.registrations;
        }
        wake_.notify_all();  // the watchdog starts probing
        if (interest_.tracker != nullptr) {
          RequestInterestSnapshot();
          if (!interest_writer.joinable()) {
            interest_writer = std::thread(
                [this, &stream, &write_mu] { InterestWriter(stream.get(), &write_mu); });
          }
        }
        continue;
      }
      if (!registered) {
        LATTICE_LOG(kWarn) << "agent: " << address << " pushed before Registered; dropping stream";
        context.TryCancel();
        break;
      }
      if (message.has_interest_resync()) {
        if (interest_.tracker == nullptr)
          continue;  // nothing reported, nothing to resync
        LATTICE_LOG(kInfo) << "agent: " << address << " asks for an interest resync ("
                           << message.interest_resync().reason() << ")";
        {
          MutexLock lock(&mu_);
          ++status_.interest_resyncs;
        }
        RequestInterestSnapshot();
        continue;
      }
      v1::Ack ack;
      if (message.has_accounts()) {
        ack = HandleAccounts(message.accounts());
      } else if (message.has_topology()) {
        ack = HandleTopology(message.topology());
      } else {
        continue;  // a newer control plane's message type: ignore
      }
      CountAck(ack);
      v1::NodeMessage reply;
      *reply.mutable_ack() = std::move(ack);
      bool written;
      {
        MutexLock lock(&write_mu);
        written = stream->Write(reply);
      }
      if (!written)
        break;
    }
  }
  if (interest_writer.joinable()) {
    // The call is over (Read failed, a write failed or Stop cancelled it), so a Write in
    // flight returns at once; the writer sees the flag and leaves.
    {
      MutexLock lock(&mu_);
      interest_session_over_ = true;
    }
    interest_.tracker->Interrupt();
    interest_writer.join();
  }
  if (interest_.tracker != nullptr) {
    interest_.tracker->SetTracking(false);  // offline: the next snapshot carries the truth
    MutexLock lock(&mu_);
    interest_snapshot_due_ = false;
    interest_session_over_ = false;
  }
  stream->WritesDone();
  grpc::Status finished = stream->Finish();
  {
    MutexLock lock(&mu_);
    current_ = nullptr;
    channel_.reset();
    status_.registered = false;
  }
  if (!stopping()) {
    LATTICE_LOG(kInfo) << "agent: stream to " << address << " ended"
                       << (registered ? " after registering: " : " before registering: ")
                       << (finished.ok() ? std::string("OK") : finished.error_message());
  }
  return registered;
}

void ControlAgent::RequestInterestSnapshot() {
  {
    MutexLock lock(&mu_);
    interest_snapshot_due_ = true;
  }
  interest_.tracker->Interrupt();
}

void ControlAgent::InterestWriter(
    grpc::ClientReaderWriter<v1::NodeMessage, v1::ControlMessage>* stream, Mutex* write_mu) {
  interest::InterestBatcher batcher(interest_.tracker, interest_.source);
  {
    MutexLock lock(&mu_);
    status_.interest_sequence = 0;
  }
  // Sends one message; false when the stream is broken (the reader then ends the session).
  auto send = [&](v1::InterestDelta delta) {
    const bool snapshot = delta.snapshot();
    const uint64_t sequence = delta.sequence();
    const int changes = delta.changes_size();
    v1::NodeMessage message;
    *message.mutable_interest() = std::move(delta);
    bool written;
    {
      MutexLock lock(write_mu);
      written = stream->Write(message);
    }
    if (!written)
      return false;
    MutexLock lock(&mu_);
    ++(snapshot ? status_.interest_snapshots : status_.interest_deltas);
    status_.interest_changes += static_cast<uint64_t>(changes);
    status_.interest_sequence = sequence;
    return true;
  };
  bool broken = false;
  while (!broken) {
    bool snapshot = false;
    {
      MutexLock lock(&mu_);
      if (interest_session_over_)
        return;
      snapshot = std::exchange(interest_snapshot_due_, false);
    }
    if (snapshot) {
      std::vector<v1::InterestDelta> messages = batcher.Snapshot();
      LATTICE_LOG(kInfo) << "agent: interest snapshot at sequence " << messages.front().sequence()
                         << " (" << messages.size() << " messages)";
      for (v1::InterestDelta& message : messages) {
        if (!send(std::move(message))) {
          broken = true;
          break;
        }
      }
    }
    while (!broken) {
      std::optional<v1::InterestDelta> delta = batcher.NextDelta();
      if (!delta.has_value())
        break;
      broken = !send(*std::move(delta));
    }
    if (!broken)
      interest_.tracker->WaitForBatch();
  }
  // The stream broke under us: make sure the reader notices (it joins this thread).
  MutexLock lock(&mu_);
  if (current_ != nullptr)
    current_->TryCancel();
}

void ControlAgent::CountAck(const v1::Ack& ack) {
  MutexLock lock(&mu_);
  if (ack.error().empty()) {
    ++status_.acks;
  } else {
    ++status_.nacks;
    status_.last_nack = absl::StrCat(ack.resource_type(), " ", ack.version(), ": ", ack.error());
  }
}

v1::Ack ControlAgent::HandleAccounts(const v1::AccountsBundle& pushed) {
  if (!applied_accounts_.empty() && pushed.version() == applied_accounts_)
    return MakeAck(kAccounts, pushed.version(), absl::OkStatus());  // already serving it
  absl::StatusOr<AccountsBundle> verified =
      VerifyAccountsBundle(pushed, trusted_, jwt::NowSeconds());
  if (!verified.ok()) {
    LATTICE_LOG(kWarn) << "agent: NACK accounts " << pushed.version() << ": "
                       << verified.status().message();
    return MakeAck(kAccounts, pushed.version(), verified.status());
  }
  const size_t live = verified->accounts.size();
  absl::Status applied =
      sink_->ApplyAccounts(std::make_shared<const AccountsBundle>(*std::move(verified)));
  if (!applied.ok()) {
    LATTICE_LOG(kWarn) << "agent: sink refused accounts " << pushed.version() << ": " << applied;
    return MakeAck(kAccounts, pushed.version(), applied);
  }
  applied_accounts_ = pushed.version();
  LATTICE_LOG(kInfo) << "agent: applied accounts " << applied_accounts_ << " (" << live << " live)";
  if (store_.has_value()) {
    // The node serves the new bundle either way; a failed save only weakens restarts.
    absl::Status saved = store_->SaveAccounts(pushed);
    if (!saved.ok()) {
      LATTICE_LOG(kError) << "agent: accounts " << applied_accounts_ << " not persisted: " << saved;
    }
  }
  {
    MutexLock lock(&mu_);
    status_.accounts_version = applied_accounts_;
    status_.accounts_from_disk = false;
  }
  return MakeAck(kAccounts, pushed.version(), absl::OkStatus());
}

v1::Ack ControlAgent::HandleTopology(const v1::Topology& pushed) {
  if (!applied_topology_.empty() && pushed.version() == applied_topology_)
    return MakeAck(kTopology, pushed.version(), absl::OkStatus());
  absl::Status status = VerifyTopology(pushed, config_.cluster);
  if (status.ok())
    status = sink_->ApplyTopology(std::make_shared<const v1::Topology>(pushed));
  if (!status.ok()) {
    LATTICE_LOG(kWarn) << "agent: NACK topology " << pushed.version() << ": " << status.message();
    return MakeAck(kTopology, pushed.version(), status);
  }
  applied_topology_ = pushed.version();
  if (store_.has_value()) {
    absl::Status saved = store_->SaveTopology(pushed);
    if (!saved.ok()) {
      LATTICE_LOG(kError) << "agent: topology " << applied_topology_ << " not persisted: " << saved;
    }
  }
  {
    MutexLock lock(&mu_);
    status_.topology_version = applied_topology_;
    status_.topology_from_disk = false;
  }
  return MakeAck(kTopology, pushed.version(), absl::OkStatus());
}

}  // namespace lattice::agent
