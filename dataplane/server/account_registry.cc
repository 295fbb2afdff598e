// AccountRegistry: accounts from specs, import wiring (stream, service, response routes).
#include "dataplane/server/account_registry.h"

#include <algorithm>
#include <array>
#include <random>
#include <utility>

#include "absl/container/flat_hash_map.h"

#include "common/base/log.h"
#include "dataplane/accounts/exports.h"
#include "dataplane/accounts/subject_rewriter.h"

namespace lattice::server {
namespace {

using SteadyTime = std::chrono::steady_clock::time_point;

// nats-server's default response threshold for service exports.
constexpr std::chrono::milliseconds kDefaultResponseThreshold = std::chrono::minutes(2);
// How often adding a response route also drops expired ones.
constexpr std::chrono::seconds kSweepInterval = std::chrono::seconds(1);

constexpr char kAlphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

// `n` base-62 random characters appended to `out`.
void AppendRandomToken(size_t n, std::string* out) {
  thread_local std::mt19937_64 rng(std::random_device{}());
  for (size_t i = 0; i < n; ++i) {
    out->push_back(kAlphabet[rng() % 62]);
  }
}

uint64_t NextRandom64() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  return rng();
}

uint32_t NextRoll() {
  thread_local std::mt19937 rng(std::random_device{}());
  return static_cast<uint32_t>(rng());
}

// Response tokens use 64 subject-safe characters, 6 bits each, so encoding and decoding are
// shifts and a table lookup (no division).
constexpr char kTokenAlphabet[] =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_";
constexpr int kTokenBits = 6;

// The low `digits` * 6 bits of `value` as `digits` (<= 10) characters, most significant first.
void AppendToken(uint64_t value, size_t digits, std::string* out) {
  char text[10];
  for (size_t i = digits; i > 0; --i) {
    text[i - 1] = kTokenAlphabet[value & 63];
    value >>= kTokenBits;
  }
  out->append(text, digits);
}

// The value AppendToken encoded; false on any character outside the alphabet.
bool ParseToken(std::string_view text, uint64_t* value) {
  static constexpr std::array<int8_t, 256> kDigits = [] {
    std::array<int8_t, 256> digits{};
    for (int8_t& d : digits) {
      d = -1;
    }
    for (int i = 0; i < 64; ++i) {
      digits[static_cast<unsigned char>(kTokenAlphabet[i])] = static_cast<int8_t>(i);
    }
    return digits;
  }();
  uint64_t v = 0;
  for (char c : text) {
    int8_t digit = kDigits[static_cast<unsigned char>(c)];
    if (digit < 0) {
      return false;
    }
    v = (v << kTokenBits) | static_cast<uint64_t>(digit);
  }
  *value = v;
  return true;
}

// Per-loop scratch strings, one per import hop: a handler at hop d writes slot d while the
// strings it reads may still live in slot d-1 (chained imports), so slots never alias.
using HopBuffers = std::array<std::string, kMaxImportDepth + 1>;
std::string& HopBuffer(HopBuffers& buffers, int depth) {
  return buffers[static_cast<size_t>(std::clamp(depth, 0, kMaxImportDepth))];
}
std::string& Scratch(int depth) {
  thread_local HopBuffers buffers;
  return HopBuffer(buffers, depth);
}
std::string& ReplyScratch(int depth) {
  thread_local HopBuffers buffers;
  return HopBuffer(buffers, depth);
}
std::string& MappedScratch(int depth) {
  thread_local HopBuffers buffers;
  return HopBuffer(buffers, depth);
}

// The account's mapping table, re-read only when its generation changes (one entry per
// loop), so a request does not take the account's mutex.
const mapping::MappingTable* CachedMappings(const Account& account) {
  struct Entry {
    uint64_t account_id = 0;
    uint64_t generation = 0;
    std::shared_ptr<const mapping::MappingTable> table;
  };
  thread_local Entry entry;
  uint64_t generation = account.mappings_generation();
  if (entry.account_id != account.id() || entry.generation != generation) {
    entry.table = account.mappings();
    entry.account_id = account.id();
    entry.generation = generation;
  }
  return entry.table.get();
}

// Where a stream import puts an exporter's subject in the importer.
accounts::SubjectRewriter StreamRewriter(const accounts::StreamImport& imp) {
  if (!imp.to.empty()) {
    return accounts::SubjectRewriter::Mapping(imp.subject, imp.to);
  }
  if (!imp.prefix.empty()) {
    return accounts::SubjectRewriter::Prefix(imp.prefix);
  }
  return accounts::SubjectRewriter();
}

protocol::PubOp Rewritten(const protocol::PubOp& op, std::string_view subject,
                          std::string_view reply) {
  protocol::PubOp out = op;
  out.subject = subject;
  out.reply = reply;
  return out;
}

}  // namespace

// Pending response routes of every service import. The exporter sees the reply
// "_R_.<prefix>.<token>"; one wildcard internal subscription per exporting account
// ("_R_.<prefix>.>") looks answers up here, so a request inserts nothing into the exporter's
// index (and so invalidates no publisher's match cache there).
//
// Routes live in a slab of reused slots. The token is the slot index (kIndexChars digits)
// followed by the random nonce of that use of the slot (kNonceChars digits): a lookup
// is an index and a comparison, and a late answer on an old token of a reused slot finds a
// nonce mismatch instead of another requester's route. Slots keep their reply strings'
// capacity, so in steady state a request allocates nothing. Thread: any.
struct ResponseTable {
  static constexpr size_t kIndexChars = 4;  // 24 bits > kMaxRoutes
  static constexpr size_t kNonceChars = 8;  // 48 random bits
  static constexpr uint64_t kNonceMask = (uint64_t{1} << (kNonceChars * kTokenBits)) - 1;
  static constexpr size_t kTokenChars = kIndexChars + kNonceChars;
  // Live routes beyond this are refused (the request is dropped): bounds the table against
  // floods of requests nobody answers within the threshold.
  static constexpr uint32_t kMaxRoutes = 1u << 22;

  struct Route {
    std::weak_ptr<Account> importer;
    uint64_t exporter_id = 0;  // answers count only when published in this account
    uint64_t nonce = 0;        // 0: the slot is free
    std::string reply;         // the requester's original reply subject
    SteadyTime deadline;
    bool singleton = true;
  };

  // "_R_.<6 random>." fixed for the registry's lifetime, so routes survive rewires.
  const std::string prefix = [] {
    std::string p = "_R_.";
    AppendRandomToken(6, &p);
    p.push_back('.');
    return p;
  }();
  Mutex mu;
  std::vector<Route> slots ABSL_GUARDED_BY(mu);
  std::vector<uint32_t> free_slots ABSL_GUARDED_BY(mu);
  SteadyTime next_sweep ABSL_GUARDED_BY(mu);
  bool full_reported ABSL_GUARDED_BY(mu) = false;

  // Registers a route and appends its token to `out` (which holds the prefix). False when
  // the table is full.
  bool Add(const std::weak_ptr<Account>& importer, uint64_t exporter_id, std::string_view reply,
           SteadyTime now, SteadyTime deadline, bool singleton, std::string* out) {
    uint64_t nonce = NextRandom64() & kNonceMask;
    nonce += nonce == 0 ? 1 : 0;  // 0 marks a free slot
    uint32_t index = 0;
    bool acquired = false;
    bool report_full = false;
    {
      MutexLock lock(&mu);
      if (now >= next_sweep) {
        SweepLocked(now);
        next_sweep = now + kSweepInterval;
      }
      acquired = AcquireLocked(&index);
      if (!acquired) {
        report_full = !full_reported;
        full_reported = true;
      } else {
        Route& route = slots[index];
        route.importer = importer;
        route.exporter_id = exporter_id;
        route.nonce = nonce;
        route.reply.assign(reply.data(), reply.size());
        route.deadline = deadline;
        route.singleton = singleton;
      }
    }
    if (report_full) {
      LATTICE_LOG(kWarn) << "service import responses: " << kMaxRoutes
                         << " routes pending, dropping requests until some expire";
    }
    if (!acquired) {
      return false;
    }
    AppendToken(index, kIndexChars, out);
    AppendToken(nonce, kNonceChars, out);
    return true;
  }

  // Drops the route of `token` (a request nobody received).
  void Erase(std::string_view token) {
    MutexLock lock(&mu);
    if (Route* route = FindLocked(token); route != nullptr) {
      FreeLocked(*route);
    }
  }

  // The route for an answer published in `exporter_id` on prefix + `token`: false when there
  // is none (unknown, other account, expired, or a singleton already answered). Copies the
  // reply into `reply` (a reused buffer).
  bool Take(std::string_view token, uint64_t exporter_id, std::shared_ptr<Account>* importer,
            std::string* reply) {
    MutexLock lock(&mu);
    Route* route = FindLocked(token);
    if (route == nullptr || route->exporter_id != exporter_id) {
      return false;
    }
    if (std::chrono::steady_clock::now() > route->deadline) {
      FreeLocked(*route);
      return false;
    }
    *importer = route->importer.lock();
    reply->assign(route->reply);
    if (route->singleton) {
      FreeLocked(*route);
    }
    return *importer != nullptr;
  }

  size_t Live() {
    MutexLock lock(&mu);
    SteadyTime now = std::chrono::steady_clock::now();
    size_t n = 0;
    for (const Route& route : slots) {
      n += route.nonce != 0 && route.deadline >= now ? 1 : 0;
    }
    return n;
  }

  void Clear() {
    MutexLock lock(&mu);
    slots.clear();
    free_slots.clear();
  }

 private:
  // A free slot's index: a released one, else a new one; false at kMaxRoutes.
  bool AcquireLocked(uint32_t* index) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    if (!free_slots.empty()) {
      *index = free_slots.back();
      free_slots.pop_back();
      return true;
    }
    if (slots.size() >= kMaxRoutes) {
      return false;
    }
    *index = static_cast<uint32_t>(slots.size());
    slots.emplace_back();
    return true;
  }

  // The live route `token` names, or null (malformed, free slot, stale nonce).
  Route* FindLocked(std::string_view token) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    uint64_t index = 0;
    uint64_t nonce = 0;
    if (token.size() != kTokenChars || !ParseToken(token.substr(0, kIndexChars), &index) ||
        !ParseToken(token.substr(kIndexChars), &nonce) || index >= slots.size()) {
      return nullptr;
    }
    Route& route = slots[index];
    return route.nonce != 0 && route.nonce == nonce ? &route : nullptr;
  }

  void FreeLocked(Route& route) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    route.nonce = 0;
    route.importer.reset();
    free_slots.push_back(static_cast<uint32_t>(&route - slots.data()));
  }

  // Frees expired routes; also re-arms the "table full" warning (so at most one a second).
  void SweepLocked(SteadyTime now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    full_reported = false;
    for (Route& route : slots) {
      if (route.nonce != 0 && route.deadline < now) {
        FreeLocked(route);
      }
    }
  }
};

// One wired service import. Immutable after wiring; shared by its handler. Thread: any.
struct AccountRegistry::ServiceState {
  AccountRouter router = nullptr;
  std::weak_ptr<Account> importer;
  // Strong, as StreamImportRoute::importer: the handler's subscription leaves the importer's
  // index on every rewire, before the registry lets an account go.
  std::shared_ptr<Account> exporter;
  accounts::SubjectRewriter to_remote;  // the importer's subject -> the exporter's
  accounts::ResponseType response_type = accounts::ResponseType::kSingleton;
  std::chrono::milliseconds threshold = kDefaultResponseThreshold;
  std::shared_ptr<ResponseTable> responses;
};

namespace {

// The handler of an exporter's "_R_.<prefix>.>" subscription: an answer goes back to the
// requester's reply subject in the importer.
size_t DeliverResponse(ResponseTable& responses, AccountRouter router, uint64_t exporter_id,
                       const protocol::PubOp& op, ClientSession* responder, int depth) {
  if (depth >= kMaxImportDepth || op.subject.size() <= responses.prefix.size() ||
      op.subject.compare(0, responses.prefix.size(), responses.prefix) != 0) {
    return 0;
  }
  std::string_view token = op.subject.substr(responses.prefix.size());
  std::shared_ptr<Account> importer;
  std::string& reply = Scratch(depth);
  if (!responses.Take(token, exporter_id, &importer, &reply)) {
    return 0;
  }
  return router(*importer, Rewritten(op, reply, op.reply), responder, depth + 1);
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
  account.expires_unix().store(spec.expires_unix, std::memory_order_relaxed);
  account.set_scoped_signing_keys(spec.scoped_signing_keys);
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
  for (auto& [id, wildcard] : response_subs_) {
    if (auto account = wildcard.first.lock()) {
      UnsubscribeInternal(*account, wildcard.second);
    }
  }
  response_subs_.clear();
  services_.clear();
  responses_->Clear();
}

void AccountRegistry::RewireLocked() {
  // Pending response routes survive a rewire (a reload must not drop in-flight requests):
  // they live in responses_, which only their deadlines clean up, and the exporters'
  // "_R_.<prefix>.>" subscriptions stay while the exporter still has a service import.
  for (auto& [host, sub] : wired_) {
    if (auto account = host.lock()) {
      UnsubscribeInternal(*account, sub);
    }
  }
  wired_.clear();
  services_.clear();
  std::shared_ptr<ResponseTable> responses = responses_;
  absl::flat_hash_map<uint64_t, std::shared_ptr<Account>> exporters;  // needing a wildcard
  if (router_ != nullptr) {
    WireImportsLocked(&exporters);
  }
  for (auto it = response_subs_.begin(); it != response_subs_.end();) {
    std::shared_ptr<Account> account = it->second.first.lock();
    if (account != nullptr && exporters.contains(it->first)) {
      ++it;
      continue;
    }
    if (account != nullptr) {
      UnsubscribeInternal(*account, it->second.second);
    }
    response_subs_.erase(it++);
  }
  for (auto& [id, exporter] : exporters) {
    if (response_subs_.contains(id)) {
      continue;
    }
    AccountRouter router = router_;
    auto sub =
        SubscribeInternal(*exporter, responses->prefix + ">",
                          [responses, router, id = id](const protocol::PubOp& op,
                                                       ClientSession* responder, int depth) {
                            return DeliverResponse(*responses, router, id, op, responder, depth);
                          });
    if (sub != nullptr) {
      response_subs_.emplace(id, std::make_pair(std::weak_ptr<Account>(exporter), sub));
    }
  }
}

void AccountRegistry::WireImportsLocked(
    absl::flat_hash_map<uint64_t, std::shared_ptr<Account>>* exporters) {
  std::shared_ptr<ResponseTable> responses = responses_;
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
      StreamImportRoute route;
      route.importer = entry.account;
      route.rewriter = StreamRewriter(imp);
      auto sub = SubscribeStreamImport(*exporter_it->second.account, imp.subject, std::move(route));
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
      std::string local = imp.to.empty() ? imp.subject : imp.to;
      state->to_remote = accounts::SubjectRewriter::Mapping(local, imp.subject);
      state->response_type = exp->response_type;
      if (exp->response_threshold_ms > 0) {
        state->threshold = std::chrono::milliseconds(exp->response_threshold_ms);
      }
      state->responses = responses;
      auto sub = SubscribeInternal(
          *entry.account, local,
          [state](const protocol::PubOp& op, ClientSession* publisher, int depth) -> size_t {
            if (depth >= kMaxImportDepth) {
              return 0;
            }
            Account& exporter = *state->exporter;
            std::string_view subject = state->to_remote.Apply(op.subject, &Scratch(depth));
            // nats-server applies the exporter's mappings to the imported subject.
            if (const mapping::MappingTable* table = CachedMappings(exporter); table != nullptr) {
              std::string& mapped = MappedScratch(depth);
              if (table->Map(subject, NextRoll(), &mapped)) {
                if (mapped.empty()) {
                  return 0;
                }
                subject = mapped;
              }
            }
            if (op.reply.empty()) {
              return state->router(exporter, Rewritten(op, subject, {}), publisher, depth + 1);
            }
            // Registered before the request goes out: the responder may answer on another
            // loop before router() returns here.
            ResponseTable& responses = *state->responses;
            std::string& reply = ReplyScratch(depth);
            reply.assign(responses.prefix);
            SteadyTime now = std::chrono::steady_clock::now();
            if (!responses.Add(
                    state->importer, exporter.id(), op.reply, now, now + state->threshold,
                    state->response_type == accounts::ResponseType::kSingleton, &reply)) {
              return 0;  // the table is full (logged by Add)
            }
            size_t n = state->router(exporter, Rewritten(op, subject, reply), publisher, depth + 1);
            if (n == 0) {
              // Nobody will answer.
              responses.Erase(std::string_view(reply).substr(responses.prefix.size()));
            }
            return n;
          });
      if (sub != nullptr) {
        wired_.emplace_back(entry.account, std::move(sub));
        services_.push_back(std::move(state));
        (*exporters)[exporter_it->second.account->id()] = exporter_it->second.account;
      }
    }
  }
}

size_t AccountRegistry::ResponseRouteCount() const {
  MutexLock lock(&mu_);
  return responses_->Live();
}

std::vector<std::shared_ptr<Account>> AccountRegistry::Accounts() const {
  MutexLock lock(&mu_);
  std::vector<std::shared_ptr<Account>> out;
  out.reserve(accounts_.size());
  for (const auto& [name, entry] : accounts_) {
    out.push_back(entry.account);
  }
  return out;
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
