// ClientSession: CONNECT/auth, publish routing through the account Sublist, subscriptions and
// the client-visible error behaviour of nats-server 2.9.10 (keepalive, reload and close are in
// client_session_lifecycle.cc).
#include "dataplane/server/client_session.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <random>

#include "absl/base/attributes.h"

#include "common/base/check.h"
#include "common/base/log.h"
#include "common/jwt/claims.h"
#include "dataplane/auth/permission_errors.h"
#include "dataplane/protocol/client_encoder.h"

namespace lattice::server {

namespace {

using protocol::ProtocolError;

// nats-server sends a client's first PING at most 2 s after it connects.
constexpr ClockDuration kFirstPingInterval = std::chrono::seconds(2);

// Per-thread scratch for frame headers: reused, so steady-state delivery does not allocate.
std::string& Scratch() {
  thread_local std::string scratch;
  scratch.clear();
  return scratch;
}

// Adds to a counter that only the calling loop writes (readers are monitoring threads): a
// plain load and store, no locked read-modify-write on the per-message path.
void AddSingleWriter(std::atomic<uint64_t>& counter, uint64_t n) {
  counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

uint64_t NextRandom() {
  thread_local std::minstd_rand rng(std::random_device{}());
  return rng();
}

// "_R_.<...>": the reply subjects service imports give the exporter (account_registry.cc).
bool IsResponseSubject(std::string_view subject) {
  return subject.size() > 4 && subject.compare(0, 4, "_R_.") == 0;
}

// Debian's Abseil has its own string_view type; heterogeneous lookup needs it.
absl::string_view Key(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

int64_t UnixNanosNow() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Connection::Limits LimitsFrom(const RuntimeConfig& config) {
  Connection::Limits limits;
  limits.max_pending = config.options->max_pending;
  limits.write_deadline = config.options->write_deadline;
  return limits;
}

protocol::ParserLimits ParserLimitsFrom(const RuntimeConfig& config) {
  protocol::ParserLimits limits;
  limits.max_control_line = static_cast<size_t>(config.options->max_control_line);
  limits.max_payload = config.options->max_payload;
  return limits;
}

CloseReason CloseReasonFor(ProtocolError error) {
  switch (error) {
    case ProtocolError::kMaxPayloadViolation:
      return CloseReason::kMaxPayloadExceeded;
    case ProtocolError::kMaxControlLineExceeded:
      return CloseReason::kMaxControlLineExceeded;
    case ProtocolError::kAuthorizationViolation:
      return CloseReason::kAuthenticationViolation;
    case ProtocolError::kAuthenticationTimeout:
      return CloseReason::kAuthenticationTimeout;
    case ProtocolError::kStaleConnection:
      return CloseReason::kStaleConnection;
    case ProtocolError::kMaxConnectionsExceeded:
      return CloseReason::kMaxConnectionsExceeded;
    default:
      return CloseReason::kProtocolViolation;
  }
}

}  // namespace

ClientSession::ClientSession(EventLoop& loop, int fd, uint64_t cid, Peer peer,
                             ServerContext& context, WorkerStats& stats)
    : Connection(loop, fd, LimitsFrom(*context.config())),
      cid_(cid),
      peer_(std::move(peer)),
      context_(context),
      stats_(stats),
      config_(context.config()),
      parser_(ParserLimitsFrom(*config_)) {
  max_subscriptions_ =
      config_->options->max_subscriptions > 0 ? config_->options->max_subscriptions : -1;
  start_unix_nanos_ = UnixNanosNow();
  last_activity_unix_nanos_.store(start_unix_nanos_, std::memory_order_relaxed);
}

ClientSession::~ClientSession() = default;

void ClientSession::StartAndReject(ProtocolError error) {
  reject_ = true;
  reject_error_ = error;
  Start();
}

void ClientSession::OnStart() {
  last_activity_ = context_.clock().Now();
  last_ping_received_ = last_activity_;
  if (config_->authenticator != nullptr && config_->authenticator->NeedsNonce() && !reject_) {
    nonce_ = auth::GenerateNonce();
  }
  SendInfo();
  if (reject_) {
    SendErrAndClose(reject_error_, CloseReasonFor(reject_error_));
    return;
  }
  account_ = context_.registry().global_shared();
  account_->connections().fetch_add(1, std::memory_order_relaxed);
  if (config_->authenticator != nullptr && config_->authenticator->auth_required()) {
    std::weak_ptr<Connection> weak = weak_from_this();
    auth_timer_ = loop().AddTimer(config_->options->auth_timeout, [weak] {
      if (auto self = weak.lock()) {
        static_cast<ClientSession*>(self.get())->OnAuthTimeout();
      }
    });
  }
  LATTICE_LOG(kDebug) << peer_.ip << ":" << peer_.port << " - cid:" << cid_
                      << " - Client connection created";
  // Like nats-server: the first PING after at most 2 s, spread by up to +20% so that clients
  // connected together are not pinged together.
  ClockDuration first =
      std::min<ClockDuration>(kFirstPingInterval, config_->options->ping_interval);
  ArmPingTimer(first + first * static_cast<int64_t>(NextRandom() % 21) / 100);
}

void ClientSession::SendInfo() {
  std::string& out = Scratch();
  protocol::AppendInfo(&out, context_.ClientInfoJson(cid_, peer_.ip, nonce_));
  Send(out);
}

void ClientSession::SendAsyncInfo() {
  if (closed() || !connect_received_ || connect_.protocol < 1) {
    return;
  }
  SendInfo();
}

void ClientSession::SendErr(std::string_view text) {
  std::string& out = Scratch();
  protocol::AppendErr(&out, text);
  Send(out);
}

void ClientSession::SendErrAndClose(ProtocolError error, CloseReason reason) {
  std::string& out = Scratch();
  if (protocol::AppendErr(&out, error)) {
    Send(out);
  }
  Close(reason);
}

void ClientSession::SendOk() {
  Send(protocol::kOkFrame);
}

size_t ClientSession::OnRead(std::string_view data, size_t* bytes_needed) {
  last_activity_ = context_.clock().Now();
  last_activity_unix_nanos_.store(UnixNanosNow(), std::memory_order_relaxed);
  size_t consumed = 0;
  protocol::ParseStatus status = parser_.Parse(data, &consumed, *this);
  switch (status) {
    case protocol::ParseStatus::kOk:
    case protocol::ParseStatus::kStopped:
      break;
    case protocol::ParseStatus::kNeedMore:
      *bytes_needed = parser_.bytes_needed();
      break;
    case protocol::ParseStatus::kError: {
      ProtocolError error = parser_.error();
      LATTICE_LOG(kDebug) << "cid " << cid_ << " protocol error: " << protocol::ErrorText(error);
      SendErrAndClose(error, CloseReasonFor(error));
      break;
    }
  }
  return consumed;
}

bool ClientSession::Authenticate() {
  if (config_->authenticator == nullptr) {
    return true;
  }
  auth::AuthRequest request;
  request.connect = &connect_;
  request.nonce = nonce_;
  request.certificate_identities = tls_peer_identities();
  request.client_ip = peer_.ip;
  return ApplyAuthOutcome(config_->authenticator->Authenticate(request));
}

bool ClientSession::ApplyAuthOutcome(const auth::AuthOutcome& outcome) {
  if (!outcome.ok()) {
    LATTICE_LOG(kInfo) << "cid " << cid_ << " " << peer_.ip << ":" << peer_.port
                       << " authentication failed: " << auth::AuthFailureName(outcome.failure);
    return false;
  }
  user_ = outcome.identity.user;
  identity_account_ = outcome.identity.account;
  user_public_key_ = outcome.identity.user_public_key;
  issued_at_unix_ = outcome.identity.issued_at_unix;
  expires_unix_ = outcome.identity.expires_unix;
  jwt_user_ = false;
  user_signing_key_.clear();
  if (!connect_.jwt.empty()) {
    // Already verified by the provider; only its limits and issuer are read here.
    if (absl::StatusOr<jwt::UserClaims> user = jwt::DecodeUser(connect_.jwt); user.ok()) {
      jwt_user_ = true;
      user_max_subscriptions_ = user->nats.permissions.limits.subs;
      user_max_payload_ = user->nats.permissions.limits.payload;
      if (!user->nats.issuer_account.empty() && user->nats.issuer_account != user->std.issuer) {
        user_signing_key_ = user->std.issuer;
      }
    }
  }
  perms_.Reset(outcome.identity.permissions);
  bool responses =
      outcome.identity.permissions != nullptr && outcome.identity.permissions->allow_responses();
  tracks_responses_.store(responses, std::memory_order_release);
  return true;
}

bool ClientSession::OnConnect(std::string_view json) {
  if (closed()) {
    return false;
  }
  auth::ConnectOptions parsed = connect_;
  if (!auth::ParseConnectOptions(json, &parsed).ok()) {
    Close(CloseReason::kProtocolViolation);  // nats-server closes silently
    return false;
  }
  connect_ = std::move(parsed);
  if (connect_.protocol < 0 || connect_.protocol > 1) {
    SendErrAndClose(ProtocolError::kInvalidClientProtocol, CloseReason::kProtocolViolation);
    return false;
  }
  if (connect_.no_responders && !connect_.headers) {
    SendErrAndClose(ProtocolError::kNoRespondersRequiresHeaders, CloseReason::kProtocolViolation);
    return false;
  }
  if (config_->slow_auth && config_->authenticator != nullptr) {
    if (WorkPool* pool = context_.auth_pool(); pool != nullptr) {
      StartPooledAuth(*pool);
      return false;  // the parser stops after CONNECT; reading resumes with the verdict
    }
  }
  if (!Authenticate()) {
    SendErrAndClose(ProtocolError::kAuthorizationViolation, CloseReason::kAuthenticationViolation);
    return false;
  }
  if (!BindAccount(identity_account_)) {
    return false;
  }
  CompleteConnect();
  return true;
}

bool ClientSession::BindAccount(const std::string& name) {
  if (name.empty() || name == account_->name()) {
    return true;
  }
  std::shared_ptr<Account> target = context_.registry().Find(name);
  if (target == nullptr || !target->active().load(std::memory_order_acquire)) {
    LATTICE_LOG(kInfo) << "cid " << cid_ << " account \"" << name << "\" not found";
    SendErrAndClose(ProtocolError::kAuthorizationViolation, CloseReason::kAuthenticationViolation);
    return false;
  }
  int64_t max = target->max_connections().load(std::memory_order_relaxed);
  int64_t now = target->connections().fetch_add(1, std::memory_order_acq_rel) + 1;
  if (max >= 0 && now > max) {
    target->connections().fetch_sub(1, std::memory_order_acq_rel);
    // nats-server: -ERR and close with MaxAccountConnectionsExceeded.
    SendErr("maximum account active connections exceeded");
    Close(CloseReason::kMaxAccountConnectionsExceeded);
    return false;
  }
  // No subscriptions exist yet: CONNECT comes first whenever credentials are checked.
  RemoveAllSubscriptions();
  account_->connections().fetch_sub(1, std::memory_order_relaxed);
  account_ = std::move(target);
  l1_result_.reset();
  mappings_generation_ = 0;
  return true;
}

void ClientSession::CloseWithError(std::string_view text, CloseReason reason) {
  if (closed()) {
    return;
  }
  SendErr(text);
  Close(reason);
}

void ClientSession::ArmExpiryTimer() {
  if (expiry_timer_ != 0) {
    loop().CancelTimer(expiry_timer_);
    expiry_timer_ = 0;
  }
  // nats-server runs a timer per user JWT ('User Authentication Expired') and one per
  // account JWT ('Account Authentication Expired', every client of the account); both close
  // as AuthenticationExpired. One timer for whichever comes first.
  int64_t user_at = expires_unix_;
  int64_t account_at =
      account_ != nullptr ? account_->expires_unix().load(std::memory_order_relaxed) : 0;
  bool account_first = account_at > 0 && (user_at <= 0 || account_at < user_at);
  int64_t at = account_first ? account_at : user_at;
  if (at <= 0) {
    return;
  }
  const char* text =
      account_first ? "Account Authentication Expired" : "User Authentication Expired";
  int64_t left_nanos = at * 1000000000 - UnixNanosNow();
  if (left_nanos <= 0) {
    CloseWithError(text, CloseReason::kAuthenticationExpired);
    return;
  }
  std::weak_ptr<Connection> weak = weak_from_this();
  expiry_timer_ = loop().AddTimer(std::chrono::nanoseconds(left_nanos), [weak, text] {
    if (auto self = weak.lock()) {
      auto* session = static_cast<ClientSession*>(self.get());
      session->expiry_timer_ = 0;
      session->CloseWithError(text, CloseReason::kAuthenticationExpired);
    }
  });
}

namespace {

// nats-server's minLimit: -1 is unlimited; the smaller of two limits wins.
void MinLimit(int64_t* value, int64_t limit) {
  if (limit == -1) {
    return;
  }
  if (*value == -1 || limit < *value) {
    *value = limit;
  }
}

}  // namespace

void ClientSession::UpdateEffectiveLimits() {
  int64_t payload = -1;
  int64_t subs = -1;
  if (jwt_user_) {
    payload = user_max_payload_;
    subs = user_max_subscriptions_;
    if (!user_signing_key_.empty() && account_ != nullptr) {
      if (std::optional<accounts::ScopedUserLimits> scoped =
              account_->ScopedLimits(user_signing_key_)) {
        payload = scoped->max_payload;
        subs = scoped->max_subscriptions;
      }
    }
  }
  if (account_ != nullptr) {
    MinLimit(&payload, account_->max_payload().load(std::memory_order_relaxed));
    MinLimit(&subs, account_->max_subscriptions().load(std::memory_order_relaxed));
  }
  // The server options say "unlimited" with 0.
  const options::Options& opts = *config_->options;
  MinLimit(&payload, opts.max_payload > 0 ? opts.max_payload : -1);
  MinLimit(&subs, opts.max_subscriptions > 0 ? opts.max_subscriptions : -1);
  max_subscriptions_ = subs;
  max_payload_ = payload;
  protocol::ParserLimits limits = ParserLimitsFrom(*config_);
  if (payload >= 0) {
    limits.max_payload = payload;
  }
  parser_.set_limits(limits);
}

void ClientSession::ApplyAccountLimits() {
  if (closed() || account_ == nullptr) {
    return;
  }
  UpdateEffectiveLimits();
  if (max_subscriptions_ != -1 && static_cast<int64_t>(subs_.size()) >= max_subscriptions_) {
    // nats-server (applyAccountLimits): at or over the limit, even exactly at it.
    LATTICE_LOG(kInfo) << "cid " << cid_ << " "
                       << protocol::ErrorText(ProtocolError::kMaxSubscriptionsExceeded);
    CloseWithError(protocol::ErrorText(ProtocolError::kMaxSubscriptionsExceeded),
                   CloseReason::kMaxSubscriptionsExceeded);
    return;
  }
  ArmExpiryTimer();
}

void ClientSession::CompleteConnect() {
  if (auth_timer_ != 0) {
    loop().CancelTimer(auth_timer_);
    auth_timer_ = 0;
  }
  ApplyAccountLimits();
  if (closed()) {
    return;
  }
  echo_.store(connect_.echo, std::memory_order_release);
  headers_.store(connect_.headers, std::memory_order_release);
  connect_received_ = true;
  if (connect_.verbose) {
    SendOk();
  }
  if (on_connected_) {
    on_connected_(this);
  }
}

void ClientSession::StartPooledAuth(WorkPool& pool) {
  PauseReading();
  std::weak_ptr<Connection> weak = weak_from_this();
  // The check sees copies only: the session's fields stay with its loop.
  const std::vector<tls::PeerIdentity>* identities = tls_peer_identities();
  pool.Submit([weak, loop = &loop(), authenticator = config_->authenticator, connect = connect_,
               nonce = nonce_, ip = peer_.ip, mapped = identities != nullptr,
               names = identities != nullptr ? *identities : std::vector<tls::PeerIdentity>()] {
    auth::AuthRequest request;
    request.connect = &connect;
    request.nonce = nonce;
    request.certificate_identities = mapped ? &names : nullptr;
    request.client_ip = ip;
    auth::AuthOutcome outcome = authenticator->Authenticate(request);
    std::shared_ptr<Connection> self = weak.lock();
    if (self == nullptr) {
      return;  // the session is gone (closed meanwhile)
    }
    // The loop outlives its sessions' pooled checks: the Server stops the pool first.
    loop->Post([self = std::move(self), outcome = std::move(outcome)] {
      static_cast<ClientSession*>(self.get())->FinishPooledAuth(outcome);
    });
  });
}

void ClientSession::FinishPooledAuth(const auth::AuthOutcome& outcome) {
  if (closed()) {
    return;  // e.g. the auth timeout fired first
  }
  if (!ApplyAuthOutcome(outcome)) {
    SendErrAndClose(ProtocolError::kAuthorizationViolation, CloseReason::kAuthenticationViolation);
    return;
  }
  if (!BindAccount(identity_account_)) {
    return;
  }
  CompleteConnect();
  ResumeReading();
}

bool ClientSession::ReadyForOps() {
  if (closed()) {
    return false;
  }
  // With auth required the first op must be CONNECT (nats-server: Authorization Violation).
  if (!connect_received_ && config_->authenticator != nullptr &&
      config_->authenticator->auth_required()) {
    SendErrAndClose(ProtocolError::kAuthorizationViolation, CloseReason::kAuthenticationViolation);
    return false;
  }
  return true;
}

size_t DeliverStreamImport(const StreamImportRoute& route, ClientSession* publisher,
                           const protocol::PubOp& op, int depth);

// Inlined into OnPub: the same-account publish path must not pay a call per message.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline size_t DeliverMatches(const sublist::SublistResult& result,
                                                          ClientSession* publisher,
                                                          const protocol::PubOp& op, int depth) {
  size_t delivered = 0;
  for (const sublist::SubscriptionRef& ref : result.plain) {
    auto& sub = static_cast<ServerSubscription&>(*ref);
    if (sub.internal) {
      if (!sub.removed.load(std::memory_order_acquire)) {
        auto& internal = static_cast<InternalSubscription&>(sub);
        delivered += internal.stream_import != nullptr
                         ? DeliverStreamImport(*internal.stream_import, publisher, op, depth)
                         : internal.handler(op, publisher, depth);
      }
      continue;
    }
    auto& client = static_cast<ClientSubscription&>(sub);
    if (client.session->Deliver(ref, publisher, op)) {
      ++delivered;
    }
  }
  for (const sublist::QueueGroup& group : result.queue_groups) {
    size_t n = group.members.size();
    if (n == 0) {
      continue;
    }
    size_t start = NextRandom() % n;
    for (size_t i = 0; i < n; ++i) {
      const sublist::SubscriptionRef& ref = group.members[(start + i) % n];
      auto& client = static_cast<ClientSubscription&>(*ref);
      if (client.session->Deliver(ref, publisher, op)) {
        ++delivered;
        break;
      }
    }
  }
  return delivered;
}

bool ClientSession::OnPub(const protocol::PubOp& in) {
  if (!ReadyForOps()) {
    return false;
  }
  // Account subject mappings come first: permissions and routing see the mapped subject.
  uint64_t mappings_generation = account_->mappings_generation();
  if (mappings_generation != mappings_generation_) {
    mappings_ = account_->mappings();
    mappings_generation_ = mappings_generation;
  }
  protocol::PubOp mapped;
  const protocol::PubOp* pub = &in;
  if (mappings_ != nullptr &&
      mappings_->Map(in.subject, static_cast<uint32_t>(NextRandom()), &mapped_subject_)) {
    if (mapped_subject_.empty()) {
      return true;  // the weighted choice was "drop"
    }
    mapped = in;
    mapped.subject = mapped_subject_;
    pub = &mapped;
  }
  const protocol::PubOp& op = *pub;
  if (op.has_headers && !connect_.headers) {
    Close(CloseReason::kProtocolViolation);  // HPUB without negotiated headers: silent close
    return false;
  }
  uint64_t size = op.headers.size() + op.payload.size();
  // in_* belong to this loop (the connection's and its worker's).
  AddSingleWriter(counters().in_msgs, 1);
  AddSingleWriter(counters().in_bytes, size);
  AddSingleWriter(stats_.in_msgs, 1);
  AddSingleWriter(stats_.in_bytes, size);

  if (connect_.pedantic && !sublist::IsValidLiteralSubject(op.subject)) {
    SendErr(protocol::ErrorText(ProtocolError::kInvalidPublishSubject));  // still delivered
  }
  if (tracks_responses_.load(std::memory_order_relaxed)) {
    ApplyDeliveredReplies();
  }
  if (perms_.compiled() != nullptr && !perms_.CanPublish(op.subject, context_.clock().Now())) {
    SendErr(auth::PublishViolationText(op.subject));
    return true;
  }
  if (!op.reply.empty() && auth::IsReservedReply(op.reply)) {
    SendErr(auth::ReplyViolationText(op.reply));
    return true;
  }
  if (connect_.verbose) {
    SendOk();
  }

  // One-entry L1 cache in front of the shared index: a publisher repeating a subject skips
  // the index's lock and reference counting while the index generation is unchanged.
  uint64_t generation = account_->sublist().generation();
  if (generation != l1_generation_ || op.subject != l1_subject_ || l1_result_ == nullptr) {
    // A service import's response subject ("_R_.<prefix>.<token>") is new for every request:
    // caching it in the shared index would only evict other publishers' entries.
    l1_result_ = IsResponseSubject(op.subject) ? account_->sublist().MatchUncached(op.subject)
                                               : account_->sublist().Match(op.subject);
    l1_subject_.assign(op.subject.data(), op.subject.size());
    l1_generation_ = generation;
  }
  size_t delivered = DeliverMatches(*l1_result_, this, op, 0);
  if (delivered == 0 && !op.reply.empty() && connect_.no_responders) {
    SendNoResponders(op);
  }
  // A subscriber is over half full: stop here so the stall holds back the very next message.
  return !closed() && !stall_requested();
}

size_t RouteToAccount(Account& account, const protocol::PubOp& op, ClientSession* publisher,
                      int depth) {
  const uint64_t generation = account.sublist().generation();
  if (publisher != nullptr) {
    // The publisher's own per-hop entry: a repeating import costs a generation load and a
    // subject compare, with no lock and no reference counting (as OnPub's L1).
    ClientSession::ImportHop& hop = publisher->import_hop(depth);
    if (hop.result == nullptr || hop.account_id != account.id() || hop.generation != generation ||
        hop.subject != op.subject) {
      hop.result = account.sublist().Match(op.subject);
      hop.account_id = account.id();
      hop.route_id = 0;
      hop.generation = generation;
      hop.subject.assign(op.subject.data(), op.subject.size());
    }
    return DeliverMatches(*hop.result, publisher, op, depth);
  }
  // Server-originated messages: a per-loop, per-hop entry that keeps the result only weakly
  // (the index's cache owns it), so a thread-local never keeps sessions or accounts alive.
  struct ImportL1 {
    uint64_t account_id = 0;
    uint64_t generation = 0;
    std::string subject;
    std::weak_ptr<const sublist::SublistResult> result;
  };
  thread_local std::array<ImportL1, kMaxImportDepth + 1> caches;
  ImportL1& l1 = caches[static_cast<size_t>(std::clamp(depth, 0, kMaxImportDepth))];
  sublist::SublistResultRef result;
  if (l1.account_id == account.id() && l1.generation == generation && l1.subject == op.subject) {
    result = l1.result.lock();
  }
  if (result == nullptr) {
    result = account.sublist().Match(op.subject);
    l1.account_id = account.id();
    l1.generation = generation;
    l1.subject.assign(op.subject.data(), op.subject.size());
    l1.result = result;
  }
  return DeliverMatches(*result, publisher, op, depth);
}

// A message matched a stream import in the exporter: one precompiled rewrite, then the
// importer's match from the publisher's hop cache and the same deliveries as a direct
// publish. A constant local subject (`to` naming a literal) skips even the string compare.
ABSL_ATTRIBUTE_NOINLINE size_t DeliverStreamImport(const StreamImportRoute& route,
                                                   ClientSession* publisher,
                                                   const protocol::PubOp& op, int depth) {
  if (depth >= kMaxImportDepth) {
    return 0;
  }
  protocol::PubOp local = op;
  if (publisher == nullptr) {
    thread_local std::array<std::string, kMaxImportDepth + 1> buffers;
    local.subject = route.rewriter.Apply(op.subject, &buffers[static_cast<size_t>(depth + 1)]);
    return RouteToAccount(*route.importer, local, publisher, depth + 1);
  }
  ClientSession::ImportHop& hop = publisher->import_hop(depth + 1);
  local.subject = route.rewriter.Apply(op.subject, &hop.rewritten);
  if (!route.rewriter.is_constant()) {
    return RouteToAccount(*route.importer, local, publisher, depth + 1);
  }
  Account& importer = *route.importer;
  const uint64_t generation = importer.sublist().generation();
  if (hop.result == nullptr || hop.route_id != route.id || hop.generation != generation) {
    hop.result = importer.sublist().Match(local.subject);
    hop.route_id = route.id;
    hop.account_id = 0;  // not a subject-keyed entry
    hop.generation = generation;
    hop.subject.clear();
  }
  return DeliverMatches(*hop.result, publisher, local, depth + 1);
}

bool ClientSession::Deliver(const sublist::SubscriptionRef& ref, ClientSession* publisher,
                            const protocol::PubOp& op) {
  auto& sub = static_cast<ClientSubscription&>(*ref);
  if (closed() || sub.removed.load(std::memory_order_acquire)) {
    return false;
  }
  if (publisher == this && !echo_.load(std::memory_order_relaxed)) {
    return false;
  }
  if (sub.deny_filter != nullptr && sub.deny_filter->MatchesSubscribeDeny(op.subject)) {
    return false;
  }
  uint64_t max = sub.max_msgs.load(std::memory_order_acquire);
  if (max == 0) {
    sub.delivered.fetch_add(1, std::memory_order_relaxed);
  } else {
    uint64_t n = sub.delivered.fetch_add(1, std::memory_order_acq_rel) + 1;
    if (n > max) {
      return false;
    }
    if (n == max && !sub.removed.exchange(true, std::memory_order_acq_rel)) {
      // Auto-unsubscribe: the index is thread-safe; the sid table belongs to our loop.
      RemoveFromIndex(ref);
      loop().Post([self = sub.session, ref] {
        auto& s = static_cast<ClientSubscription&>(*ref);
        auto it = self->subs_.find(Key(s.sid));
        if (it != self->subs_.end() && it->get() == &s) {
          self->subs_.erase(it);
          self->account_->subscriptions().fetch_sub(1, std::memory_order_relaxed);
        }
      });
    }
  }
  std::string& line = Scratch();
  uint64_t bytes;
  if (op.has_headers && headers_.load(std::memory_order_relaxed)) {
    bytes = op.headers.size() + op.payload.size();
    protocol::AppendHmsgHeader(&line, op.subject, sub.sid, op.reply, op.headers.size(), bytes);
    SendFrom(publisher, {line, op.headers, op.payload, protocol::kCrLf});
  } else {
    bytes = op.payload.size();
    protocol::AppendMsgHeader(&line, op.subject, sub.sid, op.reply, bytes);
    SendFrom(publisher, {line, op.payload, protocol::kCrLf});
  }
  counters().out_msgs.fetch_add(1, std::memory_order_relaxed);
  counters().out_bytes.fetch_add(bytes, std::memory_order_relaxed);
  // Server totals go to the publisher's worker: its loop is the one running this.
  if (publisher != nullptr) {
    AddSingleWriter(publisher->stats_.out_msgs, 1);
    AddSingleWriter(publisher->stats_.out_bytes, bytes);
  }
  if (!op.reply.empty() && tracks_responses_.load(std::memory_order_acquire)) {
    // Recorded before the MSG can reach the client, so its answer always finds the grant
    // (a Post could run after the answer was read on the owning loop).
    MutexLock lock(&replies_mu_);
    if (delivered_replies_.size() >= auth::ConnectionPermissions::kMaxReplies) {
      delivered_replies_.erase(
          delivered_replies_.begin(),
          delivered_replies_.begin() + auth::ConnectionPermissions::kPruneCount);
    }
    delivered_replies_.emplace_back(std::string(op.reply), context_.clock().Now());
  }
  return true;
}

void ClientSession::ApplyDeliveredReplies() {
  std::vector<std::pair<std::string, ClockTime>> replies;
  {
    MutexLock lock(&replies_mu_);
    if (delivered_replies_.empty()) {
      return;
    }
    replies.swap(delivered_replies_);
  }
  for (const auto& [reply, when] : replies) {
    perms_.OnDelivered(reply, when);
  }
}

void ClientSession::SendNoResponders(const protocol::PubOp& op) {
  // Only to a plain subscription of this very connection that matches the reply subject.
  sublist::SublistResultRef result = account_->sublist().Match(op.reply);
  for (const sublist::SubscriptionRef& ref : result->plain) {
    if (static_cast<ServerSubscription&>(*ref).internal) {
      continue;
    }
    auto& sub = static_cast<ClientSubscription&>(*ref);
    if (sub.session.get() != this || sub.removed.load(std::memory_order_acquire)) {
      continue;
    }
    static constexpr std::string_view kNoRespondersHeader = "NATS/1.0 503\r\n\r\n";
    std::string& line = Scratch();
    protocol::AppendHmsgHeader(&line, op.reply, sub.sid, {}, kNoRespondersHeader.size(),
                               kNoRespondersHeader.size());
    Send({line, kNoRespondersHeader, protocol::kCrLf});
    return;
  }
}

bool ClientSession::OnSub(const protocol::SubOp& op) {
  if (!ReadyForOps()) {
    return false;
  }
  if (!sublist::IsValidSubject(op.subject) ||
      (!op.queue.empty() && !sublist::IsValidQueueName(op.queue))) {
    SendErr(protocol::ErrorText(ProtocolError::kInvalidSubject));
    return true;
  }
  if (perms_.compiled() != nullptr && !perms_.CanSubscribe(op.subject, op.queue)) {
    LATTICE_LOG(kInfo) << "cid " << cid_ << " subscription to \"" << op.subject << "\" denied";
    SendErr(auth::SubscribeViolationText(op.subject, op.queue));
    return true;
  }
  if (subs_.find(Key(op.sid)) != subs_.end()) {
    // Duplicate sid: nats-server keeps the first subscription and says nothing else.
    if (connect_.verbose) {
      SendOk();
    }
    return true;
  }
  // The smallest of the user's, the account's and the server's limits (UpdateEffectiveLimits).
  if (max_subscriptions_ != -1 && static_cast<int64_t>(subs_.size()) >= max_subscriptions_) {
    SendErr(protocol::ErrorText(ProtocolError::kMaxSubscriptionsExceeded));
    return true;
  }
  auto sub = std::make_shared<ClientSubscription>();
  sub->subject = std::string(op.subject);
  sub->queue = std::string(op.queue);
  sub->sid = std::string(op.sid);
  sub->session = std::static_pointer_cast<ClientSession>(shared_from_this());
  const auto& compiled = perms_.compiled();
  if (compiled != nullptr && compiled->has_sub_deny() && compiled->WildcardCoversDeny(op.subject)) {
    sub->deny_filter = compiled;
  }
  // Managed nodes only: the index says whether this changed the reported interest.
  interest::InterestTracker* const tracker = context_.interest_tracker();
  bool interest_changed = false;
  if (!account_->sublist().Insert(sub, tracker != nullptr ? &interest_changed : nullptr)) {
    sub->session.reset();
    SendErr(protocol::ErrorText(ProtocolError::kInvalidSubject));
    return true;
  }
  if (interest_changed) {
    tracker->MarkDirty(account_->name(), sub->subject, sub->queue);
  }
  account_->subscriptions().fetch_add(1, std::memory_order_relaxed);
  subs_.insert(std::move(sub));
  if (connect_.verbose) {
    SendOk();
  }
  return true;
}

bool ClientSession::OnUnsub(const protocol::UnsubOp& op) {
  if (!ReadyForOps()) {
    return false;
  }
  auto it = subs_.find(Key(op.sid));
  if (it != subs_.end()) {
    std::shared_ptr<ClientSubscription> sub = *it;
    if (op.max_msgs.has_value() && *op.max_msgs > 0 &&
        sub->delivered.load(std::memory_order_acquire) < *op.max_msgs) {
      sub->max_msgs.store(*op.max_msgs, std::memory_order_release);
      // A delivery may have raced past the new limit between the check and the store.
      if (sub->delivered.load(std::memory_order_acquire) >= *op.max_msgs) {
        RemoveSubscription(sub);
      }
    } else {
      RemoveSubscription(sub);
    }
  }
  if (connect_.verbose) {
    SendOk();
  }
  return true;
}

void ClientSession::RemoveSubscription(const std::shared_ptr<ClientSubscription>& sub) {
  if (!sub->removed.exchange(true, std::memory_order_acq_rel)) {
    RemoveFromIndex(sub);
  }
  auto it = subs_.find(Key(sub->sid));
  if (it != subs_.end() && *it == sub) {
    subs_.erase(it);
    account_->subscriptions().fetch_sub(1, std::memory_order_relaxed);
  }
}

void ClientSession::RemoveAllSubscriptions() {
  for (const auto& sub : subs_) {
    if (!sub->removed.exchange(true, std::memory_order_acq_rel)) {
      RemoveFromIndex(sub);
    }
  }
  account_->subscriptions().fetch_sub(static_cast<int64_t>(subs_.size()),
                                      std::memory_order_relaxed);
  subs_.clear();
}

void ClientSession::RemoveFromIndex(const sublist::SubscriptionRef& sub) {
  interest::InterestTracker* const tracker = context_.interest_tracker();
  if (tracker == nullptr) {
    account_->sublist().Remove(sub);
    return;
  }
  bool interest_changed = false;
  account_->sublist().Remove(sub, &interest_changed);
  if (interest_changed) {
    tracker->MarkDirty(account_->name(), sub->subject, sub->queue);
  }
}

}  // namespace lattice::server
