// latticectl describe jwt: a verified, human-readable (or JSON) view of any NATS JWT.
#include <algorithm>
#include <ctime>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "common/base/status_macros.h"
#include "common/creds/creds.h"
#include "common/jwt/chain.h"
#include "common/jwt/claims.h"
#include "tools/latticectl/command_util.h"
#include "tools/latticectl/commands.h"

namespace lattice::latticectl {
namespace {

using Rows = std::vector<std::pair<std::string, std::string>>;

std::string FormatTime(int64_t unix_seconds) {
  if (unix_seconds == 0)
    return "";
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm;
  if (gmtime_r(&t, &tm) == nullptr)
    return std::to_string(unix_seconds);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm);
  return std::string(buf) + " (" + std::to_string(unix_seconds) + ")";
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items)
    out += (out.empty() ? "" : ", ") + item;
  return out;
}

std::string Limit(int64_t v) {
  return v == jwt::kNoLimit ? "unlimited" : std::to_string(v);
}

void AddIf(Rows& rows, const std::string& key, const std::string& value) {
  if (!value.empty())
    rows.emplace_back(key, value);
}

void AddPermissions(Rows& rows, const jwt::Permissions& p, const std::string& prefix) {
  AddIf(rows, prefix + "Pub Allow", Join(p.pub.allow));
  AddIf(rows, prefix + "Pub Deny", Join(p.pub.deny));
  AddIf(rows, prefix + "Sub Allow", Join(p.sub.allow));
  AddIf(rows, prefix + "Sub Deny", Join(p.sub.deny));
  if (p.resp.has_value())
    rows.emplace_back(prefix + "Response Permission", "max " + std::to_string(p.resp->max_msgs) +
                                                          ", ttl " +
                                                          std::to_string(p.resp->ttl_ns) + "ns");
}

void AddUserLimits(Rows& rows, const jwt::UserPermissionLimits& u) {
  AddPermissions(rows, u.permissions, "");
  rows.emplace_back("Max Subscriptions", Limit(u.limits.subs));
  rows.emplace_back("Max Data", Limit(u.limits.data));
  rows.emplace_back("Max Payload", Limit(u.limits.payload));
  rows.emplace_back("Bearer Token", u.bearer_token ? "yes" : "no");
  AddIf(rows, "Source Networks", Join(u.src));
  std::vector<std::string> times;
  for (const jwt::TimeRange& t : u.times)
    times.push_back(t.start + "-" + t.end);
  AddIf(rows, "Times", Join(times));
  AddIf(rows, "Times Location", u.times_location);
  AddIf(rows, "Connection Types", Join(u.allowed_connection_types));
}

Rows Describe(const jwt::AnyClaims& any) {
  Rows rows;
  const jwt::StandardClaims& std =
      std::visit([](const auto& c) -> const jwt::StandardClaims& { return c.std; }, any);
  const jwt::GenericFields& generic =
      std::visit([](const auto& c) -> const jwt::GenericFields& { return c.generic; }, any);
  jwt::ClaimType type = std::visit([](const auto& c) { return c.kClaimType; }, any);
  rows.emplace_back("Type", std::string(jwt::ClaimTypeName(type)));
  rows.emplace_back("Name", std.name);
  rows.emplace_back("ID (subject)", std.subject);
  rows.emplace_back("Issuer", std.issuer);
  rows.emplace_back("Issued", FormatTime(std.issued_at));
  rows.emplace_back("Expires", std.expires == 0 ? "never" : FormatTime(std.expires));
  AddIf(rows, "Not Before", FormatTime(std.not_before));
  rows.emplace_back("JWT ID (jti)", std.id);
  AddIf(rows, "Tags", Join(generic.tags));
  if (const auto* op = std::get_if<jwt::OperatorClaims>(&any)) {
    AddIf(rows, "Signing Keys", Join(op->nats.signing_keys));
    AddIf(rows, "System Account", op->nats.system_account);
    AddIf(rows, "Account Server URL", op->nats.account_server_url);
    AddIf(rows, "Service URLs", Join(op->nats.operator_service_urls));
    rows.emplace_back("Strict Signing Keys", op->nats.strict_signing_key_usage ? "yes" : "no");
  } else if (const auto* acc = std::get_if<jwt::AccountClaims>(&any)) {
    const jwt::OperatorLimits& l = acc->nats.limits;
    rows.emplace_back("Max Connections", Limit(l.account.conn));
    rows.emplace_back("Max Leaf Connections", Limit(l.account.leaf));
    rows.emplace_back("Max Subscriptions", Limit(l.nats.subs));
    rows.emplace_back("Max Data", Limit(l.nats.data));
    rows.emplace_back("Max Payload", Limit(l.nats.payload));
    rows.emplace_back("Max Imports", Limit(l.account.imports));
    rows.emplace_back("Max Exports", Limit(l.account.exports));
    rows.emplace_back("Wildcard Exports", l.account.wildcard_exports ? "yes" : "no");
    rows.emplace_back("Disallow Bearer", l.account.disallow_bearer ? "yes" : "no");
    if (l.jetstream.mem_storage != 0 || l.jetstream.disk_storage != 0)
      rows.emplace_back("JetStream", "mem " + Limit(l.jetstream.mem_storage) + ", disk " +
                                         Limit(l.jetstream.disk_storage));
    for (const jwt::SigningKey& sk : acc->nats.signing_keys)
      rows.emplace_back(
          "Signing Key",
          sk.key + (sk.scope.has_value() ? " (scoped, role " + sk.scope->role + ")" : ""));
    for (const jwt::Export& e : acc->nats.exports)
      rows.emplace_back("Export", std::string(jwt::ExportTypeName(e.type)) + " " + e.subject +
                                      (e.token_req ? " (private)" : " (public)"));
    for (const jwt::Import& i : acc->nats.imports)
      rows.emplace_back("Import", std::string(jwt::ExportTypeName(i.type)) + " " + i.subject +
                                      " from " + i.account +
                                      (i.local_subject.empty() ? "" : " as " + i.local_subject));
    for (const auto& [key, at] : acc->nats.revocations)
      rows.emplace_back("Revoked", key + " at " + FormatTime(at));
    AddPermissions(rows, acc->nats.default_permissions, "Default ");
    AddIf(rows, "Description", acc->nats.description);
  } else if (const auto* user = std::get_if<jwt::UserClaims>(&any)) {
    AddIf(rows, "Issuer Account", user->nats.issuer_account);
    AddUserLimits(rows, user->nats.permissions);
  } else if (const auto* act = std::get_if<jwt::ActivationClaims>(&any)) {
    rows.emplace_back("Import Subject", act->nats.subject);
    rows.emplace_back("Kind", std::string(jwt::ExportTypeName(act->nats.kind)));
    AddIf(rows, "Issuer Account", act->nats.issuer_account);
    rows.emplace_back("Hash ID", jwt::ActivationHashId(*act));
  }
  return rows;
}

}  // namespace

absl::Status DescribeJwt(Context& ctx) {
  LATTICE_ASSIGN_OR_RETURN(std::string path, OnlyPositional(ctx.flags, "jwt FILE"));
  std::string text;
  if (path == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    LATTICE_ASSIGN_OR_RETURN(text, ReadWholeFile(path));
  }
  absl::StatusOr<std::string> token = creds::ParseDecoratedJwt(text);
  if (!token.ok())
    return absl::InvalidArgumentError(path + ": no JWT found");
  absl::StatusOr<jwt::AnyClaims> claims = jwt::Decode(*token);
  if (!claims.ok())
    return absl::InvalidArgumentError(path + ": " + std::string(claims.status().message()));
  const jwt::StandardClaims& std =
      std::visit([](const auto& c) -> const jwt::StandardClaims& { return c.std; }, *claims);
  absl::Status times = jwt::CheckTimeBounds(std, ctx.now, "token");
  if (ctx.flags.Has("json")) {
    std::visit(
        [&](const auto& c) {
          ctx.out << jwt::ToJson(c).dump(2, ' ', false, jwt::Json::error_handler_t::replace)
                  << "\n";
        },
        *claims);
  } else {
    Rows rows = Describe(*claims);
    rows.emplace_back("Signature", "valid (ed25519 by issuer)");
    rows.emplace_back("Status", times.ok() ? "valid" : std::string(times.message()));
    size_t width = 0;
    size_t value_width = 0;
    for (const auto& row : rows) {
      width = std::max(width, row.first.size());
      value_width = std::max(value_width, row.second.size());
    }
    std::string rule =
        "+" + std::string(width + 2, '-') + "+" + std::string(value_width + 2, '-') + "+\n";
    ctx.out << rule;
    for (const auto& [key, value] : rows) {
      ctx.out << "| " << key << std::string(width - key.size(), ' ') << " | " << value
              << std::string(value_width - value.size(), ' ') << " |\n";
    }
    ctx.out << rule;
  }
  return absl::OkStatus();
}

}  // namespace lattice::latticectl
