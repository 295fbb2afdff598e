// Bearer-token and client-certificate authentication.
#include "controlplane/api/auth.h"

#include <cstdio>
#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include <openssl/crypto.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

namespace lattice::api {

absl::StatusOr<std::map<std::string, std::string>> Authenticator::LoadTokensFile(
    const std::string& path) {
  std::ifstream in(path);
  if (!in)
    return absl::NotFoundError(absl::StrCat("cannot read tokens file ", path));
  std::map<std::string, std::string> tokens;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    std::string trimmed(absl::StripAsciiWhitespace(line));
    if (trimmed.empty() || trimmed[0] == '#')
      continue;
    size_t sep = trimmed.find_first_of(" \t:");
    if (sep == std::string::npos)
      return absl::InvalidArgumentError(absl::StrCat(path, ":", number, ": want \"name token\""));
    std::string name = trimmed.substr(0, sep);
    std::string token(absl::StripAsciiWhitespace(trimmed.substr(sep + 1)));
    if (token.size() < 16) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", number, ": tokens must be at least 16 characters"));
    }
    tokens[token] = name;
  }
  if (tokens.empty())
    return absl::InvalidArgumentError(absl::StrCat(path, ": no tokens"));
  return tokens;
}

absl::StatusOr<std::string> Authenticator::CheckBearer(std::string_view header) const {
  constexpr std::string_view kPrefix = "Bearer ";
  if (header.size() <= kPrefix.size() || header.substr(0, kPrefix.size()) != kPrefix)
    return absl::UnauthenticatedError("missing bearer token");
  std::string_view presented = header.substr(kPrefix.size());
  // Compare against every token in constant time per candidate, so timing does not reveal
  // how much of a token matched.
  const std::string* actor = nullptr;
  for (const auto& [token, name] : tokens_) {
    if (token.size() == presented.size() &&
        CRYPTO_memcmp(token.data(), presented.data(), token.size()) == 0) {
      actor = &name;
    }
  }
  if (actor == nullptr)
    return absl::UnauthenticatedError("invalid bearer token");
  return absl::StrCat("token:", *actor);
}

std::string Authenticator::CertificateActor(const std::string& peer_cn,
                                            const std::string* forwarded_for) const {
  // Only a replica's certificate may speak for someone else, and only for a certificate
  // identity (a token travels itself and is checked here); anyone else is the peer itself.
  if (forwarded_for != nullptr && policy_.replica_names.count(peer_cn) != 0 &&
      forwarded_for->size() > 5 && forwarded_for->size() <= 256 &&
      forwarded_for->compare(0, 5, "cert:") == 0) {
    return *forwarded_for;
  }
  return absl::StrCat("cert:", peer_cn);
}

absl::StatusOr<std::string> Authenticator::Authenticate(const grpc::ServerContext& context) const {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it != metadata.end())
    return CheckBearer(std::string_view(it->second.data(), it->second.size()));
  if (trust_client_certs_) {
    auto auth = context.auth_context();
    if (auth != nullptr && auth->IsPeerAuthenticated()) {
      auto names = auth->FindPropertyValues("x509_common_name");
      std::string cn = names.empty() ? "unknown" : std::string(names[0].data(), names[0].size());
      auto forwarded = metadata.find(kForwardedForHeader);
      if (forwarded == metadata.end())
        return CertificateActor(cn, nullptr);
      const std::string value(forwarded->second.data(), forwarded->second.size());
      return CertificateActor(cn, &value);
    }
  }
  return absl::UnauthenticatedError("credentials required: bearer token or client certificate");
}

absl::Status Authenticator::AuthorizeWrite(const std::string& actor) const {
  if (policy_.read_only.count(actor) != 0)
    return absl::PermissionDeniedError(absl::StrCat(actor, " may only read"));
  return absl::OkStatus();
}

std::string Authenticator::ForwardedIdentity(const std::string& actor) {
  return actor.compare(0, 5, "cert:") == 0 ? actor : std::string();
}

absl::StatusOr<std::string> CertificateCommonName(const std::string& pem_path) {
  FILE* file = std::fopen(pem_path.c_str(), "r");
  if (file == nullptr)
    return absl::NotFoundError(absl::StrCat("cannot read ", pem_path));
  X509* cert = PEM_read_X509(file, nullptr, nullptr, nullptr);
  std::fclose(file);
  if (cert == nullptr)
    return absl::InvalidArgumentError(absl::StrCat(pem_path, ": no PEM certificate"));
  char name[256] = {};
  const int length =
      X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, name, sizeof(name));
  X509_free(cert);
  if (length <= 0)
    return absl::InvalidArgumentError(absl::StrCat(pem_path, ": certificate has no common name"));
  return std::string(name, static_cast<size_t>(length));
}

}  // namespace lattice::api
