// Server-side subscribers: a Sublist entry whose messages go to a callback on the publishing
// loop instead of a socket. Account imports use them (stream imports in the exporter, service
// imports in the importer, response routes), and so will operator mode's $SYS handlers.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "dataplane/accounts/subject_rewriter.h"
#include "dataplane/protocol/client_parser.h"
#include "dataplane/sublist/sublist.h"

namespace lattice::server {

class Account;
class ClientSession;

// What every entry of an account Sublist is: a client's subscription or an internal one.
// `internal` is fixed at construction so the publish path can tell them apart with one load.
// Client subscriptions are the node's local interest (reported to the control plane by a
// managed node); internal ones (imports, response routes, $SYS handlers) are not.
// Thread: any.
struct ServerSubscription : public sublist::Subscription {
  explicit ServerSubscription(bool is_internal) : internal(is_internal) {
    local_interest = !is_internal;
  }
  const bool internal;
  std::atomic<bool> removed{false};
};

// Called with the message as published (views valid for the call only), the publishing client
// (may be null for server-originated messages) and the import hop count. Returns how many
// client deliveries it caused (for no-responders). Runs on the publisher's loop, possibly on
// several loops at once, so it must be thread-safe.
using InternalHandler =
    std::function<size_t(const protocol::PubOp& op, ClientSession* publisher, int depth)>;

// A stream import as data instead of a handler: the publish path rewrites the subject with
// the precompiled `rewriter` and delivers into `importer` itself (client_session.cc), so an
// imported message costs one rewrite and one (cached) match, with no std::function call and
// no weak_ptr lock. `importer` is a strong reference: the registry removes the subscription
// from the exporter's index before it lets the account go (which breaks import cycles).
// Immutable. Thread: any.
struct StreamImportRoute {
  std::shared_ptr<Account> importer;
  accounts::SubjectRewriter rewriter;
  // Unique for the process lifetime (never reused, unlike addresses): publishers' per-hop
  // match caches key on it.
  uint64_t id = 0;
};

// Owned by whoever subscribed (and by the Sublist while inserted). Exactly one of `handler`
// and `stream_import` is set. Thread: any.
struct InternalSubscription final : public ServerSubscription {
  InternalSubscription() : ServerSubscription(true) {}
  InternalHandler handler;
  std::unique_ptr<const StreamImportRoute> stream_import;
};

// Inserts a handler for `subject` (wildcards allowed) into `account`'s index; nullptr when the
// subject is invalid. Unsubscribe removes it (idempotent). Thread: any.
std::shared_ptr<InternalSubscription> SubscribeInternal(Account& account, std::string subject,
                                                        InternalHandler handler);
void UnsubscribeInternal(Account& account, const std::shared_ptr<InternalSubscription>& sub);
// Inserts a stream import route for `subject` into the exporter's index; nullptr when the
// subject is invalid. Removed with UnsubscribeInternal. Thread: any.
std::shared_ptr<InternalSubscription> SubscribeStreamImport(Account& exporter, std::string subject,
                                                            StreamImportRoute route);

// Imports chained through other imports stop after this many hops (cycles A->B->A).
inline constexpr int kMaxImportDepth = 8;

// Delivers a message published into `account` to its matching subscriptions (clients and
// internal handlers) as a client publish would. Returns the number of deliveries. Set by the
// session layer (client_session.cc), which owns delivery. Thread: any loop.
using AccountRouter = size_t (*)(Account& account, const protocol::PubOp& op,
                                 ClientSession* publisher, int depth);

}  // namespace lattice::server
