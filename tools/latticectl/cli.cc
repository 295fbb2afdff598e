// latticectl dispatch: picks the command from the leading words and parses its flags.
#include "tools/latticectl/cli.h"

#include <cstdlib>
#include <functional>
#include <map>
#include <set>
#include <utility>

#include "tools/latticectl/commands.h"
#include "tools/latticectl/flags.h"
#include "tools/latticectl/store.h"

namespace lattice::latticectl {
namespace {

struct Command {
  std::function<absl::Status(Context&)> run;
  std::set<std::string> value_flags;
  std::set<std::string> bool_flags;
};

const std::set<std::string> kAccountValueFlags = {"conn",
                                                  "leaf",
                                                  "subs",
                                                  "data",
                                                  "payload",
                                                  "imports",
                                                  "exports",
                                                  "js-mem-storage",
                                                  "js-disk-storage",
                                                  "js-streams",
                                                  "js-consumer",
                                                  "export",
                                                  "import",
                                                  "import-token",
                                                  "scoped-signing-key",
                                                  "scope-pub-allow",
                                                  "scope-pub-deny",
                                                  "scope-sub-allow",
                                                  "scope-sub-deny",
                                                  "description",
                                                  "tag",
                                                  "expiry",
                                                  "expires-at"};
const std::set<std::string> kAccountBoolFlags = {"disallow-bearer", "signing-key",
                                                 "use-signing-key"};

std::set<std::string> With(std::set<std::string> base, std::set<std::string> extra) {
  base.insert(extra.begin(), extra.end());
  base.insert("store");
  base.insert("operator");
  return base;
}

const std::map<std::string, Command>& Commands() {
  static const auto* commands = new std::map<std::string, Command>{
      {"add operator",
       {AddOperator,
        With({"account-server-url", "service-url", "expiry", "expires-at"}, {}),
        {"sys", "signing-key", "strict"}}},
      {"add account", {AddAccount, With(kAccountValueFlags, {}), kAccountBoolFlags}},
      {"edit account", {EditAccount, With(kAccountValueFlags, {}), kAccountBoolFlags}},
      {"add user",
       {AddUser,
        With({"account", "pub-allow", "pub-deny", "sub-allow", "sub-deny", "allow-pub-response",
              "src", "conn-type", "subs", "data", "payload", "tag", "expiry", "expires-at",
              "signing-key"},
             {}),
        {"bearer"}}},
      {"revoke user",
       {RevokeUser,
        With({"account", "name", "user-public-key", "at"}, {}),
        {"all", "use-signing-key"}}},
      {"revoke activation",
       {RevokeActivation,
        With({"account", "subject", "target-account", "at"}, {}),
        {"use-signing-key"}}},
      {"generate activation",
       {GenerateActivation,
        With({"account", "subject", "target-account", "expiry", "expires-at", "signing-key",
              "output"},
             {}),
        {}}},
      {"generate creds", {GenerateCreds, With({"account", "name", "output"}, {}), {}}},
      {"generate config", {GenerateConfig, With({"output"}, {}), {"mem-resolver"}}},
      {"describe jwt", {DescribeJwt, With({}, {}), {"json"}}},
  };
  return *commands;
}

}  // namespace

std::string Usage() {
  return R"(usage: latticectl COMMAND [flags] --store DIR

Offline NATS operator/account/user management (nsc-compatible JWTs and creds).

  add operator NAME [--sys] [--signing-key] [--strict] [--account-server-url URL]
                    [--service-url URL]... [--expiry 30d | --expires-at UNIX]
  add account NAME  [--conn N] [--leaf N] [--subs N] [--data N] [--payload N]
                    [--imports N] [--exports N] [--disallow-bearer]
                    [--js-mem-storage N] [--js-disk-storage N] [--js-streams N] [--js-consumer N]
                    [--export stream|service:SUBJECT[:private]]...
                    [--import stream|service:ACCOUNT:SUBJECT[:LOCAL]]... [--import-token FILE]
                    [--signing-key] [--scoped-signing-key ROLE [--scope-pub-allow S]...
                    [--scope-pub-deny S]... [--scope-sub-allow S]... [--scope-sub-deny S]...]
                    [--description TEXT] [--tag T]... [--expiry DUR] [--use-signing-key]
  edit account NAME (same flags as add account; exports/imports/keys are added)
  add user NAME --account A [--pub-allow S]... [--pub-deny S]... [--sub-allow S]...
                    [--sub-deny S]... [--allow-pub-response N] [--bearer] [--src CIDR]...
                    [--conn-type STANDARD|WEBSOCKET|LEAFNODE|MQTT...]... [--subs N] [--data N]
                    [--payload N] [--tag T]... [--expiry DUR | --expires-at UNIX]
                    [--signing-key ACCOUNT_SIGNING_KEY]
  revoke user --account A (--name U | --user-public-key U... | --all) [--at UNIX]
  revoke activation --account A --subject S --target-account B [--at UNIX]
  generate activation --account A --subject S --target-account B [--expiry DUR] [--output F]
  generate creds --account A --name U [--output FILE]
  generate config --mem-resolver [--output FILE]
  describe jwt FILE|- [--json]

Every command takes --store DIR (or $LATTICECTL_STORE) and --operator NAME when the store
holds several operators. Durations: 90s, 15m, 2h, 7d, 1y.
)";
}

int Run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err, int64_t now) {
  if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    (args.empty() ? err : out) << Usage();
    return args.empty() ? 2 : 0;
  }
  if (args.size() < 2) {
    err << "latticectl: unknown command \"" << args[0] << "\"\n" << Usage();
    return 2;
  }
  auto it = Commands().find(args[0] + " " + args[1]);
  if (it == Commands().end()) {
    err << "latticectl: unknown command \"" << args[0] << " " << args[1] << "\"\n" << Usage();
    return 2;
  }
  std::vector<std::string> rest(args.begin() + 2, args.end());
  absl::StatusOr<Flags> flags = Flags::Parse(rest, it->second.value_flags, it->second.bool_flags);
  if (!flags.ok()) {
    err << "latticectl " << it->first << ": " << flags.status().message() << "\n";
    return 2;
  }
  std::string dir = flags->Get("store");
  if (dir.empty()) {
    const char* env = std::getenv("LATTICECTL_STORE");
    dir = env != nullptr ? env : "";
  }
  absl::Status status;
  if (it->first == "describe jwt" && dir.empty()) {
    // Describing a token needs no store.
    Store none = Store::Detached();
    Context ctx{none, *flags, out, now};
    status = it->second.run(ctx);
  } else {
    absl::StatusOr<Store> store = Store::Open(dir);
    if (!store.ok()) {
      err << "latticectl: " << store.status().message() << "\n";
      return store.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
    }
    Context ctx{*store, *flags, out, now};
    status = it->second.run(ctx);
  }
  if (!status.ok()) {
    err << "latticectl " << it->first << ": error: " << status.message() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace lattice::latticectl
