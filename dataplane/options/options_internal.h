// Helpers shared by the options implementation files (config mapping, auth blocks, flags).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

#include "common/config/config_value.h"
#include "dataplane/options/options.h"

namespace lattice::options {

// Scalar readers; every error carries the value's file:line:col.
absl::StatusOr<int> GetPort(const config::ConfigValue& v);  // -1..65535
absl::StatusOr<int> GetNonNegativeInt(const config::ConfigValue& v);
absl::StatusOr<int64_t> GetBoundedSize(const config::ConfigValue& v, int64_t max);
// Duration string ("2s") or integer seconds.
absl::StatusOr<std::chrono::milliseconds> GetMillis(const config::ConfigValue& v);
// Integer or float seconds (nats-server's auth and TLS timeouts), or a duration string.
absl::StatusOr<std::chrono::milliseconds> GetSecondsAsMillis(const config::ConfigValue& v);

// "host:port", "[v6]:port" or ":port".
absl::Status SplitHostPort(absl::string_view text, std::string* host, int* port);
// A port number or a "host:port" string (nats-server's `listen` and `http`).
absl::Status ParseHostPort(const config::ConfigValue& v, std::string* host, int* port);

// Blocks (auth_blocks.cc).
absl::Status ParseAuthorization(const config::ConfigValue& v, Options* o);
absl::StatusOr<Permissions> ParsePermissions(const config::ConfigValue& v);
absl::StatusOr<User> ParseUser(const config::ConfigValue& v);
absl::StatusOr<std::optional<TlsOptions>> ParseTls(const config::ConfigValue& v);
absl::Status ParseCluster(const config::ConfigValue& v, ClusterOptions* cluster);

// Accounts, mappings and operator-mode keys (accounts_block.cc).
absl::Status ParseAccounts(const config::ConfigValue& v, Options* o);
absl::StatusOr<std::vector<accounts::SubjectMapping>> ParseMappings(const config::ConfigValue& v);
absl::Status ParseOperators(const config::ConfigValue& v, Options* o);
absl::Status ParseResolverPreload(const config::ConfigValue& v, Options* o);

// Applies a parsed config tree over `options`.
absl::Status ApplyConfig(const config::ConfigValue& root, Options* options);

// Cross-field checks nats-server makes after reading the file and flags.
absl::Status ValidateOptions(const Options& o);

}  // namespace lattice::options
