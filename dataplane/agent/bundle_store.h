// BundleStore: the node's last-known-good pushes on disk, so a restarted node serves without
// the control plane (DESIGN.md §3 "When the control plane is unreachable").
#pragma once

#include <string>

#include "absl/status/statusor.h"

#include "lattice/control/v1/node_sync.pb.h"

namespace lattice::agent {

namespace v1 = ::lattice::control::v1;

// Files in one state directory: `accounts.bundle`, `topology.bundle` (each a header line with
// the format, payload size and SHA-256, then the serialized proto) and `node_id`. Writes are
// atomic: temp file, fsync, rename, fsync of the directory; a crash leaves the old or the new
// file, never a mix. A file whose checksum or size does not match is reported as DataLoss.
// Owned by the ControlAgent (or main). Thread: one thread at a time (the agent thread).
class BundleStore {
 public:
  // Creates `dir` (and parents) when missing.
  static absl::StatusOr<BundleStore> Open(std::string dir);

  absl::Status SaveAccounts(const v1::AccountsBundle& bundle);
  absl::Status SaveTopology(const v1::Topology& topology);
  // NotFound when never saved; DataLoss when the file is corrupt (the caller logs and ignores).
  absl::StatusOr<v1::AccountsBundle> LoadAccounts() const;
  absl::StatusOr<v1::Topology> LoadTopology() const;

  // A stable node id: read from `node_id`, or generated ("node-" + 16 random hex) and saved.
  absl::StatusOr<std::string> LoadOrCreateNodeId();

  const std::string& dir() const { return dir_; }
  std::string PathForTest(const std::string& name) const { return dir_ + "/" + name; }

 private:
  explicit BundleStore(std::string dir) : dir_(std::move(dir)) {}
  absl::Status Save(const std::string& name, const std::string& payload);
  absl::StatusOr<std::string> Load(const std::string& name) const;

  std::string dir_;
};

// The framing used for each file, exposed for tests: header line + payload.
std::string EncodeBundleFile(const std::string& payload);
// Returns the payload, or DataLoss naming what is wrong (header, size, checksum).
absl::StatusOr<std::string> DecodeBundleFile(const std::string& contents);

}  // namespace lattice::agent
