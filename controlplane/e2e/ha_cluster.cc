// HaCluster: real lattice-control replicas and a leader-following Admin client.
#include "controlplane/e2e/ha_cluster.h"

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

#include "common/testing/eventually.h"
#include "common/testing/ports.h"

namespace lattice::control_e2e {
namespace {

void Authorize(grpc::ClientContext* ctx, std::chrono::milliseconds timeout) {
  ctx->AddMetadata("authorization", absl::StrCat("Bearer ", kHaToken));
  ctx->set_deadline(std::chrono::system_clock::now() + timeout);
}

absl::Status FromGrpc(const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

}  // namespace

HaCluster::HaCluster(std::string lattice_control, std::string dir, int size)
    : binary_(std::move(lattice_control)), dir_(std::move(dir)) {
  for (int i = 0; i < size; ++i) {
    admin_ports_.push_back(testutil::FreePortOrDie());
    raft_ports_.push_back(testutil::FreePortOrDie());
  }
  children_.resize(size);
  initial_ = size;
  for (int i = 0; i < size; ++i) {
    ids_.push_back(static_cast<uint64_t>(i + 1));
    joiner_.push_back(false);
  }
  next_id_ = static_cast<uint64_t>(size + 1);
  MutexLock lock(&stubs_mu_);
  stubs_.resize(size);
}

int HaCluster::AddJoiner() {
  admin_ports_.push_back(testutil::FreePortOrDie());
  raft_ports_.push_back(testutil::FreePortOrDie());
  children_.emplace_back();
  ids_.push_back(next_id_++);
  joiner_.push_back(true);
  MutexLock lock(&stubs_mu_);
  stubs_.emplace_back();
  return size() - 1;
}

void HaCluster::Rejoin(int i) {
  // Same admin and Raft addresses, new id (see controlplane/replication/README.md, "Wiped data
  // directory").
  ids_[i] = next_id_++;
  joiner_[i] = true;
}

std::string HaCluster::raft_address(int i) const {
  return absl::StrCat("127.0.0.1:", raft_ports_[i]);
}

HaCluster::~HaCluster() {
  for (int i = 0; i < size(); ++i) {
    if (children_[i].has_value()) {
      (void)children_[i]->Signal(SIGCONT);
      children_[i]->Kill(SIGKILL);
    }
  }
}

std::string HaCluster::admin_address(int i) const {
  return absl::StrCat("127.0.0.1:", admin_ports_[i]);
}

std::string HaCluster::log(int i) const {
  std::ifstream in(absl::StrCat(dir_, "/r", i + 1, ".log"));
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::vector<std::string> HaCluster::Args(int i) const {
  std::string peers;
  if (joiner_[i]) {
    peers = absl::StrCat(ids_[i], "=", raft_address(i), "@", admin_address(i));
  } else {
    for (int j = 0; j < initial_; ++j) {
      absl::StrAppend(&peers, j == 0 ? "" : ",", j + 1, "=127.0.0.1:", raft_ports_[j], "@",
                      admin_address(j));
    }
  }
  std::vector<std::string> args = {binary_,
                                   "--data-dir",
                                   absl::StrCat(dir_, "/r", i + 1),
                                   "--listen",
                                   admin_address(i),
                                   "--tokens-file",
                                   dir_ + "/tokens",
                                   "--key-file",
                                   dir_ + "/master.key",
                                   "--replica-id",
                                   std::to_string(ids_[i]),
                                   "--raft-listen",
                                   absl::StrCat("127.0.0.1:", raft_ports_[i]),
                                   "--peers",
                                   peers};
  // Only the initial voters bootstrap. A joiner started with --bootstrap would write its own
  // one-member configuration as entry 1 of term 1, the same index and term as the group's
  // bootstrap entry, so Raft's log matching cannot tell them apart (see
  // controlplane/replication/README.md, "Wiped data directory").
  if (!joiner_[i])
    args.push_back("--bootstrap");
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  return args;
}

absl::Status HaCluster::Start() {
  std::filesystem::create_directories(dir_);
  std::ofstream(dir_ + "/tokens") << "admin " << kHaToken << "\n";
  for (int i = 0; i < size(); ++i) {
    // The first replica creates the shared master key; the others wait for it to exist.
    absl::Status started = Restart(i);
    if (!started.ok())
      return started;
  }
  return absl::OkStatus();
}

absl::Status HaCluster::Restart(int i) {
  if (children_[i].has_value())
    return absl::FailedPreconditionError("replica still running");
  absl::StatusOr<testutil::ChildProcess> child =
      testutil::ChildProcess::Spawn(Args(i), absl::StrCat(dir_, "/r", i + 1, ".log"));
  if (!child.ok())
    return child.status();
  children_[i].emplace(*std::move(child));
  {
    MutexLock lock(&stubs_mu_);
    RetireStubLocked(i);
  }
  return WaitServing(i);
}

absl::Status HaCluster::WaitServing(int i) {
  bool up = testutil::Eventually(
      [&] {
        if (!children_[i]->Running())
          return true;
        grpc::ClientContext ctx;
        Authorize(&ctx, std::chrono::milliseconds(500));
        v1::ListReplicasResponse resp;
        return Stub(i)->ListReplicas(&ctx, v1::ListReplicasRequest(), &resp).ok() &&
               resp.answered_by() == ids_[i];
      },
      std::chrono::seconds(60));
  if (!up || !children_[i]->Running()) {
    return absl::UnavailableError(
        absl::StrCat("replica ", i + 1, " did not start; log:\n", log(i)));
  }
  return absl::OkStatus();
}

void HaCluster::Kill(int i, int signal_number) {
  if (!children_[i].has_value())
    return;
  if (signal_number != SIGKILL)
    (void)children_[i]->Signal(SIGCONT);
  children_[i]->Kill(signal_number);
  children_[i].reset();
  MutexLock lock(&stubs_mu_);
  RetireStubLocked(i);
}

void HaCluster::RetireStubLocked(int i) {
  if (stubs_[i] != nullptr)
    retired_stubs_.push_back(std::move(stubs_[i]));
}

absl::Status HaCluster::Signal(int i, int signal_number) {
  if (!children_[i].has_value())
    return absl::FailedPreconditionError("replica not running");
  return children_[i]->Signal(signal_number);
}

void HaCluster::Wipe(int i) {
  std::filesystem::remove_all(absl::StrCat(dir_, "/r", i + 1));
}

std::shared_ptr<v1::Admin::Stub> HaCluster::Stub(int i) {
  MutexLock lock(&stubs_mu_);
  if (!stubs_[i]) {
    stubs_[i] = v1::Admin::NewStub(
        grpc::CreateChannel(admin_address(i), grpc::InsecureChannelCredentials()));
  }
  return stubs_[i];
}

absl::StatusOr<v1::ListReplicasResponse> HaCluster::Replicas(int i) {
  grpc::ClientContext ctx;
  Authorize(&ctx, std::chrono::seconds(2));
  v1::ListReplicasResponse resp;
  grpc::Status status = Stub(i)->ListReplicas(&ctx, v1::ListReplicasRequest(), &resp);
  if (!status.ok())
    return FromGrpc(status);
  return resp;
}

std::optional<int> HaCluster::Leader() {
  for (int i = 0; i < size(); ++i) {
    if (!children_[i].has_value())
      continue;
    auto replicas = Replicas(i);
    if (replicas.ok() && replicas->leader_id() == ids_[i])
      return i;
  }
  return std::nullopt;
}

grpc::Status HaCluster::PutOn(int i, const std::string& name, std::chrono::milliseconds timeout,
                              uint64_t* revision) {
  grpc::ClientContext ctx;
  Authorize(&ctx, timeout);
  v1::PutTopologyRequest req;
  req.mutable_object()->mutable_cluster()->set_name(name);
  v1::WriteResponse resp;
  grpc::Status status = Stub(i)->PutTopology(&ctx, req, &resp);
  if (status.ok())
    *revision = resp.revision();
  return status;
}

absl::StatusOr<uint64_t> HaCluster::Put(const std::string& name,
                                        std::chrono::steady_clock::time_point deadline,
                                        std::chrono::milliseconds call_timeout) {
  int target = 0;
  grpc::Status last;
  while (std::chrono::steady_clock::now() < deadline) {
    uint64_t revision = 0;
    last = PutOn(target, name, call_timeout, &revision);
    if (last.ok())
      return revision;
    switch (last.error_code()) {
      case grpc::StatusCode::UNAVAILABLE:
      case grpc::StatusCode::DEADLINE_EXCEEDED:
      case grpc::StatusCode::UNKNOWN:
        break;  // not written, or unknown: the put is idempotent, so send it again
      default:
        return FromGrpc(last);
    }
    int hinted = -1;
    for (int j = 0; j < size(); ++j) {
      if (last.error_details() == admin_address(j))
        hinted = j;
    }
    if (hinted >= 0 && hinted != target) {
      target = hinted;
    } else {
      target = (target + 1) % size();
      std::this_thread::sleep_for(std::chrono::milliseconds(5));  // no leader yet: back off
    }
  }
  return absl::DeadlineExceededError(absl::StrCat("put ", name, ": ", last.error_message()));
}

absl::StatusOr<std::vector<std::string>> HaCluster::ClusterNames(int i) {
  grpc::ClientContext ctx;
  Authorize(&ctx, std::chrono::seconds(10));
  v1::ListTopologyRequest req;
  req.set_kind(v1::TOPOLOGY_KIND_CLUSTER);
  v1::ListTopologyResponse resp;
  grpc::Status status = Stub(i)->ListTopology(&ctx, req, &resp);
  if (!status.ok())
    return FromGrpc(status);
  std::vector<std::string> names;
  for (const auto& object : resp.objects())
    names.push_back(object.cluster().name());
  return names;
}

absl::StatusOr<std::vector<v1::AuditEntry>> HaCluster::AuditTrail(int i) {
  std::vector<v1::AuditEntry> entries;
  uint64_t after = 0;
  for (;;) {
    grpc::ClientContext ctx;
    Authorize(&ctx, std::chrono::seconds(10));
    v1::ListAuditRequest req;
    req.set_after_revision(after);
    req.set_limit(1000);
    v1::ListAuditResponse resp;
    grpc::Status status = Stub(i)->ListAudit(&ctx, req, &resp);
    if (!status.ok())
      return FromGrpc(status);
    if (resp.entries().empty())
      return entries;
    for (const auto& e : resp.entries())
      entries.push_back(e);
    after = entries.back().revision();
  }
}

absl::StatusOr<uint64_t> HaCluster::Revision(int i) {
  auto replicas = Replicas(i);
  if (!replicas.ok())
    return replicas.status();
  return replicas->revision();
}

}  // namespace lattice::control_e2e
