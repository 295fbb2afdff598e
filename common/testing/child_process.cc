// ChildProcess: fork/exec with a log file, PDEATHSIG and reaping (see child_process.h).
#include "common/testing/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

#include "common/testing/eventually.h"

extern char** environ;

namespace lattice::testutil {
namespace {

// The test's environment with `env` added or replacing same-named entries ("NAME=value").
std::vector<std::string> MergedEnvironment(const ChildProcess::Env& env) {
  std::vector<std::string> out;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string current(*entry);
    const std::string name = current.substr(0, current.find('='));
    bool replaced = false;
    for (const auto& [key, value] : env)
      replaced = replaced || key == name;
    if (!replaced)
      out.push_back(current);
  }
  for (const auto& [key, value] : env)
    out.push_back(absl::StrCat(key, "=", value));
  return out;
}

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (std::string& s : strings)
    out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

absl::StatusOr<ChildProcess> ChildProcess::Spawn(std::vector<std::string> argv,
                                                 std::string log_path, const Env& env) {
  if (argv.empty())
    return absl::InvalidArgumentError("ChildProcess::Spawn: empty argv");
  // Everything the child needs is prepared here: after fork only async-signal-safe calls.
  std::vector<std::string> environment = MergedEnvironment(env);
  std::vector<char*> args = Pointers(argv);
  std::vector<char*> envp = Pointers(environment);
  const int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0)
    return absl::InternalError(absl::StrCat("open ", log_path, ": ", std::strerror(errno)));
  const int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    const int err = errno;
    close(log_fd);
    if (null_fd >= 0)
      close(null_fd);
    return absl::InternalError(absl::StrCat("fork: ", std::strerror(err)));
  }
  if (pid == 0) {
    // Die with the test; if it already died before prctl, do not outlive it.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
      _exit(126);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    if (null_fd >= 0)
      dup2(null_fd, STDIN_FILENO);
    execve(args[0], args.data(), envp.data());
    _exit(127);
  }
  close(log_fd);
  if (null_fd >= 0)
    close(null_fd);
  return ChildProcess(pid, std::move(log_path));
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(other.pid_), log_path_(std::move(other.log_path_)), wait_status_(other.wait_status_) {
  other.pid_ = -1;
  other.wait_status_.reset();
}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    Reset();
    pid_ = other.pid_;
    log_path_ = std::move(other.log_path_);
    wait_status_ = other.wait_status_;
    other.pid_ = -1;
    other.wait_status_.reset();
  }
  return *this;
}

ChildProcess::~ChildProcess() {
  Reset();
}

void ChildProcess::Reset() {
  if (pid_ > 0 && !wait_status_.has_value())
    Kill(SIGKILL);
}

bool ChildProcess::Running() {
  if (pid_ <= 0 || wait_status_.has_value())
    return false;
  int status = 0;
  const pid_t rc = waitpid(pid_, &status, WNOHANG);
  if (rc == pid_) {
    wait_status_ = status;
    return false;
  }
  if (rc < 0 && errno == ECHILD) {
    wait_status_ = 0;  // Reaped elsewhere; nothing more to learn.
    return false;
  }
  return true;
}

absl::Status ChildProcess::Signal(int signal_number) {
  if (!Running())
    return absl::FailedPreconditionError("child is not running");
  if (kill(pid_, signal_number) != 0)
    return absl::InternalError(absl::StrCat("kill: ", std::strerror(errno)));
  return absl::OkStatus();
}

int ChildProcess::Kill(int signal_number) {
  if (pid_ <= 0)
    return 0;
  if (wait_status_.has_value())
    return *wait_status_;
  kill(pid_, signal_number);
  int status = 0;
  pid_t rc;
  do {
    rc = waitpid(pid_, &status, 0);
  } while (rc < 0 && errno == EINTR);
  wait_status_ = rc == pid_ ? status : 0;
  return *wait_status_;
}

absl::StatusOr<int> ChildProcess::WaitExit(std::chrono::milliseconds timeout) {
  if (pid_ <= 0)
    return absl::FailedPreconditionError("child was never started");
  if (!Eventually([&] { return !Running(); }, timeout))
    return absl::DeadlineExceededError(absl::StrCat("pid ", pid_, " still running"));
  return *wait_status_;
}

int ChildProcess::Terminate(std::chrono::milliseconds timeout) {
  if (pid_ <= 0)
    return 0;
  if (Running())
    kill(pid_, SIGTERM);
  absl::StatusOr<int> status = WaitExit(timeout);
  return status.ok() ? *status : Kill(SIGKILL);
}

std::string ChildProcess::Log() const {
  std::ifstream in(log_path_, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string DescribeWaitStatus(int status) {
  if (WIFEXITED(status))
    return absl::StrCat("exited ", WEXITSTATUS(status));
  if (WIFSIGNALED(status))
    return absl::StrCat("killed by signal ", WTERMSIG(status));
  return absl::StrCat("wait status ", status);
}

int ExitCode(int status) {
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return -1;
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

}  // namespace lattice::testutil
