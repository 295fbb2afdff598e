// Admin/NodeSync authentication: bearer tokens ("authorization: Bearer <token>") and, when the
// server runs mTLS, verified client certificates. Returns the actor name the audit trail records.
#pragma once

#include <map>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/server_context.h"

namespace lattice::api {

// Metadata a forwarding replica adds naming the caller it verified ("cert:<cn>"). The leader
// honours it only on a call whose own TLS peer is a replica (AuthPolicy::replica_names).
inline constexpr char kForwardedForHeader[] = "lattice-forwarded-for";

// Who may do what beyond "authenticated".
struct AuthPolicy {
  // Actors limited to reads ("token:<name>", "cert:<cn>"): writes answer PermissionDenied.
  std::set<std::string> read_only;
  // Certificate common names of the control-plane replicas. A call whose verified client
  // certificate has one of these names and carries kForwardedForHeader acts as that caller.
  std::set<std::string> replica_names;
};

// Owned by the server. Thread: immutable after construction, any thread.
class Authenticator {
 public:
  // `tokens`: token -> actor name. With `trust_client_certs`, a call whose TLS peer presented a
  // verified certificate is accepted as "cert:<common name>" even without a token.
  Authenticator(std::map<std::string, std::string> tokens, bool trust_client_certs,
                AuthPolicy policy = {})
      : tokens_(std::move(tokens)),
        trust_client_certs_(trust_client_certs),
        policy_(std::move(policy)) {}

  // Reads "name token" (or "name:token") lines; '#' comments and blank lines are skipped.
  static absl::StatusOr<std::map<std::string, std::string>> LoadTokensFile(const std::string& path);

  // The caller's actor name, or Unauthenticated. A bearer token wins; otherwise the verified
  // client certificate, or, when that certificate is a replica's and the call names a forwarded
  // caller, that caller.
  absl::StatusOr<std::string> Authenticate(const grpc::ServerContext& context) const;

  // PermissionDenied when `actor` may only read.
  absl::Status AuthorizeWrite(const std::string& actor) const;

  // Pure check of an "authorization" header value (tests).
  absl::StatusOr<std::string> CheckBearer(std::string_view header) const;

  // Pure check of the certificate path (tests): `peer_cn` verified by TLS, `forwarded_for` the
  // kForwardedForHeader value (nullptr when absent).
  std::string CertificateActor(const std::string& peer_cn, const std::string* forwarded_for) const;

  // What a forwarding replica puts in kForwardedForHeader for `actor`: the certificate identity,
  // or "" for a token caller (the token itself is forwarded and checked by the leader).
  static std::string ForwardedIdentity(const std::string& actor);

 private:
  std::map<std::string, std::string> tokens_;
  bool trust_client_certs_;
  AuthPolicy policy_;
};

// The subject common name of the first certificate in a PEM file (a replica's own name).
absl::StatusOr<std::string> CertificateCommonName(const std::string& pem_path);

}  // namespace lattice::api
