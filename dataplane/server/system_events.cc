// SystemEvents: the loops hand over snapshots and request bytes; the events thread renders
// nats-server's JSON and publishes it into the system account (or the requester's account).
#include "dataplane/server/system_events.h"

#include <algorithm>
#include <future>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"

#include "common/base/log.h"
#include "dataplane/monitor/endpoints.h"

namespace lattice::server {

// Lets handlers installed in account indexes reach this object only while it runs: they lock
// the gate, and Stop clears it. Thread: any.
struct SystemEvents::Gate {
  Mutex mu;
  SystemEvents* target ABSL_GUARDED_BY(mu) = nullptr;
};

enum class SystemEvents::RequestKind : uint8_t {
  kServerPing,      // $SYS.REQ.SERVER.PING
  kServerEndpoint,  // $SYS.REQ.SERVER.PING.<X>, $SYS.REQ.SERVER.<id>.<X>
  kAccountDirect,   // $SYS.REQ.ACCOUNT.<acc>.<Y>
  kImportConnz,     // in an ordinary account: its own connz
  kImportStatz,     // in an ordinary account: its own statz
};

struct SystemEvents::Request {
  RequestKind kind;
  std::shared_ptr<Account> account;  // where the request was published (answers go there)
  std::string subject;
  std::string reply;
  std::string payload;
};

namespace {

constexpr std::string_view kGlobalAccount = "$G";

std::string_view LastToken(std::string_view subject) {
  size_t dot = subject.rfind('.');
  return dot == std::string_view::npos ? subject : subject.substr(dot + 1);
}

bool IsServerEndpoint(std::string_view name) {
  return name == "STATSZ" || monitor::EndpointFromRequestName(name).has_value();
}

bool IsAccountEndpoint(std::string_view name) {
  return name == "CONNZ" || name == "SUBSZ" || name == "INFO" || name == "STATZ" || name == "CONNS";
}

EventTime FromUnixNanos(int64_t nanos) {
  return EventTime(
      std::chrono::duration_cast<EventTime::duration>(std::chrono::nanoseconds(nanos)));
}

EventClientInfo ClientInfoFrom(const ConnectionSnapshot& s) {
  EventClientInfo info;
  info.start = FromUnixNanos(s.start_unix_nanos);
  info.host = s.ip;
  info.id = s.cid;
  info.account = s.account;
  info.user = s.user;
  info.name = s.name;
  info.lang = s.lang;
  info.version = s.version;
  return info;
}

bool IsSlowConsumer(CloseReason reason) {
  return reason == CloseReason::kSlowConsumerPendingBytes ||
         reason == CloseReason::kSlowConsumerWriteDeadline;
}

}  // namespace

SystemEvents::SystemEvents(Server& server, monitor::MonitorSource& monitor,
                           SystemEventsOptions options)
    : server_(server),
      monitor_(monitor),
      options_(options),
      loop_(SystemClock::Get()),
      gate_(std::make_shared<Gate>()) {}

SystemEvents::~SystemEvents() {
  Stop();
}

absl::Status SystemEvents::Start() {
  AccountRegistry& registry = server_.context().registry();
  const std::string name = registry.system_account();
  if (name.empty() || thread_.joinable()) {
    return absl::OkStatus();
  }
  std::shared_ptr<Account> sys = registry.Find(name);
  if (sys == nullptr) {
    return absl::OkStatus();
  }
  std::shared_ptr<const options::Options> opts = server_.options();
  server_name_ = opts->server_name.empty() ? server_.server_id() : opts->server_name;
  server_host_ = opts->host.empty() ? "0.0.0.0" : opts->host;
  system_account_ = sys;
  {
    MutexLock lock(&gate_->mu);
    gate_->target = this;
  }
  thread_ = std::thread([this] { loop_.Run(); });

  const std::string id = server_.server_id();
  std::vector<std::pair<std::string, RequestKind>> subjects = {
      {"$SYS.REQ.SERVER.PING", RequestKind::kServerPing},
      {"$SYS.REQ.SERVER.PING.*", RequestKind::kServerEndpoint},
      {absl::StrCat("$SYS.REQ.SERVER.", id, ".*"), RequestKind::kServerEndpoint},
      {"$SYS.REQ.ACCOUNT.*.*", RequestKind::kAccountDirect},
  };
  for (auto& [subject, kind] : subjects) {
    std::shared_ptr<InternalSubscription> sub = Subscribe(*sys, subject, kind, sys);
    if (sub == nullptr) {
      Stop();
      return absl::InternalError(absl::StrCat("cannot subscribe system service ", subject));
    }
    system_subs_.push_back(std::move(sub));
  }
  // nats-server's system imports, in every account that exists now; later ones get theirs
  // when their first client connects.
  for (const AccountInfo& info : registry.List()) {
    if (!info.is_system) {
      if (std::shared_ptr<Account> account = registry.Find(info.name); account != nullptr) {
        EnsureAccountImports(account);
      }
    }
  }
  server_.SetClientEventSink(this);
  loop_.Post([this] {
    statsz_interval_ = options_.statsz_first;
    loop_.AddTimer(statsz_interval_, [this] { OnStatszTimer(); });
    loop_.AddTimer(options_.conns_heartbeat, [this] { OnHeartbeatTimer(); });
  });
  LATTICE_LOG(kInfo) << "System account events enabled in " << name;
  return absl::OkStatus();
}

void SystemEvents::Stop() {
  if (!thread_.joinable()) {
    return;
  }
  server_.SetClientEventSink(nullptr);
  {
    MutexLock lock(&gate_->mu);
    gate_->target = nullptr;
  }
  for (const auto& sub : system_subs_) {
    UnsubscribeInternal(*system_account_, sub);
  }
  system_subs_.clear();
  {
    MutexLock lock(&imports_mu_);
    for (auto& [id, imports] : imports_) {
      if (std::shared_ptr<Account> account = imports.account.lock(); account != nullptr) {
        for (const auto& sub : imports.subs) {
          UnsubscribeInternal(*account, sub);
        }
      }
    }
    imports_.clear();
  }
  loop_.Stop();
  thread_.join();
}

void SystemEvents::SyncForTest() {
  if (!thread_.joinable()) {
    return;
  }
  auto done = std::make_shared<std::promise<void>>();
  std::future<void> ready = done->get_future();
  loop_.Post([done] { done->set_value(); });
  ready.wait();
}

std::shared_ptr<InternalSubscription> SystemEvents::Subscribe(Account& account, std::string subject,
                                                              RequestKind kind,
                                                              std::weak_ptr<Account> answer_in) {
  std::shared_ptr<Gate> gate = gate_;
  return SubscribeInternal(
      account, std::move(subject),
      [gate, kind, answer_in](const protocol::PubOp& op, ClientSession*, int) -> size_t {
        // Names we do not serve get no answer, so their publisher may see no-responders.
        if ((kind == RequestKind::kServerEndpoint && !IsServerEndpoint(LastToken(op.subject))) ||
            (kind == RequestKind::kAccountDirect && !IsAccountEndpoint(LastToken(op.subject)))) {
          return 0;
        }
        std::shared_ptr<Account> where = answer_in.lock();
        if (where == nullptr) {
          return 0;
        }
        MutexLock lock(&gate->mu);
        SystemEvents* target = gate->target;
        if (target == nullptr) {
          return 0;
        }
        Request request{kind, std::move(where), std::string(op.subject), std::string(op.reply),
                        std::string(op.payload)};
        target->loop_.Post(
            [target, request = std::move(request)] { target->HandleRequest(request); });
        return 1;
      });
}

void SystemEvents::EnsureAccountImports(const std::shared_ptr<Account>& account) {
  if (account == nullptr || account->id() == system_account_->id()) {
    return;
  }
  {
    MutexLock lock(&imports_mu_);
    auto [it, inserted] = imports_.try_emplace(account->id());
    if (!inserted) {
      return;
    }
    it->second.account = account;
  }
  std::vector<std::shared_ptr<InternalSubscription>> subs;
  for (auto& [subject, kind] : std::vector<std::pair<std::string, RequestKind>>{
           {"$SYS.REQ.ACCOUNT.PING.CONNZ", RequestKind::kImportConnz},
           {"$SYS.REQ.SERVER.PING.CONNZ", RequestKind::kImportConnz},
           {"$SYS.REQ.ACCOUNT.PING.STATZ", RequestKind::kImportStatz}}) {
    if (auto sub = Subscribe(*account, subject, kind, account); sub != nullptr) {
      subs.push_back(std::move(sub));
    }
  }
  MutexLock lock(&imports_mu_);
  imports_[account->id()].subs = std::move(subs);
}

void SystemEvents::OnClientConnected(ClientSession& session) {
  EnsureAccountImports(session.account());
  const std::string& account = session.account()->name();
  bool announce =
      account != kGlobalAccount && HasInterest(absl::StrCat("$SYS.ACCOUNT.", account, ".CONNECT"));
  loop_.Post(
      [this, snapshot = session.Snapshot(), announce] { HandleConnected(snapshot, announce); });
}

void SystemEvents::OnClientClosed(const ConnectionSnapshot& snapshot, CloseReason reason) {
  bool announce_auth =
      reason == CloseReason::kAuthenticationViolation &&
      HasInterest(absl::StrCat("$SYS.SERVER.", server_.server_id(), ".CLIENT.AUTH.ERR"));
  bool announce_disconnect =
      snapshot.account != kGlobalAccount &&
      HasInterest(absl::StrCat("$SYS.ACCOUNT.", snapshot.account, ".DISCONNECT"));
  loop_.Post([this, snapshot, reason, announce_auth, announce_disconnect] {
    HandleClosed(snapshot, reason, announce_auth, announce_disconnect);
  });
}

void SystemEvents::OnServerShutdown() {
  auto done = std::make_shared<std::promise<void>>();
  std::future<void> ready = done->get_future();
  loop_.Post([this, done] {
    std::string subject = absl::StrCat("$SYS.SERVER.", server_.server_id(), ".SHUTDOWN");
    if (HasInterest(subject)) {
      Publish(*system_account_, subject, ServerInfoJson(NextServerInfo()));
    }
    // Answer from the next iteration: this one's end flushes the message to its readers first.
    loop_.Post([done] { done->set_value(); });
  });
  // Bounded: a stuck events thread must not hold up the shutdown.
  ready.wait_for(std::chrono::seconds(1));
}

// ---- events thread ----

EventServerInfo SystemEvents::NextServerInfo() {
  EventServerInfo info;
  info.name = server_name_;
  info.host = server_host_;
  info.id = server_.server_id();
  info.version = std::string(kNatsCompatVersion);
  info.seq = ++seq_;
  info.time = std::chrono::system_clock::now();
  return info;
}

void SystemEvents::Publish(Account& account, const std::string& subject,
                           const std::string& payload) {
  Server::PublishInternal(account, subject, "", payload);
}

bool SystemEvents::HasInterest(const std::string& subject) const {
  sublist::SublistResultRef result = system_account_->sublist().Match(subject);
  return !result->plain.empty() || !result->queue_groups.empty();
}

void SystemEvents::HandleConnected(const ConnectionSnapshot& snapshot, bool announce) {
  MarkConnsChanged(snapshot.account);
  if (!announce) {
    return;  // nobody listening, or the global account (nats-server ignores its activity)
  }
  Publish(*system_account_, absl::StrCat("$SYS.ACCOUNT.", snapshot.account, ".CONNECT"),
          ConnectEventJson(NewEventId(), NextServerInfo(), ClientInfoFrom(snapshot)));
}

void SystemEvents::HandleClosed(const ConnectionSnapshot& snapshot, CloseReason reason,
                                bool announce_auth, bool announce_disconnect) {
  Totals& totals = closed_totals_[snapshot.account];
  totals.received.msgs += static_cast<int64_t>(snapshot.in_msgs);
  totals.received.bytes += static_cast<int64_t>(snapshot.in_bytes);
  totals.sent.msgs += static_cast<int64_t>(snapshot.out_msgs);
  totals.sent.bytes += static_cast<int64_t>(snapshot.out_bytes);
  if (IsSlowConsumer(reason)) {
    ++totals.slow_consumers;
  }
  EventClientInfo client = ClientInfoFrom(snapshot);
  client.rtt = std::chrono::nanoseconds(snapshot.rtt_nanos);
  client.stopped = true;
  client.stop = std::chrono::system_clock::now();
  DataStats sent{static_cast<int64_t>(snapshot.in_msgs), static_cast<int64_t>(snapshot.in_bytes)};
  DataStats received{static_cast<int64_t>(snapshot.out_msgs),
                     static_cast<int64_t>(snapshot.out_bytes)};
  const std::string reason_text(CloseReasonText(reason));
  if (announce_auth) {
    Publish(
        *system_account_, absl::StrCat("$SYS.SERVER.", server_.server_id(), ".CLIENT.AUTH.ERR"),
        DisconnectEventJson(NewEventId(), NextServerInfo(), client, sent, received, reason_text));
  }
  if (snapshot.account == kGlobalAccount) {
    return;
  }
  MarkConnsChanged(snapshot.account);
  if (announce_disconnect) {
    std::string subject = absl::StrCat("$SYS.ACCOUNT.", snapshot.account, ".DISCONNECT");
    Publish(
        *system_account_, subject,
        DisconnectEventJson(NewEventId(), NextServerInfo(), client, sent, received, reason_text));
  }
}

void SystemEvents::MarkConnsChanged(const std::string& account) {
  if (conns_changed_.empty()) {
    // One update per account per batch of connects/closes (one connection snapshot).
    loop_.RunAtEndOfIteration([this] { FlushConnsUpdates(); });
  }
  conns_changed_.insert(account);
}

void SystemEvents::FlushConnsUpdates() {
  std::vector<std::string> names(conns_changed_.begin(), conns_changed_.end());
  conns_changed_.clear();
  std::vector<std::pair<std::string, std::string>> subjects;  // account -> subject
  std::vector<std::string> wanted;
  for (const std::string& name : names) {
    bool any = false;
    for (std::string subject : {absl::StrCat("$SYS.ACCOUNT.", name, ".SERVER.CONNS"),
                                absl::StrCat("$SYS.SERVER.ACCOUNT.", name, ".CONNS")}) {
      if (HasInterest(subject)) {
        subjects.emplace_back(name, std::move(subject));
        any = true;
      }
    }
    if (any) {
      wanted.push_back(name);
    }
  }
  if (wanted.empty()) {
    return;
  }
  absl::flat_hash_map<std::string, AccountStat> stats;
  for (AccountStat& stat : AccountStats(wanted)) {
    stats[stat.account] = std::move(stat);
  }
  for (const auto& [name, subject] : subjects) {
    auto it = stats.find(name);
    if (it != stats.end()) {
      Publish(*system_account_, subject,
              AccountConnsEventJson(NewEventId(), NextServerInfo(), it->second));
    }
  }
}

std::vector<AccountStat> SystemEvents::AccountStats(const std::vector<std::string>& names) {
  absl::flat_hash_map<std::string, Totals> live;
  for (const monitor::ConnectionSnapshot& c : monitor_.Connections(false)) {
    Totals& t = live[c.account];
    t.received.msgs += c.in_msgs;
    t.received.bytes += c.in_bytes;
    t.sent.msgs += c.out_msgs;
    t.sent.bytes += c.out_bytes;
  }
  std::vector<AccountStat> out;
  for (const std::string& name : names) {
    std::shared_ptr<Account> account = server_.context().registry().Find(name);
    if (account == nullptr) {
      continue;
    }
    AccountStat stat;
    stat.account = name;
    stat.conns = std::max<int64_t>(account->connections().load(std::memory_order_relaxed), 0);
    for (const auto* totals : {&live[name], &closed_totals_[name]}) {
      stat.sent.msgs += totals->sent.msgs;
      stat.sent.bytes += totals->sent.bytes;
      stat.received.msgs += totals->received.msgs;
      stat.received.bytes += totals->received.bytes;
      stat.slow_consumers += totals->slow_consumers;
    }
    out.push_back(std::move(stat));
  }
  return out;
}

void SystemEvents::HandleRequest(const Request& request) {
  std::string_view name = LastToken(request.subject);
  switch (request.kind) {
    case RequestKind::kServerPing:
      AnswerStatsz(request);
      return;
    case RequestKind::kServerEndpoint:
      if (name == "STATSZ") {
        AnswerStatsz(request);
      } else {
        AnswerMonitor(request, name, "");
      }
      return;
    case RequestKind::kAccountDirect: {
      std::vector<std::string> tokens = absl::StrSplit(request.subject, '.');
      if (tokens.size() != 5) {
        return;
      }
      const std::string& account = tokens[3];
      if (name == "CONNZ" || name == "SUBSZ") {
        AnswerMonitor(request, name, account);
      } else if (name == "STATZ") {
        // PING.STATZ is every account's statz; a direct STATZ names one.
        AnswerAccountStatz(request, account == "PING" ? "" : account);
      } else if (name == "INFO") {
        AnswerAccountInfo(request, account);
      } else if (name == "CONNS") {
        AnswerConns(request, account);
      }
      return;
    }
    case RequestKind::kImportConnz:
      AnswerMonitor(request, "CONNZ", request.account->name());
      return;
    case RequestKind::kImportStatz:
      AnswerAccountStatz(request, request.account->name());
      return;
  }
}

void SystemEvents::AnswerStatsz(const Request& request) {
  std::string reply = request.reply;
  if (reply.empty()) {
    reply = absl::StrCat("$SYS.SERVER.", server_.server_id(), ".STATSZ");
  }
  absl::StatusOr<EventFilter> filter = ParseEventFilter(request.payload);
  if (!filter.ok()) {
    Publish(*request.account, reply,
            ApiErrorJson(NextServerInfo(), 400, std::string(filter.status().message())));
    return;
  }
  if (FilterExcludes(*filter, server_name_, server_host_)) {
    return;
  }
  SendStatsz(*request.account, reply);
}

void SystemEvents::AnswerMonitor(const Request& request, std::string_view endpoint_name,
                                 const std::string& force_account) {
  if (request.reply.empty()) {
    return;
  }
  std::optional<monitor::Endpoint> endpoint = monitor::EndpointFromRequestName(endpoint_name);
  if (!endpoint.has_value()) {
    return;
  }
  absl::StatusOr<EventFilter> filter = ParseEventFilter(request.payload);
  absl::StatusOr<monitor::QueryParams> query =
      filter.ok() ? monitor::QueryFromRequestBody(*endpoint, request.payload)
                  : absl::StatusOr<monitor::QueryParams>(filter.status());
  if (!query.ok()) {
    Publish(*request.account, request.reply,
            ApiErrorJson(NextServerInfo(), 400, std::string(query.status().message())));
    return;
  }
  if (FilterExcludes(*filter, server_name_, server_host_)) {
    return;
  }
  if (!force_account.empty()) {
    (*query)["acc"] = force_account;
    if (*endpoint == monitor::Endpoint::kSubsz) {
      (*query)["subs"] = "1";
    }
  }
  absl::StatusOr<std::string> data = monitor::RenderEndpoint(monitor_, *endpoint, *query, {});
  if (!data.ok()) {
    Publish(*request.account, request.reply,
            ApiErrorJson(NextServerInfo(), 500, std::string(data.status().message())));
    return;
  }
  Publish(*request.account, request.reply, ApiResponseJson(NextServerInfo(), *data));
}

void SystemEvents::AnswerAccountStatz(const Request& request, const std::string& only_account) {
  if (request.reply.empty()) {
    return;
  }
  absl::StatusOr<EventFilter> filter = ParseEventFilter(request.payload);
  absl::StatusOr<AccountStatzRequest> options =
      filter.ok() ? ParseAccountStatzRequest(request.payload)
                  : absl::StatusOr<AccountStatzRequest>(filter.status());
  if (!options.ok()) {
    Publish(*request.account, request.reply,
            ApiErrorJson(NextServerInfo(), 400, std::string(options.status().message())));
    return;
  }
  if (FilterExcludes(*filter, server_name_, server_host_)) {
    return;
  }
  std::vector<std::string> names;
  if (!only_account.empty()) {
    names.push_back(only_account);
  } else if (!options->accounts.empty()) {
    names = options->accounts;
  } else {
    for (const AccountInfo& info : server_.context().registry().List()) {
      names.push_back(info.name);
    }
  }
  std::vector<AccountStat> stats;
  for (AccountStat& stat : AccountStats(names)) {
    if (options->include_unused || stat.conns != 0) {
      stats.push_back(std::move(stat));
    }
  }
  if (stats.empty() && !options->include_unused) {
    return;  // nats-server stays silent rather than answering with nothing
  }
  Publish(
      *request.account, request.reply,
      ApiResponseJson(NextServerInfo(), AccountStatzJson(server_.server_id(),
                                                         std::chrono::system_clock::now(), stats)));
}

void SystemEvents::AnswerAccountInfo(const Request& request, const std::string& account) {
  if (request.reply.empty()) {
    return;
  }
  absl::StatusOr<EventFilter> filter = ParseEventFilter(request.payload);
  if (!filter.ok()) {
    Publish(*request.account, request.reply,
            ApiErrorJson(NextServerInfo(), 400, std::string(filter.status().message())));
    return;
  }
  if (FilterExcludes(*filter, server_name_, server_host_)) {
    return;
  }
  // The account detail of /accountz?acc=<account>: the same document nats-server returns.
  absl::StatusOr<std::string> accountz =
      monitor::RenderEndpoint(monitor_, monitor::Endpoint::kAccountz, {{"acc", account}}, {});
  nlohmann::json parsed;
  if (accountz.ok()) {
    parsed = nlohmann::json::parse(*accountz, nullptr, /*allow_exceptions=*/false);
  }
  if (parsed.is_discarded() || !parsed.is_object() || !parsed.contains("account_detail")) {
    Publish(
        *request.account, request.reply,
        ApiErrorJson(NextServerInfo(), 500, absl::StrCat("Account ", account, " does not exist")));
    return;
  }
  Publish(*request.account, request.reply,
          ApiResponseJson(NextServerInfo(), parsed["account_detail"].dump()));
}

void SystemEvents::AnswerConns(const Request& request, const std::string& account) {
  if (request.reply.empty()) {
    return;
  }
  std::vector<AccountStat> stats = AccountStats({account});
  if (stats.empty() || stats.front().conns == 0) {
    return;
  }
  Publish(*request.account, request.reply,
          AccountConnsEventJson(NewEventId(), NextServerInfo(), stats.front()));
}

void SystemEvents::SendStatsz(Account& account, const std::string& subject) {
  monitor::ServerSnapshot snap = monitor_.Server();
  StatszStats stats;
  stats.start = snap.start;
  stats.mem = snap.mem_bytes;
  stats.cores = snap.cores;
  stats.cpu = snap.cpu_percent;
  stats.connections = snap.connections;
  stats.total_connections = snap.total_connections;
  stats.subscriptions = snap.subscriptions;
  stats.sent = {snap.out_msgs, snap.out_bytes};
  stats.received = {snap.in_msgs, snap.in_bytes};
  stats.slow_consumers = snap.slow_consumers;
  for (const AccountInfo& info : server_.context().registry().List()) {
    if (info.connections > 0) {
      ++stats.active_accounts;
    }
  }
  Publish(account, subject, StatszJson(NextServerInfo(), stats));
}

void SystemEvents::OnStatszTimer() {
  std::string subject = absl::StrCat("$SYS.SERVER.", server_.server_id(), ".STATSZ");
  if (HasInterest(subject)) {
    SendStatsz(*system_account_, subject);
  }
  statsz_interval_ = std::min(statsz_interval_ * 2, options_.statsz_max);
  loop_.AddTimer(statsz_interval_, [this] { OnStatszTimer(); });
}

void SystemEvents::OnHeartbeatTimer() {
  for (const AccountInfo& info : server_.context().registry().List()) {
    if (info.connections > 0) {
      MarkConnsChanged(info.name);
    }
  }
  {
    MutexLock lock(&imports_mu_);
    for (auto it = imports_.begin(); it != imports_.end();) {
      auto current = it++;
      if (current->second.account.expired()) {
        imports_.erase(current);
      }
    }
  }
  loop_.AddTimer(options_.conns_heartbeat, [this] { OnHeartbeatTimer(); });
}

}  // namespace lattice::server
