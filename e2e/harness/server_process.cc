// Starts and stops a NATS server process for e2e tests (see server_process.h).
#include "e2e/harness/server_process.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

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

std::string DescribeWaitStatus(int status) {
  if (WIFEXITED(status)) {
    return absl::StrCat("exited ", WEXITSTATUS(status));
  }
  if (WIFSIGNALED(status)) {
    return absl::StrCat("killed by signal ", WTERMSIG(status));
  }
  return absl::StrCat("wait status ", status);
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
    LATTICE_ASSIGN_OR_RETURN(server->port_, AllocatePort());
    if (server->config_.monitoring) {
      LATTICE_ASSIGN_OR_RETURN(server->http_port_, AllocatePort());
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
  std::vector<std::string> args = Argv();
  std::vector<char*> argv;
  for (std::string& arg : args) {
    argv.push_back(arg.data());
  }
  argv.push_back(nullptr);
  int log_fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    return absl::InternalError(absl::StrCat("open ", log_path_, ": ", strerror(errno)));
  }
  std::string banner = "=== exec:";
  for (const std::string& arg : args) {
    absl::StrAppend(&banner, " ", arg);
  }
  banner += "\n";
  (void)!write(log_fd, banner.data(), banner.size());
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    close(log_fd);
    return absl::InternalError(absl::StrCat("fork: ", strerror(errno)));
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec. Die with the test process.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) {
      _exit(126);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) {
      dup2(devnull, STDIN_FILENO);
    }
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(log_fd);
  pid_ = pid;
  exited_ = false;
  bool died = false;
  bool ready = Eventually(
      [&] {
        if (!Running()) {
          died = true;
          return true;
        }
        // Ready when every port the server was given accepts (the monitoring listener may come
        // up after the client one).
        for (int port : {port_, http_port_}) {
          if (port == 0) {
            continue;
          }
          absl::StatusOr<int> fd = ConnectTcp(port, std::chrono::milliseconds(200));
          if (!fd.ok()) {
            return false;
          }
          close(*fd);
        }
        return true;
      },
      config_.ready_timeout);
  if (died) {
    return absl::UnavailableError(absl::StrCat(ServerKindName(kind_), " on port ", port_, " ",
                                               DescribeWaitStatus(wait_status_),
                                               " before accepting connections"));
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
  if (pid_ <= 0 || exited_) {
    return absl::FailedPreconditionError("server is not running");
  }
  if (kill(pid_, signal_number) != 0) {
    return absl::InternalError(absl::StrCat("kill: ", strerror(errno)));
  }
  return absl::OkStatus();
}

bool ServerProcess::Running() {
  if (pid_ <= 0 || exited_) {
    return false;
  }
  int status = 0;
  pid_t rc = waitpid(pid_, &status, WNOHANG);
  if (rc == pid_ || (rc < 0 && errno == ECHILD)) {
    exited_ = true;
    wait_status_ = status;
    return false;
  }
  return true;
}

absl::StatusOr<int> ServerProcess::WaitExit(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) {
    return absl::FailedPreconditionError("server was never started");
  }
  if (!Eventually([&] { return !Running(); }, timeout)) {
    return absl::DeadlineExceededError(absl::StrCat(ServerKindName(kind_), " still running"));
  }
  return wait_status_;
}

absl::StatusOr<int> ServerProcess::Stop(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) {
    return absl::FailedPreconditionError("server was never started");
  }
  if (!Running()) {
    return wait_status_;
  }
  kill(pid_, SIGTERM);
  absl::StatusOr<int> status = WaitExit(timeout);
  if (status.ok()) {
    return status;
  }
  kill(pid_, SIGKILL);
  return WaitExit(std::chrono::milliseconds(10000));
}

absl::Status ServerProcess::Restart() {
  if (Running()) {
    return absl::FailedPreconditionError("stop the server before restarting it");
  }
  return Launch();
}

}  // namespace lattice::e2e
