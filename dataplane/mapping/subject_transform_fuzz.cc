// Fuzz target: Create + Apply (and a MappingTable) on arbitrary source/destination/subject bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/mapping/mapping_table.h"
#include "dataplane/mapping/subject_transform.h"

namespace {

// Input: source '\n' destination '\n' subject ['\n' roll byte]. Missing parts are empty.
std::vector<std::string_view> Fields(std::string_view in) {
  std::vector<std::string_view> out;
  while (out.size() < 3) {
    size_t nl = in.find('\n');
    out.push_back(in.substr(0, nl));
    in = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
  }
  out.push_back(in);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using lattice::mapping::MapDest;
  using lattice::mapping::MappingTable;
  using lattice::mapping::SubjectTransform;
  const std::vector<std::string_view> f =
      Fields(std::string_view(reinterpret_cast<const char*>(data), size));
  absl::StatusOr<SubjectTransform> t = SubjectTransform::Create(f[0], f[1]);
  if (t.ok()) {
    std::string out;
    const bool applied = t->Apply(f[2], &out);
    if (applied != t->Match(f[2])) {
      std::abort();  // Apply and Match must agree
    }
  }
  MappingTable table("c");
  const uint8_t weight = f[3].empty() ? 100 : static_cast<uint8_t>(f[3][0]) % 101;
  if (table.Add(f[0], {MapDest{std::string(f[1]), weight, ""}}).ok()) {
    std::string out;
    const uint32_t roll = f[3].size() > 1 ? static_cast<uint8_t>(f[3][1]) : 0;
    (void)table.Map(f[2], roll, &out);
  }
  return 0;
}
