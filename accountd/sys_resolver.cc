// SysResolver: libnats subscriptions for $SYS claim lookup/list/update and change announcements.
#include "accountd/sys_resolver.h"

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include <nats/nats.h>

#include "accountd/file_util.h"
#include "common/base/log.h"
#include "common/jwt/claims.h"
#include "common/nkeys/nkeys.h"

namespace lattice::accountd {
namespace {

constexpr char kLookupSubject[] = "$SYS.REQ.ACCOUNT.*.CLAIMS.LOOKUP";
constexpr char kListSubject[] = "$SYS.REQ.CLAIMS.LIST";
constexpr char kUpdateSubject[] = "$SYS.REQ.CLAIMS.UPDATE";

std::string NatsError(natsStatus status) {
  const char* last = nats_GetLastError(nullptr);
  return absl::StrCat(natsStatus_GetText(status), last != nullptr && *last ? ": " : "",
                      last != nullptr ? last : "");
}

std::string NewServerId() {
  absl::StatusOr<nkeys::KeyPair> key = nkeys::KeyPair::Generate(nkeys::KeyType::kServer);
  return key.ok() ? key->public_key().str() : "accountd";
}

}  // namespace

SysResolver::SysResolver(Resolver& resolver, SysResolverOptions options)
    : resolver_(resolver), options_(std::move(options)), id_(NewServerId()) {}

SysResolver::~SysResolver() {
  Stop();
}

absl::Status SysResolver::Start() {
  natsOptions* opts = nullptr;
  natsStatus s = natsOptions_Create(&opts);
  if (s == NATS_OK)
    s = natsOptions_SetURL(opts, options_.urls.c_str());
  if (s == NATS_OK && !options_.creds_file.empty())
    s = natsOptions_SetUserCredentialsFromFiles(opts, options_.creds_file.c_str(), nullptr);
  if (s == NATS_OK)
    s = natsOptions_SetName(opts, options_.name.c_str());
  if (s == NATS_OK)
    s = natsOptions_SetMaxReconnect(opts, -1);
  if (s == NATS_OK)
    s = natsOptions_SetReconnectWait(opts, 250);
  if (s == NATS_OK)
    s = natsOptions_SetRetryOnFailedConnect(opts, true, &SysResolver::OnConnected, this);
  if (s == NATS_OK)
    s = natsOptions_SetDisconnectedCB(opts, &SysResolver::OnDisconnected, this);
  if (s == NATS_OK)
    s = natsOptions_SetReconnectedCB(opts, &SysResolver::OnConnected, this);
  if (s == NATS_OK)
    s = natsOptions_SetClosedCB(opts, &SysResolver::OnClosed, this);
  if (s == NATS_OK) {
    s = natsConnection_Connect(&nc_, opts);
    if (s == NATS_OK) {
      connected_ = true;
      LATTICE_LOG(kInfo) << "accountd: $SYS resolver connected";
    } else if (s == NATS_NOT_YET_CONNECTED)
      s = NATS_OK;  // retrying in the background; subscriptions are sent once connected
  }
  for (const char* subject : {kLookupSubject, kListSubject, kUpdateSubject}) {
    if (s != NATS_OK)
      break;
    natsSubscription* sub = nullptr;
    s = natsConnection_QueueSubscribe(&sub, nc_, subject, kQueue, &SysResolver::OnMessage, this);
    if (s == NATS_OK) {
      subs_.push_back(sub);
      s = natsSubscription_SetOnCompleteCB(sub, &SysResolver::OnSubscriptionComplete, this);
    }
  }
  std::string error = s == NATS_OK ? "" : NatsError(s);
  natsOptions_Destroy(opts);
  if (s != NATS_OK) {
    Stop();
    return absl::InvalidArgumentError(absl::StrCat("accountd nats ", options_.urls, ": ", error));
  }
  LATTICE_LOG(kInfo) << "accountd: $SYS resolver joining " << options_.urls << " as " << id_;
  return absl::OkStatus();
}

void SysResolver::Stop() {
  {
    std::unique_lock<std::mutex> lock(mu_.native());
    // mu_ is held through `lock` (the analysis cannot see a unique_lock).
    [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { stopping_ = true; }();
    idle_.wait(lock, [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return in_flight_ == 0; });
  }
  // libnats calls handlers and connection callbacks from its own threads, also after Close
  // returns: wait for each subscription's completion and for the closed callback before `this`
  // may go away. Bounded so a libnats fault cannot hang shutdown.
  constexpr auto kCloseWait = std::chrono::seconds(10);
  for (natsSubscription* sub : subs_)
    natsSubscription_Unsubscribe(sub);
  const size_t subs = subs_.size();
  if (nc_ != nullptr)
    natsConnection_Close(nc_);
  {
    std::unique_lock<std::mutex> lock(mu_.native());
    const bool done =
        idle_.wait_for(lock, kCloseWait, [this, subs]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
          return subs_complete_ >= subs && (nc_ == nullptr || closed_);
        });
    if (!done) {
      LATTICE_LOG(kError) << "accountd: libnats did not confirm close";
    }
  }
  for (natsSubscription* sub : subs_)
    natsSubscription_Destroy(sub);
  subs_.clear();
  if (nc_ != nullptr) {
    natsConnection_Destroy(nc_);
    nc_ = nullptr;
  }
  connected_ = false;
}

void SysResolver::OnClosed(natsConnection*, void* closure) {
  auto* self = static_cast<SysResolver*>(closure);
  {
    // Notify under the lock: once it is released, Stop may return and `self` be destroyed.
    MutexLock lock(&self->mu_);
    self->closed_ = true;
    self->idle_.notify_all();
  }
}

void SysResolver::OnSubscriptionComplete(void* closure) {
  auto* self = static_cast<SysResolver*>(closure);
  {
    MutexLock lock(&self->mu_);
    ++self->subs_complete_;
    self->idle_.notify_all();
  }
}

void SysResolver::OnConnected(natsConnection*, void* closure) {
  auto* self = static_cast<SysResolver*>(closure);
  if (!self->connected_.exchange(true)) {
    LATTICE_LOG(kInfo) << "accountd: $SYS resolver connected";
  }
}

void SysResolver::OnDisconnected(natsConnection*, void* closure) {
  auto* self = static_cast<SysResolver*>(closure);
  if (self->connected_.exchange(false)) {
    LATTICE_LOG(kWarn) << "accountd: $SYS resolver disconnected; reconnecting";
  }
}

void SysResolver::OnMessage(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  auto* self = static_cast<SysResolver*>(closure);
  {
    MutexLock lock(&self->mu_);
    if (self->stopping_) {
      natsMsg_Destroy(msg);
      return;
    }
    ++self->in_flight_;
  }
  const char* reply = natsMsg_GetReply(msg);
  const char* data = natsMsg_GetData(msg);
  self->Handle(
      natsMsg_GetSubject(msg), reply != nullptr ? reply : "",
      std::string(data != nullptr ? data : "", static_cast<size_t>(natsMsg_GetDataLength(msg))));
  natsMsg_Destroy(msg);
  {
    MutexLock lock(&self->mu_);
    --self->in_flight_;
    self->idle_.notify_all();
  }
}

void SysResolver::Handle(const std::string& subject, const std::string& reply,
                         const std::string& data) {
  if (subject == kListSubject) {
    HandleList(reply);
  } else if (subject == kUpdateSubject) {
    HandleUpdate(reply, data);
  } else {
    HandleLookup(subject, reply);
  }
}

void SysResolver::HandleLookup(const std::string& subject, const std::string& reply) {
  std::vector<std::string> tokens = absl::StrSplit(subject, '.');
  if (reply.empty() || tokens.size() != 6 || tokens[4] != "CLAIMS" || tokens[5] != "LOOKUP")
    return;
  std::shared_ptr<const AccountEntry> entry = resolver_.cache().Get(tokens[3]);
  // Unknown accounts get no reply, as nats-server's full resolver: the first replier wins.
  if (entry == nullptr) {
    LATTICE_LOG(kDebug) << "accountd: lookup of unknown account " << tokens[3];
    return;
  }
  Respond(reply, entry->jwt);
}

nlohmann::json SysResolver::ServerJson() {
  nlohmann::json server = {
      {"name", options_.name},
      {"host", ""},
      {"id", id_},
      {"ver", "lattice-accountd"},
      {"seq", ++seq_},
      {"jetstream", false},
      {"time", absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", absl::Now(), absl::UTCTimeZone())}};
  return server;
}

void SysResolver::HandleList(const std::string& reply) {
  if (reply.empty())
    return;
  nlohmann::json out = {{"data", resolver_.cache().Keys()}, {"server", ServerJson()}};
  Respond(reply, out.dump());
}

void SysResolver::HandleUpdate(const std::string& reply, const std::string& data) {
  const std::string token(StripWhitespace(data));
  std::string account = "n/a";
  std::string message = "jwt update resulted in error";
  absl::Status status;
  absl::StatusOr<jwt::AccountClaims> claims = jwt::DecodeAccount(token);
  if (!claims.ok()) {
    status = claims.status();
  } else {
    account = claims->std.subject;
    absl::StatusOr<PutResult> result = resolver_.Submit(token, account);
    status = result.status();
    if (status.code() == absl::StatusCode::kPermissionDenied ||
        status.code() == absl::StatusCode::kFailedPrecondition) {
      message = "jwt validation failed";
    }
  }
  if (!status.ok()) {
    LATTICE_LOG(kInfo) << "accountd: $SYS update for " << account << " refused: " << status;
  }
  if (reply.empty())
    return;
  nlohmann::json body = {{"account", account}};
  nlohmann::json out;
  if (status.ok()) {
    body["code"] = 200;
    body["message"] = "jwt updated";
    out["data"] = body;
  } else {
    body["code"] = 500;
    body["description"] = absl::StrCat(message, " - ", status.message());
    out["error"] = body;
  }
  out["server"] = ServerJson();
  Respond(reply, out.dump());
}

void SysResolver::Respond(const std::string& reply, const std::string& body) {
  natsStatus s =
      natsConnection_Publish(nc_, reply.c_str(), body.data(), static_cast<int>(body.size()));
  if (s != NATS_OK) {
    LATTICE_LOG(kWarn) << "accountd: cannot reply on " << reply << ": " << NatsError(s);
  }
}

void SysResolver::Announce(const AccountEntry& entry) {
  if (nc_ == nullptr)
    return;
  const std::string subject = absl::StrCat("$SYS.ACCOUNT.", entry.public_key, ".CLAIMS.UPDATE");
  natsStatus s = natsConnection_Publish(nc_, subject.c_str(), entry.jwt.data(),
                                        static_cast<int>(entry.jwt.size()));
  if (s != NATS_OK) {
    LATTICE_LOG(kWarn) << "accountd: cannot announce " << entry.public_key << ": " << NatsError(s);
  } else {
    LATTICE_LOG(kDebug) << "accountd: announced " << entry.public_key;
  }
}

}  // namespace lattice::accountd
