// RFC 4648 base32 (standard alphabet, no padding), as NKeys and JWT ids use it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lattice::encoding {

// Encodes `bytes` with the A-Z2-7 alphabet and no '=' padding.
std::string Base32Encode(std::string_view bytes);

// Decodes unpadded (or padded) base32; nullopt on any character outside the alphabet or on
// trailing bits that a canonical encoder would not produce.
std::optional<std::string> Base32Decode(std::string_view text);

}  // namespace lattice::encoding
