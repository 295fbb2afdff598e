// ChildProcess: fork/exec with logs, readiness polling and teardown for accountd tests.
#include "accountd/testing/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace lattice::accountd::testing {
namespace {

sockaddr_in Loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

}  // namespace

absl::StatusOr<int> FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  sockaddr_in addr = Loopback(0);
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    return absl::InternalError(absl::StrCat("bind: ", std::strerror(errno)));
  }
  close(fd);
  return static_cast<int>(ntohs(addr.sin_port));
}

bool WaitForTcp(int port, std::chrono::milliseconds timeout) {
  return Eventually(
      [port] {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
          return false;
        sockaddr_in addr = Loopback(port);
        const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
        close(fd);
        return ok;
      },
      timeout);
}

absl::StatusOr<ChildProcess> ChildProcess::Spawn(std::vector<std::string> argv,
                                                 std::string log_path) {
  std::vector<char*> args;
  for (std::string& arg : argv)
    args.push_back(arg.data());
  args.push_back(nullptr);
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0)
    return absl::InternalError(absl::StrCat("fork: ", std::strerror(errno)));
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
      _exit(127);
    int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return ChildProcess(pid, std::move(log_path));
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(other.pid_), log_path_(std::move(other.log_path_)) {
  other.pid_ = -1;
}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    if (pid_ > 0)
      Kill(SIGKILL);
    pid_ = other.pid_;
    log_path_ = std::move(other.log_path_);
    other.pid_ = -1;
  }
  return *this;
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0)
    Kill(SIGKILL);
}

bool ChildProcess::Running() {
  if (pid_ <= 0)
    return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

int ChildProcess::Kill(int signal_number) {
  if (pid_ <= 0)
    return 0;
  kill(pid_, signal_number);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

std::string ChildProcess::Log() const {
  std::ifstream in(log_path_);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string NatsServerBinary() {
  const char* bin = std::getenv("NATS_SERVER_BIN");
  return bin != nullptr && *bin ? bin : "/usr/sbin/nats-server";
}

bool WaitForLog(ChildProcess& child, const std::string& needle, std::chrono::milliseconds timeout) {
  bool found = false;
  Eventually(
      [&] {
        found = child.Log().find(needle) != std::string::npos;
        return found || !child.Running();
      },
      timeout);
  return found && child.Running();
}

absl::StatusOr<NatsServer> StartNatsServer(const std::string& dir, const std::string& config,
                                           int fixed_port) {
  absl::Status last = absl::UnavailableError("nats-server did not start");
  for (int attempt = 0; attempt < (fixed_port != 0 ? 1 : 3); ++attempt) {
    absl::StatusOr<int> port = fixed_port != 0 ? absl::StatusOr<int>(fixed_port) : FreePort();
    if (!port.ok())
      return port.status();
    const std::string conf = absl::StrCat(dir, "/nats.conf");
    {
      std::ofstream out(conf, std::ios::trunc);
      out << "port: " << *port << "\nhost: 127.0.0.1\n" << config << "\n";
    }
    absl::StatusOr<ChildProcess> child =
        ChildProcess::Spawn({NatsServerBinary(), "-c", conf}, absl::StrCat(dir, "/nats.log"));
    if (!child.ok())
      return child.status();
    if (WaitForLog(*child, "Server is ready", std::chrono::seconds(10)))
      return NatsServer{*std::move(child), *port};
    last = absl::UnavailableError(absl::StrCat("nats-server did not start: ", child->Log()));
  }
  return last;
}

absl::StatusOr<std::string> RunfileBinary(const std::string& relative) {
  for (const char* var : {"TEST_SRCDIR", "RUNFILES_DIR"}) {
    const char* root = std::getenv(var);
    if (root == nullptr || *root == '\0')
      continue;
    const std::string path = absl::StrCat(root, "/lattice/", relative);
    if (access(path.c_str(), X_OK) == 0)
      return path;
  }
  return absl::NotFoundError(absl::StrCat(relative, " not in runfiles (add it to data)"));
}

absl::StatusOr<std::string> AccountdBinary() {
  return RunfileBinary("accountd/accountd");
}

}  // namespace lattice::accountd::testing
