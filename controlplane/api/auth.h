// Admin/NodeSync authentication: bearer tokens ("authorization: Bearer <token>") and, when the
// server runs mTLS, verified client certificates. Returns the actor name the audit trail records.
#pragma once

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/server_context.h"

namespace lattice::api {

// Owned by the server. Thread: immutable after construction, any thread.
class Authenticator {
 public:
  // `tokens`: token -> actor name. With `trust_client_certs`, a call whose TLS peer presented a
  // verified certificate is accepted as "cert:<common name>" even without a token.
  Authenticator(std::map<std::string, std::string> tokens, bool trust_client_certs)
      : tokens_(std::move(tokens)), trust_client_certs_(trust_client_certs) {}

  // Reads "name token" (or "name:token") lines; '#' comments and blank lines are skipped.
  static absl::StatusOr<std::map<std::string, std::string>> LoadTokensFile(const std::string& path);

  // The caller's actor name, or Unauthenticated.
  absl::StatusOr<std::string> Authenticate(const grpc::ServerContext& context) const;

  // Pure check of an "authorization" header value (tests).
  absl::StatusOr<std::string> CheckBearer(std::string_view header) const;

 private:
  std::map<std::string, std::string> tokens_;
  bool trust_client_certs_;
};

}  // namespace lattice::api
