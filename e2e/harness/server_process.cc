// Starts and stops a NATS server process for e2e tests (see server_process.h).
#include "e2e/harness/server_process.h"

#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

#include "common/base/status_macros.h"
#include "e2e/harness/eventually.h"
#include "e2e/harness/net.h"

namespace lattice::e2e {
namespace {

constexpr int kLaunchAttempts = 3;

bool IsExecutable(const std::string& path) {
  return access(path.c_str(), X_OK) == 0;
}

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* value = getenv(name);
  return value != nullptr && value[0] != '\0' ? std::string(value) : fallback;
}

// Unique suffix for log names when one test starts several servers.
int NextServerIndex() {
  static std::atomic<int> next{0};
  return next.fetch_add(1);
}

}  // namespace

const char* ServerKindName(ServerKind kind) {
  return kind == ServerKind::kNatsServer ? "nats_server" : "lattice_node";
}

absl::StatusOr<std::string> ServerBinary(ServerKind kind) {
  std::vector<std::string> candidates;
  if (kind == ServerKind::kNatsServer) {
    candidates.push_back(EnvOr("NATS_SERVER_BIN", "/usr/sbin/nats-server"));
  } else {
    candidates.push_back(EnvOr("LATTICE_NODE_BIN", ""));
    for (const char* root : {"TEST_SRCDIR", "RUNFILES_DIR"}) {
      std::string dir = EnvOr(root, "");
      if (!dir.empty()) {
        candidates.push_back(dir + "/lattice/dataplane/lattice-node");
      }
    }
  }
  for (const std::string& path : candidates) {
    if (!path.empty() && IsExecutable(path)) {
      return path;
    }
  }
  return absl::NotFoundError(absl::StrCat("no executable for ", ServerKindName(kind)));
}

absl::StatusOr<std::unique_ptr<ServerProcess>> ServerProcess::Start(ServerKind kind,
                                                                    ServerConfig config) {
  std::unique_ptr<ServerProcess> server(new ServerProcess(kind, std::move(config)));
  LATTICE_ASSIGN_OR_RETURN(server->binary_, ServerBinary(kind));
  LATTICE_ASSIGN_OR_RETURN(server->dir_, MakeTempDir(ServerKindName(kind)));
  server->log_path_ = absl::StrCat(OutputDir(), "/", ServerKindName(kind), "-", getpid(), "-",
                                   NextServerIndex(), ".log");
  if (!server->config_.config_text.empty()) {
    server->config_path_ = server->dir_ + "/server.conf";
    LATTICE_RETURN_IF_ERROR(WriteFile(server->config_path_, server->config_.config_text));
  }
  absl::Status status;
  for (int attempt = 0; attempt < kLaunchAttempts; ++attempt) {
    LATTICE_ASSIGN_OR_RETURN(server->port_, FreePort());
    if (server->config_.monitoring) {
      LATTICE_ASSIGN_OR_RETURN(server->http_port_, FreePort());
    }
    status = server->Launch();
    // Retry only a lost port race; any other failure (bad config, crash) is the answer.
    if (!absl::IsUnavailable(status) ||
        !absl::StrContains(absl::AsciiStrToLower(server->ReadLog()), "address already in use")) {
      break;
    }
  }
  if (!status.ok()) {
    return absl::Status(
        status.code(), absl::StrCat(status.message(), "\n--- server log ---\n", server->ReadLog()));
  }
  return server;
}

ServerProcess::~ServerProcess() {
  (void)Stop();
}

std::vector<std::string> ServerProcess::Argv() const {
  std::vector<std::string> argv = {binary_, "-a", "127.0.0.1", "-p", std::to_string(port_)};
  if (config_.monitoring) {
    argv.insert(argv.end(), {"-m", std::to_string(http_port_)});
  }
  if (!config_path_.empty()) {
    argv.insert(argv.end(), {"-c", config_path_});
  }
  argv.insert(argv.end(), config_.args.begin(), config_.args.end());
  return argv;
}

absl::Status ServerProcess::Launch() {
  std::vector<std::string> argv = Argv();
  std::string banner = "=== exec:";
  for (const std::string& arg : argv) {
    absl::StrAppend(&banner, " ", arg);
  }
  {
    std::ofstream log(log_path_, std::ios::app);
    log << banner << "\n";
    if (!log) {
      return absl::InternalError(absl::StrCat("cannot write ", log_path_));
    }
  }
  absl::StatusOr<testutil::ChildProcess> child =
      testutil::ChildProcess::Spawn(std::move(argv), log_path_);
  if (!child.ok()) {
    return child.status();
  }
  child_.emplace(*std::move(child));
  bool died = false;
  bool ready = Eventually(
      [&] {
        if (!child_->Running()) {
          died = true;
          return true;
        }
        // Ready when every port the server was given accepts (the monitoring listener may come
        // up after the client one).
        for (int port : {port_, http_port_}) {
          if (port != 0 && !testutil::CanConnect(port, std::chrono::milliseconds(200))) {
            return false;
          }
        }
        return true;
      },
      config_.ready_timeout);
  if (died) {
    return absl::UnavailableError(absl::StrCat(
        ServerKindName(kind_), " on port ", port_, " ",
        DescribeWaitStatus(child_->wait_status().value_or(0)), " before accepting connections"));
  }
  if (!ready) {
    (void)Stop();
    return absl::DeadlineExceededError(
        absl::StrCat(ServerKindName(kind_), " did not accept TCP on port ", port_,
                     http_port_ != 0 ? absl::StrCat(" and monitoring port ", http_port_) : ""));
  }
  return absl::OkStatus();
}

std::string ServerProcess::ReadLog() const {
  return ReadFileOrEmpty(log_path_);
}

std::string ServerProcess::url() const {
  return absl::StrCat("nats://127.0.0.1:", port_);
}

absl::Status ServerProcess::RewriteConfig(const std::string& text) {
  if (config_path_.empty()) {
    return absl::FailedPreconditionError("server was started without a config file");
  }
  config_.config_text = text;
  return WriteFile(config_path_, text);
}

absl::Status ServerProcess::Signal(int signal_number) {
  if (!child_.has_value() || !child_->Running()) {
    return absl::FailedPreconditionError("server is not running");
  }
  return child_->Signal(signal_number);
}

bool ServerProcess::Running() {
  return child_.has_value() && child_->Running();
}

absl::StatusOr<int> ServerProcess::WaitExit(std::chrono::milliseconds timeout) {
  if (!child_.has_value()) {
    return absl::FailedPreconditionError("server was never started");
  }
  absl::StatusOr<int> status = child_->WaitExit(timeout);
  if (!status.ok()) {
    return absl::DeadlineExceededError(absl::StrCat(ServerKindName(kind_), " still running"));
  }
  return status;
}

absl::StatusOr<int> ServerProcess::Stop(std::chrono::milliseconds timeout) {
  if (!child_.has_value()) {
    return absl::FailedPreconditionError("server was never started");
  }
  return child_->Terminate(timeout);
}

absl::Status ServerProcess::Restart() {
  if (Running()) {
    return absl::FailedPreconditionError("stop the server before restarting it");
  }
  return Launch();
}

}  // namespace lattice::e2e
