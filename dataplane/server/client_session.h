// A NATS client connection: the client protocol on top of Connection. Implements the parser's
// ClientOpSink (CONNECT, PUB/HPUB, SUB, UNSUB, PING/PONG) and delivers messages from any loop.
//
// Publish path: parse in place -> permissions -> account Sublist match (cached) -> for each
// matching subscription append MSG/HMSG to the subscriber's outbound buffer (possibly on
// another loop) -> flushes batched per loop iteration.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/optimization.h"
#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"

#include "common/base/mutex.h"
#include "dataplane/auth/authenticator.h"
#include "dataplane/auth/connect_options.h"
#include "dataplane/auth/permissions.h"
#include "dataplane/protocol/client_parser.h"
#include "dataplane/server/connection.h"
#include "dataplane/server/internal_subscription.h"
#include "dataplane/server/server_context.h"
#include "dataplane/sublist/sublist.h"

namespace lattice::server {

class ClientSession;

// A client's subscription as stored in the account Sublist. Immutable once inserted except
// for the atomics. Kept alive by the Sublist, match results and the session's sid table.
// Thread: any.
struct ClientSubscription final : public ServerSubscription {
  ClientSubscription() : ServerSubscription(false) {}
  std::shared_ptr<ClientSession> session;  // cleared only by destruction
  std::string sid;
  std::atomic<uint64_t> delivered{0};
  std::atomic<uint64_t> max_msgs{0};  // 0 = unlimited (UNSUB <sid> <max>)
  // Set when this (wildcard) subscription covers subscribe-deny entries: deliveries on denied
  // subjects are dropped. Immutable, shareable across loops.
  std::shared_ptr<const auth::CompiledPermissions> deny_filter;
};

// Hashes and compares subscriptions by sid, and looks them up by a sid view: the sid table
// stores one pointer per subscription (the key lives in the subscription itself).
struct SidHash {
  using is_transparent = void;
  size_t operator()(absl::string_view sid) const { return absl::Hash<absl::string_view>{}(sid); }
  size_t operator()(const std::shared_ptr<ClientSubscription>& sub) const {
    return (*this)(absl::string_view(sub->sid.data(), sub->sid.size()));
  }
};
struct SidEq {
  using is_transparent = void;
  static absl::string_view SidOf(absl::string_view sid) { return sid; }
  static absl::string_view SidOf(const std::shared_ptr<ClientSubscription>& sub) {
    return absl::string_view(sub->sid.data(), sub->sid.size());
  }
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const {
    return SidOf(a) == SidOf(b);
  }
};

// One subscription as /connz?subs=detail and /subsz show it.
struct SubscriptionSnapshot {
  std::string subject;
  std::string queue;
  std::string sid;
  uint64_t msgs = 0;
  uint64_t max = 0;  // auto-unsubscribe limit, 0 = none
};

// Plain-struct view of a session for /connz. Built on the session's loop.
struct ConnectionSnapshot {
  uint64_t cid = 0;
  std::string ip;
  int port = 0;
  int64_t start_unix_nanos = 0;
  int64_t last_activity_unix_nanos = 0;
  int64_t rtt_nanos = 0;
  int64_t pending_bytes = 0;
  uint64_t in_msgs = 0;
  uint64_t out_msgs = 0;
  uint64_t in_bytes = 0;
  uint64_t out_bytes = 0;
  size_t subscription_count = 0;
  std::vector<std::string> subscriptions;  // subjects
  std::vector<SubscriptionSnapshot> subscription_details;
  std::string name;
  std::string lang;
  std::string version;
  std::string account;
  std::string user;
  std::string tls_version;  // TLS connections after the handshake
  std::string tls_cipher_suite;
};

// Publishes `op` into `account` as if a client of that account had published it: delivers to
// its client subscriptions and runs its internal handlers (imports). Returns the number of
// deliveries. Thread: the publisher's loop. Matches AccountRouter.
size_t RouteToAccount(Account& account, const protocol::PubOp& op, ClientSession* publisher,
                      int depth);

// Owned by its Worker's session table (shared_ptr); subscriptions hold extra references while
// they are alive. Thread: protocol handling on the owning loop; Deliver() and the atomics from
// any loop.
class ClientSession final : public Connection, public protocol::ClientOpSink {
 public:
  struct Peer {
    std::string ip;
    int port = 0;
  };

  ClientSession(EventLoop& loop, int fd, uint64_t cid, Peer peer, ServerContext& context,
                WorkerStats& stats);
  ~ClientSession() override;

  uint64_t cid() const { return cid_; }

  // Called once the session is closed and torn down (the Worker drops it). Set before Start.
  void set_on_closed(std::function<void(ClientSession*)> fn) { on_closed_ = std::move(fn); }
  // Called on the owning loop once CONNECT is accepted and the session is bound to its
  // account, before any later op of the client runs (system-account events). Set before Start.
  void set_on_connected(std::function<void(ClientSession*)> fn) { on_connected_ = std::move(fn); }

  // Refuses the connection after INFO (max_connections). Owning loop, instead of Start.
  void StartAndReject(protocol::ProtocolError error);

  // Sends an async INFO (lame duck, connect_urls) to protocol>=1 clients. Owning loop.
  void SendAsyncInfo();

  // Applies a reloaded configuration (limits, permissions). Owning loop.
  void ApplyConfig(const RuntimeConfig& config);

  // Re-applies the bound account's live limits, as nats-server's applyAccountLimits: the
  // session's payload and subscription limits become the smallest of the user JWT's (or its
  // scoped signing key template's), the account's and the server's; a session already at or
  // over the new subscription limit gets -ERR 'maximum subscriptions exceeded' and closes;
  // the expiry timer follows the account JWT's expiry. Owning loop.
  void ApplyAccountLimits();

  ConnectionSnapshot Snapshot() const;

  // The account this session is bound to ($G before CONNECT). Owning loop.
  const std::shared_ptr<Account>& account() const { return account_; }
  // From the authenticated Identity (empty / 0 when not an nkey or JWT user). Owning loop.
  const std::string& user_public_key() const { return user_public_key_; }
  int64_t issued_at_unix() const { return issued_at_unix_; }
  // True once CONNECT was accepted. Owning loop.
  bool connect_received() const { return connect_received_; }

  // Sends -ERR '<text>' and closes (revocation, account removal). Owning loop.
  void CloseWithError(std::string_view text, CloseReason reason);

  // ClientOpSink.
  bool OnConnect(std::string_view json) override;
  bool OnPub(const protocol::PubOp& op) override;
  bool OnSub(const protocol::SubOp& op) override;
  bool OnUnsub(const protocol::UnsubOp& op) override;
  bool OnPing() override;
  bool OnPong() override;
  bool OnErr(std::string_view text) override;

 protected:
  size_t OnRead(std::string_view data, size_t* bytes_needed) override;
  void OnStart() override;
  void OnClosed(CloseReason reason) override;

 private:
  friend size_t DeliverMatches(const sublist::SublistResult& result, ClientSession* publisher,
                               const protocol::PubOp& op, int depth);
  friend size_t RouteToAccount(Account& account, const protocol::PubOp& op,
                               ClientSession* publisher, int depth);
  friend size_t DeliverStreamImport(const StreamImportRoute& route, ClientSession* publisher,
                                    const protocol::PubOp& op, int depth);
  // The import side of the L1 cache, one entry per import hop, for the messages this session
  // publishes into other accounts: the last match in the target account (strong, like
  // l1_result_, and dropped with it at close) and the hop's rewritten-subject buffer. A hop
  // only touches its own entry, so a nested hop never frees a result an outer hop iterates.
  // Keyed by (target account, its generation, subject), or for a stream import with a
  // constant local subject by (route id, generation) so a hit compares no strings.
  struct ImportHop {
    uint64_t account_id = 0;
    uint64_t route_id = 0;
    uint64_t generation = 0;
    std::string subject;
    sublist::SublistResultRef result;
    std::string rewritten;
  };
  // Allocated on the first cross-account publish (most sessions never need it). Owning loop.
  ImportHop& import_hop(int depth) {
    if (ABSL_PREDICT_FALSE(import_hops_ == nullptr)) {
      import_hops_ = std::make_unique<std::array<ImportHop, kMaxImportDepth + 1>>();
    }
    return (*import_hops_)[static_cast<size_t>(depth < 0                 ? 0
                                               : depth > kMaxImportDepth ? kMaxImportDepth
                                                                         : depth)];
  }
  // Moves the session to the account its credentials name; false (and closed) when the
  // account is unknown or full.
  bool BindAccount(const std::string& name);
  // Appends one MSG/HMSG for `sub` to this session. Returns false when nothing was sent
  // (closed, echo off, auto-unsubscribed, denied). Thread: any.
  bool Deliver(const sublist::SubscriptionRef& ref, ClientSession* publisher,
               const protocol::PubOp& op);
  void SendErr(std::string_view text);
  // False when the op must not run: the session is closed, or auth is required and CONNECT has
  // not arrived yet (then the session is closed with Authorization Violation).
  bool ReadyForOps();
  void SendErrAndClose(protocol::ProtocolError error, CloseReason reason);
  void SendOk();
  void SendInfo();
  void SendNoResponders(const protocol::PubOp& op);
  // Moves replies recorded by delivering loops into perms_ (allow_responses). Owning loop.
  void ApplyDeliveredReplies();
  void RemoveSubscription(const std::shared_ptr<ClientSubscription>& sub);
  void RemoveAllSubscriptions();
  // Removes `sub` from the account index; on a managed node (interest tracker set) also marks
  // its (subject, queue) dirty when the index says the local interest changed. Any thread.
  void RemoveFromIndex(const sublist::SubscriptionRef& sub);
  void ArmPingTimer(ClockDuration delay);
  void OnPingTimer();
  void OnAuthTimeout();
  // Arms the credentials-expiry timer (the user's expires_unix_ or the account's expiry,
  // whichever comes first), replacing any earlier one.
  void ArmExpiryTimer();
  // Recomputes max_subscriptions_ and the parser's payload limit (see ApplyAccountLimits).
  void UpdateEffectiveLimits();
  bool Authenticate();
  // Applies a successful outcome (user, permissions); false when it failed.
  bool ApplyAuthOutcome(const auth::AuthOutcome& outcome);
  // The rest of CONNECT once the credentials are accepted.
  void CompleteConnect();
  // bcrypt credentials: checked on the auth pool while this session stops reading.
  void StartPooledAuth(WorkPool& pool);
  void FinishPooledAuth(const auth::AuthOutcome& outcome);

  const uint64_t cid_;
  const Peer peer_;
  ServerContext& context_;
  WorkerStats& stats_;
  std::shared_ptr<const RuntimeConfig> config_;
  std::shared_ptr<Account> account_;
  std::string identity_account_;  // from the last successful authentication
  std::string user_public_key_;
  int64_t issued_at_unix_ = 0;
  int64_t expires_unix_ = 0;
  TimerId expiry_timer_ = 0;
  // From a decodable user JWT in CONNECT (nats-server applies its limits whenever one is
  // sent): its own subs/payload limits and, when an account signing key issued it, that key.
  bool jwt_user_ = false;
  int64_t user_max_subscriptions_ = -1;
  int64_t user_max_payload_ = -1;
  std::string user_signing_key_;

  protocol::ClientParser parser_;
  auth::ConnectOptions connect_;
  auth::ConnectionPermissions perms_;
  std::string nonce_;
  std::string user_;
  bool connect_received_ = false;
  bool reject_ = false;
  protocol::ProtocolError reject_error_ = protocol::ProtocolError::kNone;
  bool first_pong_sent_ = false;

  // Read by delivering loops.
  std::atomic<bool> echo_{true};
  std::atomic<bool> headers_{false};
  std::atomic<bool> tracks_responses_{false};
  // allow_responses: reply subjects delivered to this session by any loop, applied to perms_
  // before the next publish check.
  Mutex replies_mu_;
  std::vector<std::pair<std::string, ClockTime>> delivered_replies_ ABSL_GUARDED_BY(replies_mu_);

  absl::flat_hash_set<std::shared_ptr<ClientSubscription>, SidHash, SidEq> subs_;
  // The account's mapping table as of mappings_generation_, and the mapped subject's buffer.
  std::shared_ptr<const mapping::MappingTable> mappings_;
  uint64_t mappings_generation_ = 0;
  std::string mapped_subject_;

  std::string l1_subject_;
  sublist::SublistResultRef l1_result_;
  uint64_t l1_generation_ = 0;
  int64_t max_subscriptions_ = -1;  // effective limit; -1 = unlimited
  int64_t max_payload_ = -1;        // effective limit; -1 = the server's
  // Set when the session closes, before its subscriptions are dropped: what /connz?state=closed
  // shows (nats-server keeps a closed client's subscriptions).
  std::unique_ptr<ConnectionSnapshot> closed_snapshot_;
  std::unique_ptr<std::array<ImportHop, kMaxImportDepth + 1>> import_hops_;

  TimerId auth_timer_ = 0;
  TimerId ping_timer_ = 0;
  int pings_out_ = 0;
  ClockTime last_activity_;
  ClockTime last_ping_received_;
  ClockTime ping_sent_at_;
  int64_t rtt_nanos_ = 0;
  int64_t start_unix_nanos_ = 0;
  std::atomic<int64_t> last_activity_unix_nanos_{0};

  std::function<void(ClientSession*)> on_closed_;
  std::function<void(ClientSession*)> on_connected_;
};

}  // namespace lattice::server
