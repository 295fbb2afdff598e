// ControlProcess: fork/exec of lattice-control for the agent's component tests.
#include "dataplane/agent/control_process.h"

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
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"

namespace lattice::agent::testing {
namespace {

sockaddr_in Loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

bool Accepts(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return false;
  sockaddr_in addr = Loopback(port);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

absl::StatusOr<std::string> ControlBinary() {
  for (const char* var : {"TEST_SRCDIR", "RUNFILES_DIR"}) {
    const char* root = std::getenv(var);
    if (root == nullptr || *root == '\0')
      continue;
    std::string path = absl::StrCat(root, "/lattice/controlplane/lattice-control");
    if (access(path.c_str(), X_OK) == 0)
      return path;
  }
  return absl::NotFoundError("controlplane/lattice-control is not in the runfiles");
}

}  // namespace

const char kTsanSuppressions[] =
    "race:libgrpc.so\n"
    "race:libgpr.so\n"
    "race:libabsl_\n";

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

bool Eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

absl::StatusOr<ControlProcess> ControlProcess::Start(const std::string& data_dir, int port,
                                                     const std::string& token) {
  absl::StatusOr<std::string> binary = ControlBinary();
  if (!binary.ok())
    return binary.status();
  const std::string tokens = data_dir + ".tokens";
  std::ofstream(tokens, std::ios::trunc) << "agent-test " << token << "\n";
  const std::string log = data_dir + ".log";
  std::vector<std::string> argv = {
      *binary,         "--data-dir", data_dir, "--listen", absl::StrCat("127.0.0.1:", port),
      "--tokens-file", tokens};
  // Under TSan the child inherits TSAN_OPTIONS; add our suppressions for system libraries.
  std::string tsan_options;
  if (const char* inherited = std::getenv("TSAN_OPTIONS"); inherited != nullptr) {
    const std::string suppressions = data_dir + ".tsan.supp";
    std::ofstream(suppressions, std::ios::trunc) << kTsanSuppressions;
    // The child is the control plane's own code under test elsewhere: its reports (RocksDB is
    // not instrumented either) go to its log without stopping it.
    tsan_options = absl::StrCat(inherited, ":suppressions=", suppressions, ":halt_on_error=0");
  }
  std::vector<char*> args;
  for (std::string& arg : argv)
    args.push_back(arg.data());
  args.push_back(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0)
    return absl::InternalError(absl::StrCat("fork: ", std::strerror(errno)));
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
      _exit(127);
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (!tsan_options.empty())
      setenv("TSAN_OPTIONS", tsan_options.c_str(), 1);
    execv(args[0], args.data());
    _exit(127);
  }
  ControlProcess process(pid, port, log);
  bool exited = false;
  const bool up = Eventually(
      [&] {
        int status = 0;
        if (waitpid(pid, &status, WNOHANG) == pid) {
          exited = true;
          return true;
        }
        return Accepts(port);
      },
      std::chrono::seconds(30));
  if (exited) {
    process.pid_ = -1;
    return absl::UnavailableError(absl::StrCat("lattice-control exited: ", process.Log()));
  }
  if (!up)
    return absl::DeadlineExceededError(absl::StrCat("lattice-control not up: ", process.Log()));
  return process;
}

ControlProcess::ControlProcess(ControlProcess&& other) noexcept
    : pid_(other.pid_), port_(other.port_), log_(std::move(other.log_)) {
  other.pid_ = -1;
}

ControlProcess& ControlProcess::operator=(ControlProcess&& other) noexcept {
  if (this != &other) {
    Kill();
    pid_ = other.pid_;
    port_ = other.port_;
    log_ = std::move(other.log_);
    other.pid_ = -1;
  }
  return *this;
}

ControlProcess::~ControlProcess() {
  Kill();
}

void ControlProcess::Kill() {
  if (pid_ <= 0)
    return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::string ControlProcess::Log() const {
  std::ifstream in(log_);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace lattice::agent::testing
