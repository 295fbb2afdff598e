// Field-level JSON diffs and plan rendering.
#include "controlplane/plan/diff.h"

#include <map>

namespace lattice::plan {
namespace {

void Flatten(const Json& value, const std::string& prefix,
             std::map<std::string, std::string>* out) {
  if (value.is_null())
    return;
  if (value.is_object() && !value.empty()) {
    for (auto it = value.begin(); it != value.end(); ++it) {
      Flatten(it.value(), prefix.empty() ? it.key() : prefix + "." + it.key(), out);
    }
    return;
  }
  (*out)[prefix.empty() ? std::string(".") : prefix] = value.dump();
}

std::string OrNone(const std::string& s) {
  return s.empty() ? "(none)" : s;
}

}  // namespace

std::vector<control::v1::FieldDiff> DiffJson(const Json& before, const Json& after) {
  std::map<std::string, std::string> a;
  std::map<std::string, std::string> b;
  Flatten(before, "", &a);
  Flatten(after, "", &b);
  std::vector<control::v1::FieldDiff> diffs;
  auto ia = a.begin();
  auto ib = b.begin();
  // Merge walk over the two sorted maps.
  while (ia != a.end() || ib != b.end()) {
    control::v1::FieldDiff d;
    if (ib == b.end() || (ia != a.end() && ia->first < ib->first)) {
      d.set_path(ia->first);
      d.set_before(ia->second);
      ++ia;
    } else if (ia == a.end() || ib->first < ia->first) {
      d.set_path(ib->first);
      d.set_after(ib->second);
      ++ib;
    } else {
      if (ia->second == ib->second) {
        ++ia;
        ++ib;
        continue;
      }
      d.set_path(ia->first);
      d.set_before(ia->second);
      d.set_after(ib->second);
      ++ia;
      ++ib;
    }
    diffs.push_back(std::move(d));
  }
  return diffs;
}

bool MakeChange(std::string kind, std::string key, const Json& before, const Json& after,
                control::v1::Change* out) {
  control::v1::Change change;
  if (before.is_null() && after.is_null())
    return false;
  if (before.is_null()) {
    change.set_op(control::v1::Change::OP_CREATE);
  } else if (after.is_null()) {
    change.set_op(control::v1::Change::OP_DELETE);
  } else {
    change.set_op(control::v1::Change::OP_UPDATE);
  }
  for (auto& d : DiffJson(before, after)) {
    *change.add_fields() = std::move(d);
  }
  if (change.op() == control::v1::Change::OP_UPDATE && change.fields_size() == 0)
    return false;
  change.set_kind(std::move(kind));
  change.set_key(std::move(key));
  *out = std::move(change);
  return true;
}

std::string RenderPlan(const control::v1::Plan& plan) {
  std::string out;
  for (const auto& change : plan.changes()) {
    char sign = '~';
    if (change.op() == control::v1::Change::OP_CREATE)
      sign = '+';
    if (change.op() == control::v1::Change::OP_DELETE)
      sign = '-';
    out += std::string(1, sign) + " " + change.kind() + "/" + change.key() + "\n";
    for (const auto& f : change.fields()) {
      out += "    " + f.path() + ": " + OrNone(f.before()) + " -> " + OrNone(f.after()) + "\n";
    }
  }
  if (plan.changes_size() == 0)
    out += "(no changes)\n";
  for (const auto& e : plan.errors()) {
    out += "! error: " + e + "\n";
  }
  return out;
}

}  // namespace lattice::plan
