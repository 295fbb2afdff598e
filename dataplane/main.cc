// lattice-node: the dataplane NATS server process.
#include <signal.h>

#include <cstring>

#include "common/base/log.h"

int main(int argc, char** argv) {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  LATTICE_LOG(kInfo) << "Starting lattice-node";
  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  LATTICE_LOG(kInfo) << "Received " << strsignal(signal_number) << ", exiting";
  return 0;
}
