// Shared state of one admin command: parsed args, the gRPC stub, output streams and helpers to
// print responses as tables, plans or JSON.
#pragma once

#include <chrono>
#include <memory>
#include <ostream>
#include <string>

#include "google/protobuf/message.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/status.h"

#include "lattice/control/v1/admin.grpc.pb.h"
#include "tools/latticectl_admin/args.h"

namespace lattice::latticectl_admin {

namespace v1 = ::lattice::control::v1;

// Lives for one command. Thread: the command's thread only.
struct Session {
  Args args;
  std::unique_ptr<v1::Admin::Stub> stub;
  std::string token;
  bool json = false;
  bool dry_run = false;       // forced by `plan ...` or --dry-run
  bool linearizable = false;  // --linearizable: reads pass the leader's Raft barrier
  // --timeout: a unary call that has not finished by then fails with DEADLINE_EXCEEDED, so a
  // hung (stopped, black-holed) replica cannot hold the command for ever.
  std::chrono::milliseconds call_timeout{10000};
  // The last failed call (Fail): UNAVAILABLE ones make RunAdminCommand try another replica.
  mutable grpc::Status last_failure;
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;

  // A call context carrying the bearer token (if any) and, unless `streaming`, the call
  // timeout as its deadline.
  std::unique_ptr<grpc::ClientContext> Context(bool streaming = false) const;
  // Prints "error: CODE: message" and returns 1.
  int Fail(const grpc::Status& status) const;
  // Prints "error: message" and returns the code (usage errors: 2).
  int Error(const std::string& message, int code = 1) const;
  // The message as JSON (proto field names, defaults omitted).
  void PrintJson(const google::protobuf::Message& message) const;
  // A write's plan and outcome; 1 when the plan has errors, else 0.
  int PrintWrite(const v1::WriteResponse& response) const;
};

// replicas [list] | add ID RAFT [--admin A] | remove ID.
int RunReplicasCommand(Session& s);

// Topology commands: cluster|node|gateway|leaf list|get|put|delete.
int RunTopologyCommand(Session& s, const std::string& noun, const std::string& verb);

// interest [--account A] [--subject S] [--node N] [--limit N]: the leader's interest graph.
int RunInterestCommand(Session& s);

// "12", "-"; "unlimited" for -1.
std::string FormatTime(int64_t unix_nanos);

}  // namespace lattice::latticectl_admin
