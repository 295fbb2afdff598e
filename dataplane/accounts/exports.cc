// Export authorization (public, approved accounts, token) and token-wise subject rewriting.
#include "dataplane/accounts/exports.h"

#include <vector>

namespace lattice::accounts {
namespace {

std::vector<std::string_view> Tokens(std::string_view subject) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t dot = subject.find('.', start);
    if (dot == std::string_view::npos) {
      out.push_back(subject.substr(start));
      return out;
    }
    out.push_back(subject.substr(start, dot - start));
    start = dot + 1;
  }
}

// Joins with '.' (absl::StrJoin wants Abseil's own string_view in Debian's build).
template <typename Strings>
std::string JoinTokens(const Strings& tokens) {
  std::string out;
  bool first = true;
  for (const auto& token : tokens) {
    if (!first) {
      out.push_back('.');
    }
    first = false;
    out.append(token.data(), token.size());
  }
  return out;
}

bool Allowed(const ExportAccess& access, std::string_view importer, bool has_token) {
  if (access.token_required) {
    if (has_token) {
      return true;
    }
  } else if (access.approved.empty()) {
    return true;
  }
  for (const std::string& name : access.approved) {
    if (name == importer) {
      return true;
    }
  }
  return false;
}

template <typename Export>
const Export* FindExport(const std::vector<Export>& exports, std::string_view subject,
                         std::string_view importer, bool has_token) {
  // An export with exactly this subject decides alone (nats-server checks it first).
  for (const Export& e : exports) {
    if (e.subject == subject) {
      return Allowed(e.access, importer, has_token) ? &e : nullptr;
    }
  }
  for (const Export& e : exports) {
    if (IsSubsetMatch(subject, e.subject) && Allowed(e.access, importer, has_token)) {
      return &e;
    }
  }
  return nullptr;
}

}  // namespace

bool IsSubsetMatch(std::string_view subset, std::string_view pattern) {
  std::vector<std::string_view> sub = Tokens(subset);
  std::vector<std::string_view> pat = Tokens(pattern);
  for (size_t i = 0; i < pat.size(); ++i) {
    if (pat[i] == ">") {
      return i < sub.size();
    }
    if (i >= sub.size()) {
      return false;
    }
    if (sub[i] == ">") {
      return false;  // the pattern ends narrower than ">"
    }
    if (pat[i] == "*") {
      continue;
    }
    if (sub[i] != pat[i]) {
      return false;
    }
  }
  return sub.size() == pat.size();
}

const StreamExport* FindStreamExport(const AccountSpec& exporter, std::string_view subject,
                                     std::string_view importer, bool has_token) {
  return FindExport(exporter.stream_exports, subject, importer, has_token);
}

const ServiceExport* FindServiceExport(const AccountSpec& exporter, std::string_view subject,
                                       std::string_view importer, bool has_token) {
  return FindExport(exporter.service_exports, subject, importer, has_token);
}

std::string MapWildcards(std::string_view from, std::string_view to, std::string_view subject) {
  std::vector<std::string_view> from_tokens = Tokens(from);
  std::vector<std::string_view> subject_tokens = Tokens(subject);
  // The subject's values for each wildcard of `from`, in order; ">" captures the rest.
  std::vector<std::string> captured;
  for (size_t i = 0; i < from_tokens.size() && i < subject_tokens.size(); ++i) {
    if (from_tokens[i] == "*") {
      captured.emplace_back(subject_tokens[i]);
    } else if (from_tokens[i] == ">") {
      std::vector<std::string_view> rest(subject_tokens.begin() + static_cast<ptrdiff_t>(i),
                                         subject_tokens.end());
      captured.push_back(JoinTokens(rest));
      break;
    }
  }
  std::vector<std::string_view> to_tokens = Tokens(to);
  std::vector<std::string> out;
  size_t next = 0;
  for (std::string_view token : to_tokens) {
    if ((token == "*" || token == ">") && next < captured.size()) {
      out.push_back(captured[next++]);
    } else {
      out.emplace_back(token);
    }
  }
  return JoinTokens(out);
}

bool IsValidImportPrefix(std::string_view prefix) {
  if (prefix.empty()) {
    return false;
  }
  for (std::string_view token : Tokens(prefix)) {
    if (token == "*" || token == ">") {
      return false;
    }
  }
  return true;
}

}  // namespace lattice::accounts
