// Flag parsing for lattice-bench.
#include "tools/bench/flags.h"

#include <cmath>
#include <functional>
#include <map>
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

#include "common/base/status_macros.h"

namespace lattice::bench {
namespace {

absl::StatusOr<uint64_t> ParseScaled(const std::string& text, uint64_t unit) {
  std::string digits = text;
  uint64_t scale = 1;
  if (!digits.empty()) {
    char last = digits.back();
    if (last == 'k' || last == 'K') {
      scale = unit;
    } else if (last == 'm' || last == 'M') {
      scale = unit * unit;
    }
    if (scale != 1) {
      digits.pop_back();
    }
  }
  uint64_t v = 0;
  if (!absl::SimpleAtoi(digits, &v) || v > UINT64_MAX / scale) {
    return absl::InvalidArgumentError(absl::StrCat("not a count: ", text));
  }
  return v * scale;
}

absl::StatusOr<double> ParseSeconds(const std::string& text) {
  double v = 0;
  std::string t = text;
  if (!t.empty() && t.back() == 's') {
    t.pop_back();
  }
  if (!absl::SimpleAtod(t, &v) || !std::isfinite(v) || v < 0) {
    return absl::InvalidArgumentError(absl::StrCat("not a duration in seconds: ", text));
  }
  return v;
}

template <typename T>
absl::Status SetInt(const std::string& text, uint64_t unit, uint64_t max, T* out) {
  LATTICE_ASSIGN_OR_RETURN(uint64_t v, ParseScaled(text, unit));
  if (v > max) {
    return absl::InvalidArgumentError(absl::StrCat("value too large: ", text));
  }
  *out = static_cast<T>(v);
  return absl::OkStatus();
}

// Credentials from flags and URLs, resolved per side once every flag is read.
struct SideFlags {
  std::string url;
  std::optional<std::string> user;
  std::optional<std::string> pass;
};

// A side's endpoint: its own URL or `base` (--url with --user/--pass applied); credentials from
// its own --X-user/--X-pass, else from its URL, else from `base`.
absl::StatusOr<Endpoint> ResolveSide(const SideFlags& side, const Endpoint& base) {
  Endpoint ep = base;
  if (!side.url.empty()) {
    LATTICE_ASSIGN_OR_RETURN(ep, ParseUrl(side.url));
    if (ep.user.empty() && !base.user.empty()) {
      ep.user = base.user;
      ep.pass = base.pass;
    }
  }
  if (side.user.has_value()) {
    ep.user = *side.user;
    ep.pass = side.pass.value_or("");
  } else if (side.pass.has_value()) {
    return absl::InvalidArgumentError("a --*-pass flag needs the matching --*-user");
  }
  return ep;
}

}  // namespace

std::string Usage() {
  return R"(usage: lattice-bench <scenario> [flags]
scenarios:
  pub         N publishers, no subscribers: publish rate
  pubsub      N publishers -> M subscribers on one subject (fan-out 1:M), loss check
  queue       N publishers -> queue group of M members, exactly-once check
  reqrep      N requesters x concurrency -> M responders, latency percentiles
  idle-conns  open --conns idle connections, server RSS per connection
  subs        --sub-count subscriptions on distinct subjects, server RSS per subscription
flags:
  --url=nats://127.0.0.1:4222  --msgs=1m (total per round)  --size=16 (payload bytes)
  --pubs=1  --subs=1  --concurrency=1  --duration=30 (s, cap per round)  --drain=5 (s)
  --rounds=1  --conns=1000  --sub-count=100k  --sub-conns=4  --hold=2 (s)
  --window=32m (bytes publishers may run ahead of the slowest receiver)
  --subject=bench.subject (publishers/requesters)  --sub-subject=SUBJECT (subscribers/
      responders; default --subject; set it when an import maps names)
  --user=U --pass=P (CONNECT credentials for every connection; also nats://U:P@host:port)
  --pub-url=URL --sub-url=URL (per side: publishers/requesters vs subscribers/responders;
      default --url)  --pub-user --pub-pass --sub-user --sub-pass (per-side credentials)
  --server-pid=PID (RSS and CPU of a local server)
  --json (machine-readable output on stdout)  --quiet (no progress on stderr)
)";
}

absl::StatusOr<BenchConfig> ParseArgs(const std::vector<std::string>& args) {
  BenchConfig cfg;
  if (args.empty()) {
    return absl::InvalidArgumentError("missing scenario");
  }
  cfg.scenario = args[0];
  static const char* kScenarios[] = {"pub", "pubsub", "queue", "reqrep", "idle-conns", "subs"};
  bool known = false;
  for (const char* s : kScenarios) {
    known = known || cfg.scenario == s;
  }
  if (!known) {
    return absl::InvalidArgumentError(absl::StrCat("unknown scenario: ", cfg.scenario));
  }
  constexpr uint64_t kK = 1000;
  constexpr uint64_t kKiB = 1024;
  constexpr uint64_t kIntMax = 1u << 20;
  SideFlags common;
  SideFlags pub;
  SideFlags sub;
  std::optional<std::string> sub_subject;
  auto set_string = [](std::string* out) {
    return [out](const std::string& v) {
      *out = v;
      return absl::OkStatus();
    };
  };
  auto set_optional = [](std::optional<std::string>* out) {
    return [out](const std::string& v) {
      *out = v;
      return absl::OkStatus();
    };
  };
  using Setter = std::function<absl::Status(const std::string&)>;
  const std::map<std::string, Setter> setters = {
      {"user", set_optional(&common.user)},
      {"pass", set_optional(&common.pass)},
      {"pub-url", set_string(&pub.url)},
      {"pub-user", set_optional(&pub.user)},
      {"pub-pass", set_optional(&pub.pass)},
      {"sub-url", set_string(&sub.url)},
      {"sub-user", set_optional(&sub.user)},
      {"sub-pass", set_optional(&sub.pass)},
      {"sub-subject", set_optional(&sub_subject)},
      {"url",
       [&](const std::string& v) {
         cfg.url = v;
         return absl::OkStatus();
       }},
      {"subject",
       [&](const std::string& v) {
         cfg.subject = v;
         return absl::OkStatus();
       }},
      {"msgs", [&](const std::string& v) { return SetInt(v, kK, UINT64_MAX, &cfg.msgs); }},
      {"size", [&](const std::string& v) { return SetInt(v, kKiB, 64u << 20, &cfg.size); }},
      {"pubs", [&](const std::string& v) { return SetInt(v, kK, 4096, &cfg.pubs); }},
      {"subs", [&](const std::string& v) { return SetInt(v, kK, 4096, &cfg.subs); }},
      {"concurrency",
       [&](const std::string& v) { return SetInt(v, kK, kIntMax, &cfg.concurrency); }},
      {"rounds", [&](const std::string& v) { return SetInt(v, kK, 1000, &cfg.rounds); }},
      {"conns", [&](const std::string& v) { return SetInt(v, kK, 10'000'000, &cfg.conns); }},
      {"sub-count",
       [&](const std::string& v) { return SetInt(v, kK, UINT64_MAX, &cfg.sub_count); }},
      {"sub-conns", [&](const std::string& v) { return SetInt(v, kK, 1024, &cfg.sub_conns); }},
      {"window",
       [&](const std::string& v) { return SetInt(v, kKiB, UINT64_MAX, &cfg.window_bytes); }},
      {"server-pid",
       [&](const std::string& v) { return SetInt(v, kK, kIntMax * 4096, &cfg.server_pid); }},
      {"duration",
       [&](const std::string& v) {
         LATTICE_ASSIGN_OR_RETURN(cfg.duration_s, ParseSeconds(v));
         return absl::OkStatus();
       }},
      {"drain",
       [&](const std::string& v) {
         LATTICE_ASSIGN_OR_RETURN(cfg.drain_s, ParseSeconds(v));
         return absl::OkStatus();
       }},
      {"hold",
       [&](const std::string& v) {
         LATTICE_ASSIGN_OR_RETURN(cfg.hold_s, ParseSeconds(v));
         return absl::OkStatus();
       }},
  };
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.rfind("--", 0) != 0) {
      return absl::InvalidArgumentError(absl::StrCat("unexpected argument: ", arg));
    }
    std::string name = arg.substr(2);
    if (name == "json") {
      cfg.json = true;
      continue;
    }
    if (name == "quiet") {
      cfg.progress = false;
      continue;
    }
    std::string value;
    size_t eq = name.find('=');
    if (eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return absl::InvalidArgumentError(absl::StrCat("missing value for --", name));
    }
    auto it = setters.find(name);
    if (it == setters.end()) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag: --", name));
    }
    LATTICE_RETURN_IF_ERROR(it->second(value));
  }
  if (cfg.rounds < 1 || cfg.pubs < 1 || cfg.subs < 1 || cfg.concurrency < 1) {
    return absl::InvalidArgumentError("--rounds, --pubs, --subs, --concurrency must be >= 1");
  }
  if (cfg.subject.empty() || (sub_subject.has_value() && sub_subject->empty())) {
    return absl::InvalidArgumentError("--subject and --sub-subject must not be empty");
  }
  cfg.sub_subject = sub_subject.value_or(cfg.subject);
  LATTICE_ASSIGN_OR_RETURN(cfg.server, ParseUrl(cfg.url));
  if (common.user.has_value()) {
    cfg.server.user = *common.user;
    cfg.server.pass = common.pass.value_or("");
  } else if (common.pass.has_value()) {
    return absl::InvalidArgumentError("--pass needs --user");
  }
  LATTICE_ASSIGN_OR_RETURN(cfg.pub_server, ResolveSide(pub, cfg.server));
  LATTICE_ASSIGN_OR_RETURN(cfg.sub_server, ResolveSide(sub, cfg.server));
  return cfg;
}

}  // namespace lattice::bench
