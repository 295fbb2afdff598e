// What an account is made of, as plain data: exports, imports, subject mappings, limits and
// revocations. Both account sources produce it (the `accounts { }` config block and, in
// operator mode, account JWT claims) and the server's account registry consumes it, so the
// two sources never need to know about each other.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace lattice::accounts {

// How a service export answers (nats-server's response_type).
enum class ResponseType : uint8_t { kSingleton, kStream, kChunked };

// Who may import an export.
struct ExportAccess {
  // Public when false and `approved` is empty: any account may import.
  bool token_required = false;
  // Accounts (config names or account public keys) allowed without a token.
  std::vector<std::string> approved;
};

struct ServiceExport {
  std::string subject;  // may contain wildcards
  ResponseType response_type = ResponseType::kSingleton;
  int64_t response_threshold_ms = 0;  // 0 = the server default (2 minutes)
  ExportAccess access;
};

struct StreamExport {
  std::string subject;  // may contain wildcards
  ExportAccess access;
};

struct ServiceImport {
  std::string account;  // the exporter (config name or public key)
  std::string subject;  // the exporter's subject
  std::string to;       // the importer's local subject; empty = same as `subject`
  bool share = false;   // share the requester's identity (latency tracking); kept for fidelity
  // Activation JWT for token_required exports (operator mode), as received; the source
  // that produced this spec has already verified it (issuer = exporter or one of its
  // signing keys, subject = the importing account, not expired, not revoked).
  std::string activation_token;
};

struct StreamImport {
  std::string account;  // the exporter
  std::string subject;  // the exporter's subject
  // The importer sees messages under `prefix` + "." + subject, or renamed to `to`
  // (nats-server 2.2+); both empty = same subject.
  std::string prefix;
  std::string to;
  std::string activation_token;  // as ServiceImport::activation_token
};

// One destination of a subject mapping (`mappings { src: [{destination, weight}] }`).
struct MappingDestination {
  std::string subject;  // may use {{wildcard(n)}}, $n, {{partition(n,...)}}, {{split...}}
  int weight_percent = 100;
  std::string cluster;  // only for this cluster; empty = everywhere
};

struct SubjectMapping {
  std::string source;  // may contain wildcards
  std::vector<MappingDestination> destinations;
};

// -1 = unlimited, as in nats-server and JWT account limits.
struct AccountLimits {
  int64_t max_connections = -1;
  int64_t max_subscriptions = -1;
  int64_t max_payload = -1;
  // JWT "data": carried, never enforced (nats-server 2.9.10 does not for core NATS).
  int64_t max_data = -1;
  // JWT "imports"/"exports": validated on the account JWT (dataplane/operator), not at runtime.
  int64_t max_imports = -1;
  int64_t max_exports = -1;
  int64_t max_leafnodes = -1;
};

// A scoped signing key's template limits (nats-server's UserScope template): for users the
// key signed they replace the user JWT's own subs/payload. -1 = unlimited (also when the
// template does not set them, as the jwt library pre-fills a scope).
struct ScopedUserLimits {
  int64_t max_subscriptions = -1;
  int64_t max_payload = -1;
};

struct AccountSpec {
  std::string name;  // config name, or the account public key in operator mode
  std::vector<ServiceExport> service_exports;
  std::vector<StreamExport> stream_exports;
  std::vector<ServiceImport> service_imports;
  std::vector<StreamImport> stream_imports;
  std::vector<SubjectMapping> mappings;
  AccountLimits limits;
  // User public key (or "*" for all users) -> unix seconds: user JWTs issued at or before
  // that time are refused and their live connections closed.
  absl::flat_hash_map<std::string, int64_t> revoked_users;
  // Unix seconds; 0 = never. A spec past its expiry refuses new connections, and its live
  // connections close at that time with -ERR 'Account Authentication Expired'.
  int64_t expires_unix = 0;
  // Scoped signing key (public key) -> its template's limits (operator mode).
  absl::flat_hash_map<std::string, ScopedUserLimits> scoped_signing_keys;
};

}  // namespace lattice::accounts
