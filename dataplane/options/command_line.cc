// ParseCommandLine and UsageText: nats-server's common flags for lattice-node.
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

#include "common/base/status_macros.h"
#include "dataplane/options/options.h"
#include "dataplane/options/options_internal.h"

namespace lattice::options {
namespace {

enum class FlagType : uint8_t { kBool, kString, kInt };

struct FlagDef {
  const char* name;       // as typed, without dashes
  const char* canonical;  // what ApplyFlag switches on
  FlagType type;
};

// nats-server 2.9 flags that lattice-node honours.
constexpr FlagDef kFlags[] = {
    {"a", "addr", FlagType::kString},
    {"addr", "addr", FlagType::kString},
    {"net", "addr", FlagType::kString},
    {"p", "port", FlagType::kInt},
    {"port", "port", FlagType::kInt},
    {"n", "name", FlagType::kString},
    {"name", "name", FlagType::kString},
    {"server_name", "name", FlagType::kString},
    {"c", "config", FlagType::kString},
    {"config", "config", FlagType::kString},
    {"l", "log", FlagType::kString},
    {"log", "log", FlagType::kString},
    {"P", "pid", FlagType::kString},
    {"pid", "pid", FlagType::kString},
    {"m", "http_port", FlagType::kInt},
    {"http_port", "http_port", FlagType::kInt},
    {"http_host", "http_host", FlagType::kString},  // Lattice addition
    {"D", "debug", FlagType::kBool},
    {"debug", "debug", FlagType::kBool},
    {"V", "trace", FlagType::kBool},
    {"trace", "trace", FlagType::kBool},
    {"DV", "DV", FlagType::kBool},
    {"T", "logtime", FlagType::kBool},
    {"logtime", "logtime", FlagType::kBool},
    {"user", "user", FlagType::kString},
    {"pass", "pass", FlagType::kString},
    {"auth", "auth", FlagType::kString},
    {"client_advertise", "client_advertise", FlagType::kString},
    {"cluster", "cluster", FlagType::kString},
    {"cluster_listen", "cluster", FlagType::kString},
    {"cluster_name", "cluster_name", FlagType::kString},
    {"routes", "routes", FlagType::kString},
    {"no_advertise", "no_advertise", FlagType::kBool},
    {"tls", "tls", FlagType::kBool},
    {"tlsverify", "tlsverify", FlagType::kBool},
    {"tlscert", "tlscert", FlagType::kString},
    {"tlskey", "tlskey", FlagType::kString},
    {"tlscacert", "tlscacert", FlagType::kString},
    {"t", "t", FlagType::kBool},
    {"v", "version", FlagType::kBool},
    {"version", "version", FlagType::kBool},
    {"h", "help", FlagType::kBool},
    {"help", "help", FlagType::kBool},
    {"sl", "signal", FlagType::kString},
    {"signal", "signal", FlagType::kString},
};

// nats-server flags for features lattice-node does not have: refused, never ignored.
struct UnsupportedFlag {
  const char* name;
  const char* feature;
};
constexpr UnsupportedFlag kUnsupportedFlags[] = {
    {"js", "JetStream"},
    {"jetstream", "JetStream"},
    {"sd", "JetStream"},
    {"store_dir", "JetStream"},
    {"ms", "HTTPS monitoring"},
    {"https_port", "HTTPS monitoring"},
    {"s", "syslog logging"},
    {"syslog", "syslog logging"},
    {"r", "syslog logging"},
    {"remote_syslog", "syslog logging"},
    {"VV", "verbose tracing"},
    {"DVV", "verbose tracing"},
    {"log_size_limit", "log rotation"},
    {"max_traced_msg_len", "traced message truncation"},
    {"profile", "the profiling port"},
    {"ports_file_dir", "ports files"},
    {"cluster_advertise", "cluster advertise addresses"},
    {"connect_retries", "route connect retries"},
    {"help_tls", "TLS help"},
};

constexpr const char* kSignals[] = {"ldm", "stop", "quit", "term", "reopen", "reload"};

struct FlagValue {
  const FlagDef* def;
  std::string value;  // "true"/"false" for booleans
};

absl::StatusOr<bool> ParseBoolValue(const std::string& flag, const std::string& value) {
  const std::string v = absl::AsciiStrToLower(value);
  if (v == "1" || v == "t" || v == "true")
    return true;
  if (v == "0" || v == "f" || v == "false")
    return false;
  return absl::InvalidArgumentError(
      absl::StrCat("invalid boolean value \"", value, "\" for flag -", flag));
}

absl::StatusOr<int> ParseIntValue(const std::string& flag, const std::string& value) {
  int number = 0;
  if (!absl::SimpleAtoi(value, &number))
    return absl::InvalidArgumentError(
        absl::StrCat("invalid value \"", value, "\" for flag -", flag, ": not an integer"));
  return number;
}

// "nats://host:port" (as nats-server's --cluster); credentials are not supported yet.
absl::Status ParseClusterUrl(const std::string& url, ClusterOptions* cluster) {
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos)
    return absl::InvalidArgumentError(absl::StrCat("--cluster: invalid URL \"", url, "\""));
  absl::string_view rest = absl::string_view(url).substr(scheme + 3);
  rest = rest.substr(0, rest.find('/'));
  if (absl::StrContains(rest, "@"))
    return absl::InvalidArgumentError("--cluster: route credentials are not supported yet");
  absl::Status status = SplitHostPort(rest, &cluster->host, &cluster->port);
  if (!status.ok())
    return absl::InvalidArgumentError(absl::StrCat("--cluster: ", status.message()));
  return absl::OkStatus();
}

absl::Status ValidateSignal(const std::string& signal) {
  const std::string command(absl::string_view(signal).substr(0, signal.find('=')));
  for (const char* known : kSignals) {
    if (command == known)
      return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown signal \"", command, "\" (expected ldm, stop, quit, term, reopen or reload)"));
}

// TLS from flags replaces the config file's TLS block, as in nats-server.
struct TlsFlags {
  bool tls = false;
  bool verify = false;
  bool any_file = false;
  TlsOptions files;
};

absl::Status ApplyFlag(const FlagValue& flag, CommandLine* cl, TlsFlags* tls) {
  Options& o = cl->options;
  const std::string name = flag.def->canonical;
  const std::string& value = flag.value;
  if (flag.def->type == FlagType::kBool) {
    LATTICE_ASSIGN_OR_RETURN(const bool on, ParseBoolValue(flag.def->name, value));
    if (name == "debug") {
      o.debug = on;
    } else if (name == "trace") {
      o.trace = on;
    } else if (name == "DV") {
      o.debug = on;
      o.trace = on;
    } else if (name == "logtime") {
      o.logtime = on;
    } else if (name == "no_advertise") {
      o.cluster.no_advertise = on;
    } else if (name == "tls") {
      tls->tls = on;
    } else if (name == "tlsverify") {
      tls->verify = on;
    }
    return absl::OkStatus();  // version/help/t were handled while scanning
  }
  if (name == "port") {
    LATTICE_ASSIGN_OR_RETURN(o.port, ParseIntValue(flag.def->name, value));
    if (o.port < -1 || o.port > 65535)
      return absl::InvalidArgumentError(absl::StrCat("port ", o.port, " is out of range"));
  } else if (name == "http_port") {
    LATTICE_ASSIGN_OR_RETURN(o.http_port, ParseIntValue(flag.def->name, value));
    if (o.http_port < -1 || o.http_port > 65535)
      return absl::InvalidArgumentError(absl::StrCat("port ", o.http_port, " is out of range"));
  } else if (name == "addr") {
    o.host = value;
  } else if (name == "name") {
    o.server_name = value;
  } else if (name == "log") {
    o.log_file = value;
  } else if (name == "pid") {
    o.pid_file = value;
  } else if (name == "http_host") {
    o.http_host = value;
  } else if (name == "user") {
    o.username = value;
  } else if (name == "pass") {
    o.password = value;
  } else if (name == "auth") {
    o.auth_token = value;
  } else if (name == "client_advertise") {
    o.client_advertise = {value};
  } else if (name == "cluster") {
    LATTICE_RETURN_IF_ERROR(ParseClusterUrl(value, &o.cluster));
  } else if (name == "cluster_name") {
    o.cluster.name = value;
  } else if (name == "routes") {
    o.cluster.routes.clear();
    for (absl::string_view route : absl::StrSplit(value, ',', absl::SkipWhitespace())) {
      route = absl::StripAsciiWhitespace(route);
      if (!absl::StrContains(route, "://"))
        return absl::InvalidArgumentError(absl::StrCat("--routes: invalid URL \"", route, "\""));
      o.cluster.routes.emplace_back(route);
    }
  } else if (name == "tlscert") {
    tls->files.cert_file = value;
    tls->any_file = true;
  } else if (name == "tlskey") {
    tls->files.key_file = value;
    tls->any_file = true;
  } else if (name == "tlscacert") {
    tls->files.ca_file = value;
    tls->any_file = true;
  }
  return absl::OkStatus();  // config and signal were handled while scanning
}

const FlagDef* FindFlag(absl::string_view name) {
  for (const FlagDef& def : kFlags) {
    if (name == def.name)
      return &def;
  }
  return nullptr;
}

}  // namespace

absl::StatusOr<CommandLine> ParseCommandLine(int argc, const char* const* argv) {
  CommandLine cl;
  std::vector<FlagValue> flags;
  std::string config_file;
  int i = 1;
  // Flags first (Go's flag package stops at the first non-flag argument or "--").
  for (; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--") {
      ++i;
      break;
    }
    if (arg.size() < 2 || arg[0] != '-')
      break;
    arg.remove_prefix(absl::StartsWith(arg, "--") ? 2 : 1);
    if (arg.empty() || arg[0] == '-' || arg[0] == '=')
      return absl::InvalidArgumentError(absl::StrCat("bad flag syntax: ", argv[i]));
    const size_t equals = arg.find('=');
    const std::string name(arg.substr(0, equals));
    for (const UnsupportedFlag& unsupported : kUnsupportedFlags) {
      if (name == unsupported.name)
        return absl::InvalidArgumentError(absl::StrCat("flag -", name, " configures ",
                                                       unsupported.feature,
                                                       ", which Lattice does not support yet"));
    }
    const FlagDef* def = FindFlag(name);
    if (def == nullptr)
      return absl::InvalidArgumentError(
          absl::StrCat("flag provided but not defined: -", name, " (see --help)"));
    FlagValue flag{def, ""};
    if (equals != absl::string_view::npos) {
      flag.value = std::string(arg.substr(equals + 1));
    } else if (def->type == FlagType::kBool) {
      flag.value = "true";
    } else if (i + 1 < argc) {
      flag.value = argv[++i];
    } else {
      return absl::InvalidArgumentError(absl::StrCat("flag needs an argument: -", name));
    }
    const std::string canonical = def->canonical;
    if (canonical == "version" || canonical == "help" || canonical == "t") {
      LATTICE_ASSIGN_OR_RETURN(const bool on, ParseBoolValue(name, flag.value));
      if (canonical == "version")
        cl.show_version = on;
      else if (canonical == "help")
        cl.show_help = on;
      else
        cl.check_config = on;
    } else if (canonical == "config") {
      config_file = flag.value;
    } else if (canonical == "signal") {
      LATTICE_RETURN_IF_ERROR(ValidateSignal(flag.value));
      cl.signal = flag.value;
    } else {
      flags.push_back(std::move(flag));
    }
  }
  // Then nats-server's positional commands.
  for (; i < argc; ++i) {
    const absl::string_view command = argv[i];
    if (command == "version") {
      cl.show_version = true;
    } else if (command == "help") {
      cl.show_help = true;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unrecognized command: \"", command, "\""));
    }
  }
  if (cl.show_help || cl.show_version)
    return cl;

  // The config file first, then every flag over it, whatever their order on the line.
  if (!config_file.empty()) {
    LATTICE_ASSIGN_OR_RETURN(cl.options, LoadConfigFile(config_file, cl.options));
  }
  TlsFlags tls;
  for (const FlagValue& flag : flags)
    LATTICE_RETURN_IF_ERROR(ApplyFlag(flag, &cl, &tls));
  if (tls.tls || tls.verify) {
    TlsOptions options = tls.files;
    options.verify = tls.verify;
    cl.options.tls = options;
  } else if (tls.any_file) {
    return absl::InvalidArgumentError(
        "--tlscert, --tlskey and --tlscacert need --tls or --tlsverify");
  }
  absl::Status valid = ValidateOptions(cl.options);
  if (!valid.ok())
    return valid;
  return cl;
}

std::string UsageText() {
  return R"(Usage: lattice-node [options]

lattice-node is a NATS server; it reads nats-server configuration files and the common
nats-server flags. Flags override the configuration file.

Server:
    -a, --addr, --net <host>         Host to accept clients on (default: 0.0.0.0)
    -p, --port <port>                Client port (default: 4222; -1 picks a free port)
    -n, --name, --server_name <name> Server name (default: the server id)
    -c, --config <file>              Configuration file (nats-server syntax)
    -t                               Check the configuration and exit
    -P, --pid <file>                 Write the process id to this file
    -m, --http_port <port>           Monitoring HTTP port (/varz, /connz, ...)
        --http_host <host>           Monitoring HTTP host (default: 0.0.0.0)
        --client_advertise <host:port>  Address advertised to clients
    -sl, --signal <signal>[=<pid>]   Signal a running server: ldm, stop, quit, term, reopen,
                                     reload (pid may be a number or a pid file)

Logging:
    -l, --log <file>                 Log to this file instead of stderr
    -T, --logtime                    Timestamp log lines (default: true; -T=false turns off)
    -D, --debug                      Debug logging
    -V, --trace                      Trace the protocol
    -DV                              Debug and trace

Authorization:
        --user <user>                User required to connect
        --pass <password>            Password required to connect
        --auth <token>               Token required to connect

TLS:
        --tls                        Enable TLS without verifying clients
        --tlsverify                  Enable TLS and verify client certificates
        --tlscert <file>             Server certificate
        --tlskey <file>              Server private key
        --tlscacert <file>           CA for verifying client certificates

Cluster:
        --cluster, --cluster_listen <url>  Listen for routes, e.g. nats://0.0.0.0:6222
        --cluster_name <name>        Cluster name
        --routes <url,url,...>       Routes to connect to
        --no_advertise               Do not advertise cluster addresses to clients

Other:
    -h, --help                       Show this text
    -v, --version                    Show the version

Not supported (refused with an error): JetStream (-js, -sd), HTTPS monitoring (-ms), syslog
(-s, -r), verbose tracing (-VV, -DVV), profiling, ports files, log rotation.
)";
}

}  // namespace lattice::options
