// gRPC server assembly: credentials, services, port.
#include "controlplane/api/server.h"

#include <chrono>
#include <fstream>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"

namespace lattice::api {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return absl::NotFoundError(absl::StrCat("cannot read ", path));
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> Credentials(const ServerOptions& o) {
  if (o.tls_cert_file.empty() && o.tls_key_file.empty()) {
    if (!o.client_ca_file.empty())
      return absl::InvalidArgumentError("client CA given without a server certificate");
    return grpc::InsecureServerCredentials();
  }
  grpc::SslServerCredentialsOptions ssl;
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  absl::StatusOr<std::string> cert = ReadFile(o.tls_cert_file);
  absl::StatusOr<std::string> key = ReadFile(o.tls_key_file);
  if (!cert.ok())
    return cert.status();
  if (!key.ok())
    return key.status();
  pair.cert_chain = *cert;
  pair.private_key = *key;
  ssl.pem_key_cert_pairs.push_back(pair);
  if (!o.client_ca_file.empty()) {
    absl::StatusOr<std::string> ca = ReadFile(o.client_ca_file);
    if (!ca.ok())
      return ca.status();
    ssl.pem_root_certs = *ca;
    ssl.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(ssl);
}

// What a follower dials the leader with: plaintext like its own listener, or TLS trusting the
// client CA (else its own certificate) and presenting its own certificate (accepted when the
// replicas' certificates share the client CA). A forwarded call still carries the caller's
// bearer token; an mTLS-only caller is authenticated as the forwarding replica's certificate.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ForwardingCredentials(
    const ServerOptions& o) {
  if (o.tls_cert_file.empty())
    return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions ssl;
  absl::StatusOr<std::string> cert = ReadFile(o.tls_cert_file);
  absl::StatusOr<std::string> key = ReadFile(o.tls_key_file);
  absl::StatusOr<std::string> roots =
      ReadFile(o.client_ca_file.empty() ? o.tls_cert_file : o.client_ca_file);
  if (!cert.ok() || !key.ok() || !roots.ok())
    return absl::InvalidArgumentError("cannot read the TLS files for leader forwarding");
  ssl.pem_root_certs = *roots;
  ssl.pem_cert_chain = *cert;
  ssl.pem_private_key = *key;
  return grpc::SslCredentials(ssl);
}

}  // namespace

absl::StatusOr<std::unique_ptr<ControlServer>> ControlServer::Start(const ServerOptions& options,
                                                                    frontend::Frontend* frontend,
                                                                    const Authenticator* auth,
                                                                    Replication* replication) {
  auto creds = Credentials(options);
  if (!creds.ok())
    return creds.status();
  std::unique_ptr<LeaderForwarder> forwarder;
  if (replication != nullptr) {
    auto client_creds = ForwardingCredentials(options);
    if (!client_creds.ok())
      return client_creds.status();
    forwarder = std::make_unique<LeaderForwarder>(*std::move(client_creds));
  }
  std::unique_ptr<ControlServer> server(
      new ControlServer(frontend, auth, replication, std::move(forwarder)));
  grpc::ServerBuilder builder;
  // gRPC sets SO_REUSEPORT by default: a second lattice-control (or a test's) on the same port
  // would then share it silently, the kernel splitting connections between two different
  // replica sets. A port in use must be an error at start.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddListeningPort(options.address, *creds, &server->port_);
  builder.RegisterService(&server->admin_);
  builder.RegisterService(&server->node_sync_);
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0)
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options.address));
  return server;
}

void ControlServer::Shutdown() {
  if (shut_down_ || server_ == nullptr)
    return;  // also a server that never started (its port was taken)
  shut_down_ = true;
  frontend_->notifier().Close();  // streaming calls stop waiting for changes
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
}

ControlServer::~ControlServer() {
  Shutdown();
}

}  // namespace lattice::api
