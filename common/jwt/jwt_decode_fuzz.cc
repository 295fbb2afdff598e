// libFuzzer target: arbitrary bytes through the JWT decoder and, when they decode, re-encoding.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/jwt/claims.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view token(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<lattice::jwt::AnyClaims> claims = lattice::jwt::Decode(token);
  if (claims.ok()) {
    // Re-serialising must not throw or crash whatever unknown fields came along.
    std::visit(
        [](const auto& c) {
          (void)lattice::jwt::ToJson(c).dump(-1, ' ', false,
                                             lattice::jwt::Json::error_handler_t::replace);
        },
        *claims);
  }
  (void)lattice::jwt::DecodeVerified(token);
  return 0;
}
