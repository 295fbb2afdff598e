// AccountClaimsToSpec and activation-token verification.
#include "dataplane/operator/claims_to_spec.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

#include "common/jwt/chain.h"
#include "common/nkeys/nkeys.h"

namespace lattice::operator_mode {
namespace {

// Debian's Abseil has its own string_view type; StrCat/StrSplit need it explicitly.
absl::string_view Av(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

absl::Status Denied(std::string_view why) {
  return absl::PermissionDeniedError(absl::StrCat("activation token ", Av(why)));
}

std::vector<std::string_view> Tokens(std::string_view subject) {
  std::vector<std::string_view> out;
  for (absl::string_view t : absl::StrSplit(Av(subject), '.'))
    out.emplace_back(t.data(), t.size());
  return out;
}

// True when every subject matched by `inner` is matched by `outer` (NATS wildcards).
bool IsContainedIn(std::string_view inner, std::string_view outer) {
  std::vector<std::string_view> in = Tokens(inner);
  std::vector<std::string_view> out = Tokens(outer);
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == ">")
      return in.size() > i;
    if (i >= in.size())
      return false;
    if (out[i] == "*") {
      if (in[i] == ">")
        return false;
      continue;
    }
    if (in[i] != out[i])
      return false;
  }
  return in.size() == out.size();
}

bool ValidSubject(std::string_view subject) {
  if (subject.empty())
    return false;
  std::vector<std::string_view> tokens = Tokens(subject);
  for (size_t i = 0; i < tokens.size(); ++i) {
    std::string_view t = tokens[i];
    if (t.empty() || (t == ">" && i + 1 != tokens.size()))
      return false;
    for (char c : t) {
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\0')
        return false;
    }
  }
  return true;
}

accounts::ResponseType ResponseTypeOf(const std::string& name) {
  if (name == "Stream")
    return accounts::ResponseType::kStream;
  if (name == "Chunked")
    return accounts::ResponseType::kChunked;
  return accounts::ResponseType::kSingleton;
}

// The exporter's subject an import refers to (the deprecated `to` of a service import names
// the exporter's subject and `subject` the local one).
std::string ExportedSubject(const jwt::Import& import) {
  if (import.type == jwt::ExportType::kService && import.local_subject.empty() &&
      !import.to.empty())
    return import.to;
  return import.subject;
}

// The export of `exporter` of the import's kind whose subject covers `subject`, or null.
const jwt::Export* CoveringExport(const jwt::AccountClaims& exporter, jwt::ExportType type,
                                  const std::string& subject) {
  for (const jwt::Export& e : exporter.nats.exports) {
    if (e.type == type && IsContainedIn(subject, e.subject))
      return &e;
  }
  return nullptr;
}

void Note(std::vector<std::string>* notes, std::string line) {
  if (notes != nullptr)
    notes->push_back(std::move(line));
}

}  // namespace

absl::Status VerifyActivation(const std::string& importer, const jwt::Import& import,
                              const jwt::AccountClaims& exporter, int64_t now) {
  if (import.token.empty())
    return Denied("is missing");
  if (import.account != exporter.std.subject)
    return Denied("is checked against the wrong exporter");
  absl::StatusOr<jwt::ActivationClaims> act = jwt::DecodeActivation(import.token);
  if (!act.ok())
    return Denied(absl::StrCat("does not decode: ", act.status().message()));
  // The heart of CVE-2021-3127: a grant to one account must not work in another.
  if (act->std.subject != importer)
    return Denied(absl::StrCat("was issued to ", act->std.subject, ", not to ", importer));
  if (act->std.issuer == exporter.std.subject) {
    if (!act->nats.issuer_account.empty() && act->nats.issuer_account != exporter.std.subject)
      return Denied("names another issuer_account");
  }
  if (act->nats.kind != import.type)
    return Denied(absl::StrCat("is for a ", Av(jwt::ExportTypeName(act->nats.kind)),
                               ", the import is a ", Av(jwt::ExportTypeName(import.type))));
  std::string subject = ExportedSubject(import);
  if (!ValidSubject(act->nats.subject) || !IsContainedIn(subject, act->nats.subject)) {
    return Denied(
        absl::StrCat("grants \"", act->nats.subject, "\", which does not cover \"", subject, "\""));
  }
  // Issuer (exporter or its signing key), time bounds, matching export and its revocations.
  absl::Status valid = jwt::ValidateActivation(exporter, *act, now);
  if (!valid.ok())
    return absl::Status(valid.code(), absl::StrCat("activation token: ", valid.message()));
  return absl::OkStatus();
}

namespace {

// The jwt library's Subject.HasWildCards (a token test on the text, as it is written).
bool HasWildcards(std::string_view s) {
  auto ends = [s](std::string_view t) {
    return s.size() >= t.size() && s.substr(s.size() - t.size()) == t;
  };
  return ends(".>") || s.find(".*.") != std::string_view::npos || ends(".*") ||
         s.substr(0, 2) == "*." || s == "*" || s == ">";
}

}  // namespace

absl::Status ValidateAccountLimits(const jwt::AccountClaims& claims) {
  const jwt::AccountLimits& l = claims.nats.limits.account;
  auto over = [](int64_t limit, size_t n) {
    return limit != jwt::kNoLimit && static_cast<int64_t>(n) > limit;
  };
  if (over(l.imports, claims.nats.imports.size()))
    return absl::PermissionDeniedError(
        "the account contains more imports than allowed by the operator");
  if (l.exports != jwt::kNoLimit) {
    if (over(l.exports, claims.nats.exports.size()))
      return absl::PermissionDeniedError(
          "the account contains more exports than allowed by the operator");
    if (!l.wildcard_exports) {
      for (const jwt::Export& e : claims.nats.exports) {
        if (HasWildcards(e.subject))
          return absl::PermissionDeniedError(
              "the account contains wildcard exports that are not allowed by the operator");
      }
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateImportTokens(const jwt::AccountClaims& claims) {
  for (const jwt::Import& i : claims.nats.imports) {
    if (i.token.empty())
      continue;
    auto fail = [&](std::string_view why) {
      return absl::PermissionDeniedError("import \"" + i.subject + "\": activation token " +
                                         std::string(why));
    };
    absl::StatusOr<jwt::ActivationClaims> act = jwt::DecodeActivation(i.token);
    if (!act.ok())
      return fail("is invalid");
    if (act->std.issuer != i.account && act->nats.issuer_account != i.account)
      return fail("doesn't match account for import");
    if (act->std.subject != claims.std.subject)
      return fail("doesn't match account it is being included in");
    if (act->nats.kind != i.type)
      return fail("has another import type");
    std::string subject = ExportedSubject(i);
    if (!ValidSubject(act->nats.subject) || !IsContainedIn(subject, act->nats.subject))
      return fail("subject doesn't match import");
  }
  return absl::OkStatus();
}

std::vector<std::string> ImportedAccounts(const jwt::AccountClaims& claims) {
  std::vector<std::string> out;
  for (const jwt::Import& i : claims.nats.imports)
    out.push_back(i.account);
  return out;
}

accounts::AccountSpec AccountClaimsToSpec(const jwt::AccountClaims& claims,
                                          ExporterLookup exporters, int64_t now,
                                          std::vector<std::string>* notes) {
  accounts::AccountSpec spec;
  const std::string& me = claims.std.subject;
  spec.name = me;
  spec.expires_unix = claims.std.expires;

  for (const jwt::Export& e : claims.nats.exports) {
    if (!ValidSubject(e.subject)) {
      Note(notes,
           absl::StrCat("account ", me, ": export \"", e.subject, "\" skipped: invalid subject"));
      continue;
    }
    accounts::ExportAccess access;
    access.token_required = e.token_req;
    if (e.account_token_position > 0) {
      access.token_required = true;
      Note(notes, absl::StrCat("account ", me, ": export \"", e.subject,
                               "\" uses account_token_position, treated as token_required"));
    }
    if (e.type == jwt::ExportType::kService) {
      accounts::ServiceExport out;
      out.subject = e.subject;
      out.response_type = ResponseTypeOf(e.response_type);
      out.response_threshold_ms = e.response_threshold_ns / 1000000;
      out.access = std::move(access);
      spec.service_exports.push_back(std::move(out));
    } else if (e.type == jwt::ExportType::kStream) {
      accounts::StreamExport out;
      out.subject = e.subject;
      out.access = std::move(access);
      spec.stream_exports.push_back(std::move(out));
    } else {
      Note(notes,
           absl::StrCat("account ", me, ": export \"", e.subject, "\" skipped: unknown type"));
    }
  }

  for (const jwt::Import& i : claims.nats.imports) {
    std::string what = absl::StrCat("account ", me, ": import of \"", i.subject, "\" from ",
                                    i.account, " dropped: ");
    if (!nkeys::IsValidPublicKey(i.account, nkeys::KeyType::kAccount)) {
      Note(notes, what + "exporter is not an account key");
      continue;
    }
    if (i.account == me) {
      Note(notes, what + "an account cannot import from itself");
      continue;
    }
    if (i.type != jwt::ExportType::kService && i.type != jwt::ExportType::kStream) {
      Note(notes, what + "unknown import type");
      continue;
    }
    std::string subject = ExportedSubject(i);
    if (!ValidSubject(subject) || (!i.local_subject.empty() && !ValidSubject(i.local_subject))) {
      Note(notes, what + "invalid subject");
      continue;
    }
    if (!i.token.empty() &&
        (i.token.rfind("http://", 0) == 0 || i.token.rfind("https://", 0) == 0)) {
      Note(notes, what + "activation tokens by URL are not supported");
      continue;
    }
    std::shared_ptr<const jwt::AccountClaims> exporter = exporters(i.account);
    if (exporter == nullptr) {
      if (!i.token.empty()) {
        Note(notes, what + "exporting account is unknown, its activation token cannot be verified");
        continue;
      }
    } else if (i.token.empty()) {
      const jwt::Export* e = CoveringExport(*exporter, i.type, subject);
      if (e == nullptr) {
        Note(notes, what + "the exporter has no matching export");
        continue;
      }
      if (e->token_req || e->account_token_position > 0) {
        Note(notes, what + "the export requires an activation token");
        continue;
      }
    } else {
      absl::Status ok = VerifyActivation(me, i, *exporter, now);
      if (!ok.ok()) {
        Note(notes, what + std::string(ok.message()));
        continue;
      }
    }
    if (i.type == jwt::ExportType::kService) {
      accounts::ServiceImport out;
      out.account = i.account;
      out.subject = subject;
      if (!i.local_subject.empty())
        out.to = i.local_subject;
      else if (!i.to.empty())
        out.to = i.subject;  // deprecated form: `subject` is the local one
      out.share = i.share;
      out.activation_token = i.token;
      spec.service_imports.push_back(std::move(out));
    } else {
      accounts::StreamImport out;
      out.account = i.account;
      out.subject = i.subject;
      if (!i.local_subject.empty())
        out.to = i.local_subject;
      else
        out.prefix = i.to;  // deprecated stream `to` is a prefix
      out.activation_token = i.token;
      spec.stream_imports.push_back(std::move(out));
    }
  }

  for (const auto& [source, destinations] : claims.nats.mappings) {
    accounts::SubjectMapping mapping;
    mapping.source = source;
    for (const jwt::WeightedMapping& d : destinations) {
      accounts::MappingDestination dest;
      dest.subject = d.subject;
      // nats-server (jwt GetWeight): an unset weight means 100%.
      dest.weight_percent = d.weight == 0 ? 100 : static_cast<int>(d.weight);
      dest.cluster = d.cluster;
      mapping.destinations.push_back(std::move(dest));
    }
    spec.mappings.push_back(std::move(mapping));
  }

  const jwt::OperatorLimits& limits = claims.nats.limits;
  spec.limits.max_connections = limits.account.conn;
  spec.limits.max_subscriptions = limits.nats.subs;
  spec.limits.max_payload = limits.nats.payload;
  spec.limits.max_data = limits.nats.data;
  spec.limits.max_imports = limits.account.imports;
  spec.limits.max_exports = limits.account.exports;
  spec.limits.max_leafnodes = limits.account.leaf;

  // Scoped keys: the jwt library starts a scope's template at NoLimit before decoding, so
  // subs/payload the template leaves out are unlimited (a user JWT's own are 0 then).
  for (const jwt::SigningKey& key : claims.nats.signing_keys) {
    if (!key.scope.has_value())
      continue;
    accounts::ScopedUserLimits& scoped = spec.scoped_signing_keys[key.key];
    const jwt::Json* templ = nullptr;
    if (key.raw.is_object()) {
      auto it = key.raw.find("template");
      if (it != key.raw.end() && it->is_object())
        templ = &*it;
    }
    auto present = [templ](const char* field) {
      return templ != nullptr && templ->contains(field) && (*templ)[field].is_number_integer();
    };
    if (present("subs"))
      scoped.max_subscriptions = key.scope->templ.limits.subs;
    if (present("payload"))
      scoped.max_payload = key.scope->templ.limits.payload;
  }

  for (const auto& [user, when] : claims.nats.revocations)
    spec.revoked_users[user] = when;
  return spec;
}

}  // namespace lattice::operator_mode
