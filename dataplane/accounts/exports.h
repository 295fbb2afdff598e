// Export authorization and subject helpers over AccountSpecs, shared by the config checks
// (options) and the live account registry, so both decide "may B import this from A" alike.
#pragma once

#include <string>
#include <string_view>

#include "dataplane/accounts/account_spec.h"

namespace lattice::accounts {

// True when every subject matched by `subset` is also matched by `pattern` (wildcards on
// both sides; "a.*" is a subset of "a.>", "a.>" is not a subset of "a.*").
bool IsSubsetMatch(std::string_view subset, std::string_view pattern);

// The exporter's stream export that lets `importer` import `subject`, or nullptr. Private
// exports admit only accounts in `approved` (or, in operator mode, a verified activation
// token, which the caller signals with `has_token`).
const StreamExport* FindStreamExport(const AccountSpec& exporter, std::string_view subject,
                                     std::string_view importer, bool has_token);
// As FindStreamExport for service exports.
const ServiceExport* FindServiceExport(const AccountSpec& exporter, std::string_view subject,
                                       std::string_view importer, bool has_token);

// Rewrites `subject` (matching `from`) to `to`: wildcard tokens of `from` ("*" and a
// trailing ">") fill the wildcard tokens of `to` in order; literal `to` is returned as is.
// Used for service imports with a local name and stream imports with `to`.
std::string MapWildcards(std::string_view from, std::string_view to, std::string_view subject);

// Whether a stream import prefix is valid (no wildcard tokens, as nats-server requires).
bool IsValidImportPrefix(std::string_view prefix);

}  // namespace lattice::accounts
