// The TLS side of Connection: per-connection state and the helpers Connection's TLS member
// functions (implemented in tls_transport.cc) use. Plain connections never allocate it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "dataplane/server/connection.h"
#include "dataplane/server/event_loop.h"
#include "dataplane/tls/peer_identity.h"
#include "dataplane/tls/tls_context.h"
#include "dataplane/tls/tls_session.h"

namespace lattice::server {

// Owned by its Connection (created by EnableTls before Start, destroyed with it).
// Thread: the connection's loop only; other loops just test that it exists.
struct Connection::TlsState {
  std::shared_ptr<const tls::TlsContext> context;
  std::unique_ptr<tls::TlsSession> session;  // created in StartTls
  TimerId handshake_timer = 0;
  bool handshake_done = false;
  // Copied at handshake completion (monitoring reads them through the snapshot).
  std::string version;
  std::string cipher_suite;
  bool map_identities = false;
  bool plain_client = false;  // the first bytes were not a TLS record (no alert is sent back)
  bool first_read = true;
  std::vector<tls::PeerIdentity> identities;  // verify_and_map candidates
};

inline bool TlsHasUnsentCiphertext(const Connection::TlsState& state) {
  return state.session != nullptr && state.session->pending_ciphertext_bytes() > 0;
}

}  // namespace lattice::server
