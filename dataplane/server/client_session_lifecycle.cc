// ClientSession's life around the protocol: keepalive (PING/PONG, stale connections, the
// authentication timeout), config reload, close, and the snapshot /connz shows.
#include <string>

#include "common/base/log.h"
#include "dataplane/protocol/client_encoder.h"
#include "dataplane/server/client_session.h"

namespace lattice::server {

using protocol::ProtocolError;

bool ClientSession::OnPing() {
  if (!ReadyForOps()) {
    return false;
  }
  Send(protocol::kPongFrame);
  last_ping_received_ = context_.clock().Now();
  if (connect_received_ && !first_pong_sent_) {
    first_pong_sent_ = true;
    // nats-server (processPing): after the first PONG a client that takes async INFO learns
    // its own max_payload when its account or user limits lower the server's.
    if (connect_.protocol >= 1 && max_payload_ >= 0 &&
        max_payload_ != config_->options->max_payload) {
      std::string out;  // once per connection, not worth the per-thread scratch
      protocol::AppendInfo(&out, context_.ClientInfoJson(cid_, peer_.ip, "", max_payload_));
      Send(out);
    }
  }
  return true;
}

bool ClientSession::OnPong() {
  if (closed()) {
    return false;
  }
  pings_out_ = 0;
  if (ping_sent_at_ != ClockTime()) {
    rtt_nanos_ =
        std::chrono::duration_cast<std::chrono::nanoseconds>(context_.clock().Now() - ping_sent_at_)
            .count();
    ping_sent_at_ = ClockTime();
  }
  return true;
}

bool ClientSession::OnErr(std::string_view text) {
  LATTICE_LOG(kDebug) << "cid " << cid_ << " client sent -ERR " << text;
  Close(CloseReason::kClientClosed);
  return false;
}

void ClientSession::ArmPingTimer(ClockDuration delay) {
  if (delay <= ClockDuration::zero()) {
    return;
  }
  std::weak_ptr<Connection> weak = weak_from_this();
  ping_timer_ = loop().AddTimer(delay, [weak] {
    if (auto self = weak.lock()) {
      static_cast<ClientSession*>(self.get())->OnPingTimer();
    }
  });
}

void ClientSession::OnPingTimer() {
  ping_timer_ = 0;
  if (closed()) {
    return;
  }
  const options::Options& opts = *config_->options;
  ClockDuration interval = opts.ping_interval;
  ClockTime now = context_.clock().Now();
  // Recent traffic or a ping from the client proves the connection alive (nats-server).
  bool active = now - last_activity_ < interval || now - last_ping_received_ < interval;
  if (!active) {
    if (pings_out_ + 1 > opts.ping_max) {
      LATTICE_LOG(kDebug) << "cid " << cid_ << " stale connection, closing";
      SendErrAndClose(ProtocolError::kStaleConnection, CloseReason::kStaleConnection);
      return;
    }
    ++pings_out_;
    ping_sent_at_ = now;
    Send(protocol::kPingFrame);
  }
  ArmPingTimer(interval);
}

void ClientSession::OnAuthTimeout() {
  auth_timer_ = 0;
  if (!closed() && !connect_received_) {
    SendErrAndClose(ProtocolError::kAuthenticationTimeout, CloseReason::kAuthenticationTimeout);
  }
}

void ClientSession::ApplyConfig(const RuntimeConfig& config) {
  if (closed()) {
    return;
  }
  auto fresh = std::make_shared<RuntimeConfig>(config);
  bool auth_changed = fresh->authenticator != config_->authenticator;
  config_ = std::move(fresh);
  set_max_pending(config_->options->max_pending);
  UpdateEffectiveLimits();
  if (auth_changed && connect_received_ && !Authenticate()) {
    // nats-server 2.9.10 closes a client whose credentials a reload removed without an -ERR.
    Close(CloseReason::kAuthenticationViolation);
    return;
  }
  if (connect_received_ && (identity_account_.empty() ? std::string(auth::kGlobalAccount)
                                                      : identity_account_) != account_->name()) {
    // A reload moved the user to another account: reconnect it there (nats-server closes).
    Close(CloseReason::kAuthenticationViolation);
    return;
  }
  if (!account_->active().load(std::memory_order_acquire)) {
    CloseWithError("Account Authentication Expired", CloseReason::kAuthenticationExpired);
  }
}

void ClientSession::OnClosed(CloseReason reason) {
  if (reason == CloseReason::kSlowConsumerPendingBytes ||
      reason == CloseReason::kSlowConsumerWriteDeadline) {
    stats_.slow_consumers.fetch_add(1, std::memory_order_relaxed);
    LATTICE_LOG(kInfo) << "cid " << cid_ << " " << peer_.ip << ":" << peer_.port
                       << " slow consumer detected, closing: " << CloseReasonText(reason);
  } else {
    LATTICE_LOG(kDebug) << "cid " << cid_ << " closed: " << CloseReasonText(reason);
  }
  if (auth_timer_ != 0) {
    loop().CancelTimer(auth_timer_);
    auth_timer_ = 0;
  }
  if (ping_timer_ != 0) {
    loop().CancelTimer(ping_timer_);
    ping_timer_ = 0;
  }
  if (expiry_timer_ != 0) {
    loop().CancelTimer(expiry_timer_);
    expiry_timer_ = 0;
  }
  closed_snapshot_ = std::make_unique<ConnectionSnapshot>(Snapshot());
  if (account_ != nullptr) {
    RemoveAllSubscriptions();
    account_->connections().fetch_sub(1, std::memory_order_relaxed);
  }
  // The Worker drops its reference after this call stack has unwound.
  // The L1 result may reference our own subscriptions (a cycle); it is dropped only here,
  // after the call stack unwound, because OnPub may be iterating it right now (a delivery to
  // ourselves can close us as a slow consumer).
  loop().RunAtEndOfIteration([self = shared_from_this()] {
    auto* session = static_cast<ClientSession*>(self.get());
    session->l1_result_.reset();
    session->import_hops_.reset();
    if (session->on_closed_) {
      session->on_closed_(session);
    }
  });
}

ConnectionSnapshot ClientSession::Snapshot() const {
  if (closed_snapshot_ != nullptr) {
    return *closed_snapshot_;
  }
  ConnectionSnapshot snap;
  snap.cid = cid_;
  snap.ip = peer_.ip;
  snap.port = peer_.port;
  snap.start_unix_nanos = start_unix_nanos_;
  snap.last_activity_unix_nanos = last_activity_unix_nanos_.load(std::memory_order_relaxed);
  snap.rtt_nanos = rtt_nanos_;
  snap.pending_bytes = pending_bytes();
  snap.in_msgs = counters().in_msgs.load(std::memory_order_relaxed);
  snap.in_bytes = counters().in_bytes.load(std::memory_order_relaxed);
  snap.out_msgs = counters().out_msgs.load(std::memory_order_relaxed);
  snap.out_bytes = counters().out_bytes.load(std::memory_order_relaxed);
  snap.subscription_count = subs_.size();
  snap.subscriptions.reserve(subs_.size());
  snap.subscription_details.reserve(subs_.size());
  for (const auto& sub : subs_) {
    snap.subscriptions.push_back(sub->subject);
    SubscriptionSnapshot detail;
    detail.subject = sub->subject;
    detail.queue = sub->queue;
    detail.sid = sub->sid;
    detail.msgs = sub->delivered.load(std::memory_order_relaxed);
    detail.max = sub->max_msgs.load(std::memory_order_relaxed);
    snap.subscription_details.push_back(std::move(detail));
  }
  snap.name = connect_.name;
  snap.lang = connect_.lang;
  snap.version = connect_.version;
  snap.account = account_ != nullptr ? account_->name() : std::string(auth::kGlobalAccount);
  snap.user = user_;
  snap.tls_version = tls_version();
  snap.tls_cipher_suite = tls_cipher_suite();
  return snap;
}

}  // namespace lattice::server
