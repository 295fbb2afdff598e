// Subject validity, overlap and containment over tokens.
#include "controlplane/accounts/subject.h"

#include <vector>

namespace lattice::accounts {
namespace {

std::vector<std::string_view> Tokens(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    if (dot == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, dot - start));
    start = dot + 1;
  }
}

}  // namespace

bool IsValidSubject(std::string_view subject) {
  if (subject.empty())
    return false;
  for (char c : subject) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
      return false;
  }
  auto tokens = Tokens(subject);
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i].empty())
      return false;
    if (tokens[i] == ">" && i + 1 != tokens.size())
      return false;
  }
  return true;
}

bool SubjectsOverlap(std::string_view a, std::string_view b) {
  auto ta = Tokens(a);
  auto tb = Tokens(b);
  size_t i = 0;
  for (; i < ta.size() && i < tb.size(); ++i) {
    if (ta[i] == ">" || tb[i] == ">")
      return true;
    if (ta[i] == "*" || tb[i] == "*" || ta[i] == tb[i])
      continue;
    return false;
  }
  return ta.size() == tb.size();
}

bool SubjectIsSubsetOf(std::string_view sub, std::string_view pattern) {
  auto ts = Tokens(sub);
  auto tp = Tokens(pattern);
  for (size_t i = 0; i < ts.size(); ++i) {
    if (i >= tp.size())
      return false;
    if (tp[i] == ">")
      return true;
    if (ts[i] == ">")
      return false;
    if (tp[i] == "*")
      continue;
    if (ts[i] == "*" || ts[i] != tp[i])
      return false;
  }
  return ts.size() == tp.size();
}

}  // namespace lattice::accounts
