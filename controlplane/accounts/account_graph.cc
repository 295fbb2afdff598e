// Import/export existence checks and service-import cycle detection.
#include "controlplane/accounts/account_graph.h"

#include <functional>

#include "absl/strings/str_cat.h"

#include "common/jwt/chain.h"
#include "controlplane/accounts/subject.h"

namespace lattice::accounts {
namespace {

std::string Label(const AccountSet& accounts, const std::string& key) {
  auto it = accounts.find(key);
  if (it == accounts.end() || it->second.std.name.empty())
    return key;
  return absl::StrCat(it->second.std.name, " (", key, ")");
}

// The subject an import occupies in the importing account.
const std::string& LocalSubject(const jwt::Import& import) {
  if (!import.local_subject.empty())
    return import.local_subject;
  if (!import.to.empty())
    return import.to;
  return import.subject;
}

void CheckImports(const AccountSet& accounts, const std::string& key, int64_t now,
                  std::vector<std::string>* errors) {
  const jwt::AccountClaims& importer = accounts.at(key);
  for (const jwt::Import& import : importer.nats.imports) {
    std::string what =
        absl::StrCat(Label(accounts, key), ": ", std::string(jwt::ExportTypeName(import.type)),
                     " import \"", import.subject, "\" from ", import.account);
    if (!IsValidSubject(import.subject)) {
      errors->push_back(absl::StrCat(what, ": invalid subject"));
      continue;
    }
    if (import.account == key) {
      errors->push_back(absl::StrCat(what, ": an account cannot import from itself"));
      continue;
    }
    auto exporter = accounts.find(import.account);
    if (exporter == accounts.end()) {
      errors->push_back(absl::StrCat(what, ": exporting account does not exist"));
      continue;
    }
    const jwt::Export* match = nullptr;
    for (const jwt::Export& exp : exporter->second.nats.exports) {
      if (exp.type == import.type && SubjectIsSubsetOf(import.subject, exp.subject)) {
        match = &exp;
        break;
      }
    }
    if (match == nullptr) {
      errors->push_back(absl::StrCat(what, ": the exporter has no matching ",
                                     std::string(jwt::ExportTypeName(import.type)), " export"));
      continue;
    }
    if (!match->token_req)
      continue;
    if (import.token.empty()) {
      errors->push_back(absl::StrCat(what, ": the export requires an activation token"));
      continue;
    }
    absl::StatusOr<jwt::ActivationClaims> activation = jwt::DecodeActivation(import.token);
    absl::Status status = activation.ok()
                              ? jwt::ValidateActivation(exporter->second, *activation, now)
                              : activation.status();
    if (status.ok() && activation->std.subject != key)
      status = absl::PermissionDeniedError("activation issued to another account");
    if (!status.ok()) {
      errors->push_back(
          absl::StrCat(what, ": activation token refused: ", std::string(status.message())));
    }
  }
}

struct ImportRef {
  std::string account;
  size_t index;
};

void FindServiceCycles(const AccountSet& accounts, std::vector<std::string>* errors) {
  // Nodes are service imports; an edge X.i -> Y.j when import i of X is served by Y and Y's
  // import j occupies a subject that overlaps what X imports (so Y forwards it again).
  std::vector<ImportRef> nodes;
  std::map<std::pair<std::string, size_t>, size_t> index_of;
  for (const auto& [key, claims] : accounts) {
    for (size_t i = 0; i < claims.nats.imports.size(); ++i) {
      if (claims.nats.imports[i].type != jwt::ExportType::kService)
        continue;
      index_of[{key, i}] = nodes.size();
      nodes.push_back({key, i});
    }
  }
  std::vector<std::vector<size_t>> edges(nodes.size());
  for (size_t n = 0; n < nodes.size(); ++n) {
    const jwt::Import& imp = accounts.at(nodes[n].account).nats.imports[nodes[n].index];
    auto exporter = accounts.find(imp.account);
    if (exporter == accounts.end())
      continue;
    const auto& next_imports = exporter->second.nats.imports;
    for (size_t j = 0; j < next_imports.size(); ++j) {
      if (next_imports[j].type != jwt::ExportType::kService)
        continue;
      if (SubjectsOverlap(LocalSubject(next_imports[j]), imp.subject))
        edges[n].push_back(index_of.at({imp.account, j}));
    }
  }
  enum Color : uint8_t { kWhite, kGrey, kBlack };
  std::vector<Color> color(nodes.size(), kWhite);
  std::vector<size_t> path;
  auto describe = [&](size_t n) {
    const jwt::Import& imp = accounts.at(nodes[n].account).nats.imports[nodes[n].index];
    return absl::StrCat(Label(accounts, nodes[n].account), " \"", LocalSubject(imp), "\"");
  };
  std::function<void(size_t)> visit = [&](size_t n) {
    color[n] = kGrey;
    path.push_back(n);
    for (size_t next : edges[n]) {
      if (color[next] == kGrey) {
        std::string cycle = "service import cycle: ";
        bool in_cycle = false;
        for (size_t p : path) {
          in_cycle = in_cycle || p == next;
          if (in_cycle)
            absl::StrAppend(&cycle, describe(p), " -> ");
        }
        absl::StrAppend(&cycle, describe(next));
        errors->push_back(std::move(cycle));
      } else if (color[next] == kWhite) {
        visit(next);
      }
    }
    path.pop_back();
    color[n] = kBlack;
  };
  for (size_t n = 0; n < nodes.size(); ++n) {
    if (color[n] == kWhite)
      visit(n);
  }
}

}  // namespace

std::vector<std::string> ValidateAccountGraph(const AccountSet& accounts,
                                              const std::vector<std::string>& check, int64_t now) {
  std::vector<std::string> errors;
  for (const std::string& key : check) {
    if (accounts.count(key) != 0)
      CheckImports(accounts, key, now, &errors);
  }
  FindServiceCycles(accounts, &errors);
  return errors;
}

}  // namespace lattice::accounts
