// /proc readers for lattice-bench's memory and CPU reports.
#include "tools/bench/proc_stats.h"

#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/numbers.h"

namespace lattice::bench {

std::optional<uint64_t> ReadRssBytes(pid_t pid) {
  if (pid <= 0) {
    return std::nullopt;
  }
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      std::istringstream fields(line.substr(6));
      uint64_t kb = 0;
      if (fields >> kb) {
        return kb * 1024;
      }
      return std::nullopt;
    }
  }
  return std::nullopt;
}

std::optional<double> ReadCpuSeconds(pid_t pid) {
  if (pid <= 0) {
    return std::nullopt;
  }
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The command name may hold spaces and parentheses: fields restart after the last ')'.
  size_t paren = stat.rfind(')');
  if (paren == std::string::npos) {
    return std::nullopt;
  }
  std::istringstream fields(stat.substr(paren + 1));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  // After ')' come state (3), ppid (4), ... utime is field 14 and stime 15.
  for (int i = 3; i <= 15; ++i) {
    if (!(fields >> field)) {
      return std::nullopt;
    }
    if ((i == 14 && !absl::SimpleAtoi(field, &utime)) ||
        (i == 15 && !absl::SimpleAtoi(field, &stime))) {
      return std::nullopt;
    }
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double SelfCpuSeconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  auto secs = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  return secs(ru.ru_utime) + secs(ru.ru_stime);
}

CpuMeter::CpuMeter(pid_t server_pid)
    : server_pid_(server_pid),
      bench_start_(SelfCpuSeconds()),
      server_start_(ReadCpuSeconds(server_pid)) {}

void CpuMeter::Stop() {
  bench_ = SelfCpuSeconds() - bench_start_;
  std::optional<double> end = ReadCpuSeconds(server_pid_);
  server_ = (server_start_ && end) ? *end - *server_start_ : -1;
}

}  // namespace lattice::bench
