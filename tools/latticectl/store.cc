// The on-disk key store behind latticectl.
#include "tools/latticectl/store.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/creds/creds.h"

namespace lattice::latticectl {
namespace {

std::vector<std::string> ListDirs(const std::string& path) {
  std::vector<std::string> out;
  DIR* d = ::opendir(path.c_str());
  if (d == nullptr)
    return out;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..")
      continue;
    struct stat st;
    if (::stat((path + "/" + name).c_str(), &st) == 0 && S_ISDIR(st.st_mode))
      out.push_back(name);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> ListFiles(const std::string& path, const std::string& suffix) {
  std::vector<std::string> out;
  DIR* d = ::opendir(path.c_str());
  if (d == nullptr)
    return out;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name.size() > suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
      out.push_back(name.substr(0, name.size() - suffix.size()));
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

absl::Status CheckName(const std::string& what, const std::string& name) {
  if (name.empty() || name[0] == '.' || name.size() > 128)
    return absl::InvalidArgumentError("invalid " + what + " name \"" + name + "\"");
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    if (!ok)
      return absl::InvalidArgumentError("invalid " + what + " name \"" + name +
                                        "\" (use letters, digits, '-', '_', '.')");
  }
  return absl::OkStatus();
}

absl::Status MakeDirs(const std::string& path) {
  std::string partial;
  std::stringstream ss(path);
  std::string part;
  if (!path.empty() && path[0] == '/')
    partial = "/";
  while (std::getline(ss, part, '/')) {
    if (part.empty())
      continue;
    partial += part + "/";
    if (::mkdir(partial.c_str(), 0700) != 0 && errno != EEXIST)
      return absl::UnavailableError("cannot create " + partial + ": " + std::strerror(errno));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return absl::NotFoundError("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

absl::Status WriteWholeFile(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out)
    return absl::UnavailableError("cannot write " + path);
  out << contents;
  out.close();
  if (!out)
    return absl::UnavailableError("cannot write " + path);
  return absl::OkStatus();
}

absl::StatusOr<Store> Store::Open(const std::string& dir) {
  if (dir.empty())
    return absl::InvalidArgumentError("--store DIR is required");
  absl::Status s = MakeDirs(dir + "/keys");
  if (!s.ok())
    return s;
  s = MakeDirs(dir + "/operators");
  if (!s.ok())
    return s;
  return Store(dir);
}

absl::Status Store::SaveKey(const nkeys::KeyPair& key) {
  nkeys::SecretString seed = key.EncodedSeed();
  std::string text(seed.view());
  text += "\n";
  absl::Status s = creds::WriteSecretFile(dir_ + "/keys/" + key.public_key().str() + ".nk", text);
  std::fill(text.begin(), text.end(), '\0');
  return s;
}

absl::StatusOr<nkeys::KeyPair> Store::LoadKey(const std::string& public_key) const {
  absl::StatusOr<std::string> text = ReadWholeFile(dir_ + "/keys/" + public_key + ".nk");
  if (!text.ok())
    return absl::NotFoundError("no seed for key " + public_key + " in the store");
  std::string seed = *text;
  while (!seed.empty() && (seed.back() == '\n' || seed.back() == '\r' || seed.back() == ' '))
    seed.pop_back();
  absl::StatusOr<nkeys::KeyPair> pair = nkeys::KeyPair::FromSeed(seed);
  std::fill(seed.begin(), seed.end(), '\0');
  std::fill(text->begin(), text->end(), '\0');
  if (pair.ok() && pair->public_key().str() != public_key)
    return absl::DataLossError("seed file for " + public_key + " holds another key");
  return pair;
}

std::vector<std::string> Store::Operators() const {
  return ListDirs(dir_ + "/operators");
}

absl::StatusOr<std::string> Store::ResolveOperator(const std::string& name) const {
  std::vector<std::string> ops = Operators();
  if (!name.empty()) {
    if (std::find(ops.begin(), ops.end(), name) == ops.end())
      return absl::NotFoundError("operator \"" + name + "\" does not exist in the store");
    return name;
  }
  if (ops.empty())
    return absl::NotFoundError("the store has no operator; run `latticectl add operator NAME`");
  if (ops.size() > 1)
    return absl::InvalidArgumentError("the store has several operators; pass --operator NAME");
  return ops[0];
}

std::string Store::OperatorJwtPath(const std::string& op) const {
  return dir_ + "/operators/" + op + "/" + op + ".jwt";
}

std::vector<std::string> Store::Accounts(const std::string& op) const {
  return ListDirs(dir_ + "/operators/" + op + "/accounts");
}

std::string Store::AccountDir(const std::string& op, const std::string& account) const {
  return dir_ + "/operators/" + op + "/accounts/" + account;
}

std::string Store::AccountJwtPath(const std::string& op, const std::string& account) const {
  return AccountDir(op, account) + "/" + account + ".jwt";
}

std::vector<std::string> Store::Users(const std::string& op, const std::string& account) const {
  return ListFiles(AccountDir(op, account) + "/users", ".jwt");
}

std::string Store::UserJwtPath(const std::string& op, const std::string& account,
                               const std::string& user) const {
  return AccountDir(op, account) + "/users/" + user + ".jwt";
}

absl::StatusOr<std::string> Store::ReadJwt(const std::string& path) const {
  absl::StatusOr<std::string> text = ReadWholeFile(path);
  if (!text.ok())
    return text.status();
  return creds::ParseDecoratedJwt(*text);
}

absl::Status Store::WriteJwt(const std::string& path, const std::string& jwt) {
  size_t slash = path.rfind('/');
  if (slash != std::string::npos) {
    absl::Status s = MakeDirs(path.substr(0, slash));
    if (!s.ok())
      return s;
  }
  return WriteWholeFile(path, jwt + "\n");
}

bool Store::Exists(const std::string& path) const {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace lattice::latticectl
