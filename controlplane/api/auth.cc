// Bearer-token and client-certificate authentication.
#include "controlplane/api/auth.h"

#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include <openssl/crypto.h>

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
      return absl::StrCat("cert:", cn);
    }
  }
  return absl::UnauthenticatedError("credentials required: bearer token or client certificate");
}

}  // namespace lattice::api
