// absl::Status -> grpc::Status (the canonical codes share their numbers).
#pragma once

#include <string>

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

#include "controlplane/store/store.h"

namespace lattice::api {

inline grpc::Status ToGrpc(const absl::Status& status) {
  if (status.ok())
    return grpc::Status::OK;
  // A follower names the leader's admin address in the error details (clients redial it).
  std::string details;
  if (auto leader = status.GetPayload(store::kLeaderPayload); leader.has_value())
    details = std::string(*leader);
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()),
                      details);
}

}  // namespace lattice::api
