// A gtest fixture for managed deployments over three real lattice-control replicas: the
// replicas, an operator whose signing key the control plane manages, its system account, and
// latticectl runs against every replica (or chosen ones).
#pragma once

#include <sys/stat.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"

#include "common/jwt/claims.h"
#include "common/nkeys/nkeys.h"
#include "controlplane/e2e/ha_test_fixture.h"
#include "e2e/managed/managed_harness.h"

namespace lattice::managed_e2e {

// Thread: the test thread.
class ManagedHaTest : public control_e2e::HaClusterTest {
 protected:
  // Starts the replicas, waits for a leader and pushes the operator named `operator_name`
  // (files in TEST_TMPDIR/<dir_name>, see PushManagedOperator).
  void SetUpManaged(const std::string& dir_name, const std::string& operator_name) {
    HaClusterTest::SetUp();
    if (HasFatalFailure())
      return;
    dir_ = std::string(std::getenv("TEST_TMPDIR")) + "/" + dir_name;
    mkdir(dir_.c_str(), 0700);
    std::vector<std::string> replicas;
    for (int i = 0; i < cluster_->size(); ++i)
      replicas.push_back(cluster_->admin_address(i));
    all_replicas_ = absl::StrJoin(replicas, ",");
    WaitLeader();
    op_claims_.std.name = operator_name;
    absl::Status pushed = PushManagedOperator(all_replicas_, control_e2e::kHaToken, dir_,
                                              op_claims_, op_key_, op_signer_, sys_key_);
    ASSERT_TRUE(pushed.ok()) << pushed;
  }

  // latticectl with every replica in --server (it fails over between them), or only `servers`.
  CtlResult Ctl(const std::vector<std::string>& args, const std::string& servers = "") {
    return RunLatticectl(servers.empty() ? all_replicas_ : servers, control_e2e::kHaToken, args,
                         absl::StrCat(dir_, "/ctl.", ++ctl_runs_, ".out"));
  }

  // Every replica's log, for failure messages.
  std::string ReplicaLogs() {
    std::string out;
    for (int i = 0; i < cluster_->size(); ++i)
      absl::StrAppend(&out, "\n== replica ", i + 1, ":\n", cluster_->log(i));
    return out;
  }

  nkeys::KeyPair op_key_ = NewKey(nkeys::KeyType::kOperator);
  nkeys::KeyPair op_signer_ = NewKey(nkeys::KeyType::kOperator);
  nkeys::KeyPair sys_key_ = NewKey(nkeys::KeyType::kAccount);
  jwt::OperatorClaims op_claims_ =
      jwt::NewOperatorClaims(*nkeys::OperatorPublicKey::FromKey(op_key_.public_key()));
  std::string dir_;
  std::string all_replicas_;  // "a,b,c": every replica's Admin address
  int ctl_runs_ = 0;
};

}  // namespace lattice::managed_e2e
