// DirSource: folder snapshots, optional polling, atomic writes.
#include "accountd/dir_source.h"

#include "absl/strings/str_cat.h"

#include "accountd/file_util.h"
#include "common/base/log.h"
#include "common/base/status_macros.h"
#include "common/nkeys/nkeys.h"

namespace lattice::accountd {

DirSource::~DirSource() {
  Stop();
}

absl::Status DirSource::Start(AccountSink* sink) {
  LATTICE_RETURN_IF_ERROR(MakeDirs(dir_));
  {
    MutexLock lock(&mu_);
    sink_ = sink;
    stopping_ = false;
  }
  LATTICE_RETURN_IF_ERROR(Rescan());
  if (poll_interval_.count() > 0)
    poller_ = std::thread([this] { PollLoop(); });
  return absl::OkStatus();
}

void DirSource::Stop() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    sink_ = nullptr;
  }
  wake_.notify_all();
  if (poller_.joinable())
    poller_.join();
}

absl::StatusOr<std::vector<std::string>> DirSource::ReadAll() const {
  LATTICE_ASSIGN_OR_RETURN(std::vector<std::string> names, ListJwtFiles(dir_));
  std::vector<std::string> jwts;
  jwts.reserve(names.size());
  for (const std::string& name : names) {
    absl::StatusOr<std::string> text = ReadFile(absl::StrCat(dir_, "/", name));
    if (!text.ok()) {
      LATTICE_LOG(kWarn) << "accountd dir: " << text.status();
      continue;
    }
    jwts.emplace_back(StripWhitespace(*text));
  }
  return jwts;
}

absl::Status DirSource::Rescan() {
  absl::StatusOr<std::vector<std::string>> jwts = ReadAll();
  MutexLock lock(&mu_);
  if (sink_ == nullptr)
    return absl::OkStatus();
  if (!jwts.ok()) {
    sink_->OnConnected(false);
    return jwts.status();
  }
  sink_->OnSnapshot(*jwts);
  sink_->OnConnected(true);
  return absl::OkStatus();
}

void DirSource::PollLoop() {
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_.native());
      wake_.wait_for(lock, poll_interval_,
                     [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return stopping_; });
      if (stopping_)
        return;
    }
    absl::Status status = Rescan();
    if (!status.ok()) {
      LATTICE_LOG(kWarn) << "accountd dir: rescan failed: " << status;
    }
  }
}

absl::Status DirSource::Post(const std::string& public_key, const std::string& jwt) {
  if (!nkeys::IsValidPublicKey(public_key, nkeys::KeyType::kAccount))
    return absl::InvalidArgumentError(absl::StrCat("not an account public key: ", public_key));
  return WriteFileAtomic(absl::StrCat(dir_, "/", public_key, ".jwt"), jwt);
}

}  // namespace lattice::accountd
