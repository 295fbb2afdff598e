// latticectl: offline key, JWT and creds management for Lattice and NATS servers.
#include <iostream>
#include <string>
#include <vector>

#include "common/jwt/claims.h"
#include "tools/latticectl/cli.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return lattice::latticectl::Run(args, std::cout, std::cerr, lattice::jwt::NowSeconds());
}
