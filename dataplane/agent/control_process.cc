// ControlProcess: lattice-control from the runfiles for the agent's component tests.
#include "dataplane/agent/control_process.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <vector>

#include "absl/strings/str_cat.h"

namespace lattice::agent::testing {
namespace {

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

absl::StatusOr<ControlProcess> ControlProcess::Start(const std::string& data_dir, int port,
                                                     const std::string& token) {
  absl::StatusOr<std::string> binary = ControlBinary();
  if (!binary.ok())
    return binary.status();
  const std::string tokens = data_dir + ".tokens";
  std::ofstream(tokens, std::ios::trunc) << "agent-test " << token << "\n";
  std::vector<std::string> argv = {
      *binary,         "--data-dir", data_dir, "--listen", absl::StrCat("127.0.0.1:", port),
      "--tokens-file", tokens};
  // Under TSan the child carries the build-wide suppressions (bazel/tsan_suppressions.cc).
  absl::StatusOr<testutil::ChildProcess> child =
      testutil::ChildProcess::Spawn(std::move(argv), data_dir + ".log");
  if (!child.ok())
    return child.status();
  ControlProcess process(*std::move(child), port);
  bool exited = false;
  const bool up = Eventually(
      [&] {
        exited = !process.child_.Running();
        return exited || testutil::CanConnect(port, std::chrono::seconds(1));
      },
      std::chrono::seconds(30));
  if (exited)
    return absl::UnavailableError(absl::StrCat("lattice-control exited: ", process.Log()));
  if (!up)
    return absl::DeadlineExceededError(absl::StrCat("lattice-control not up: ", process.Log()));
  return process;
}

}  // namespace lattice::agent::testing
