// Connect-time checks of a user's JWT limits, as nats-server applies them when a client logs in:
// source networks, time windows and allowed connection types.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "common/jwt/types.h"

namespace lattice::jwt {

// True when `src` is empty or the client address (IPv4 or IPv6 text) lies in one of its CIDRs.
// An unparsable address or CIDR denies, as nats-server does.
bool SourceAllowed(const UserPermissionLimits& limits, std::string_view client_ip);

// With no `times`, returns INT64_MAX. Otherwise the seconds left in the first window that
// contains `now` (unix seconds) in `times_location` (IANA name; empty = UTC here, where
// nats-server uses its local zone), or nullopt when `now` is outside every window or a window or
// zone does not parse. A window whose start is after its end runs from start until end on the
// next day.
std::optional<int64_t> TimeWindowRemaining(const UserPermissionLimits& limits, int64_t now);

// True when `allowed_connection_types` is empty or lists `type` ("STANDARD", "WEBSOCKET",
// "LEAFNODE", "LEAFNODE_WS", "MQTT", "MQTT_WS").
bool ConnectionTypeAllowed(const UserPermissionLimits& limits, std::string_view type);

}  // namespace lattice::jwt
