// Agent flags -> AgentConfig: address list parsing, credential files, consistency checks.
#include "dataplane/agent/agent_config.h"

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

#include "common/base/status_macros.h"

namespace lattice::agent {
namespace {

absl::StatusOr<std::string> ReadSmallFile(const std::string& flag, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return absl::NotFoundError(absl::StrCat("--", flag, ": cannot read ", path));
  std::stringstream out;
  out << in.rdbuf();
  std::string text = out.str();
  if (text.size() > (1u << 20))
    return absl::InvalidArgumentError(absl::StrCat("--", flag, ": ", path, " is too large"));
  return text;
}

std::string Normalize(std::string_view name) {
  while (!name.empty() && name.front() == '-')
    name.remove_prefix(1);
  std::string out(name);
  for (char& c : out) {
    if (c == '-')
      c = '_';
  }
  return out;
}

}  // namespace

bool SetAgentFlag(std::string_view name, std::string_view value, AgentFlags* flags) {
  const std::string key = Normalize(name);
  std::string* target = nullptr;
  if (key == "control") {
    target = &flags->control;
  } else if (key == "cluster") {
    target = &flags->cluster;
  } else if (key == "node_id") {
    target = &flags->node_id;
  } else if (key == "operator") {
    target = &flags->operator_file;
  } else if (key == "control_token") {
    target = &flags->control_token;
  } else if (key == "control_token_file") {
    target = &flags->control_token_file;
  } else if (key == "control_tls_ca") {
    target = &flags->control_tls_ca;
  } else if (key == "control_tls_cert") {
    target = &flags->control_tls_cert;
  } else if (key == "control_tls_key") {
    target = &flags->control_tls_key;
  } else if (key == "control_tls_server_name") {
    target = &flags->control_tls_server_name;
  } else if (key == "state_dir") {
    target = &flags->state_dir;
  } else if (key == "control_tls") {
    flags->control_tls = value.empty() || value == "true" || value == "1";
    return true;
  }
  if (target == nullptr)
    return false;
  *target = std::string(value);
  return true;
}

std::string AgentFlagsUsage() {
  return "Control plane (node agent):\n"
         "    --control <host:port,...>    control-plane replicas (NodeSync), tried in turn\n"
         "    --cluster <name>             cluster this node belongs to\n"
         "    --operator <file>            operator JWT every pushed account is verified against\n"
         "    --node_id <id>               node id (default: generated once, kept in state_dir)\n"
         "    --state_dir <dir>            last-known-good accounts and topology\n"
         "    --control_token <token>      bearer token for the control plane\n"
         "    --control_token_file <file>  the same, read from a file\n"
         "    --control_tls                TLS to the control plane with the system roots\n"
         "    --control_tls_ca <pem>       TLS with this CA\n"
         "    --control_tls_cert <pem>     client certificate (mTLS), with --control_tls_key\n"
         "    --control_tls_key <pem>\n"
         "    --control_tls_server_name <name>  name expected in the server certificate\n";
}

absl::StatusOr<std::vector<std::string>> ParseControlAddresses(std::string_view list) {
  std::vector<std::string> out;
  for (absl::string_view raw : absl::StrSplit(absl::string_view(list.data(), list.size()), ',')) {
    absl::string_view address = absl::StripAsciiWhitespace(raw);
    const size_t colon = address.rfind(':');
    uint32_t port = 0;
    if (address.empty() || colon == absl::string_view::npos || colon == 0 ||
        !absl::SimpleAtoi(address.substr(colon + 1), &port) || port == 0 || port > 65535) {
      return absl::InvalidArgumentError(
          absl::StrCat("--control: '", address, "' is not host:port"));
    }
    out.emplace_back(address);
  }
  return out;
}

absl::StatusOr<std::optional<AgentConfig>> AgentConfigFromFlags(const AgentFlags& flags) {
  if (flags.control.empty()) {
    const bool other = !flags.cluster.empty() || !flags.control_token.empty() ||
                       !flags.control_token_file.empty() || !flags.control_tls_ca.empty() ||
                       !flags.control_tls_cert.empty() || flags.control_tls;
    if (other)
      return absl::InvalidArgumentError("control-plane flags given without --control");
    return std::optional<AgentConfig>();
  }
  AgentConfig config;
  LATTICE_ASSIGN_OR_RETURN(config.control_addresses, ParseControlAddresses(flags.control));
  if (flags.cluster.empty())
    return absl::InvalidArgumentError("--control needs --cluster");
  config.cluster = flags.cluster;
  config.node_id = flags.node_id;
  if (flags.operator_file.empty())
    return absl::InvalidArgumentError("--control needs --operator (the trusted operator JWT)");
  LATTICE_ASSIGN_OR_RETURN(std::string op, ReadSmallFile("operator", flags.operator_file));
  config.operator_jwt = std::string(absl::StripAsciiWhitespace(op));
  config.state_dir = flags.state_dir;
  if (config.node_id.empty() && config.state_dir.empty())
    return absl::InvalidArgumentError("give --node_id or --state_dir (where the id is kept)");

  ControlCredentials& creds = config.credentials;
  if (!flags.control_token.empty() && !flags.control_token_file.empty())
    return absl::InvalidArgumentError("give --control_token or --control_token_file, not both");
  creds.bearer_token = flags.control_token;
  if (!flags.control_token_file.empty()) {
    LATTICE_ASSIGN_OR_RETURN(std::string token,
                             ReadSmallFile("control_token_file", flags.control_token_file));
    creds.bearer_token = std::string(absl::StripAsciiWhitespace(token));
    if (creds.bearer_token.empty())
      return absl::InvalidArgumentError("--control_token_file is empty");
  }
  if (flags.control_tls_cert.empty() != flags.control_tls_key.empty())
    return absl::InvalidArgumentError("--control_tls_cert and --control_tls_key go together");
  creds.tls = flags.control_tls || !flags.control_tls_ca.empty() ||
              !flags.control_tls_cert.empty() || !flags.control_tls_server_name.empty();
  if (!flags.control_tls_ca.empty()) {
    LATTICE_ASSIGN_OR_RETURN(creds.root_certs_pem,
                             ReadSmallFile("control_tls_ca", flags.control_tls_ca));
  }
  if (!flags.control_tls_cert.empty()) {
    LATTICE_ASSIGN_OR_RETURN(creds.client_cert_chain_pem,
                             ReadSmallFile("control_tls_cert", flags.control_tls_cert));
    LATTICE_ASSIGN_OR_RETURN(creds.client_key_pem,
                             ReadSmallFile("control_tls_key", flags.control_tls_key));
  }
  creds.tls_server_name = flags.control_tls_server_name;
  if (creds.bearer_token.empty() && creds.client_cert_chain_pem.empty()) {
    return absl::InvalidArgumentError(
        "the control plane requires credentials: --control_token(_file) or "
        "--control_tls_cert/--control_tls_key");
  }
  return std::optional<AgentConfig>(std::move(config));
}

}  // namespace lattice::agent
