// Server operator-mode wiring: OperatorMode as the account source, the JWT auth provider and
// the system account's $SYS.ACCOUNT.*.CLAIMS.{UPDATE,LOOKUP} handlers.
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

#include "common/base/log.h"
#include "dataplane/server/server.h"

namespace lattice::server {

// The server side of operator_mode::AccountSink: registry updates and connection closes.
// Owned by the Server. Thread: any (the calls only update the registry and post to loops).
class OperatorSink final : public operator_mode::AccountSink {
 public:
  explicit OperatorSink(Server& server) : server_(server) {}
  void ApplyAccount(const accounts::AccountSpec& spec) override { server_.ApplyAccount(spec); }
  void RemoveAccount(const std::string& name) override { server_.RemoveAccount(name); }
  void CloseUserConnections(const std::string& account, const std::string& user_public_key,
                            int64_t issued_before_unix) override {
    server_.RevokeUser(account, user_public_key, issued_before_unix);
  }

 private:
  Server& server_;
};

namespace {

bool OperatorConfigured(const options::Options& options) {
  return !options.operators.empty() || !options.resolver.empty() ||
         !options.resolver_preload.empty();
}

operator_mode::OperatorModeConfig ModeConfig(const options::Options& options) {
  operator_mode::OperatorModeConfig config;
  config.operators = options.operators;
  config.system_account = options.system_account;
  config.resolver = options.resolver;
  config.resolver_preload.insert(options.resolver_preload.begin(), options.resolver_preload.end());
  return config;
}

absl::Status OperatorConfigError(const options::Options& options) {
  if (options.operators.empty()) {
    return absl::InvalidArgumentError(
        "resolver / resolver_preload need operator mode: set `operator` to the operator JWT");
  }
  if (!options.accounts.empty()) {
    return absl::InvalidArgumentError(
        "operator mode (operator) cannot be combined with an accounts {} block");
  }
  return absl::OkStatus();
}

// nats-server's respondToUpdate shape: {"server":{...},"data":{...}} or {"error":{...}}.
// `message` is the data message, or the error description's prefix.
std::string UpdateResponse(const std::string& server_id, const std::string& account,
                           const std::string& message, const absl::Status& status) {
  nlohmann::json response;
  response["server"] = {{"id", server_id}, {"ver", std::string(kNatsCompatVersion)}};
  nlohmann::json m;
  if (!account.empty()) {
    m["account"] = account;
  }
  if (status.ok()) {
    m["code"] = 200;
    m["message"] = message;
    response["data"] = m;
  } else {
    m["code"] = 500;
    m["description"] = absl::StrCat(message, " - ", status.message());
    response["error"] = m;
  }
  return response.dump();
}

// "$SYS.REQ.ACCOUNT.<id>.CLAIMS.LOOKUP" -> <id>, or empty.
std::string LookupAccount(std::string_view subject) {
  constexpr std::string_view kPrefix = "$SYS.REQ.ACCOUNT.";
  constexpr std::string_view kSuffix = ".CLAIMS.LOOKUP";
  if (subject.size() <= kPrefix.size() + kSuffix.size() ||
      subject.substr(0, kPrefix.size()) != kPrefix ||
      subject.substr(subject.size() - kSuffix.size()) != kSuffix) {
    return "";
  }
  std::string_view id =
      subject.substr(kPrefix.size(), subject.size() - kPrefix.size() - kSuffix.size());
  return id.find('.') == std::string_view::npos ? std::string(id) : "";
}

}  // namespace

absl::Status Server::CheckOperatorConfig(const options::Options& options) {
  if (!OperatorConfigured(options)) {
    return absl::OkStatus();
  }
  if (absl::Status s = OperatorConfigError(options); !s.ok()) {
    return s;
  }
  // A sink that changes nothing: Create only reads and verifies.
  class NullSink final : public operator_mode::AccountSink {
   public:
    void ApplyAccount(const accounts::AccountSpec&) override {}
    void RemoveAccount(const std::string&) override {}
    void CloseUserConnections(const std::string&, const std::string&, int64_t) override {}
  } sink;
  auto mode = operator_mode::OperatorMode::Create(ModeConfig(options), &sink);
  if (!mode.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("operator mode configuration: ", mode.status().message()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const auth::Authenticator>> Server::MakeAuthenticator(
    const options::Options& options) const {
  if (operator_mode_ == nullptr) {
    return auth::Authenticator::Create(options);
  }
  std::vector<std::unique_ptr<auth::AuthProvider>> providers;
  providers.push_back(operator_mode_->NewAuthProvider());
  return auth::Authenticator::Create(options, std::move(providers), /*extra_requires_auth=*/true);
}

absl::Status Server::StartOperatorMode(const options::Options& options) {
  if (!OperatorConfigured(options)) {
    return absl::OkStatus();
  }
  if (absl::Status s = OperatorConfigError(options); !s.ok()) {
    return s;
  }
  operator_sink_ = std::make_unique<OperatorSink>(*this);
  auto mode = operator_mode::OperatorMode::Create(ModeConfig(options), operator_sink_.get());
  if (!mode.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("operator mode configuration: ", mode.status().message()));
  }
  operator_mode_ = *std::move(mode);
  const std::string system_account = operator_mode_->system_account();
  // The system account exists (empty) before its JWT loads, so its handlers can subscribe.
  context_->registry().ApplyAll({}, options.mappings, system_account,
                                /*no_system_account=*/system_account.empty());
  operator_mode_->Start();
  LATTICE_LOG(kInfo) << "Trusted Operators: " << operator_mode_->trust().operators().size()
                     << ", system account " << system_account;
  if (system_account.empty()) {
    return absl::OkStatus();
  }
  std::shared_ptr<Account> sys = context_->registry().Find(system_account);
  if (sys == nullptr) {
    return absl::InternalError("system account missing from the registry");
  }
  // Handlers run on the publisher's loop: copy the message and finish on the auth pool so a
  // resolver fetch or a registry rewrite never stalls a loop.
  auto update = SubscribeInternal(
      *sys, "$SYS.ACCOUNT.*.CLAIMS.UPDATE",
      [this](const protocol::PubOp& op, ClientSession*, int) -> size_t {
        if (WorkPool* pool = context_->auth_pool(); pool != nullptr) {
          pool->Submit(
              [this, subject = std::string(op.subject), reply = std::string(op.reply),
               payload = std::string(op.payload)] { HandleClaimsUpdate(subject, reply, payload); });
        }
        return 1;
      });
  auto lookup = SubscribeInternal(
      *sys, "$SYS.REQ.ACCOUNT.*.CLAIMS.LOOKUP",
      [this](const protocol::PubOp& op, ClientSession*, int) -> size_t {
        if (op.reply.empty()) {
          return 1;
        }
        if (WorkPool* pool = context_->auth_pool(); pool != nullptr) {
          pool->Submit([this, subject = std::string(op.subject), reply = std::string(op.reply)] {
            HandleClaimsLookup(subject, reply);
          });
        }
        return 1;
      });
  if (update == nullptr || lookup == nullptr) {
    return absl::InternalError("cannot subscribe the system account's claims handlers");
  }
  system_subs_ = {update, lookup};
  return absl::OkStatus();
}

void Server::HandleClaimsUpdate(const std::string& subject, const std::string& reply,
                                const std::string& payload) {
  using Outcome = operator_mode::OperatorMode::ClaimsUpdateOutcome;
  std::string account = operator_mode::ClaimsUpdateAccount(subject);
  absl::StatusOr<Outcome> outcome = operator_mode_->HandleClaimsUpdate(subject, payload);
  // nats-server's messages: "jwt update error" only for an empty body.
  std::string message = "jwt update resulted in error";
  if (outcome.ok()) {
    message = *outcome == Outcome::kUpdated ? "jwt updated" : "jwt update skipped";
    LATTICE_LOG(kDebug) << message << " - " << account;
  } else {
    if (payload.empty()) {
      message = "jwt update error";
    }
    LATTICE_LOG(kWarn) << "account claims update for " << account
                       << " ignored: " << outcome.status().message();
  }
  if (!reply.empty()) {
    PublishToSystemAccount(reply, UpdateResponse(server_id(), account, message, outcome.status()));
  }
}

void Server::HandleClaimsLookup(const std::string& subject, const std::string& reply) {
  std::string account = LookupAccount(subject);
  if (account.empty()) {
    return;
  }
  std::string token = operator_mode_->HeldJwt(account);
  if (token.empty()) {
    // nats-server answers from its resolver; the held set misses accounts only stored.
    std::string why;
    if (operator_mode_->FindAccount(account, &why) != nullptr) {
      token = operator_mode_->HeldJwt(account);
    }
  }
  if (!token.empty()) {
    PublishToSystemAccount(reply, token);
  }
}

void Server::PublishToSystemAccount(const std::string& subject, const std::string& payload) {
  std::shared_ptr<Account> sys = context_->registry().Find(operator_mode_->system_account());
  if (sys == nullptr) {
    return;
  }
  protocol::PubOp op;
  op.subject = subject;
  op.payload = payload;
  RouteToAccount(*sys, op, nullptr, 0);
}

absl::Status Server::ReloadOperatorMode(const options::Options& options) {
  std::shared_ptr<const options::Options> old = context_->config()->options;
  bool was = operator_mode_ != nullptr;
  bool is = OperatorConfigured(options);
  if (!was && !is) {
    return absl::OkStatus();
  }
  if (was != is) {
    return absl::FailedPreconditionError(
        "config reload does not support moving to or from operator mode");
  }
  if (options.operators != old->operators) {
    return absl::FailedPreconditionError("config reload not supported for operator");
  }
  if (options.resolver != old->resolver) {
    return absl::FailedPreconditionError("config reload not supported for resolver");
  }
  if (absl::Status s = OperatorConfigError(options); !s.ok()) {
    return s;
  }
  auto resolver = operator_mode::ParseResolverOption(options.resolver);
  if (!resolver.ok() || resolver->kind != operator_mode::ResolverConfig::Kind::kMemory) {
    return absl::OkStatus();  // nats-server refreshes accounts on reload for MEMORY only
  }
  // nats-server builds a new memory resolver from the reloaded preloads and refreshes the
  // accounts it holds: a changed JWT is applied as a claims update, new preloads can be
  // looked up, and accounts no longer preloaded are deleted; their clients fail the
  // re-authorization every client gets on reload (-ERR 'Authorization Violation').
  for (const auto& [key, token] : options.resolver_preload) {
    std::string held = operator_mode_->HeldJwt(key);
    if (held == token) {
      continue;
    }
    if (held.empty()) {
      operator_mode_->resolver().Store(key, token);
      continue;
    }
    if (absl::Status s = operator_mode_->ApplyAccountJwt(token); !s.ok()) {
      LATTICE_LOG(kWarn) << "resolver_preload " << key << " not applied: " << s.message();
    }
  }
  const std::string& system_account = operator_mode_->system_account();
  for (const std::string& key : operator_mode_->HeldAccounts()) {
    if (key == system_account || options.resolver_preload.count(key) > 0) {
      continue;
    }
    LATTICE_LOG(kInfo) << "Reloaded: deleting account [removed]: \"" << key << "\"";
    // Posted before ForgetAccount's own closes, so each loop closes these first.
    ForEachSession([key](ClientSession& session) {
      if (session.account()->name() == key) {
        session.CloseWithError("Authorization Violation", CloseReason::kAuthenticationViolation);
      }
    });
    operator_mode_->ForgetAccount(key);
  }
  return absl::OkStatus();
}

void Server::StopOperatorMode() {
  if (operator_mode_ == nullptr) {
    return;
  }
  std::shared_ptr<Account> sys = context_->registry().Find(operator_mode_->system_account());
  for (const auto& sub : system_subs_) {
    if (sys != nullptr) {
      UnsubscribeInternal(*sys, sub);
    }
  }
  system_subs_.clear();
}

}  // namespace lattice::server
