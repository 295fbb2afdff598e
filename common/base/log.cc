#include "common/base/log.h"

#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <ctime>

#include "common/base/mutex.h"

namespace lattice::log {
namespace {

std::atomic<int> g_level{static_cast<int>(Level::kInfo)};
Mutex g_mu;
FILE* g_file ABSL_GUARDED_BY(g_mu) = nullptr;

const char* Tag(Level level) {
  switch (level) {
    case Level::kTrace:
      return "TRC";
    case Level::kDebug:
      return "DBG";
    case Level::kInfo:
      return "INF";
    case Level::kWarn:
      return "WRN";
    case Level::kError:
      return "ERR";
    case Level::kFatal:
      return "FTL";
  }
  return "???";
}

}  // namespace

void SetLevel(Level level) {
  g_level.store(static_cast<int>(level));
}

Level GetLevel() {
  return static_cast<Level>(g_level.load(std::memory_order_relaxed));
}

bool SetFile(const std::string& path) {
  FILE* file = path.empty() ? nullptr : std::fopen(path.c_str(), "a");
  if (!path.empty() && file == nullptr)
    return false;
  MutexLock lock(&g_mu);
  if (g_file != nullptr)
    std::fclose(g_file);
  g_file = file;
  return true;
}

void Write(Level level, const std::string& line) {
  timeval now;
  gettimeofday(&now, nullptr);
  tm parts;
  localtime_r(&now.tv_sec, &parts);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y/%m/%d %H:%M:%S", &parts);
  MutexLock lock(&g_mu);
  FILE* out = g_file != nullptr ? g_file : stderr;
  std::fprintf(out, "[%d] %s.%06ld [%s] %s\n", static_cast<int>(getpid()), stamp,
               static_cast<long>(now.tv_usec), Tag(level), line.c_str());
  std::fflush(out);
}

}  // namespace lattice::log
