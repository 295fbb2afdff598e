// Admin command dispatcher: global flags, channel set-up, operator/account/user/audit/watch.
#include "tools/latticectl_admin/admin_cli.h"

#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iterator>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

#include "common/creds/creds.h"
#include "controlplane/plan/diff.h"
#include "tools/latticectl_admin/session.h"
#include "tools/latticectl_admin/table.h"

namespace lattice::latticectl_admin {
namespace {

const std::set<std::string> kBooleans = {
    "--json",   "--dry-run",     "--generate", "--all",         "--include-deleted",
    "--bearer", "--create-only", "--help",     "--linearizable"};

const std::set<std::string> kNouns = {"operator", "signing-key", "account", "user", "cluster",
                                      "node",     "gateway",     "leaf",    "plan", "watch",
                                      "audit",    "replicas",    "interest"};

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return false;
  out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

const char* CodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED:
      return "ABORTED";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    default:
      return "ERROR";
  }
}

bool ParseUint(const Session& s, const std::string& flag, uint64_t* out) {
  auto value = s.args.Get(flag);
  if (!value.has_value())
    return true;
  return absl::SimpleAtoi(*value, out);
}

// ---------------------------------------------------------------------------- operator

int OperatorCommand(Session& s, const std::string& verb) {
  const auto& pos = s.args.positional();
  if (verb == "push") {
    std::string text;
    if (pos.size() < 3 || !ReadFile(pos[2], &text))
      return s.Error("usage: operator push FILE [--dry-run] (readable JWT file)", 2);
    auto token = creds::ParseDecoratedJwt(text);
    if (!token.ok())
      return s.Error(std::string(token.status().message()));
    v1::PutOperatorRequest req;
    req.set_jwt(*token);
    req.set_dry_run(s.dry_run);
    v1::WriteResponse resp;
    grpc::Status status = s.stub->PutOperator(s.Context().get(), req, &resp);
    return status.ok() ? s.PrintWrite(resp) : s.Fail(status);
  }
  if (verb == "get") {
    v1::Operator op;
    grpc::Status status = s.stub->GetOperator(s.Context().get(), v1::GetOperatorRequest(), &op);
    if (!status.ok())
      return s.Fail(status);
    if (s.json) {
      s.PrintJson(op);
      return 0;
    }
    Table t({"NAME", "PUBLIC KEY", "SIGNING KEYS", "REVISION", "UPDATED BY"});
    t.Add({op.name(), op.public_key(), std::to_string(op.signing_keys_size()),
           std::to_string(op.meta().revision()), op.meta().updated_by()});
    t.Print(*s.out);
    return 0;
  }
  return s.Error("usage: operator push FILE | operator get", 2);
}

int SigningKeyCommand(Session& s, const std::string& verb) {
  if (verb == "add") {
    v1::AddSigningKeyRequest req;
    if (s.args.Has("--generate")) {
      s.args.Get("--generate");
      req.set_generate(true);
    } else {
      std::string seed;
      auto file = s.args.Get("--seed-file");
      if (!file.has_value() || !ReadFile(*file, &seed))
        return s.Error("usage: signing-key add --seed-file FILE | --generate", 2);
      while (!seed.empty() && (seed.back() == '\n' || seed.back() == '\r' || seed.back() == ' '))
        seed.pop_back();
      req.set_seed(seed);
    }
    v1::AddSigningKeyResponse resp;
    grpc::Status status = s.stub->AddSigningKey(s.Context().get(), req, &resp);
    if (!status.ok())
      return s.Fail(status);
    if (s.json)
      s.PrintJson(resp);
    else
      *s.out << "signing key " << resp.public_key() << " added at revision " << resp.revision()
             << "\n";
    return 0;
  }
  if (verb == "list") {
    v1::ListSigningKeysResponse resp;
    grpc::Status status =
        s.stub->ListSigningKeys(s.Context().get(), v1::ListSigningKeysRequest(), &resp);
    if (!status.ok())
      return s.Fail(status);
    if (s.json) {
      s.PrintJson(resp);
      return 0;
    }
    Table t({"PUBLIC KEY", "OWNER", "REVISION"});
    for (const auto& k : resp.keys())
      t.Add({k.public_key(), k.owner(), std::to_string(k.meta().revision())});
    t.Print(*s.out);
    return 0;
  }
  return s.Error("usage: signing-key add --seed-file FILE | --generate; signing-key list", 2);
}

// ---------------------------------------------------------------------------- accounts

// Resolves a name to a public key through GetAccount (which accepts both).
bool ResolveAccount(Session& s, const std::string& key_or_name, v1::Account* out, int* code) {
  v1::GetAccountRequest req;
  req.set_public_key(key_or_name);
  grpc::Status status = s.stub->GetAccount(s.Context().get(), req, out);
  if (!status.ok()) {
    *code = s.Fail(status);
    return false;
  }
  return true;
}

// Fills an AccountSpec from --max-* / --export / --import / --description flags.
bool BuildSpec(Session& s, const std::string& name, v1::AccountSpec* spec) {
  spec->set_name(name);
  spec->set_description(s.args.GetOr("--description", ""));
  struct LimitFlag {
    const char* flag;
    void (v1::AccountLimits::*set)(int64_t);
  };
  const LimitFlag limits[] = {
      {"--max-conns", &v1::AccountLimits::set_max_connections},
      {"--max-subs", &v1::AccountLimits::set_max_subscriptions},
      {"--max-payload", &v1::AccountLimits::set_max_payload},
      {"--max-data", &v1::AccountLimits::set_max_data},
      {"--max-leafs", &v1::AccountLimits::set_max_leaf_nodes},
      {"--max-imports", &v1::AccountLimits::set_max_imports},
      {"--max-exports", &v1::AccountLimits::set_max_exports},
  };
  for (const auto& l : limits) {
    auto value = s.args.Get(l.flag);
    if (!value.has_value())
      continue;
    int64_t n = 0;
    if (!absl::SimpleAtoi(*value, &n)) {
      s.Error(absl::StrCat(l.flag, ": not a number: ", *value), 2);
      return false;
    }
    (spec->mutable_limits()->*l.set)(n);
  }
  for (const std::string& e : s.args.GetAll("--export")) {
    std::vector<std::string> parts = absl::StrSplit(e, ':');
    if (parts.size() != 2) {
      s.Error("--export SUBJECT:stream|service", 2);
      return false;
    }
    auto* exp = spec->add_exports();
    exp->set_subject(parts[0]);
    exp->set_type(parts[1]);
  }
  for (const std::string& i : s.args.GetAll("--import")) {
    std::vector<std::string> parts = absl::StrSplit(i, ':');
    if (parts.size() != 3 && parts.size() != 4) {
      s.Error("--import ACCOUNT:SUBJECT[:LOCAL]:stream|service", 2);
      return false;
    }
    auto* imp = spec->add_imports();
    imp->set_account(parts[0]);
    imp->set_subject(parts[1]);
    if (parts.size() == 4)
      imp->set_local_subject(parts[2]);
    imp->set_type(parts.back());
  }
  return true;
}

void PrintAccounts(Session& s, const google::protobuf::RepeatedPtrField<v1::Account>& accounts) {
  Table t({"NAME", "PUBLIC KEY", "MANAGED", "DELETED", "REVISION", "UPDATED BY"});
  for (const auto& a : accounts) {
    t.Add({a.name(), a.public_key(), a.managed() ? "yes" : "no", a.deleted() ? "yes" : "no",
           std::to_string(a.meta().revision()), a.meta().updated_by()});
  }
  t.Print(*s.out);
}

int AccountCommand(Session& s, const std::string& verb) {
  const auto& pos = s.args.positional();
  uint64_t expected = 0;
  if (!ParseUint(s, "--expected-revision", &expected))
    return s.Error("--expected-revision: not a number", 2);
  if (verb == "push") {
    std::string text;
    if (pos.size() < 3 || !ReadFile(pos[2], &text))
      return s.Error("usage: account push FILE [--dry-run] [--expected-revision N]", 2);
    auto token = creds::ParseDecoratedJwt(text);
    if (!token.ok())
      return s.Error(std::string(token.status().message()));
    v1::PutAccountRequest req;
    req.set_jwt(*token);
    req.set_expected_revision(expected);
    req.set_dry_run(s.dry_run);
    v1::WriteResponse resp;
    grpc::Status status = s.stub->PutAccount(s.Context().get(), req, &resp);
    return status.ok() ? s.PrintWrite(resp) : s.Fail(status);
  }
  if (verb == "create" || verb == "update") {
    if (pos.size() < 3)
      return s.Error(absl::StrCat("usage: account ", verb,
                                  " NAME [--max-conns N] [--max-subs N] [--max-payload N] "
                                  "[--max-data N] [--max-leafs N] [--export SUBJ:TYPE]... "
                                  "[--import ACC:SUBJ[:LOCAL]:TYPE]... [--dry-run]"),
                     2);
    v1::SignAccountRequest req;
    std::string name = pos[2];
    if (verb == "update") {
      v1::Account existing;
      int code = 0;
      if (!ResolveAccount(s, pos[2], &existing, &code))
        return code;
      req.set_public_key(existing.public_key());
      name = s.args.GetOr("--name", existing.name());
    }
    if (!BuildSpec(s, name, req.mutable_spec()))
      return 2;
    req.set_expected_revision(expected);
    req.set_dry_run(s.dry_run);
    v1::WriteResponse resp;
    grpc::Status status = s.stub->SignAccount(s.Context().get(), req, &resp);
    return status.ok() ? s.PrintWrite(resp) : s.Fail(status);
  }
  if (verb == "get") {
    if (pos.size() < 3)
      return s.Error("usage: account get KEY|NAME", 2);
    v1::Account account;
    int code = 0;
    if (!ResolveAccount(s, pos[2], &account, &code))
      return code;
    if (s.json) {
      s.PrintJson(account);
      return 0;
    }
    google::protobuf::RepeatedPtrField<v1::Account> one;
    *one.Add() = account;
    PrintAccounts(s, one);
    return 0;
  }
  if (verb == "list") {
    v1::ListAccountsRequest req;
    uint64_t page = 0;
    if (!ParseUint(s, "--page-size", &page))
      return s.Error("--page-size: not a number", 2);
    req.set_page_size(static_cast<uint32_t>(page));
    req.set_page_token(s.args.GetOr("--page-token", ""));
    req.set_include_deleted(s.args.Has("--include-deleted"));
    s.args.Get("--include-deleted");
    const bool all = s.args.Has("--all");
    s.args.Get("--all");
    v1::ListAccountsResponse merged;
    while (true) {
      v1::ListAccountsResponse resp;
      grpc::Status status = s.stub->ListAccounts(s.Context().get(), req, &resp);
      if (!status.ok())
        return s.Fail(status);
      for (auto& a : *resp.mutable_accounts())
        *merged.add_accounts() = std::move(a);
      merged.set_next_page_token(resp.next_page_token());
      if (!all || resp.next_page_token().empty())
        break;
      req.set_page_token(resp.next_page_token());
    }
    if (s.json) {
      s.PrintJson(merged);
      return 0;
    }
    PrintAccounts(s, merged.accounts());
    if (!merged.next_page_token().empty())
      *s.out << "(more: --page-token " << merged.next_page_token() << " or --all)\n";
    return 0;
  }
  if (verb == "delete") {
    if (pos.size() < 3)
      return s.Error("usage: account delete KEY|NAME [--dry-run] [--expected-revision N]", 2);
    v1::Account account;
    int code = 0;
    if (!ResolveAccount(s, pos[2], &account, &code))
      return code;
    v1::DeleteAccountRequest req;
    req.set_public_key(account.public_key());
    req.set_expected_revision(expected);
    req.set_dry_run(s.dry_run);
    v1::WriteResponse resp;
    grpc::Status status = s.stub->DeleteAccount(s.Context().get(), req, &resp);
    return status.ok() ? s.PrintWrite(resp) : s.Fail(status);
  }
  return s.Error("usage: account push|create|update|get|list|delete ...", 2);
}

int UserCommand(Session& s, const std::string& verb) {
  const auto& pos = s.args.positional();
  auto account = s.args.Get("--account");
  if (verb != "create" || pos.size() < 3 || !account.has_value()) {
    return s.Error(
        "usage: user create --account ACCOUNT NAME [--pub-allow S]... [--pub-deny S]... "
        "[--sub-allow S]... [--sub-deny S]... [--bearer] [--expires UNIX] [--output FILE]",
        2);
  }
  v1::CreateUserRequest req;
  req.set_account(*account);
  req.set_name(pos[2]);
  for (const auto& v : s.args.GetAll("--pub-allow"))
    req.add_pub_allow(v);
  for (const auto& v : s.args.GetAll("--pub-deny"))
    req.add_pub_deny(v);
  for (const auto& v : s.args.GetAll("--sub-allow"))
    req.add_sub_allow(v);
  for (const auto& v : s.args.GetAll("--sub-deny"))
    req.add_sub_deny(v);
  req.set_bearer_token(s.args.Has("--bearer"));
  s.args.Get("--bearer");
  uint64_t expires = 0;
  if (!ParseUint(s, "--expires", &expires))
    return s.Error("--expires: not a number", 2);
  req.set_expires_unix(static_cast<int64_t>(expires));
  v1::CreateUserResponse resp;
  grpc::Status status = s.stub->CreateUser(s.Context().get(), req, &resp);
  if (!status.ok())
    return s.Fail(status);
  if (auto output = s.args.Get("--output"); output.has_value()) {
    absl::Status written = creds::WriteSecretFile(*output, resp.creds());
    if (!written.ok())
      return s.Error(std::string(written.message()));
    *s.err << "creds for " << resp.public_key() << " written to " << *output << " (mode 0600)\n";
    return 0;
  }
  if (s.json)
    s.PrintJson(resp);
  else
    *s.out << resp.creds();
  return 0;
}

// ---------------------------------------------------------------------------- audit, watch

int AuditCommand(Session& s) {
  v1::ListAuditRequest req;
  uint64_t after = 0;
  uint64_t limit = 0;
  if (!ParseUint(s, "--after", &after) || !ParseUint(s, "--limit", &limit))
    return s.Error("usage: audit [--after REV] [--limit N]", 2);
  req.set_after_revision(after);
  req.set_limit(static_cast<uint32_t>(limit));
  v1::ListAuditResponse resp;
  grpc::Status status = s.stub->ListAudit(s.Context().get(), req, &resp);
  if (!status.ok())
    return s.Fail(status);
  if (s.json) {
    s.PrintJson(resp);
    return 0;
  }
  Table t({"REVISION", "TIME", "ACTOR", "REASON", "CHANGED"});
  for (const auto& e : resp.entries()) {
    std::string changed;
    for (const auto& c : e.changed())
      changed += (changed.empty() ? "" : ",") + c;
    t.Add(
        {std::to_string(e.revision()), FormatTime(e.unix_nanos()), e.actor(), e.reason(), changed});
  }
  t.Print(*s.out);
  return 0;
}

int WatchCommand(Session& s) {
  uint64_t from = 0;
  uint64_t count = 0;
  if (!ParseUint(s, "--from", &from) || !ParseUint(s, "--count", &count))
    return s.Error("usage: watch [--from REV] [--kind K]... [--count N]", 2);
  v1::WatchRequest req;
  req.set_from_revision(from);
  for (const auto& k : s.args.GetAll("--kind"))
    req.add_kinds(k);
  auto ctx = s.Context(/*streaming=*/true);
  auto reader = s.stub->Watch(ctx.get(), req);
  v1::WatchEvent event;
  uint64_t seen = 0;
  while ((count == 0 || seen < count) && reader->Read(&event)) {
    if (s.json) {
      s.PrintJson(event);
    } else if (event.synced()) {
      *s.out << "-- synced at revision " << event.revision() << " --\n";
    } else {
      *s.out << event.revision() << " " << (event.deleted() ? "deleted " : "") << event.kind()
             << "/" << event.key() << "\n";
    }
    s.out->flush();
    if (!event.synced())
      ++seen;
  }
  if (count != 0 && seen >= count) {
    ctx->TryCancel();
    while (reader->Read(&event)) {
    }
    reader->Finish();
    return 0;
  }
  grpc::Status status = reader->Finish();
  return status.ok() ? 0 : s.Fail(status);
}

int Dispatch(Session& s) {
  if (!s.args.positional().empty() && s.args.positional()[0] == "plan") {
    s.dry_run = true;
    s.args.DropFirstPositional();  // handlers index positionals as if "plan" were absent
  }
  const auto& pos = s.args.positional();
  const size_t at = 0;
  if (pos.size() <= at)
    return s.Error(AdminUsage(), 2);
  const std::string noun = pos[at];
  if (noun == "watch")
    return WatchCommand(s);
  if (noun == "audit")
    return AuditCommand(s);
  if (noun == "replicas")
    return RunReplicasCommand(s);
  if (noun == "interest")
    return RunInterestCommand(s);
  if (pos.size() <= at + 1)
    return s.Error(AdminUsage(), 2);
  const std::string verb = pos[at + 1];
  if (noun == "operator")
    return OperatorCommand(s, verb);
  if (noun == "signing-key")
    return SigningKeyCommand(s, verb);
  if (noun == "account")
    return AccountCommand(s, verb);
  if (noun == "user")
    return UserCommand(s, verb);
  if (noun == "cluster" || noun == "node" || noun == "gateway" || noun == "leaf")
    return RunTopologyCommand(s, noun, verb);
  return s.Error(AdminUsage(), 2);
}

}  // namespace

std::string FormatTime(int64_t unix_nanos) {
  if (unix_nanos == 0)
    return "-";
  std::time_t seconds = static_cast<std::time_t>(unix_nanos / 1000000000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::unique_ptr<grpc::ClientContext> Session::Context(bool streaming) const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  if (!streaming)
    ctx->set_deadline(std::chrono::system_clock::now() + call_timeout);
  if (!token.empty())
    ctx->AddMetadata("authorization", "Bearer " + token);
  if (linearizable)
    ctx->AddMetadata("lattice-read", "linearizable");
  return ctx;
}

int Session::Fail(const grpc::Status& status) const {
  last_failure = status;
  *err << "error: " << CodeName(status.error_code()) << ": " << status.error_message() << "\n";
  return 1;
}

int Session::Error(const std::string& message, int code) const {
  *err << (code == 2 ? "" : "error: ") << message << "\n";
  return code;
}

void Session::PrintJson(const google::protobuf::Message& message) const {
  std::string text;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(message, &text, options);
  *out << text << "\n";
}

int Session::PrintWrite(const v1::WriteResponse& response) const {
  const bool has_errors = response.plan().errors_size() > 0;
  if (json) {
    PrintJson(response);
    return has_errors ? 1 : 0;
  }
  *out << plan::RenderPlan(response.plan());
  if (dry_run)
    *out << "dry run: nothing written\n";
  else if (response.applied())
    *out << "applied at revision " << response.revision() << "\n";
  else
    *out << "no changes\n";
  return has_errors ? 1 : 0;
}

bool IsAdminCommand(const std::vector<std::string>& args) {
  for (const auto& a : args) {
    if (a == "--server" || a.rfind("--server=", 0) == 0)
      return true;
  }
  const char* env = std::getenv("LATTICE_SERVER");
  if (env == nullptr || *env == '\0')
    return false;
  for (const auto& a : args) {
    if (a.rfind("--", 0) == 0)
      continue;
    return kNouns.count(a) != 0;
  }
  return false;
}

std::string AdminUsage() {
  return "usage: latticectl --server HOST:PORT[,HOST:PORT...] [--token T] [--json] "
         "[--linearizable] [--timeout SECONDS] [--tls-ca PEM [--tls-cert PEM --tls-key PEM]] "
         "COMMAND\n"
         "  operator push FILE | operator get\n"
         "  signing-key add --seed-file FILE | --generate ; signing-key list\n"
         "  account push FILE [--expected-revision N]\n"
         "  account create NAME [--max-conns N --max-subs N --max-payload N --max-data N\n"
         "                       --max-leafs N --export SUBJ:TYPE --import ACC:SUBJ[:LOCAL]:TYPE]\n"
         "  account update KEY|NAME [same flags] ; account get KEY|NAME\n"
         "  account list [--page-size N] [--page-token T] [--all] [--include-deleted]\n"
         "  account delete KEY|NAME [--expected-revision N]\n"
         "  user create --account ACCOUNT NAME [--pub-allow S --sub-allow S ... --bearer]\n"
         "  cluster|node|gateway|leaf list [--cluster C] | get KEY | delete KEY\n"
         "  cluster put NAME [--description D]\n"
         "  node put ID --cluster C [--client-url U --route-url U --gateway-url U --leaf-url U\n"
         "                           --state up|draining|down]\n"
         "  gateway put FROM TO [--url U]   (key FROM/TO)\n"
         "  leaf put NAME --node ID --url U [--account A] [--credentials-file F]\n"
         "  plan COMMAND...      the same command as a dry run: prints the diff and errors\n"
         "  watch [--from REV] [--kind K] [--count N] ; audit [--after REV] [--limit N]\n"
         "  replicas [list] | replicas add ID RAFT_HOST:PORT [--admin HOST:PORT] |\n"
         "  replicas remove ID   the replicated control plane: leader, term, follower lag\n"
         "  interest [--account A] [--subject S] [--node N] [--limit N]\n"
         "                       who receives what: the leader's interest graph, per node\n"
         "Writes accept --dry-run; topology puts accept --expected-revision N and --create-only.\n"
         "With several servers (or a follower answering UNAVAILABLE with the leader's address),\n"
         "a command refused as UNAVAILABLE is sent again to the leader or the next server; so is\n"
         "one that timed out (--timeout, default 10 s) without ever reaching a server.";
}

int RunAdminCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Session s;
  s.out = &out;
  s.err = &err;
  std::string error;
  if (!s.args.Parse(args, kBooleans, &error))
    return s.Error(error, 2);
  if (s.args.Has("--help")) {
    out << AdminUsage() << "\n";
    return 0;
  }
  const char* env_server = std::getenv("LATTICE_SERVER");
  const char* env_token = std::getenv("LATTICE_TOKEN");
  std::string server = s.args.GetOr("--server", env_server ? env_server : "");
  s.token = s.args.GetOr("--token", env_token ? env_token : "");
  s.json = s.args.Has("--json");
  s.args.Get("--json");
  s.dry_run = s.args.Has("--dry-run");
  s.args.Get("--dry-run");
  if (server.empty())
    return s.Error("--server HOST:PORT (or LATTICE_SERVER) is required", 2);

  std::shared_ptr<grpc::ChannelCredentials> creds = grpc::InsecureChannelCredentials();
  if (auto ca = s.args.Get("--tls-ca"); ca.has_value()) {
    grpc::SslCredentialsOptions ssl;
    if (!ReadFile(*ca, &ssl.pem_root_certs))
      return s.Error("cannot read " + *ca);
    auto cert = s.args.Get("--tls-cert");
    auto key = s.args.Get("--tls-key");
    if (cert.has_value() != key.has_value())
      return s.Error("--tls-cert and --tls-key go together", 2);
    if (cert.has_value() &&
        (!ReadFile(*cert, &ssl.pem_cert_chain) || !ReadFile(*key, &ssl.pem_private_key)))
      return s.Error("cannot read the client certificate or key");
    creds = grpc::SslCredentials(ssl);
  }
  s.linearizable = s.args.Has("--linearizable");
  s.args.Get("--linearizable");
  if (auto timeout = s.args.Get("--timeout"); timeout.has_value()) {
    double seconds = 0;
    if (!absl::SimpleAtod(*timeout, &seconds) || !(seconds > 0) || seconds > 86400)
      return s.Error("--timeout takes seconds, e.g. 10 or 0.5", 2);
    s.call_timeout = std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
  }
  // Replicas to try: the --server list in order, and any leader a follower names.
  std::vector<std::string> servers = absl::StrSplit(server, ',', absl::SkipEmpty());
  if (servers.empty())
    return s.Error("--server HOST:PORT (or LATTICE_SERVER) is required", 2);
  const Args original = s.args;
  const bool dry_run = s.dry_run;
  std::string target = servers[0];
  size_t next = 1;
  const size_t attempts = 2 * servers.size() + 2;
  int code = 0;
  for (size_t attempt = 1;; ++attempt) {
    std::ostringstream attempt_err;
    s.err = &attempt_err;
    s.args = original;
    s.dry_run = dry_run;
    s.last_failure = grpc::Status::OK;
    std::shared_ptr<grpc::Channel> channel = grpc::CreateChannel(target, creds);
    s.stub = v1::Admin::NewStub(channel);
    code = Dispatch(s);
    // A deadline on a channel that never became ready (a stopped replica accepts TCP but never
    // speaks HTTP/2) means the call never reached a server: as safe to resend as UNAVAILABLE.
    const bool never_connected =
        s.last_failure.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED &&
        channel->GetState(false) != GRPC_CHANNEL_READY;
    const bool unavailable =
        s.last_failure.error_code() == grpc::StatusCode::UNAVAILABLE || never_connected;
    if (code == 0 || !unavailable || attempt == attempts) {
      err << attempt_err.str();
      break;
    }
    // A follower names the leader in the error details; otherwise move on down the list.
    if (!s.last_failure.error_details().empty() && s.last_failure.error_details() != target) {
      target = s.last_failure.error_details();
    } else {
      target = servers[next % servers.size()];
      ++next;
    }
  }
  s.err = &err;
  if (code == 0) {
    std::vector<std::string> unused = s.args.Unused();
    if (!unused.empty())
      err << "warning: ignored flag " << unused.front() << "\n";
  }
  return code;
}

}  // namespace lattice::latticectl_admin
