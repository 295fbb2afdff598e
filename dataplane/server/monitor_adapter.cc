// MonitorAdapter: Server snapshots -> monitoring structs.
#include "dataplane/server/monitor_adapter.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <thread>

#include "absl/container/flat_hash_map.h"

#include "common/jwt/claims.h"
#include "dataplane/accounts/exports.h"
#include "dataplane/operator/operator_mode.h"

namespace lattice::server {

namespace {

monitor::Clock::time_point FromUnixNanos(int64_t nanos) {
  return monitor::Clock::time_point(
      std::chrono::duration_cast<monitor::Clock::duration>(std::chrono::nanoseconds(nanos)));
}

// Resident set size from /proc (what nats-server reports as "mem").
int64_t ResidentBytes() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) {
    return 0;
  }
  long pages_total = 0;
  long pages_resident = 0;
  int n = std::fscanf(f, "%ld %ld", &pages_total, &pages_resident);
  std::fclose(f);
  if (n != 2) {
    return 0;
  }
  return static_cast<int64_t>(pages_resident) * sysconf(_SC_PAGESIZE);
}

// Server snapshot -> monitoring struct.
monitor::ConnectionSnapshot ToMonitor(ConnectionSnapshot c, bool with_subs) {
  monitor::ConnectionSnapshot m;
  m.cid = c.cid;
  m.ip = c.ip;
  m.port = c.port;
  m.start = FromUnixNanos(c.start_unix_nanos);
  m.last_activity = FromUnixNanos(c.last_activity_unix_nanos);
  m.rtt = std::chrono::nanoseconds(c.rtt_nanos);
  m.pending_bytes = c.pending_bytes;
  m.in_msgs = static_cast<int64_t>(c.in_msgs);
  m.out_msgs = static_cast<int64_t>(c.out_msgs);
  m.in_bytes = static_cast<int64_t>(c.in_bytes);
  m.out_bytes = static_cast<int64_t>(c.out_bytes);
  m.num_subs = static_cast<uint32_t>(c.subscription_count);
  m.name = std::move(c.name);
  m.lang = std::move(c.lang);
  m.version = std::move(c.version);
  m.authorized_user = std::move(c.user);
  m.account = c.account;
  m.tls_version = std::move(c.tls_version);
  m.tls_cipher_suite = std::move(c.tls_cipher_suite);
  if (with_subs) {
    for (const SubscriptionSnapshot& s : c.subscription_details) {
      monitor::SubscriptionDetail d;
      d.account = c.account;
      d.subject = s.subject;
      d.queue = s.queue;
      d.sid = s.sid;
      d.msgs = static_cast<int64_t>(s.msgs);
      d.max = static_cast<int64_t>(s.max);
      d.cid = c.cid;
      m.subs.push_back(std::move(d));
    }
  }
  return m;
}

}  // namespace

std::chrono::nanoseconds ProcessCpuTime() {
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) != 0) {
    return std::chrono::nanoseconds(0);
  }
  auto tv = [](const timeval& t) {
    return std::chrono::seconds(t.tv_sec) + std::chrono::microseconds(t.tv_usec);
  };
  return std::chrono::duration_cast<std::chrono::nanoseconds>(tv(usage.ru_utime) +
                                                              tv(usage.ru_stime));
}

double CpuUsage::Sample(std::chrono::nanoseconds cpu_total,
                        std::chrono::steady_clock::time_point now) {
  MutexLock lock(&mu_);
  auto wall = now - last_wall_;
  if (sampled_ && wall < kMinInterval) {
    return percent_;  // too close to the last sample to say anything new
  }
  if (wall > std::chrono::steady_clock::duration::zero()) {
    double cpu = std::chrono::duration<double>(cpu_total - last_cpu_).count();
    percent_ = 100.0 * cpu / std::chrono::duration<double>(wall).count();
    if (percent_ < 0) {
      percent_ = 0;
    }
  }
  // Rounded to one decimal like nats-server's /varz.
  percent_ = static_cast<double>(static_cast<int64_t>(percent_ * 10 + 0.5)) / 10;
  last_wall_ = now;
  last_cpu_ = cpu_total;
  sampled_ = true;
  return percent_;
}

monitor::ServerSnapshot MonitorAdapter::Server() {
  std::shared_ptr<const RuntimeConfig> config = server_.context().config();
  const options::Options& opts = *config->options;
  ServerStats stats = server_.Stats();
  monitor::ServerSnapshot snap;
  snap.server_id = server_.server_id();
  snap.server_name = opts.server_name.empty() ? server_.server_id() : opts.server_name;
  snap.version = std::string(kNatsCompatVersion);
  snap.proto = 1;
  snap.host = opts.host;
  snap.port = server_.port();
  snap.auth_required =
      config->authenticator != nullptr && config->authenticator->advertise_auth_required();
  snap.tls_required = config->tls != nullptr;
  snap.tls_verify = config->tls != nullptr && config->tls->verify_peer();
  snap.system_account = server_.context().registry().system_account();
  snap.max_connections = opts.max_connections;
  snap.max_subscriptions = opts.max_subscriptions;
  snap.ping_interval = opts.ping_interval;
  snap.ping_max = opts.ping_max;
  snap.http_host = opts.http_host;
  snap.http_port = opts.http_port;
  snap.auth_timeout_seconds = std::chrono::duration<double>(opts.auth_timeout).count();
  snap.max_control_line = opts.max_control_line;
  snap.max_payload = opts.max_payload;
  snap.max_pending = opts.max_pending;
  snap.tls_timeout_seconds =
      opts.tls.has_value() ? std::chrono::duration<double>(opts.tls->timeout).count() : 2.0;
  snap.write_deadline = opts.write_deadline;
  snap.start = server_.start_time();
  snap.config_load_time = server_.config_load_time();
  snap.mem_bytes = ResidentBytes();
  snap.cpu_percent = cpu_.Sample(ProcessCpuTime(), std::chrono::steady_clock::now());
  snap.cores = static_cast<int>(std::thread::hardware_concurrency());
  snap.worker_threads = static_cast<int>(server_.worker_count());
  snap.connections = stats.connections;
  snap.total_connections = stats.total_connections;
  snap.in_msgs = static_cast<int64_t>(stats.in_msgs);
  snap.out_msgs = static_cast<int64_t>(stats.out_msgs);
  snap.in_bytes = static_cast<int64_t>(stats.in_bytes);
  snap.out_bytes = static_cast<int64_t>(stats.out_bytes);
  snap.slow_consumers = static_cast<int64_t>(stats.slow_consumers);
  snap.subscriptions = stats.subscriptions;
  snap.lame_duck = server_.lame_duck();
  return snap;
}

std::vector<monitor::ConnectionSnapshot> MonitorAdapter::Connections(bool with_subs) {
  std::vector<monitor::ConnectionSnapshot> out;
  for (ConnectionSnapshot& c : server_.Connections()) {
    out.push_back(ToMonitor(std::move(c), with_subs));
  }
  return out;
}

std::vector<monitor::ConnectionSnapshot> MonitorAdapter::ClosedConnections(bool with_subs) {
  std::vector<monitor::ConnectionSnapshot> out;
  for (ClosedConnection& c : server_.RecentlyClosed()) {
    monitor::ConnectionSnapshot m = ToMonitor(std::move(c.snapshot), with_subs);
    m.stop = FromUnixNanos(c.stop_unix_nanos);
    m.reason = std::string(CloseReasonText(c.reason));
    out.push_back(std::move(m));
  }
  return out;
}

namespace {

std::string ResponseTypeName(accounts::ResponseType type) {
  switch (type) {
    case accounts::ResponseType::kStream:
      return "Streamed";
    case accounts::ResponseType::kChunked:
      return "Chunked";
    case accounts::ResponseType::kSingleton:
      break;
  }
  return "Singleton";
}

// Exports, imports and mappings of one account as nats-server's /accountz lists them.
void DescribeSpec(const accounts::AccountSpec& spec,
                  const absl::flat_hash_map<std::string, const accounts::AccountSpec*>& all,
                  monitor::AccountSnapshot* a) {
  for (const accounts::ServiceExport& e : spec.service_exports) {
    monitor::ExportSnapshot x;
    x.subject = e.subject;
    x.service = true;
    x.response_type = ResponseTypeName(e.response_type);
    x.token_required = e.access.token_required;
    x.approved_accounts = e.access.approved;
    a->exports.push_back(std::move(x));
  }
  for (const accounts::StreamExport& e : spec.stream_exports) {
    monitor::ExportSnapshot x;
    x.subject = e.subject;
    x.token_required = e.access.token_required;
    x.approved_accounts = e.access.approved;
    a->exports.push_back(std::move(x));
  }
  for (const accounts::StreamImport& i : spec.stream_imports) {
    monitor::ImportSnapshot x;
    x.subject = i.subject;
    x.account = i.account;
    x.local_subject = !i.to.empty()       ? i.to
                      : !i.prefix.empty() ? i.prefix + "." + i.subject
                                          : std::string();
    auto it = all.find(i.account);
    x.invalid =
        it == all.end() || accounts::FindStreamExport(*it->second, i.subject, spec.name,
                                                      !i.activation_token.empty()) == nullptr;
    a->imports.push_back(std::move(x));
  }
  for (const accounts::ServiceImport& i : spec.service_imports) {
    monitor::ImportSnapshot x;
    x.subject = i.to.empty() ? i.subject : i.to;
    x.to = i.subject;
    x.account = i.account;
    x.service = true;
    x.share = i.share;
    auto it = all.find(i.account);
    x.invalid =
        it == all.end() || accounts::FindServiceExport(*it->second, i.subject, spec.name,
                                                       !i.activation_token.empty()) == nullptr;
    a->imports.push_back(std::move(x));
  }
  for (const accounts::SubjectMapping& m : spec.mappings) {
    std::vector<accounts::MappingDestination> dests = m.destinations;
    std::stable_sort(dests.begin(), dests.end(), [](const auto& x, const auto& y) {
      return x.weight_percent < y.weight_percent;
    });
    std::vector<monitor::MappingDestinationSnapshot> out;
    int cumulative = 0;
    for (const accounts::MappingDestination& d : dests) {
      cumulative += d.weight_percent;
      out.push_back({d.subject, cumulative, d.cluster});
    }
    a->mappings.emplace_back(m.source, std::move(out));
  }
}

}  // namespace

void MonitorAdapter::DescribeAccountJwt(monitor::AccountSnapshot* a) const {
  operator_mode::OperatorMode* mode = server_.operator_mode();
  if (mode == nullptr) {
    return;
  }
  // The claims decoded when the JWT was installed: no second decode and signature check.
  operator_mode::OperatorMode::Held held = mode->HeldAccount(a->name);
  const std::shared_ptr<const jwt::AccountClaims>& claims = held.claims;
  if (claims == nullptr) {
    return;
  }
  a->jwt = std::move(held.jwt);
  a->issuer_key = claims->std.issuer;
  a->name_tag = claims->std.name;
  a->decoded_jwt = jwt::ToJson(*claims).dump();
  a->expired = claims->std.expires != 0 && claims->std.expires <= jwt::NowSeconds();
  for (const auto& [user, at] : claims->nats.revocations) {
    a->revoked_users.emplace_back(user, monitor::Clock::from_time_t(static_cast<time_t>(at)));
  }
}

std::vector<monitor::AccountSnapshot> MonitorAdapter::Accounts() {
  ServerStats stats = server_.Stats();
  std::vector<AccountInfo> infos = server_.context().registry().List();
  absl::flat_hash_map<std::string, const accounts::AccountSpec*> specs;
  for (const AccountInfo& info : infos) {
    specs[info.name] = &info.spec;
  }
  std::vector<monitor::AccountSnapshot> out;
  for (const AccountInfo& info : infos) {
    std::shared_ptr<Account> account = server_.context().registry().Find(info.name);
    if (account == nullptr) {
      continue;
    }
    monitor::AccountSnapshot a;
    a.name = info.name;
    a.is_system = info.is_system;
    a.update_time = server_.config_load_time();
    a.client_connections = account->connections().load(std::memory_order_relaxed);
    a.subscriptions = account->sublist().count();
    if (info.name == auth::kGlobalAccount) {
      a.slow_consumers = static_cast<int64_t>(stats.slow_consumers);
    }
    a.sublist.num_subscriptions = account->sublist().count();
    a.sublist.num_cache = account->sublist().cache_size();
    DescribeSpec(info.spec, specs, &a);
    DescribeAccountJwt(&a);
    out.push_back(std::move(a));
  }
  return out;
}

std::vector<monitor::SubscriptionDetail> MonitorAdapter::Subscriptions(const std::string& account) {
  std::vector<monitor::SubscriptionDetail> out;
  for (monitor::ConnectionSnapshot& c : Connections(true)) {
    for (monitor::SubscriptionDetail& d : c.subs) {
      if (account.empty() || d.account == account) {
        out.push_back(std::move(d));
      }
    }
  }
  return out;
}

std::string MonitorAdapter::HealthProblem() {
  if (server_.shutting_down()) {
    return "server is shutting down";
  }
  return "";
}

}  // namespace lattice::server
