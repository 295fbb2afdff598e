// latticectl-admin: the control-plane commands of latticectl as a standalone binary (tests and
// until latticectl's dispatcher forwards to RunAdminCommand).
#include <iostream>
#include <string>
#include <vector>

#include "tools/latticectl_admin/admin_cli.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return lattice::latticectl_admin::RunAdminCommand(args, std::cout, std::cerr);
}
