// libFuzzer target: any bytes must parse or fail cleanly, and every accessor must be safe.
#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"

#include "common/config/parser.h"

namespace {

// Walks the tree touching every value so that broken invariants surface under sanitizers.
size_t Walk(const lattice::config::ConfigValue& value) {
  using Kind = lattice::config::ConfigValue::Kind;
  size_t count = 1 + value.location().ToString().size() % 2;
  switch (value.kind()) {
    case Kind::kArray:
      for (const auto& element : value.array())
        count += Walk(element);
      break;
    case Kind::kMap:
      for (const auto& [key, child] : value.entries()) {
        count += Walk(child);
        count += value.Find(key) == nullptr ? 1 : 0;
      }
      break;
    default:
      count += lattice::config::GetDuration(value).ok() ? 1 : 0;
      count += lattice::config::GetSize(value).ok() ? 1 : 0;
      break;
  }
  return count;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  // The virtual file lives in a directory that does not exist, so includes fail cleanly
  // instead of reading the host's files.
  auto parsed = lattice::config::ParseConfigString(text, "/nonexistent-fuzz-dir/fuzz.conf");
  if (parsed.ok())
    Walk(*parsed);
  return 0;
}
