// AccountRegistry: accounts from specs, import wiring (stream, service, response routes).
#include "dataplane/server/account_registry.h"

#include <algorithm>
#include <map>
#include <random>
#include <utility>

#include "common/base/log.h"
#include "dataplane/accounts/exports.h"

namespace lattice::server {
namespace {

using SteadyTime = std::chrono::steady_clock::time_point;

// nats-server's default response threshold for service exports.
constexpr std::chrono::milliseconds kDefaultResponseThreshold = std::chrono::minutes(2);

// "_R_.<6>.<10>" with base-62 random tokens: unguessable enough that another client of the
// exporting account cannot aim at a pending route by chance.
std::string NewResponseSubject() {
  static constexpr char kAlphabet[] =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  thread_local std::mt19937_64 rng(std::random_device{}());
  std::string out = "_R_.";
  for (int i = 0; i < 17; ++i) {
    if (i == 6) {
      out.push_back('.');
      continue;
    }
    out.push_back(kAlphabet[rng() % 62]);
  }
  return out;
}

uint32_t NextRoll() {
  thread_local std::mt19937 rng(std::random_device{}());
  return static_cast<uint32_t>(rng());
}

// Where a stream import puts an exporter's subject in the importer.
std::string StreamLocalSubject(const accounts::StreamImport& imp, std::string_view subject) {
  if (!imp.to.empty()) {
    return accounts::MapWildcards(imp.subject, imp.to, subject);
  }
  if (!imp.prefix.empty()) {
    std::string out = imp.prefix;
    out.push_back('.');
    out.append(subject.data(), subject.size());
    return out;
  }
  return std::string(subject);
}

protocol::PubOp Rewritten(const protocol::PubOp& op, std::string_view subject,
                          std::string_view reply) {
  protocol::PubOp out = op;
  out.subject = subject;
  out.reply = reply;
  return out;
}

}  // namespace

// Pending response routes of every service import, by deadline, so expired ones leave the
// exporters' indexes. Thread: any.
struct ResponseTable {
  struct Route {
    std::weak_ptr<Account> host;
    std::shared_ptr<InternalSubscription> sub;
  };
  Mutex mu;
  std::multimap<SteadyTime, Route> routes ABSL_GUARDED_BY(mu);

  void Add(SteadyTime deadline, std::weak_ptr<Account> host,
           std::shared_ptr<InternalSubscription> sub) {
    MutexLock lock(&mu);
    SteadyTime now = std::chrono::steady_clock::now();
    while (!routes.empty() && routes.begin()->first <= now) {
      Route& r = routes.begin()->second;
      if (auto account = r.host.lock()) {
        UnsubscribeInternal(*account, r.sub);
      }
      routes.erase(routes.begin());
    }
    routes.emplace(deadline, Route{std::move(host), std::move(sub)});
  }

  size_t Live() {
    MutexLock lock(&mu);
    size_t n = 0;
    for (const auto& [deadline, route] : routes) {
      n += route.sub->removed.load(std::memory_order_acquire) ? 0 : 1;
    }
    return n;
  }

  void Clear() {
    MutexLock lock(&mu);
    for (auto& [deadline, route] : routes) {
      if (auto account = route.host.lock()) {
        UnsubscribeInternal(*account, route.sub);
      }
    }
    routes.clear();
  }
};

// One wired service import. Immutable after wiring; shared by its handler. Thread: any.
struct AccountRegistry::ServiceState {
  AccountRouter router = nullptr;
  std::weak_ptr<Account> importer;
  std::weak_ptr<Account> exporter;
  std::string local;   // the importer's subject (pattern)
  std::string remote;  // the exporter's subject (pattern)
  accounts::ResponseType response_type = accounts::ResponseType::kSingleton;
  std::chrono::milliseconds threshold = kDefaultResponseThreshold;
  std::shared_ptr<ResponseTable> responses;
};

namespace {

// A response route: the answer published in the exporter on `_R_...` goes back to the
// requester's reply subject in the importer.
struct ResponseRoute {
  AccountRouter router = nullptr;
  std::weak_ptr<Account> importer;
  std::weak_ptr<Account> exporter;
  std::string reply;  // the requester's original reply subject
  bool singleton = true;
  SteadyTime deadline;
  std::weak_ptr<InternalSubscription> self;
};

size_t DeliverResponse(const ResponseRoute& route, const protocol::PubOp& op,
                       ClientSession* publisher, int depth) {
  std::shared_ptr<Account> importer = route.importer.lock();
  std::shared_ptr<Account> exporter = route.exporter.lock();
  std::shared_ptr<InternalSubscription> self = route.self.lock();
  if (importer == nullptr || exporter == nullptr || self == nullptr || depth >= kMaxImportDepth) {
    return 0;
  }
  if (std::chrono::steady_clock::now() > route.deadline) {
    UnsubscribeInternal(*exporter, self);
    return 0;
  }
  if (route.singleton) {
    if (self->removed.exchange(true, std::memory_order_acq_rel)) {
      return 0;  // another loop delivered the one response first
    }
    exporter->sublist().Remove(self);
  }
  return route.router(*importer, Rewritten(op, route.reply, op.reply), publisher, depth + 1);
}

// The account's mapping table, or null when it has none. Invalid mappings (possible from
// JWTs; config files are checked by the parser) are skipped with a warning.
std::shared_ptr<const mapping::MappingTable> BuildMappings(const accounts::AccountSpec& spec) {
  if (spec.mappings.empty()) {
    return nullptr;
  }
  auto table = std::make_shared<mapping::MappingTable>();
  for (const accounts::SubjectMapping& m : spec.mappings) {
    std::vector<mapping::MapDest> dests;
    for (const accounts::MappingDestination& d : m.destinations) {
      mapping::MapDest dest;
      dest.subject = d.subject;
      dest.weight = static_cast<uint8_t>(std::clamp(d.weight_percent, 0, 100));
      dest.cluster = d.cluster;
      dests.push_back(std::move(dest));
    }
    absl::Status added = table->Add(m.source, dests);
    if (!added.ok()) {
      LATTICE_LOG(kWarn) << "account " << spec.name << ": mapping \"" << m.source
                         << "\" skipped: " << added.message();
    }
  }
  return table;
}

}  // namespace

AccountRegistry::AccountRegistry()
    : global_(std::make_shared<Account>("$G")), responses_(std::make_shared<ResponseTable>()) {
  MutexLock lock(&mu_);
  accounts::AccountSpec spec;
  spec.name = "$G";
  accounts_["$G"] = Entry{global_, std::move(spec)};
  accounts::AccountSpec sys;
  sys.name = std::string(kSystemAccount);
  accounts_[sys.name] = Entry{std::make_shared<Account>(sys.name), sys};
}

AccountRegistry::~AccountRegistry() {
  MutexLock lock(&mu_);
  UnwireLocked();
}

void AccountRegistry::set_router(AccountRouter router) {
  MutexLock lock(&mu_);
  router_ = router;
  RewireLocked();
}

std::shared_ptr<Account> AccountRegistry::Find(std::string_view name) const {
  MutexLock lock(&mu_);
  auto it = accounts_.find(std::string(name));
  return it == accounts_.end() ? nullptr : it->second.account;
}

void AccountRegistry::ApplyLocked(accounts::AccountSpec spec) {
  auto it = accounts_.find(spec.name);
  if (it == accounts_.end()) {
    auto account = std::make_shared<Account>(spec.name);
    it = accounts_.emplace(spec.name, Entry{std::move(account), {}}).first;
  }
  Account& account = *it->second.account;
  account.max_connections().store(spec.limits.max_connections, std::memory_order_relaxed);
  account.max_subscriptions().store(spec.limits.max_subscriptions, std::memory_order_relaxed);
  account.max_payload().store(spec.limits.max_payload, std::memory_order_relaxed);
  account.active().store(true, std::memory_order_release);
  account.set_mappings(BuildMappings(spec));
  it->second.spec = std::move(spec);
}

void AccountRegistry::Apply(accounts::AccountSpec spec) {
  MutexLock lock(&mu_);
  ApplyLocked(std::move(spec));
  RewireLocked();
}

void AccountRegistry::Remove(std::string_view name) {
  MutexLock lock(&mu_);
  if (name == "$G") {
    return;
  }
  auto it = accounts_.find(std::string(name));
  if (it == accounts_.end()) {
    return;
  }
  it->second.account->active().store(false, std::memory_order_release);
  accounts_.erase(it);
  RewireLocked();
}

void AccountRegistry::ApplyAll(const std::vector<accounts::AccountSpec>& specs,
                               const std::vector<accounts::SubjectMapping>& global_mappings,
                               const std::string& system_account, bool no_system_account) {
  MutexLock lock(&mu_);
  absl::flat_hash_map<std::string, bool> keep;
  keep["$G"] = true;
  for (const accounts::AccountSpec& spec : specs) {
    keep[spec.name] = true;
    ApplyLocked(spec);
  }
  if (no_system_account) {
    system_account_.clear();
  } else {
    system_account_ = system_account.empty() ? std::string(kSystemAccount) : system_account;
    if (!accounts_.contains(system_account_)) {
      accounts::AccountSpec sys;
      sys.name = system_account_;
      ApplyLocked(std::move(sys));
    }
    keep[system_account_] = true;
  }
  accounts_["$G"].spec.mappings = global_mappings;
  global_->set_mappings(BuildMappings(accounts_["$G"].spec));
  for (auto it = accounts_.begin(); it != accounts_.end();) {
    if (keep.contains(it->first)) {
      ++it;
      continue;
    }
    it->second.account->active().store(false, std::memory_order_release);
    accounts_.erase(it++);
  }
  RewireLocked();
}

std::string AccountRegistry::system_account() const {
  MutexLock lock(&mu_);
  return system_account_;
}

void AccountRegistry::UnwireLocked() {
  for (auto& [host, sub] : wired_) {
    if (auto account = host.lock()) {
      UnsubscribeInternal(*account, sub);
    }
  }
  wired_.clear();
  services_.clear();
  responses_->Clear();
}

void AccountRegistry::RewireLocked() {
  // Pending response routes survive a rewire (a reload must not drop in-flight requests):
  // they live in responses_, which only their deadlines clean up.
  for (auto& [host, sub] : wired_) {
    if (auto account = host.lock()) {
      UnsubscribeInternal(*account, sub);
    }
  }
  wired_.clear();
  services_.clear();
  std::shared_ptr<ResponseTable> responses = responses_;
  if (router_ == nullptr) {
    return;
  }
  AccountRouter router = router_;
  for (auto& [name, entry] : accounts_) {
    const accounts::AccountSpec& spec = entry.spec;
    std::weak_ptr<Account> importer = entry.account;
    for (const accounts::StreamImport& imp : spec.stream_imports) {
      auto exporter_it = accounts_.find(imp.account);
      if (exporter_it == accounts_.end() ||
          accounts::FindStreamExport(exporter_it->second.spec, imp.subject, name,
                                     !imp.activation_token.empty()) == nullptr) {
        LATTICE_LOG(kWarn) << "account " << name << ": stream import of \"" << imp.subject
                           << "\" from " << imp.account << " not authorized, skipped";
        continue;
      }
      Account& exporter = *exporter_it->second.account;
      auto sub = SubscribeInternal(
          exporter, imp.subject,
          [router, importer, imp](const protocol::PubOp& op, ClientSession* publisher,
                                  int depth) -> size_t {
            std::shared_ptr<Account> target = importer.lock();
            if (target == nullptr || depth >= kMaxImportDepth) {
              return 0;
            }
            std::string local = StreamLocalSubject(imp, op.subject);
            return router(*target, Rewritten(op, local, op.reply), publisher, depth + 1);
          });
      if (sub != nullptr) {
        wired_.emplace_back(exporter_it->second.account, std::move(sub));
      }
    }
    for (const accounts::ServiceImport& imp : spec.service_imports) {
      auto exporter_it = accounts_.find(imp.account);
      const accounts::ServiceExport* exp =
          exporter_it == accounts_.end()
              ? nullptr
              : accounts::FindServiceExport(exporter_it->second.spec, imp.subject, name,
                                            !imp.activation_token.empty());
      if (exp == nullptr) {
        LATTICE_LOG(kWarn) << "account " << name << ": service import of \"" << imp.subject
                           << "\" from " << imp.account << " not authorized, skipped";
        continue;
      }
      auto state = std::make_shared<ServiceState>();
      state->router = router;
      state->importer = entry.account;
      state->exporter = exporter_it->second.account;
      state->local = imp.to.empty() ? imp.subject : imp.to;
      state->remote = imp.subject;
      state->response_type = exp->response_type;
      if (exp->response_threshold_ms > 0) {
        state->threshold = std::chrono::milliseconds(exp->response_threshold_ms);
      }
      state->responses = responses;
      auto sub = SubscribeInternal(
          *entry.account, state->local,
          [state](const protocol::PubOp& op, ClientSession* publisher, int depth) -> size_t {
            std::shared_ptr<Account> exporter = state->exporter.lock();
            if (exporter == nullptr || depth >= kMaxImportDepth) {
              return 0;
            }
            std::string subject = accounts::MapWildcards(state->local, state->remote, op.subject);
            // nats-server applies the exporter's mappings to the imported subject.
            if (auto table = exporter->mappings(); table != nullptr) {
              std::string mapped;
              if (table->Map(subject, NextRoll(), &mapped)) {
                if (mapped.empty()) {
                  return 0;
                }
                subject = std::move(mapped);
              }
            }
            if (op.reply.empty()) {
              return state->router(*exporter, Rewritten(op, subject, {}), publisher, depth + 1);
            }
            auto route = std::make_shared<ResponseRoute>();
            route->router = state->router;
            route->importer = state->importer;
            route->exporter = exporter;
            route->reply = std::string(op.reply);
            route->singleton = state->response_type == accounts::ResponseType::kSingleton;
            route->deadline = std::chrono::steady_clock::now() + state->threshold;
            std::string reply = NewResponseSubject();
            auto response = SubscribeInternal(
                *exporter, reply,
                [route](const protocol::PubOp& answer, ClientSession* responder, int hops) {
                  return DeliverResponse(*route, answer, responder, hops);
                });
            if (response == nullptr) {
              return 0;
            }
            route->self = response;
            size_t n =
                state->router(*exporter, Rewritten(op, subject, reply), publisher, depth + 1);
            if (n == 0) {
              UnsubscribeInternal(*exporter, response);  // nobody will answer
            } else {
              state->responses->Add(route->deadline, exporter, std::move(response));
            }
            return n;
          });
      if (sub != nullptr) {
        wired_.emplace_back(entry.account, std::move(sub));
        services_.push_back(std::move(state));
      }
    }
  }
}

size_t AccountRegistry::ResponseRouteCount() const {
  MutexLock lock(&mu_);
  return responses_->Live();
}

std::vector<AccountInfo> AccountRegistry::List() const {
  MutexLock lock(&mu_);
  std::vector<AccountInfo> out;
  out.reserve(accounts_.size());
  for (const auto& [name, entry] : accounts_) {
    AccountInfo info;
    info.name = name;
    info.is_system = name == system_account_;
    info.connections = entry.account->connections().load(std::memory_order_relaxed);
    info.subscriptions = static_cast<int64_t>(entry.account->sublist().count());
    info.spec = entry.spec;
    out.push_back(std::move(info));
  }
  std::sort(out.begin(), out.end(),
            [](const AccountInfo& a, const AccountInfo& b) { return a.name < b.name; });
  return out;
}

}  // namespace lattice::server
