// Every protocol error the dataplane reports, mapped in one table to nats-server's exact
// -ERR text and whether the connection closes. The hot path passes the enum, never a string.
#pragma once

#include <cstdint>
#include <string_view>

namespace lattice::protocol {

enum class ProtocolError : uint8_t {
  kNone,
  kUnknownProtocolOperation,     // 'Unknown Protocol Operation', close
  kMaxControlLineExceeded,       // 'maximum control line exceeded', close
  kMaxPayloadViolation,          // 'Maximum Payload Violation', close
  kBadArguments,                 // wrong argument count or size: close without -ERR
  kAuthorizationViolation,       // 'Authorization Violation', close
  kAuthenticationTimeout,        // 'Authentication Timeout', close
  kMaxConnectionsExceeded,       // 'maximum connections exceeded', close
  kMaxSubscriptionsExceeded,     // 'maximum subscriptions exceeded', stays open
  kInvalidSubject,               // 'Invalid Subject', stays open
  kInvalidPublishSubject,        // 'Invalid Publish Subject', stays open (pedantic only)
  kStaleConnection,              // 'Stale Connection', close
  kInvalidClientProtocol,        // 'invalid client protocol', close
  kNoRespondersRequiresHeaders,  // 'no responders requires headers support', close
  kSlowConsumer,                 // 'Slow Consumer' (sent by Lattice; nats-server 2.9 sends none)
};

// The text between the single quotes of `-ERR '...'`; empty when no -ERR is sent.
std::string_view ErrorText(ProtocolError error);

// Whether nats-server closes the connection after this error.
bool ErrorCloses(ProtocolError error);

}  // namespace lattice::protocol
