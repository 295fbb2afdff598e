// The one table from ProtocolError to nats-server 2.9.10's exact -ERR text and close policy.
#include "dataplane/protocol/errors.h"

namespace lattice::protocol {
namespace {

struct ErrorInfo {
  std::string_view text;  // between the quotes of -ERR '...'; empty = no -ERR is sent
  bool closes;
};

// Indexed by ProtocolError; the static_assert below keeps it in step with the enum.
constexpr ErrorInfo kErrorTable[] = {
    {"", false},                                       // kNone
    {"Unknown Protocol Operation", true},              // kUnknownProtocolOperation
    {"maximum control line exceeded", true},           // kMaxControlLineExceeded
    {"Maximum Payload Violation", true},               // kMaxPayloadViolation
    {"", true},                                        // kBadArguments
    {"Authorization Violation", true},                 // kAuthorizationViolation
    {"Authentication Timeout", true},                  // kAuthenticationTimeout
    {"maximum connections exceeded", true},            // kMaxConnectionsExceeded
    {"maximum subscriptions exceeded", false},         // kMaxSubscriptionsExceeded
    {"Invalid Subject", false},                        // kInvalidSubject
    {"Invalid Publish Subject", false},                // kInvalidPublishSubject
    {"Stale Connection", true},                        // kStaleConnection
    {"invalid client protocol", true},                 // kInvalidClientProtocol
    {"no responders requires headers support", true},  // kNoRespondersRequiresHeaders
    {"Slow Consumer", true},                           // kSlowConsumer
};

static_assert(sizeof(kErrorTable) / sizeof(kErrorTable[0]) ==
                  static_cast<size_t>(ProtocolError::kSlowConsumer) + 1,
              "kErrorTable must have one row per ProtocolError");

const ErrorInfo& Lookup(ProtocolError error) {
  const auto index = static_cast<size_t>(error);
  if (index >= sizeof(kErrorTable) / sizeof(kErrorTable[0])) {
    return kErrorTable[0];  // an out-of-range value is treated as "no error text"
  }
  return kErrorTable[index];
}

}  // namespace

std::string_view ErrorText(ProtocolError error) {
  return Lookup(error).text;
}

bool ErrorCloses(ProtocolError error) {
  return Lookup(error).closes;
}

}  // namespace lattice::protocol
