// Trust-chain checks: issuers, signing keys, time bounds, revocations, scoped-key templates.
#include "common/jwt/chain.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "common/base/status_macros.h"

namespace lattice::jwt {
namespace {

absl::Status Denied(std::string message) {
  return absl::PermissionDeniedError("jwt: " + std::move(message));
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t at = s.find(sep, start);
    out.push_back(s.substr(start, at == std::string::npos ? std::string::npos : at - start));
    if (at == std::string::npos)
      return out;
    start = at + 1;
  }
}

bool IsValidSubject(const std::string& subject) {
  if (subject.empty())
    return false;
  for (const std::string& token : Split(subject, '.')) {
    if (token.empty())
      return false;
    for (char c : token) {
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
        return false;
    }
  }
  return true;
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool IsTemplate(const std::string& token) {
  return token.size() >= 4 && token.compare(0, 2, "{{") == 0 &&
         token.compare(token.size() - 2, 2, "}}") == 0;
}

// Values of "prefix:value" tags whose prefix matches `name` (compared lower-case).
std::vector<std::string> TagValues(const std::vector<std::string>& tags, const std::string& name) {
  std::vector<std::string> values;
  std::string prefix = name + ":";
  for (const std::string& tag : tags) {
    if (tag.compare(0, prefix.size(), prefix) == 0)
      values.push_back(tag.substr(prefix.size()));
  }
  return values;
}

struct TemplateContext {
  const UserClaims& user;
  const AccountClaims& account;
};

// Expands one subject template into zero or more subjects. A subject that comes out invalid is
// dropped from allow lists and fails the deny list (a deny must never silently vanish).
absl::Status ExpandSubject(const std::string& subject, const TemplateContext& ctx, bool is_deny,
                           std::vector<std::string>* out) {
  std::vector<std::string> tokens = Split(subject, '.');
  // Each token becomes a list of alternatives; the result is their cartesian product.
  std::vector<std::vector<std::string>> choices;
  for (const std::string& token : tokens) {
    if (!IsTemplate(token)) {
      choices.push_back({token});
      continue;
    }
    std::string op = Lower(token.substr(2, token.size() - 4));
    if (op == "name()") {
      choices.push_back({ctx.user.std.name});
    } else if (op == "subject()") {
      choices.push_back({ctx.user.std.subject});
    } else if (op == "account-name()") {
      choices.push_back({ctx.account.std.name});
    } else if (op == "account-subject()") {
      choices.push_back({ctx.account.std.subject});
    } else if (op.size() > 5 && op.compare(0, 4, "tag(") == 0 && op.back() == ')') {
      choices.push_back(TagValues(ctx.user.generic.tags, op.substr(4, op.size() - 5)));
    } else if (op.size() > 13 && op.compare(0, 12, "account-tag(") == 0 && op.back() == ')') {
      choices.push_back(TagValues(ctx.account.generic.tags, op.substr(12, op.size() - 13)));
    } else {
      choices.push_back({" "});  // unknown macro: yields an invalid subject on purpose
    }
  }
  std::vector<std::string> results = {""};
  for (size_t i = 0; i < choices.size(); ++i) {
    std::vector<std::string> next;
    for (const std::string& prefix : results) {
      for (const std::string& choice : choices[i])
        next.push_back(i == 0 ? choice : prefix + "." + choice);
    }
    results = std::move(next);
    if (results.size() > 4096)
      return Denied("permission template expands to too many subjects");
  }
  if (results.empty() && is_deny)
    return Denied("permission template generated no deny subject for \"" + subject + "\"");
  for (std::string& s : results) {
    if (IsValidSubject(s))
      out->push_back(std::move(s));
    else if (is_deny)
      return Denied("permission template generated invalid subject");
  }
  return absl::OkStatus();
}

absl::Status ExpandList(std::vector<std::string>* list, const TemplateContext& ctx, bool is_deny) {
  std::vector<std::string> out;
  for (const std::string& subject : *list)
    LATTICE_RETURN_IF_ERROR(ExpandSubject(subject, ctx, is_deny, &out));
  *list = std::move(out);
  return absl::OkStatus();
}

const SigningKey* FindSigningKey(const AccountClaims& account, const std::string& key) {
  for (const SigningKey& k : account.nats.signing_keys) {
    if (k.key == key)
      return &k;
  }
  return nullptr;
}

bool Contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// True when export subject `pattern` covers `subject` (NATS wildcards).
bool SubjectMatches(const std::string& pattern, const std::string& subject) {
  std::vector<std::string> p = Split(pattern, '.');
  std::vector<std::string> s = Split(subject, '.');
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] == ">")
      return s.size() > i;
    if (i >= s.size() || (p[i] != "*" && p[i] != s[i]))
      return false;
  }
  return p.size() == s.size();
}

}  // namespace

bool IsRevoked(const std::map<std::string, int64_t>& revocations, const std::string& key,
               int64_t issued_at) {
  auto all = revocations.find("*");
  if (all != revocations.end() && all->second >= issued_at)
    return true;
  auto it = revocations.find(key);
  return it != revocations.end() && it->second >= issued_at;
}

absl::Status CheckTimeBounds(const StandardClaims& claims, int64_t now, std::string_view what) {
  if (claims.expires != 0 && claims.expires <= now)
    return absl::FailedPreconditionError("jwt: " + std::string(what) + " has expired");
  if (claims.not_before != 0 && claims.not_before > now)
    return absl::FailedPreconditionError("jwt: " + std::string(what) + " is not yet valid");
  return absl::OkStatus();
}

absl::Status ValidateOperator(const OperatorClaims& op, int64_t now) {
  if (op.std.issuer != op.std.subject && !Contains(op.nats.signing_keys, op.std.issuer))
    return Denied("operator is not self-signed nor signed by one of its signing keys");
  return CheckTimeBounds(op.std, now, "operator");
}

absl::Status ValidateAccount(const OperatorClaims& op, const AccountClaims& account, int64_t now) {
  const std::string& issuer = account.std.issuer;
  bool by_identity = issuer == op.std.subject;
  if (by_identity && op.nats.strict_signing_key_usage)
    return Denied("operator requires issuer to be a signing key");
  if (!by_identity && !Contains(op.nats.signing_keys, issuer))
    return Denied("account " + account.std.subject + " is not signed by a trusted operator key");
  return CheckTimeBounds(account.std, now, "account");
}

absl::StatusOr<UserPermissionLimits> ValidateUser(const OperatorClaims& op,
                                                  const AccountClaims& account,
                                                  const UserClaims& user, int64_t now) {
  const std::string& issuer = user.std.issuer;
  const SigningKey* signing_key = nullptr;
  if (issuer == account.std.subject) {
    if (op.nats.strict_signing_key_usage)
      return Denied("operator requires issuer to be a signing key");
    if (!user.nats.issuer_account.empty() && user.nats.issuer_account != account.std.subject)
      return Denied("issuer_account does not match the account");
  } else {
    signing_key = FindSigningKey(account, issuer);
    if (signing_key == nullptr)
      return Denied("user " + user.std.subject + " is not signed by account " +
                    account.std.subject + " or one of its signing keys");
    if (user.nats.issuer_account != account.std.subject)
      return Denied("user signed by a signing key must name its account in issuer_account");
  }
  LATTICE_RETURN_IF_ERROR(CheckTimeBounds(user.std, now, "user"));
  if (IsRevoked(account.nats.revocations, user.std.subject, user.std.issued_at))
    return Denied("user " + user.std.subject + " has been revoked");
  if (user.nats.permissions.bearer_token && account.nats.limits.account.disallow_bearer)
    return Denied("bearer tokens are not allowed in account " + account.std.subject);

  if (signing_key == nullptr || !signing_key->scope.has_value())
    return user.nats.permissions;
  if (!user.nats.permissions.empty())
    return Denied("scoped users require no permissions or limits set");
  UserPermissionLimits effective = signing_key->scope->templ;
  bool sub_allow_was_set = !effective.permissions.sub.allow.empty();
  bool pub_allow_was_set = !effective.permissions.pub.allow.empty();
  TemplateContext ctx{user, account};
  LATTICE_RETURN_IF_ERROR(ExpandList(&effective.permissions.sub.allow, ctx, false));
  LATTICE_RETURN_IF_ERROR(ExpandList(&effective.permissions.sub.deny, ctx, true));
  LATTICE_RETURN_IF_ERROR(ExpandList(&effective.permissions.pub.allow, ctx, false));
  LATTICE_RETURN_IF_ERROR(ExpandList(&effective.permissions.pub.deny, ctx, true));
  // An allow list that expanded to nothing must not turn into "allow everything".
  if (sub_allow_was_set && effective.permissions.sub.allow.empty())
    effective.permissions.sub.deny.push_back(">");
  if (pub_allow_was_set && effective.permissions.pub.allow.empty())
    effective.permissions.pub.deny.push_back(">");
  return effective;
}

absl::Status ValidateActivation(const AccountClaims& exporter, const ActivationClaims& activation,
                                int64_t now) {
  const std::string& issuer = activation.std.issuer;
  if (issuer != exporter.std.subject) {
    if (FindSigningKey(exporter, issuer) == nullptr)
      return Denied("activation is not signed by the exporting account or its signing keys");
    if (activation.nats.issuer_account != exporter.std.subject)
      return Denied("activation signed by a signing key must name the exporter in issuer_account");
  }
  LATTICE_RETURN_IF_ERROR(CheckTimeBounds(activation.std, now, "activation"));
  for (const Export& e : exporter.nats.exports) {
    if (e.type != activation.nats.kind || !SubjectMatches(e.subject, activation.nats.subject))
      continue;
    if (IsRevoked(e.revocations, activation.std.subject, activation.std.issued_at))
      return Denied("activation for " + activation.std.subject + " has been revoked");
    return absl::OkStatus();
  }
  return Denied("activation subject \"" + activation.nats.subject +
                "\" matches no export of account " + exporter.std.subject);
}

absl::StatusOr<UserPermissionLimits> ValidateChain(std::string_view operator_jwt,
                                                   std::string_view account_jwt,
                                                   std::string_view user_jwt, int64_t now) {
  LATTICE_ASSIGN_OR_RETURN(OperatorClaims op, DecodeOperator(operator_jwt));
  LATTICE_ASSIGN_OR_RETURN(AccountClaims account, DecodeAccount(account_jwt));
  LATTICE_ASSIGN_OR_RETURN(UserClaims user, DecodeUser(user_jwt));
  LATTICE_RETURN_IF_ERROR(ValidateOperator(op, now));
  LATTICE_RETURN_IF_ERROR(ValidateAccount(op, account, now));
  return ValidateUser(op, account, user, now);
}

}  // namespace lattice::jwt
