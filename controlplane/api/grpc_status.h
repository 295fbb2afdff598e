// absl::Status -> grpc::Status (the canonical codes share their numbers).
#pragma once

#include <string>

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace lattice::api {

inline grpc::Status ToGrpc(const absl::Status& status) {
  if (status.ok())
    return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

}  // namespace lattice::api
