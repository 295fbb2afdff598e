// RAII handles and small helpers over libnats (the official C client) for e2e tests.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "nats/nats.h"

namespace lattice::e2e {

struct NatsConnectionDeleter {
  void operator()(natsConnection* nc) const { natsConnection_Destroy(nc); }
};
struct NatsSubscriptionDeleter {
  void operator()(natsSubscription* sub) const { natsSubscription_Destroy(sub); }
};
struct NatsMsgDeleter {
  void operator()(natsMsg* msg) const { natsMsg_Destroy(msg); }
};
struct NatsOptionsDeleter {
  void operator()(natsOptions* opts) const { natsOptions_Destroy(opts); }
};

using NatsConnection = std::unique_ptr<natsConnection, NatsConnectionDeleter>;
using NatsSubscription = std::unique_ptr<natsSubscription, NatsSubscriptionDeleter>;
using NatsMsg = std::unique_ptr<natsMsg, NatsMsgDeleter>;
using NatsOptions = std::unique_ptr<natsOptions, NatsOptionsDeleter>;

// Status text for a libnats error, with the thread's last error detail.
inline std::string NatsError(natsStatus s) {
  return absl::StrCat(natsStatus_GetText(s), " (", nats_GetLastError(nullptr), ")");
}

// Connects to `url` without reconnects (a test wants to see a close, not hide it). `configure`
// may adjust the options (credentials, echo, ...) before connecting.
inline absl::StatusOr<NatsConnection> ConnectNats(
    const std::string& url, const std::function<void(natsOptions*)>& configure = nullptr) {
  natsOptions* raw_opts = nullptr;
  if (natsOptions_Create(&raw_opts) != NATS_OK) {
    return absl::InternalError("natsOptions_Create failed");
  }
  NatsOptions opts(raw_opts);
  natsOptions_SetURL(opts.get(), url.c_str());
  natsOptions_SetAllowReconnect(opts.get(), false);
  natsOptions_SetTimeout(opts.get(), 5000);
  if (configure) {
    configure(opts.get());
  }
  natsConnection* nc = nullptr;
  natsStatus s = natsConnection_Connect(&nc, opts.get());
  if (s != NATS_OK) {
    return absl::UnavailableError(absl::StrCat("connect ", url, ": ", NatsError(s)));
  }
  return NatsConnection(nc);
}

}  // namespace lattice::e2e
