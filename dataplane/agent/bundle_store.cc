// BundleStore: checksummed, atomically replaced files in the node's state directory.
#include "dataplane/agent/bundle_store.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "sodium.h"
#include <openssl/sha.h>

#include "common/base/status_macros.h"
#include "common/files/files.h"

namespace lattice::agent {
namespace {

constexpr char kMagic[] = "lattice-bundle/1";
constexpr char kAccountsFile[] = "accounts.bundle";
constexpr char kTopologyFile[] = "topology.bundle";
constexpr char kNodeIdFile[] = "node_id";
constexpr size_t kMaxFileBytes = 256u << 20;  // far above any real bundle

std::string HexSha256(const std::string& data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * sizeof(digest));
  for (unsigned char byte : digest) {
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 0xf]);
  }
  return out;
}

}  // namespace

std::string EncodeBundleFile(const std::string& payload) {
  return absl::StrCat(kMagic, " ", payload.size(), " ", HexSha256(payload), "\n", payload);
}

absl::StatusOr<std::string> DecodeBundleFile(const std::string& contents) {
  size_t eol = contents.find('\n');
  if (eol == std::string::npos || eol > 128)
    return absl::DataLossError("no bundle header");
  std::vector<std::string> fields = absl::StrSplit(contents.substr(0, eol), ' ');
  if (fields.size() != 3 || fields[0] != kMagic)
    return absl::DataLossError("bad bundle header");
  uint64_t size = 0;
  if (!absl::SimpleAtoi(fields[1], &size))
    return absl::DataLossError("bad payload size in bundle header");
  std::string payload = contents.substr(eol + 1);
  if (payload.size() != size) {
    return absl::DataLossError(
        absl::StrCat("payload is ", payload.size(), " bytes, header says ", size));
  }
  if (HexSha256(payload) != fields[2])
    return absl::DataLossError("payload checksum mismatch");
  return payload;
}

absl::StatusOr<BundleStore> BundleStore::Open(std::string dir) {
  if (dir.empty())
    return absl::InvalidArgumentError("state directory is empty");
  while (dir.size() > 1 && dir.back() == '/')
    dir.pop_back();
  LATTICE_RETURN_IF_ERROR(files::MakeDirs(dir));
  return BundleStore(std::move(dir));
}

absl::Status BundleStore::Save(const std::string& name, const std::string& payload) {
  return files::WriteFileAtomic(PathForTest(name), EncodeBundleFile(payload));
}

absl::StatusOr<std::string> BundleStore::Load(const std::string& name) const {
  LATTICE_ASSIGN_OR_RETURN(std::string contents, files::ReadFile(PathForTest(name), kMaxFileBytes));
  absl::StatusOr<std::string> payload = DecodeBundleFile(contents);
  if (!payload.ok())
    return absl::DataLossError(absl::StrCat(PathForTest(name), ": ", payload.status().message()));
  return payload;
}

absl::Status BundleStore::SaveAccounts(const v1::AccountsBundle& bundle) {
  return Save(kAccountsFile, bundle.SerializeAsString());
}

absl::Status BundleStore::SaveTopology(const v1::Topology& topology) {
  return Save(kTopologyFile, topology.SerializeAsString());
}

absl::StatusOr<v1::AccountsBundle> BundleStore::LoadAccounts() const {
  LATTICE_ASSIGN_OR_RETURN(std::string payload, Load(kAccountsFile));
  v1::AccountsBundle bundle;
  if (!bundle.ParseFromString(payload))
    return absl::DataLossError(absl::StrCat(PathForTest(kAccountsFile), ": not a bundle"));
  return bundle;
}

absl::StatusOr<v1::Topology> BundleStore::LoadTopology() const {
  LATTICE_ASSIGN_OR_RETURN(std::string payload, Load(kTopologyFile));
  v1::Topology topology;
  if (!topology.ParseFromString(payload))
    return absl::DataLossError(absl::StrCat(PathForTest(kTopologyFile), ": not a topology"));
  return topology;
}

absl::StatusOr<std::string> BundleStore::LoadOrCreateNodeId() {
  absl::StatusOr<std::string> stored = Load(kNodeIdFile);
  if (stored.ok()) {
    if (stored->empty() || stored->size() > 64)
      return absl::DataLossError(absl::StrCat(PathForTest(kNodeIdFile), ": not a node id"));
    return stored;
  }
  if (!absl::IsNotFound(stored.status()))
    return stored.status();  // unreadable or corrupt: refuse to silently change identity
  if (sodium_init() < 0)
    return absl::InternalError("libsodium failed to initialise");
  unsigned char raw[8];
  randombytes_buf(raw, sizeof(raw));
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id = "node-";
  for (unsigned char byte : raw) {
    id.push_back(kHex[byte >> 4]);
    id.push_back(kHex[byte & 0xf]);
  }
  LATTICE_RETURN_IF_ERROR(Save(kNodeIdFile, id));
  return id;
}

}  // namespace lattice::agent
