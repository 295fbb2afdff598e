// latticectl: key, JWT and creds management (offline, on a key store) and the control plane's
// admin commands (over gRPC, with --server/--token).
#include <iostream>
#include <string>
#include <vector>

#include "common/jwt/claims.h"
#include "tools/latticectl/cli.h"
#include "tools/latticectl_admin/admin_cli.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (lattice::latticectl_admin::IsAdminCommand(args)) {
    return lattice::latticectl_admin::RunAdminCommand(args, std::cout, std::cerr);
  }
  const int code = lattice::latticectl::Run(args, std::cout, std::cerr, lattice::jwt::NowSeconds());
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::cout << "\nControl-plane commands (with --server HOST:PORT --token T):\n"
              << lattice::latticectl_admin::AdminUsage() << "\n";
  }
  return code;
}
