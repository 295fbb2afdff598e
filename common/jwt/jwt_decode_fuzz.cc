// libFuzzer target for the JWT decoder. Raw bytes go through Decode as a token; and when they
// parse as a JSON object they are also signed as a payload (iss forced to a fixed key of the
// right kind), so mutations reach the typed claim decoders behind the signature check.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <sodium.h>

#include "common/jwt/claims.h"
#include "common/nkeys/nkeys.h"

namespace {

using lattice::jwt::Json;

std::string B64(std::string_view s) {
  std::string out(sodium_base64_encoded_len(s.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                  '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(s.data()),
                    s.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.pop_back();
  return out;
}

bool ShallowEnough(std::string_view text) {
  int depth = 0;
  for (char c : text) {
    if (c == '{' || c == '[')
      ++depth;
    if (depth > 32)
      return false;
  }
  return true;
}

void Exercise(std::string_view token) {
  absl::StatusOr<lattice::jwt::AnyClaims> claims = lattice::jwt::Decode(token);
  if (claims.ok()) {
    // Re-serialising must not throw or crash whatever unknown fields came along.
    std::visit(
        [](const auto& c) {
          (void)lattice::jwt::ToJson(c).dump(-1, ' ', false, Json::error_handler_t::replace);
        },
        *claims);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto* op = new lattice::nkeys::KeyPair(*lattice::nkeys::KeyPair::FromRawSeed(
      lattice::nkeys::KeyType::kOperator, std::string(32, '\x01')));
  static const auto* acc = new lattice::nkeys::KeyPair(*lattice::nkeys::KeyPair::FromRawSeed(
      lattice::nkeys::KeyType::kAccount, std::string(32, '\x02')));
  std::string_view input(reinterpret_cast<const char*>(data), size);
  Exercise(input);
  if (!ShallowEnough(input))
    return 0;
  Json payload = Json::parse(input.begin(), input.end(), nullptr, /*allow_exceptions=*/false);
  if (!payload.is_object())
    return 0;
  const lattice::nkeys::KeyPair* signer = acc;
  auto nats = payload.find("nats");
  if (nats != payload.end() && nats->is_object()) {
    auto type = nats->find("type");
    if (type != nats->end() && type->is_string() && (*type == "operator" || *type == "account")) {
      signer = op;
    }
  }
  payload["iss"] = signer->public_key().str();
  std::string input_to_sign = B64(R"({"typ":"JWT","alg":"ed25519-nkey"})") + "." +
                              B64(payload.dump(-1, ' ', false, Json::error_handler_t::replace));
  absl::StatusOr<std::string> sig = signer->Sign(input_to_sign);
  if (sig.ok())
    Exercise(input_to_sign + "." + B64(*sig));
  return 0;
}
