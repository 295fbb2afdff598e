// bcrypt (libxcrypt crypt_rn) and constant-time comparison of configured secrets.
#include "dataplane/auth/password.h"

#include <crypt.h>

#include <cstring>
#include <memory>
#include <string>

namespace lattice::auth {

bool IsBcrypt(std::string_view secret) {
  // ^\$2[abxy]\$\d{2}\$
  if (secret.size() < 7 || secret[0] != '$' || secret[1] != '2') {
    return false;
  }
  char v = secret[2];
  if (v != 'a' && v != 'b' && v != 'x' && v != 'y') {
    return false;
  }
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  return secret[3] == '$' && digit(secret[4]) && digit(secret[5]) && secret[6] == '$';
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  // Compare over the longer length so the loop count does not reveal the first mismatch;
  // a length difference is folded into the result.
  size_t n = a.size() > b.size() ? a.size() : b.size();
  volatile unsigned char diff = static_cast<unsigned char>(a.size() != b.size());
  for (size_t i = 0; i < n; ++i) {
    unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff = diff | static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

namespace {

bool BcryptMatches(std::string_view hash, std::string_view client) {
  // crypt_rn takes C strings: a NUL inside either would silently truncate it.
  if (client.find('\0') != std::string_view::npos || hash.find('\0') != std::string_view::npos) {
    return false;
  }
  std::string setting(hash);
  std::string phrase(client);
  auto data = std::make_unique<crypt_data>();  // ~32 KiB: keep it off the loop's stack
  std::memset(data.get(), 0, sizeof(crypt_data));
  const char* out = crypt_rn(phrase.c_str(), setting.c_str(), data.get(), sizeof(crypt_data));
  bool ok = out != nullptr && out[0] != '*' && ConstantTimeEquals(out, setting);
  // Do not leave the client's secret or the derived hash in freed memory.
  explicit_bzero(phrase.data(), phrase.size());
  explicit_bzero(data.get(), sizeof(crypt_data));
  return ok;
}

}  // namespace

bool ComparePassword(std::string_view configured, std::string_view client) {
  if (IsBcrypt(configured)) {
    return BcryptMatches(configured, client);
  }
  return ConstantTimeEquals(configured, client);
}

}  // namespace lattice::auth
