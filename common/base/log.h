// Minimal structured logging shared by every process: `LATTICE_LOG(kInfo) << "msg" << x;`
// Lines go to stderr (or a file) as `[pid] 2026/11/27 17:00:00.123456 [INF] msg`, the shape
// nats-server uses, so existing log tooling keeps working.
#pragma once

#include <sstream>
#include <string>

namespace lattice::log {

enum class Level : int { kTrace = 0, kDebug = 1, kInfo = 2, kWarn = 3, kError = 4, kFatal = 5 };

// Thread: any; configure before starting threads.
void SetLevel(Level level);
Level GetLevel();
// Empty path means stderr. Returns false when the file cannot be opened.
bool SetFile(const std::string& path);

void Write(Level level, const std::string& line);

// Collects one line and writes it on destruction.
class LineBuilder {
 public:
  explicit LineBuilder(Level level) : level_(level) {}
  ~LineBuilder() { Write(level_, stream_.str()); }
  template <typename T>
  LineBuilder& operator<<(const T& value) {
    stream_ << value;
    return *this;
  }

 private:
  Level level_;
  std::ostringstream stream_;
};

}  // namespace lattice::log

#define LATTICE_LOG(level)                                         \
  if (::lattice::log::Level::level < ::lattice::log::GetLevel()) { \
  } else                                                           \
    ::lattice::log::LineBuilder(::lattice::log::Level::level)
