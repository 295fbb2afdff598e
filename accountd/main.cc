// accountd: serves account JWTs to nats-server and Lattice nodes over HTTP and $SYS requests.
//
//   accountd --operator OP.jwt --http 127.0.0.1:9090 [--control host:port,... --token T]
//            [--dir DIR] [--nats nats://... --creds sys.creds] [--cache DIR]
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

#include "accountd/account_cache.h"
#include "accountd/control_source.h"
#include "accountd/dir_source.h"
#include "accountd/file_util.h"
#include "accountd/http_resolver.h"
#include "accountd/resolver.h"
#include "accountd/sys_resolver.h"
#include "common/base/log.h"
#include "common/base/status_macros.h"
#include "common/creds/creds.h"

namespace lattice::accountd {
namespace {

constexpr char kUsage[] =
    "usage: accountd --operator OP.jwt --http HOST:PORT\n"
    "                [--control HOST:PORT[,...] [--token T] | --dir DIR [--poll SECONDS]]\n"
    "                [--nats URL[,URL...] --creds SYS.creds] [--cache DIR] [--debug]\n"
    "  --operator  operator JWT (bare or decorated) that every account must chain to\n"
    "  --http      listen address of the /jwt/v1 resolver API (port 0 = any free port)\n"
    "  --control   account source: lattice-control replicas (Admin.Watch, Admin.PutAccount)\n"
    "  --token     bearer token for --control (default $LATTICE_CONTROL_TOKEN)\n"
    "  --dir       account source: a folder of <pubkey>.jwt files (POSTs are written there)\n"
    "  --poll      rescan --dir every SECONDS (default 10, 0 = never)\n"
    "  --nats      NATS servers to join as a system-account client ($SYS resolver)\n"
    "  --creds     system-account user creds for --nats\n"
    "  --cache     folder persisting the last-known accounts across restarts\n";

struct Flags {
  std::map<std::string, std::string> values;
  bool Has(const std::string& name) const { return values.count(name) > 0; }
  std::string Get(const std::string& name) const {
    auto it = values.find(name);
    return it == values.end() ? "" : it->second;
  }
};

absl::StatusOr<Flags> ParseFlags(int argc, char** argv) {
  static const std::map<std::string, bool> kKnown = {
      {"operator", true}, {"http", true},   {"dir", true},   {"poll", true},
      {"nats", true},     {"creds", true},  {"cache", true}, {"control", true},
      {"token", true},    {"debug", false}, {"help", false}};
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0)
      return absl::InvalidArgumentError(absl::StrCat("unexpected argument: ", arg));
    arg = arg.substr(2);
    std::string value;
    bool has_value = false;
    if (size_t eq = arg.find('='); eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_value = true;
    }
    auto known = kKnown.find(arg);
    if (known == kKnown.end())
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", arg));
    if (known->second && !has_value) {
      if (i + 1 >= argc)
        return absl::InvalidArgumentError(absl::StrCat("--", arg, " needs a value"));
      value = argv[++i];
    }
    flags.values[arg] = value;
  }
  return flags;
}

absl::Status SplitHostPort(const std::string& address, std::string* host, int* port) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || !absl::SimpleAtoi(address.substr(colon + 1), port) ||
      *port < 0 || *port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("bad HOST:PORT: ", address));
  }
  *host = address.substr(0, colon);
  if (host->empty())
    *host = "0.0.0.0";
  return absl::OkStatus();
}

absl::Status Run(const Flags& flags) {
  if (!flags.Has("operator") || !flags.Has("http"))
    return absl::InvalidArgumentError("--operator and --http are required");
  if (flags.Has("control") && flags.Has("dir"))
    return absl::InvalidArgumentError("give --control or --dir, not both");
  std::string host;
  int port = 0;
  LATTICE_RETURN_IF_ERROR(SplitHostPort(flags.Get("http"), &host, &port));

  LATTICE_ASSIGN_OR_RETURN(std::string operator_text, ReadFile(flags.Get("operator")));
  LATTICE_ASSIGN_OR_RETURN(std::string operator_jwt, creds::ParseDecoratedJwt(operator_text));
  LATTICE_ASSIGN_OR_RETURN(std::unique_ptr<AccountCache> cache,
                           AccountCache::Create(operator_jwt, flags.Get("cache")));

  std::unique_ptr<AccountSource> source;
  if (flags.Has("control")) {
    ControlSourceOptions options;
    options.addresses = absl::StrSplit(flags.Get("control"), ',', absl::SkipEmpty());
    options.token = flags.Get("token");
    if (options.token.empty()) {
      const char* env = std::getenv("LATTICE_CONTROL_TOKEN");
      options.token = env != nullptr ? env : "";
    }
    source = std::make_unique<ControlSource>(std::move(options));
  } else if (flags.Has("dir")) {
    int poll_seconds = 10;
    if (flags.Has("poll") && !absl::SimpleAtoi(flags.Get("poll"), &poll_seconds))
      return absl::InvalidArgumentError("--poll needs a number of seconds");
    source = std::make_unique<DirSource>(flags.Get("dir"), std::chrono::seconds(poll_seconds));
  }
  Resolver resolver(*cache, source.get());
  std::unique_ptr<SysResolver> sys;
  if (flags.Has("nats")) {
    sys = std::make_unique<SysResolver>(
        resolver, SysResolverOptions{flags.Get("nats"), flags.Get("creds"), "accountd"});
    SysResolver* announcer = sys.get();
    resolver.AddAnnouncer([announcer](const AccountEntry& entry) { announcer->Announce(entry); });
  }

  // Signals are taken by sigwait below; block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  if (sys != nullptr)
    LATTICE_RETURN_IF_ERROR(sys->Start());
  if (source != nullptr)
    LATTICE_RETURN_IF_ERROR(source->Start(&resolver));
  HttpResolver http(resolver);
  LATTICE_RETURN_IF_ERROR(http.Start(host, port));
  LATTICE_LOG(kInfo) << "accountd: resolver listening on http://" << host << ":" << http.port()
                     << "/jwt/v1/accounts/ with " << cache->size() << " accounts, source "
                     << resolver.DescribeSource();

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  LATTICE_LOG(kInfo) << "accountd: signal " << signal_number << ", shutting down";
  // Writers first (HTTP, source), then the NATS client they announce through.
  http.Stop();
  if (source != nullptr)
    source->Stop();
  if (sys != nullptr)
    sys->Stop();
  return absl::OkStatus();
}

}  // namespace
}  // namespace lattice::accountd

int main(int argc, char** argv) {
  absl::StatusOr<lattice::accountd::Flags> flags = lattice::accountd::ParseFlags(argc, argv);
  if (!flags.ok() || flags->Has("help")) {
    if (!flags.ok())
      std::fprintf(stderr, "accountd: %s\n", std::string(flags.status().message()).c_str());
    std::fputs(lattice::accountd::kUsage, stderr);
    return flags.ok() ? 0 : 2;
  }
  if (flags->Has("debug"))
    lattice::log::SetLevel(lattice::log::Level::kDebug);
  absl::Status status = lattice::accountd::Run(*flags);
  if (!status.ok()) {
    LATTICE_LOG(kFatal) << "accountd: " << status;
    return 1;
  }
  return 0;
}
