// lattice-node: the dataplane NATS server process (flags, logging, pid file, signals).
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/numbers.h"

#include "common/base/log.h"
#include "dataplane/agent/managed_node.h"
#include "dataplane/monitor/http_server.h"
#include "dataplane/options/options.h"
#include "dataplane/server/monitor_adapter.h"
#include "dataplane/server/server.h"
#include "dataplane/server/system_events.h"

namespace lattice {
namespace {

void ConfigureLogging(const options::Options& opts) {
  if (opts.trace) {
    log::SetLevel(log::Level::kTrace);
  } else if (opts.debug) {
    log::SetLevel(log::Level::kDebug);
  } else {
    log::SetLevel(log::Level::kInfo);
  }
  if (!opts.log_file.empty() && !log::SetFile(opts.log_file)) {
    std::fprintf(stderr, "cannot open log file %s\n", opts.log_file.c_str());
  }
}

// `--signal <cmd>=<pid or pid file>`, as nats-server's -sl: sends the matching signal.
int SendSignalCommand(const std::string& spec) {
  std::string command = spec;
  std::string target;
  size_t eq = spec.find('=');
  if (eq != std::string::npos) {
    command = spec.substr(0, eq);
    target = spec.substr(eq + 1);
  }
  int signal_number = 0;
  if (command == "ldm") {
    signal_number = SIGUSR2;
  } else if (command == "stop") {
    signal_number = SIGKILL;
  } else if (command == "quit") {
    signal_number = SIGINT;
  } else if (command == "term") {
    signal_number = SIGTERM;
  } else if (command == "reload") {
    signal_number = SIGHUP;
  } else if (command == "reopen") {
    signal_number = SIGUSR1;
  } else {
    std::fprintf(stderr, "unknown signal \"%s\"\n", command.c_str());
    return 1;
  }
  if (target.empty()) {
    std::fprintf(stderr, "--signal %s needs a pid: %s=<pid>\n", command.c_str(), command.c_str());
    return 1;
  }
  int pid = 0;
  if (!absl::SimpleAtoi(target, &pid)) {
    // Not a number: a pid file.
    std::ifstream in(target);
    std::string text;
    if (!in || !(in >> text) || !absl::SimpleAtoi(text, &pid)) {
      std::fprintf(stderr, "cannot read a pid from \"%s\"\n", target.c_str());
      return 1;
    }
  }
  if (pid <= 0 || kill(pid, signal_number) != 0) {
    std::fprintf(stderr, "signal %s to pid %d failed: %s\n", command.c_str(), pid,
                 std::strerror(errno));
    return 1;
  }
  return 0;
}

bool WritePidFile(const std::string& path) {
  std::ofstream out(path, std::ios::trunc);
  out << getpid();
  return static_cast<bool>(out);
}

// Options the config and flag parser understands but this node cannot honour yet. Refused
// rather than ignored: a node asked for a cluster must not silently run alone.
absl::Status RefuseUnwiredFeatures(const options::Options& opts) {
  if (opts.cluster.port != 0 || !opts.cluster.routes.empty() || !opts.cluster.name.empty()) {
    return absl::UnimplementedError(
        "clustering (cluster {} / --cluster / --routes / --cluster_name) is not supported by "
        "lattice-node yet");
  }
  return absl::OkStatus();
}

// Parses the command line; with --control the agent's flags are split off first and the
// options get the managed defaults (agent::ApplyManagedOptions).
absl::StatusOr<options::CommandLine> ParseNodeCommandLine(const agent::NodeArgs& args) {
  auto command_line = options::ParseCommandLine(args.argc(), args.argv());
  if (command_line.ok() && args.managed && !command_line->show_help &&
      !command_line->show_version && command_line->signal.empty()) {
    absl::Status managed = agent::ApplyManagedOptions(args.agent, &command_line->options);
    if (!managed.ok())
      return managed;
  }
  return command_line;
}

std::string NodeUsageText() {
  return options::UsageText() + "\n" + agent::AgentFlagsUsage() +
         "    With --control, --cluster NAME (no \"://\") is the node's cluster on the control\n"
         "    plane; --cluster nats://host:port stays nats-server's cluster listen URL.\n";
}

int Run(int argc, char** argv) {
  auto node_args = agent::SplitNodeArgs(argc, argv);
  if (!node_args.ok()) {
    std::fprintf(stderr, "lattice-node: %s\n", std::string(node_args.status().message()).c_str());
    return 1;
  }
  auto command_line = ParseNodeCommandLine(*node_args);
  if (!command_line.ok()) {
    std::fprintf(stderr, "lattice-node: %s\n%s",
                 std::string(command_line.status().message()).c_str(), NodeUsageText().c_str());
    return 1;
  }
  if (command_line->show_help) {
    std::fputs(NodeUsageText().c_str(), stdout);
    return 0;
  }
  absl::StatusOr<std::optional<agent::AgentConfig>> agent_config =
      agent::AgentConfigFromFlags(node_args->agent);
  if (!agent_config.ok()) {
    std::fprintf(stderr, "lattice-node: %s\n",
                 std::string(agent_config.status().message()).c_str());
    return 1;
  }
  if (command_line->show_version) {
    std::printf("lattice-node: v%s (nats-server %s compatible)\n",
                std::string(server::kLatticeVersion).c_str(),
                std::string(server::kNatsCompatVersion).c_str());
    return 0;
  }
  if (!command_line->signal.empty()) {
    return SendSignalCommand(command_line->signal);
  }
  if (absl::Status unwired = RefuseUnwiredFeatures(command_line->options); !unwired.ok()) {
    std::fprintf(stderr, "lattice-node: %s\n", std::string(unwired.message()).c_str());
    return 1;
  }
  if (command_line->check_config) {
    // Operator mode: the operator JWTs, resolver and preloads are read and verified too.
    if (absl::Status s = server::Server::CheckOperatorConfig(command_line->options); !s.ok()) {
      std::fprintf(stderr, "lattice-node: %s\n", std::string(s.message()).c_str());
      return 1;
    }
    std::printf("lattice-node: configuration is valid\n");
    return 0;
  }
  ConfigureLogging(command_line->options);
  if (agent_config->has_value()) {
    // A managed node holds its last-known-good accounts before the port opens, so the first
    // clients after a restart are not refused while the agent starts (control plane up or not).
    agent::PreloadSavedAccounts(**agent_config, &command_line->options);
  }
  const options::Options& opts = command_line->options;

  // Every thread inherits this mask; the signal thread below is the only one that takes them.
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2}) {
    sigaddset(&signals, s);
  }
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  LATTICE_LOG(kInfo) << "Starting lattice-node";
  LATTICE_LOG(kInfo) << "  Version:  " << server::kLatticeVersion << " (nats-server "
                     << server::kNatsCompatVersion << " compatible)";
  server::Server node(opts);
  if (agent_config->has_value()) {
    // A managed node reports its client interest to the control plane; unmanaged nodes skip
    // this and their sessions pay nothing for it.
    node.EnableInterestReporting();
  }
  absl::Status status = node.Start();
  if (!status.ok()) {
    LATTICE_LOG(kFatal) << "Error starting server: " << status.message();
    return 1;
  }
  LATTICE_LOG(kInfo) << "  Name:     "
                     << (opts.server_name.empty() ? node.server_id() : opts.server_name);
  LATTICE_LOG(kInfo) << "  ID:       " << node.server_id();
  if (!opts.config_file.empty()) {
    LATTICE_LOG(kInfo) << "Using configuration file: " << opts.config_file;
  }
  if (!opts.pid_file.empty() && !WritePidFile(opts.pid_file)) {
    LATTICE_LOG(kError) << "Could not write pid file " << opts.pid_file;
  }
  // Monitoring (-m / http_port) reads the server through MonitorAdapter on its own threads.
  server::MonitorAdapter monitor_source(node);
  // System-account events and $SYS request services (nothing when there is no system account).
  server::SystemEvents system_events(node, monitor_source);
  if (absl::Status events_status = system_events.Start(); !events_status.ok()) {
    LATTICE_LOG(kError) << "System account events disabled: " << events_status.message();
  }
  std::unique_ptr<monitor::HttpServer> http;
  if (opts.http_port != 0) {
    http = std::make_unique<monitor::HttpServer>(monitor_source);
    absl::Status http_status = http->Start(opts.http_host, opts.http_port < 0 ? 0 : opts.http_port);
    if (!http_status.ok()) {
      LATTICE_LOG(kFatal) << "Error starting monitoring: " << http_status.message();
      node.Shutdown();
      return 1;
    }
    LATTICE_LOG(kInfo) << "Starting http monitor on " << opts.http_host << ":" << http->port();
  }
  // --control: the control plane is the account source (last-known-good bundle first).
  std::unique_ptr<agent::ManagedNode> managed;
  if (agent_config->has_value()) {
    auto started =
        agent::ManagedNode::Start(**std::move(agent_config), node.operator_mode(),
                                  {"nats://" + opts.host + ":" + std::to_string(node.port())},
                                  {node.interest_tracker(), node.interest_source()});
    if (!started.ok()) {
      LATTICE_LOG(kFatal) << "Error starting the node agent: " << started.status().message();
      node.Shutdown();
      return 1;
    }
    managed = *std::move(started);
  }
  LATTICE_LOG(kInfo) << "Listening for client connections on " << opts.host << ":" << node.port();
  LATTICE_LOG(kInfo) << "Server is ready";

  std::atomic<bool> exiting{false};
  std::thread signal_thread([&] {
    for (;;) {
      int signal_number = 0;
      if (sigwait(&signals, &signal_number) != 0) {
        continue;
      }
      if (exiting.load()) {
        return;
      }
      switch (signal_number) {
        case SIGINT:
        case SIGTERM:
          LATTICE_LOG(kInfo) << "Trapped \"" << strsignal(signal_number) << "\" signal";
          node.Shutdown();
          return;
        case SIGUSR2:
          LATTICE_LOG(kInfo) << "Trapped \"" << strsignal(signal_number) << "\" signal";
          node.EnterLameDuckMode();
          break;
        case SIGUSR1:
          // Reopen the log file (log rotation), as nats-server does.
          ConfigureLogging(*node.options());
          break;
        case SIGHUP: {
          auto reloaded = ParseNodeCommandLine(*node_args);
          if (!reloaded.ok()) {
            LATTICE_LOG(kError) << "Failed to reload server configuration: "
                                << reloaded.status().message();
            break;
          }
          absl::Status s = RefuseUnwiredFeatures(reloaded->options);
          if (s.ok())
            s = node.Reload(reloaded->options);
          if (!s.ok()) {
            LATTICE_LOG(kError) << "Failed to reload server configuration: " << s.message();
            break;
          }
          ConfigureLogging(reloaded->options);
          break;
        }
        default:
          break;
      }
    }
  });

  node.WaitForShutdown();
  if (managed != nullptr) {
    managed->Stop();
  }
  if (http != nullptr) {
    http->Stop();
  }
  exiting.store(true);
  pthread_kill(signal_thread.native_handle(), SIGUSR1);
  signal_thread.join();
  if (!opts.pid_file.empty()) {
    unlink(opts.pid_file.c_str());
  }
  LATTICE_LOG(kInfo) << "Server Exiting..";
  return 0;
}

}  // namespace
}  // namespace lattice

int main(int argc, char** argv) {
  return lattice::Run(argc, argv);
}
