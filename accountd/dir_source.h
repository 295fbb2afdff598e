// DirSource: accounts from a folder of <pubkey>.jwt files, like nats-server's dir resolver.
#pragma once

#include <chrono>
#include <condition_variable>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"

#include "accountd/account_source.h"
#include "common/base/mutex.h"

namespace lattice::accountd {

// Reads every `<account pubkey>.jwt` in `dir` as the snapshot; Post writes `<pubkey>.jwt`
// atomically. With a non-zero `poll_interval` a background thread rescans the folder (files
// added, changed or removed by hand show up as a new snapshot). Owned by main.
// Thread: Start/Stop/Rescan from the owner; Post from any thread; the sink is called from Start
// and Rescan (owner's thread) or the poll thread, never concurrently.
class DirSource : public AccountSource {
 public:
  explicit DirSource(std::string dir, std::chrono::milliseconds poll_interval = {})
      : dir_(std::move(dir)), poll_interval_(poll_interval) {}
  ~DirSource() override;

  absl::Status Start(AccountSink* sink) override;
  void Stop() override;
  absl::Status Post(const std::string& public_key, const std::string& jwt) override;
  std::string Describe() const override { return "dir " + dir_; }

  // Reads the folder and hands the sink a snapshot.
  absl::Status Rescan();

  // The JWTs currently in the folder (unvalidated; the cache validates).
  absl::StatusOr<std::vector<std::string>> ReadAll() const;

 private:
  void PollLoop();

  const std::string dir_;
  const std::chrono::milliseconds poll_interval_;
  Mutex mu_;  // serializes sink calls and guards the fields below
  AccountSink* sink_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::condition_variable wake_;
  std::thread poller_;
};

}  // namespace lattice::accountd
