// CRC-16/XMODEM (poly 0x1021, init 0, no reflection), the checksum NKeys append to keys.
#pragma once

#include <cstdint>
#include <string_view>

namespace lattice::encoding {

uint16_t Crc16(std::string_view bytes);

}  // namespace lattice::encoding
