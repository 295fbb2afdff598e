// --peers parsing and the Admin address directory.
#include "controlplane/replication/peers.h"

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

#include "lattice/control/v1/admin.pb.h"

namespace lattice::replication {
namespace {

bool IsHostPort(const std::string& address) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return false;
  uint32_t port = 0;
  return absl::SimpleAtoi(address.substr(colon + 1), &port) && port > 0 && port < 65536;
}

}  // namespace

absl::StatusOr<std::vector<PeerSpec>> ParsePeers(const std::string& spec) {
  std::vector<PeerSpec> peers;
  std::set<uint64_t> ids;
  const std::vector<std::string> items = absl::StrSplit(spec, ',', absl::SkipWhitespace());
  for (const std::string& raw : items) {
    std::string item(absl::StripAsciiWhitespace(raw));
    size_t eq = item.find('=');
    if (eq == std::string::npos)
      return absl::InvalidArgumentError(absl::StrCat("peer \"", item, "\": expected id=host:port"));
    PeerSpec peer;
    if (!absl::SimpleAtoi(item.substr(0, eq), &peer.id) || peer.id == 0)
      return absl::InvalidArgumentError(absl::StrCat("peer \"", item, "\": bad id"));
    std::string addresses = item.substr(eq + 1);
    size_t at = addresses.find('@');
    peer.raft_address = addresses.substr(0, at);
    if (at != std::string::npos)
      peer.admin_address = addresses.substr(at + 1);
    if (!IsHostPort(peer.raft_address) ||
        (at != std::string::npos && !IsHostPort(peer.admin_address))) {
      return absl::InvalidArgumentError(absl::StrCat("peer \"", item, "\": bad host:port"));
    }
    if (!ids.insert(peer.id).second)
      return absl::InvalidArgumentError(absl::StrCat("peer id ", peer.id, " given twice"));
    peers.push_back(std::move(peer));
  }
  return peers;
}

std::string ReplicaKey(uint64_t id) {
  std::string digits = std::to_string(id);
  return std::string(20 - std::min<size_t>(20, digits.size()), '0') + digits;
}

store::Mutation PutReplicaRecord(const PeerSpec& peer) {
  ::lattice::control::v1::ReplicaInfo info;
  info.set_id(peer.id);
  info.set_raft_address(peer.raft_address);
  info.set_admin_address(peer.admin_address);
  return store::Mutation::Put(store::Kind::kReplica, ReplicaKey(peer.id), info.SerializeAsString());
}

store::Mutation DeleteReplicaRecord(uint64_t id) {
  return store::Mutation::Delete(store::Kind::kReplica, ReplicaKey(id));
}

std::optional<PeerSpec> ReadReplicaRecord(const store::Store& store, uint64_t id) {
  absl::StatusOr<std::optional<std::string>> value =
      store.Get(store::Kind::kReplica, ReplicaKey(id));
  if (!value.ok() || !value->has_value())
    return std::nullopt;
  ::lattice::control::v1::ReplicaInfo info;
  if (!info.ParseFromString(**value) || info.id() != id)
    return std::nullopt;
  return PeerSpec{info.id(), info.raft_address(), info.admin_address()};
}

void AdminDirectory::Set(uint64_t id, std::string admin_address) {
  MutexLock lock(&mu_);
  addresses_[id] = std::move(admin_address);
}

std::string AdminDirectory::Get(uint64_t id) const {
  if (machine_ != nullptr) {
    std::optional<PeerSpec> record = ReadReplicaRecord(*machine_->store(), id);
    if (record.has_value() && !record->admin_address.empty())
      return record->admin_address;
  }
  return GetLocal(id);
}

std::string AdminDirectory::GetLocal(uint64_t id) const {
  MutexLock lock(&mu_);
  auto it = addresses_.find(id);
  return it == addresses_.end() ? std::string() : it->second;
}

}  // namespace lattice::replication
