// nats-server and accountd children for accountd tests, over common/testing.
#include "accountd/testing/process.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "absl/strings/str_cat.h"

namespace lattice::accountd::testing {

std::string NatsServerBinary() {
  const char* bin = std::getenv("NATS_SERVER_BIN");
  return bin != nullptr && *bin ? bin : "/usr/sbin/nats-server";
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
