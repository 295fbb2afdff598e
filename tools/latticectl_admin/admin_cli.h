// latticectl's control-plane commands: the Admin gRPC API from the command line, with tables for
// people and --json for scripts. Callable in-process so tests drive it without a subprocess.
//
//   latticectl --server 127.0.0.1:7600 --token T account list
//   latticectl --server ... plan account push team.jwt      # prints the diff, writes nothing
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace lattice::latticectl_admin {

// True when `args` (program name excluded) ask for a control-plane command: a --server flag
// is present, or LATTICE_SERVER is set and the first word is an admin command.
bool IsAdminCommand(const std::vector<std::string>& args);

// Runs one admin command and returns the exit code: 0 success, 1 failure (message on `err`;
// also a dry run whose plan has validation errors), 2 usage error.
// Global flags (anywhere): --server HOST:PORT (or LATTICE_SERVER), --token T (or
// LATTICE_TOKEN), --json, --tls-ca PEM [--tls-cert PEM --tls-key PEM] for TLS/mTLS.
int RunAdminCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

std::string AdminUsage();

}  // namespace lattice::latticectl_admin
