// CONNECT parsing: the client's JSON options object, decoded with nats-server's rules.
//
//   ConnectOptions opts;                       // defaults: verbose, pedantic, echo = true
//   absl::Status s = ParseConnectOptions(json, &opts);
//   if (!s.ok()) close the connection silently (nats-server sends no -ERR here);
//   a second CONNECT parses over the options the first one produced, as nats-server does.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace lattice::auth {

// What a client declared in CONNECT. Field names follow the JSON keys (nats-server's
// ClientOpts). A plain value type: owned by the client session that parsed it.
// Thread: whoever owns the value.
struct ConnectOptions {
  bool verbose = true;
  bool pedantic = true;
  bool tls_required = false;
  bool echo = true;
  bool headers = false;
  bool no_responders = false;
  std::string name;
  std::string lang;
  std::string version;
  int64_t protocol = 0;  // range-checked by the caller: 0 or 1, else 'invalid client protocol'
  std::string user;
  std::string pass;
  std::string auth_token;
  std::string nkey;  // U... public key (nkey users)
  std::string jwt;   // user JWT (operator mode)
  std::string sig;   // base64url signature of the INFO nonce
  std::string account;
  bool new_account = false;

  // True when any credential field was sent (nats-server's no_auth_user only applies
  // when user, pass and auth_token are all empty).
  bool HasUserPassOrToken() const { return !user.empty() || !pass.empty() || !auth_token.empty(); }
};

// Decodes the JSON object `json` (the CONNECT argument, without "CONNECT " and CRLF) over
// `*opts`, the way Go's json.Unmarshal fills nats-server's ClientOpts:
//   * absent keys and JSON null leave the current value unchanged;
//   * unknown keys are ignored (their values must still be valid JSON);
//   * key names match case-insensitively (ASCII), as Go's encoding/json does;
//   * a wrong type (e.g. "verbose":"yes", "protocol":1.5, "name":5) is an error, like
//     malformed JSON, a non-object top level or trailing bytes;
//   * `null` as the whole document is accepted and changes nothing (Go does the same).
// On error `*opts` is left untouched and the status message says why (for debug logs only;
// the server closes without -ERR). Never throws; any byte sequence is safe.
absl::Status ParseConnectOptions(std::string_view json, ConnectOptions* opts);

}  // namespace lattice::auth
