// ManagedNode: argument split for `--control`, managed-mode options, agent start over OperatorMode.
#include "dataplane/agent/managed_node.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

#include "common/base/log.h"
#include "common/base/status_macros.h"
#include "common/jwt/claims.h"
#include "dataplane/agent/bundle.h"
#include "dataplane/agent/bundle_store.h"
#include "dataplane/operator/operator_trust.h"

namespace lattice::agent {
namespace {

// "--name=value" / "-name" -> name (without dashes) and the inline value, if any.
struct FlagToken {
  std::string name;
  std::string value;
  bool has_value = false;
};

bool ParseFlagToken(std::string_view arg, FlagToken* out) {
  if (arg.size() < 2 || arg[0] != '-')
    return false;
  arg.remove_prefix(arg[1] == '-' ? 2 : 1);
  if (arg.empty())
    return false;
  const size_t eq = arg.find('=');
  out->name = std::string(arg.substr(0, eq));
  out->has_value = eq != std::string_view::npos;
  out->value = out->has_value ? std::string(arg.substr(eq + 1)) : std::string();
  return true;
}

bool IsAgentFlagName(const std::string& name) {
  AgentFlags scratch;
  return SetAgentFlag(name, "", &scratch);
}

}  // namespace

void NodeArgs::Finish() {
  pointers_.clear();
  for (const std::string& arg : rest)
    pointers_.push_back(arg.c_str());
  pointers_.push_back(nullptr);
}

absl::StatusOr<NodeArgs> SplitNodeArgs(int argc, const char* const* argv) {
  NodeArgs out;
  std::vector<std::string> args;
  for (int i = 0; i < argc; ++i)
    args.emplace_back(argv[i] == nullptr ? "" : argv[i]);
  for (size_t i = 1; i < args.size(); ++i) {
    FlagToken token;
    if (ParseFlagToken(args[i], &token) && token.name == "control")
      out.managed = true;
  }
  if (!out.managed) {
    out.rest = std::move(args);
    out.Finish();
    return out;
  }
  if (!args.empty())
    out.rest.push_back(args[0]);
  for (size_t i = 1; i < args.size(); ++i) {
    FlagToken token;
    if (!ParseFlagToken(args[i], &token) || !IsAgentFlagName(token.name)) {
      out.rest.push_back(args[i]);
      continue;
    }
    std::string normalized = token.name;
    for (char& c : normalized) {
      if (c == '-')
        c = '_';
    }
    if (normalized == "control_tls" && !token.has_value) {
      SetAgentFlag(normalized, "", &out.agent);
      continue;
    }
    std::string value = token.value;
    if (!token.has_value) {
      if (i + 1 >= args.size())
        return absl::InvalidArgumentError(absl::StrCat("flag ", args[i], " needs a value"));
      value = args[++i];
    }
    if (normalized == "cluster" && absl::StrContains(value, "://")) {
      // nats-server's cluster listen URL: the server's option, not the agent's cluster name.
      out.rest.push_back("--cluster");
      out.rest.push_back(value);
      continue;
    }
    SetAgentFlag(normalized, value, &out.agent);
  }
  out.Finish();
  return out;
}

absl::Status ApplyManagedOptions(const AgentFlags& flags, options::Options* opts) {
  if (flags.operator_file.empty())
    return absl::InvalidArgumentError("--control needs --operator (the trusted operator JWT)");
  if (opts->operators.empty()) {
    opts->operators = {flags.operator_file};
  } else if (opts->operators.size() != 1 || opts->operators[0] != flags.operator_file) {
    return absl::InvalidArgumentError(
        "--operator must name the same single operator as the configuration's `operator`");
  }
  if (opts->resolver.empty())
    opts->resolver = "MEMORY";
  if (opts->resolver != "MEMORY" && opts->resolver != "MEM") {
    return absl::InvalidArgumentError(absl::StrCat(
        "a node with --control gets its accounts from the control plane; resolver must be "
        "MEMORY (or unset), not ",
        opts->resolver));
  }
  return absl::OkStatus();
}

size_t PreloadSavedAccounts(const AgentConfig& config, options::Options* opts) {
  // A preload the server finds expired fails its start; one that expires later is dropped by
  // the agent's own verification at Start (the stored bundle is checked again there).
  constexpr int64_t kExpiryMarginSeconds = 60;
  if (config.state_dir.empty())
    return 0;
  absl::StatusOr<BundleStore> store = BundleStore::Open(config.state_dir);
  if (!store.ok()) {
    LATTICE_LOG(kWarn) << "state dir: " << store.status();
    return 0;
  }
  absl::StatusOr<v1::AccountsBundle> saved = store->LoadAccounts();
  if (!saved.ok()) {
    if (!absl::IsNotFound(saved.status())) {
      LATTICE_LOG(kWarn) << "stored accounts not preloaded: " << saved.status();
    }
    return 0;
  }
  const int64_t now = jwt::NowSeconds();
  // The operator the server is about to trust (a bare or decorated JWT, file or inline).
  absl::StatusOr<operator_mode::OperatorTrust> trust =
      operator_mode::OperatorTrust::FromOptionValues(opts->operators, opts->system_account, now);
  if (!trust.ok() || trust->operators().size() != 1)
    return 0;  // the server's start reports what is wrong with the operator
  absl::StatusOr<TrustedOperator> trusted =
      TrustedOperator::FromJwt(trust->operators()[0].jwt, now);
  if (!trusted.ok())
    return 0;
  absl::StatusOr<AccountsBundle> verified =
      VerifyAccountsBundle(*saved, *trusted, now + kExpiryMarginSeconds);
  if (!verified.ok()) {
    LATTICE_LOG(kWarn) << "stored accounts " << saved->version()
                       << " not preloaded: " << verified.status().message();
    return 0;
  }
  size_t added = 0;
  for (const auto& [key, account] : verified->accounts)
    added += opts->resolver_preload.emplace(key, account.jwt).second ? 1 : 0;
  LATTICE_LOG(kInfo) << "Preloaded " << added << " accounts of " << saved->version()
                     << " from the state dir";
  return added;
}

absl::StatusOr<std::unique_ptr<ManagedNode>> ManagedNode::Start(
    AgentConfig config, operator_mode::OperatorMode* mode, std::vector<std::string> client_urls,
    InterestReporting interest) {
  if (mode == nullptr)
    return absl::FailedPreconditionError("--control needs the server in operator mode");
  const auto& operators = mode->trust().operators();
  if (operators.size() != 1)
    return absl::InvalidArgumentError("a managed node trusts exactly one operator");
  // The server read the operator (bare or decorated); the agent verifies against the same JWT.
  config.operator_jwt = operators[0].jwt;
  config.client_urls = std::move(client_urls);
  std::unique_ptr<ManagedNode> node(new ManagedNode());
  node->sink_ = std::make_unique<OperatorAgentSink>(mode);
  LATTICE_ASSIGN_OR_RETURN(node->agent_,
                           ControlAgent::Create(std::move(config), node->sink_.get(), interest));
  LATTICE_RETURN_IF_ERROR(node->agent_->Start());
  AgentStatus status = node->agent_->status();
  LATTICE_LOG(kInfo) << "Node agent " << node->agent_->node_id() << " started"
                     << (status.accounts_from_disk
                             ? absl::StrCat(" with accounts ", status.accounts_version,
                                            " from the state dir")
                             : std::string(" (no stored accounts)"));
  return node;
}

ManagedNode::~ManagedNode() {
  Stop();
}

void ManagedNode::Stop() {
  if (agent_ != nullptr)
    agent_->Stop();
}

}  // namespace lattice::agent
