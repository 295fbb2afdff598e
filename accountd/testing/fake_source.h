// FakeSource: an in-memory AccountSource whose reachability and writes tests control.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"

#include "accountd/account_source.h"
#include "common/base/mutex.h"

namespace lattice::accountd::testing {

// Records posts; Post fails with Unavailable while `set_reachable(false)`. Tests drive the sink
// directly through sink(). Thread: any (guarded by a mutex).
class FakeSource : public AccountSource {
 public:
  absl::Status Start(AccountSink* sink) override {
    MutexLock lock(&mu_);
    sink_ = sink;
    return absl::OkStatus();
  }
  void Stop() override {
    MutexLock lock(&mu_);
    sink_ = nullptr;
  }
  absl::Status Post(const std::string& public_key, const std::string& jwt) override {
    MutexLock lock(&mu_);
    if (!reachable_)
      return absl::UnavailableError("control plane unreachable");
    posts_[public_key] = jwt;
    return absl::OkStatus();
  }
  std::string Describe() const override { return "fake"; }

  void set_reachable(bool reachable) {
    MutexLock lock(&mu_);
    reachable_ = reachable;
  }
  std::map<std::string, std::string> posts() {
    MutexLock lock(&mu_);
    return posts_;
  }
  AccountSink* sink() {
    MutexLock lock(&mu_);
    return sink_;
  }

 private:
  Mutex mu_;
  AccountSink* sink_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool reachable_ ABSL_GUARDED_BY(mu_) = true;
  std::map<std::string, std::string> posts_ ABSL_GUARDED_BY(mu_);
};

}  // namespace lattice::accountd::testing
