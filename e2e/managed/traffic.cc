// Traffic: counted publish/subscribe and request/reply over libnats.
#include "e2e/managed/traffic.h"

#include <chrono>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace lattice::managed_e2e {
namespace {

constexpr int kBatch = 10;  // PUBs between flushes
// Pauses keep the load moderate on a 2-core box that also runs five servers; they pace the
// generator and are never asserted on.
constexpr auto kPublishPause = std::chrono::milliseconds(5);
constexpr auto kRequestPause = std::chrono::milliseconds(5);
constexpr int64_t kRequestTimeoutMs = 5000;

natsStatus ConnectOne(int port, const std::string& creds, natsConnection** nc) {
  natsOptions* opts = nullptr;
  natsStatus s = natsOptions_Create(&opts);
  if (s != NATS_OK)
    return s;
  natsOptions_SetURL(opts, absl::StrCat("nats://127.0.0.1:", port).c_str());
  natsOptions_SetUserCredentialsFromFiles(opts, creds.c_str(), nullptr);
  natsOptions_SetAllowReconnect(opts, false);
  natsOptions_SetTimeout(opts, 5000);
  s = natsConnection_Connect(nc, opts);
  natsOptions_Destroy(opts);
  return s;
}

std::string LastError(natsStatus s) {
  return absl::StrCat(natsStatus_GetText(s), ": ", nats_GetLastError(nullptr));
}

}  // namespace

std::unique_ptr<Traffic> Traffic::Start(int port, const std::string& creds, const std::string& tag,
                                        std::string* error) {
  std::unique_ptr<Traffic> t(new Traffic());
  t->tag_ = tag;
  for (natsConnection** nc : {&t->sub_nc_, &t->pub_nc_, &t->req_nc_}) {
    natsStatus s = ConnectOne(port, creds, nc);
    if (s != NATS_OK) {
      *error = absl::StrCat("connect: ", LastError(s));
      return nullptr;
    }
  }
  natsStatus s = natsConnection_Subscribe(&t->sub_, t->sub_nc_, ("load." + tag).c_str(),
                                          &Traffic::OnMessage, t.get());
  if (s == NATS_OK)
    s = natsSubscription_SetOnCompleteCB(t->sub_, &Traffic::OnComplete, t.get());
  if (s == NATS_OK)
    s = natsSubscription_SetPendingLimits(t->sub_, -1, -1);  // never drop on the client side
  if (s == NATS_OK) {
    s = natsConnection_Subscribe(&t->svc_, t->sub_nc_, ("svc." + tag).c_str(), &Traffic::OnRequest,
                                 t.get());
  }
  if (s == NATS_OK)
    s = natsSubscription_SetOnCompleteCB(t->svc_, &Traffic::OnComplete, t.get());
  if (s == NATS_OK)
    s = natsSubscription_SetPendingLimits(t->svc_, -1, -1);
  if (s == NATS_OK)
    s = natsConnection_FlushTimeout(t->sub_nc_, 5000);  // both subscriptions are live
  if (s != NATS_OK) {
    *error = absl::StrCat("subscribe: ", LastError(s));
    return nullptr;
  }
  Traffic* raw = t.get();
  t->publisher_ = std::thread([raw] { raw->PublishLoop(); });
  t->requester_ = std::thread([raw] { raw->RequestLoop(); });
  return t;
}

Traffic::~Traffic() {
  Stop();
  // The handlers use this object: close both subscriptions and wait until libnats says their
  // handlers have returned for the last time (bounded: a stuck library only leaks, never frees
  // under a running handler).
  int expected = 0;
  for (natsSubscription* sub : {sub_, svc_}) {
    if (sub != nullptr && natsSubscription_Unsubscribe(sub) == NATS_OK)
      ++expected;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (completed_.load() < expected && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  for (natsSubscription* sub : {sub_, svc_}) {
    if (sub != nullptr)
      natsSubscription_Destroy(sub);
  }
  for (natsConnection* nc : {sub_nc_, pub_nc_, req_nc_}) {
    if (nc != nullptr)
      natsConnection_Destroy(nc);
  }
}

void Traffic::Stop() {
  stop_ = true;
  if (publisher_.joinable())
    publisher_.join();
  if (requester_.joinable())
    requester_.join();
}

void Traffic::PublishLoop() {
  const std::string subject = "load." + tag_;
  uint64_t seq = 0;
  while (!stop_) {
    for (int i = 0; i < kBatch; ++i) {
      const std::string payload = std::to_string(seq);
      if (natsConnection_PublishString(pub_nc_, subject.c_str(), payload.c_str()) == NATS_OK) {
        ++seq;
        ++published_;
      } else {
        ++publish_errors_;
      }
    }
    if (natsConnection_FlushTimeout(pub_nc_, 5000) != NATS_OK)
      ++publish_errors_;
    std::this_thread::sleep_for(kPublishPause);
  }
  if (natsConnection_FlushTimeout(pub_nc_, 5000) != NATS_OK)
    ++publish_errors_;
}

void Traffic::RequestLoop() {
  const std::string subject = "svc." + tag_;
  for (uint64_t n = 0; !stop_; ++n) {
    natsMsg* reply = nullptr;
    const std::string body = std::to_string(n);
    natsStatus s = natsConnection_RequestString(&reply, req_nc_, subject.c_str(), body.c_str(),
                                                kRequestTimeoutMs);
    if (s == NATS_OK &&
        std::string(natsMsg_GetData(reply), static_cast<size_t>(natsMsg_GetDataLength(reply))) ==
            "re:" + body) {
      ++requests_ok_;
    } else {
      ++requests_failed_;
    }
    if (reply != nullptr)
      natsMsg_Destroy(reply);
    std::this_thread::sleep_for(kRequestPause);
  }
}

void Traffic::OnMessage(natsConnection*, natsSubscription*, natsMsg* msg, void* self) {
  auto* t = static_cast<Traffic*>(self);
  uint64_t seq = 0;
  const std::string data(natsMsg_GetData(msg), static_cast<size_t>(natsMsg_GetDataLength(msg)));
  if (!absl::SimpleAtoi(data, &seq) || seq != t->next_expected_.load())
    ++t->out_of_order_;
  t->next_expected_ = seq + 1;
  ++t->received_;
  natsMsg_Destroy(msg);
}

void Traffic::OnRequest(natsConnection* nc, natsSubscription*, natsMsg* msg, void*) {
  const char* reply = natsMsg_GetReply(msg);
  if (reply != nullptr) {
    const std::string body =
        "re:" + std::string(natsMsg_GetData(msg), static_cast<size_t>(natsMsg_GetDataLength(msg)));
    natsConnection_PublishString(nc, reply, body.c_str());
  }
  natsMsg_Destroy(msg);
}

void Traffic::OnComplete(void* self) {
  ++static_cast<Traffic*>(self)->completed_;
}

TrafficCounts Traffic::counts() const {
  TrafficCounts c;
  c.published = published_;
  c.publish_errors = publish_errors_;
  c.received = received_;
  c.out_of_order = out_of_order_;
  c.requests_ok = requests_ok_;
  c.requests_failed = requests_failed_;
  return c;
}

bool Traffic::AllOpen() const {
  for (natsConnection* nc : {sub_nc_, pub_nc_, req_nc_}) {
    if (natsConnection_IsClosed(nc))
      return false;
  }
  return true;
}

}  // namespace lattice::managed_e2e
