#!/usr/bin/env python3
"""Compares lattice-node with Debian's nats-server using lattice-bench, and writes BENCHMARKS.md.

Builds both binaries with --config=opt, starts each server on a free loopback port (same machine,
same run), runs every scenario against both for several interleaved rounds with 16 B and 1 KiB
payloads, takes medians, prints a table of ratios (lattice / nats-server) against the issue's
targets, and rewrites the generated section of BENCHMARKS.md (hand-written text outside the
markers is kept). A server that fails to build or start is reported, never waited on forever.

  bench/compare.py                    # full run (several minutes)
  bench/compare.py --quick --rounds 1 # smoke run with small counts
  bench/compare.py --only cross-account --no-write  # cross-account rows (+ same-account pairs)

Rows marked `accounts` start both servers with the same generated accounts config
(ACCOUNTS_CONFIG); a cross-account row names its same-account pair, the two run in one server
lifetime with rounds interleaved, and the report adds a cross-vs-same table.
"""
import argparse
import datetime
import json
import os
import platform
import resource
import shlex
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TOP = Path(__file__).resolve().parent.parent
NATS_SERVER = "/usr/sbin/nats-server"
# Two accounts: A exports a service and a stream, B imports both under local names (`to`). The
# same-account rows use two users of A on subjects nothing exports or imports.
ACCOUNTS_CONFIG = """accounts {
  A {
    users: [{user: a, password: pa}, {user: a2, password: pa2}]
    exports: [{service: "bench.svc"}, {stream: "bench.stream"}]
  }
  B {
    users: [{user: b, password: pb}]
    imports: [
      {service: {account: A, subject: "bench.svc"}, to: "bench.req"}
      {stream: {account: A, subject: "bench.stream"}, to: "bench.imported"}
    ]
  }
}
"""
# Same-account vs cross-account targets for lattice-node: at most 10% worse.
CROSS_LATENCY_TARGET = 1.10
CROSS_THROUGHPUT_TARGET = 0.90
BEGIN = "<!-- compare.py:begin -->"
END = "<!-- compare.py:end -->"


class Scenario:
    """One row of the comparison: bench arguments and the metric that decides the ratio."""

    def __init__(self, name, args, metric, better, target, fresh=False, extra=(), accounts=False,
                 pair=None):
        self.name = name          # row label
        self.args = args          # lattice-bench arguments (without --url/--json)
        self.metric = metric      # the compared metric
        self.better = better      # "higher" or "lower"
        self.target = target      # required ratio lattice/nats (>= for higher, <= for lower)
        self.fresh = fresh        # needs a freshly started server (memory baselines)
        self.extra = extra        # further metrics shown in the details table
        self.accounts = accounts  # servers run with ACCOUNTS_CONFIG
        self.pair = pair          # same-account row this cross-account row is compared with


def scenarios(quick):
    q = 10 if quick else 1

    def n(count):
        return str(max(1000, count // q))

    rows = []
    for size, label, scale in ((16, "16 B", 1), (1024, "1 KiB", 4)):
        rows += [
            Scenario(f"pub {label}", ["pub", "--msgs", n(5_000_000 // scale), "--size", str(size)],
                     "pub_msgs_per_s", "higher", 1.5),
            Scenario(f"pub->sub 1:1 {label}",
                     ["pubsub", "--msgs", n(2_000_000 // scale), "--size", str(size)],
                     "recv_msgs_per_s", "higher", 1.5, extra=("pub_msgs_per_s", "lost")),
            Scenario(f"fan-out 1:4 {label}",
                     ["pubsub", "--subs", "4", "--msgs", n(1_000_000 // scale), "--size", str(size)],
                     "recv_msgs_per_s", "higher", 1.3, extra=("pub_msgs_per_s", "lost")),
            Scenario(f"queue 1:4 {label}",
                     ["queue", "--subs", "4", "--msgs", n(2_000_000 // scale), "--size", str(size)],
                     "recv_msgs_per_s", "higher", 1.3, extra=("lost", "duplicates")),
            Scenario(f"req/rep p50 {label}",
                     ["reqrep", "--msgs", n(50_000), "--size", str(size)],
                     "p50_us", "lower", 0.9, extra=("p99_us", "p99.9_us", "req_per_s")),
        ]
    for size, label, scale in ((16, "16 B", 1), (1024, "1 KiB", 4)):
        a, a2, b = ("--user=a", "--pass=pa"), ("--user=a2", "--pass=pa2"), ("--user=b", "--pass=pb")

        def side(prefix, creds):
            return [c.replace("--", f"--{prefix}-", 1) for c in creds]

        reqrep = ["reqrep", "--msgs", n(50_000), "--size", str(size)]
        pubsub = ["pubsub", "--msgs", n(2_000_000 // scale), "--size", str(size)]
        same_rr = f"same-account req/rep p50 {label}"
        same_ps = f"same-account pub->sub 1:1 {label}"
        rows += [
            Scenario(same_rr, reqrep + side("pub", a2) + side("sub", a) +
                     ["--subject=bench.local.svc"],
                     "p50_us", "lower", 0.9, extra=("p99_us", "p99.9_us", "req_per_s"),
                     accounts=True),
            Scenario(f"cross-account req/rep (service import) p50 {label}",
                     reqrep + side("pub", b) + side("sub", a) +
                     ["--subject=bench.req", "--sub-subject=bench.svc"],
                     "p50_us", "lower", 0.9, extra=("p99_us", "p99.9_us", "req_per_s"),
                     accounts=True, pair=same_rr),
            Scenario(same_ps, pubsub + side("pub", a) + side("sub", a2) +
                     ["--subject=bench.local"],
                     "recv_msgs_per_s", "higher", 1.5, extra=("pub_msgs_per_s", "lost"),
                     accounts=True),
            Scenario(f"cross-account stream import 1:1 {label}",
                     pubsub + side("pub", a) + side("sub", b) +
                     ["--subject=bench.stream", "--sub-subject=bench.imported"],
                     "recv_msgs_per_s", "higher", 1.5, extra=("pub_msgs_per_s", "lost"),
                     accounts=True, pair=same_ps),
        ]
    # p99 shares the req/rep runs above: derived rows, see collect().
    rows += [
        Scenario("idle connections: RSS/conn", ["idle-conns", "--conns", n(10_000), "--hold", "2"],
                 "rss_per_conn_bytes", "lower", 0.5, fresh=True),
        Scenario("1M subscriptions: RSS", ["subs", "--sub-count", n(1_000_000), "--hold", "2"],
                 "rss_per_1m_subs_mib", "lower", 0.5, fresh=True, extra=("subs_per_s",)),
    ]
    return rows


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def bazel(output_base, *args):
    cmd = ["bazel"] + ([f"--output_base={output_base}"] if output_base else []) + list(args)
    return subprocess.run(cmd, cwd=TOP, capture_output=True, text=True)


def build(output_base, target):
    """Builds one target with --config=opt; returns (path or None, error text)."""
    r = bazel(output_base, "build", "--config=opt", target)
    if r.returncode != 0:
        return None, r.stderr.strip().splitlines()[-5:]
    info = bazel(output_base, "info", "--config=opt", "bazel-bin")
    pkg, name = target[2:].split(":")
    path = Path(info.stdout.strip()) / pkg / name
    return (path, None) if path.exists() else (None, [f"{path} missing after build"])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def raise_fd_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class Server:
    """A server process started by this script and stopped by its PID."""

    def __init__(self, name, argv_for_port, logdir):
        self.name = name
        self.argv_for_port = argv_for_port
        self.logdir = logdir
        self.proc = None
        self.port = None
        self.error = None

    def start(self, timeout=10.0):
        self.port = free_port()
        argv = self.argv_for_port(self.port)
        self.logfile = open(Path(self.logdir) / f"{self.name}-{self.port}.log", "w")
        try:
            self.proc = subprocess.Popen(argv, stdout=self.logfile, stderr=subprocess.STDOUT,
                                         preexec_fn=raise_fd_limit)
        except OSError as e:
            self.error = f"cannot exec {argv[0]}: {e}"
            return False
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.error = f"exited with code {self.proc.returncode}: {self.log_tail()}"
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    s.settimeout(1.0)
                    if s.recv(4096).startswith(b"INFO"):
                        return True
            except OSError:
                pass
            time.sleep(0.1)
        self.error = f"no INFO on port {self.port} within {timeout:.0f}s: {self.log_tail()}"
        self.stop()
        return False

    def log_tail(self):
        self.logfile.flush()
        text = (Path(self.logdir) / f"{self.name}-{self.port}.log").read_text(errors="replace")
        return " | ".join(text.strip().splitlines()[-3:])

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    @property
    def pid(self):
        return self.proc.pid if self.proc else 0


def run_bench(bench, server, args, timeout):
    cmd = [str(bench)] + args + ["--json", "--quiet", f"--url=127.0.0.1:{server.port}",
                                 f"--server-pid={server.pid}", "--duration=30"]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, "bench timed out"
    if r.returncode != 0:
        return None, (r.stderr.strip().splitlines() or ["bench failed"])[-1]
    try:
        doc = json.loads(r.stdout)
    except json.JSONDecodeError:
        return None, "unparseable bench output"
    return doc, "; ".join(doc.get("notes", []))


def median(values):
    values = [v for v in values if isinstance(v, (int, float))]
    return statistics.median(values) if values else None


def fmt(v):
    if v is None:
        return "-"
    if abs(v) >= 100 or v == int(v):
        return f"{v:,.0f}"
    return f"{v:.2f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="a tenth of the message counts")
    ap.add_argument("--output-base", default=os.environ.get("BAZEL_OUTPUT_BASE", ""),
                    help="bazel --output_base to build with")
    ap.add_argument("--out", default=str(TOP / "BENCHMARKS.md"))
    ap.add_argument("--no-write", action="store_true", help="print only")
    ap.add_argument("--only", default="", help="comma-separated substrings of scenario names")
    opts = ap.parse_args()
    command = "bench/compare.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])

    log("building lattice-bench and lattice-node (--config=opt)...")
    bench, err = build(opts.output_base, "//tools/bench:lattice-bench")
    if bench is None:
        log("lattice-bench does not build:\n" + "\n".join(err))
        return 1
    node, node_err = build(opts.output_base, "//dataplane:lattice-node")
    logdir = tempfile.mkdtemp(prefix="lattice-compare-")
    accounts_conf = Path(logdir) / "accounts.conf"
    accounts_conf.write_text(ACCOUNTS_CONFIG)
    servers = {
        "nats-server": lambda port: [NATS_SERVER, "-a", "127.0.0.1", "-p", str(port)],
        "lattice-node": (lambda port: [str(node), "-a", "127.0.0.1", "-p", str(port)]),
    }

    def argv_for(name, accounts):
        if not accounts:
            return servers[name]
        return lambda port: servers[name](port) + ["-c", str(accounts_conf)]

    problems = []
    if node is None:
        problems.append("lattice-node did not build: " + " / ".join(node_err))
    rows = scenarios(opts.quick)
    if opts.only:
        keys = opts.only.split(",")
        chosen = {s.name for s in rows if any(k in s.name for k in keys)}
        chosen |= {s.pair for s in rows if s.name in chosen and s.pair}
        rows = [s for s in rows if s.name in chosen]

    # A cross-account row and its same-account pair share servers and interleave their rounds,
    # so load changes on the machine hit both alike.
    groups = []
    by_name = {sc.name: sc for sc in rows}
    paired = {sc.pair for sc in rows if sc.pair in by_name}
    for sc in rows:
        if sc.name in paired:
            continue
        groups.append([by_name[sc.pair], sc] if sc.pair in by_name else [sc])

    results = {}  # (scenario, server) -> list of round metric dicts
    notes = {}
    for group in groups:
        sc = group[0]
        names = [n for n in servers if n != "lattice-node" or node is not None]
        live = {}
        for name in names:
            srv = Server(name, argv_for(name, sc.accounts), logdir)
            if srv.start():
                live[name] = srv
            else:
                problems.append(f"{name} failed to start for '{sc.name}': {srv.error}")
        try:
            for rnd in range(opts.rounds):
                for sc in group:
                    for name, srv in list(live.items()):
                        if sc.fresh and rnd > 0:
                            srv.stop()
                            if not srv.start():
                                problems.append(f"{name} failed to restart: {srv.error}")
                                continue
                        log(f"[{sc.name}] {name} round {rnd + 1}/{opts.rounds}")
                        doc, note = run_bench(bench, srv, sc.args, timeout=120)
                        if doc is None:
                            problems.append(f"{name} '{sc.name}' round {rnd + 1}: {note}")
                            if srv.proc and srv.proc.poll() is not None:
                                problems.append(f"{name} died: {srv.log_tail()}")
                                del live[name]
                            continue
                        results.setdefault((sc.name, name), []).append(doc["rounds"][0])
                        if note:
                            notes.setdefault((sc.name, name), set()).add(note)
        finally:
            for srv in live.values():
                srv.stop()

    report = render(rows, results, notes, problems, command, opts.rounds)
    print(report)
    if not opts.no_write:
        write_section(Path(opts.out), report)
        log(f"wrote {opts.out}")
    return 0


def metric_of(results, sc_name, server, metric):
    return median([r.get(metric) for r in results.get((sc_name, server), [])])


def render(rows, results, notes, problems, command, rounds):
    nats_version = subprocess.run([NATS_SERVER, "--version"], capture_output=True,
                                  text=True).stdout.strip()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=TOP, capture_output=True,
                            text=True).stdout.strip()
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                if l.startswith("model name")), platform.processor())
    out = [
        "## lattice-node vs nats-server (generated)",
        "",
        f"Produced by `{command}` on {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC, commit "
        f"`{commit}`, {nats_version}, {os.cpu_count()} CPUs ({cpu}), Linux {platform.release()}. "
        f"Load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())} "
        f"(other work shared the machine). "
        f"Both servers ran on the same machine in the same run, rounds interleaved; each figure is "
        f"the median of {rounds} round(s). Ratio = lattice-node / nats-server.",
        "",
        "| scenario | metric | nats-server | lattice-node | ratio | target | met |",
        "|---|---|---:|---:|---:|---:|:---:|",
    ]

    def row(label, sc, metric, better, target):
        a = metric_of(results, sc.name, "nats-server", metric)
        b = metric_of(results, sc.name, "lattice-node", metric)
        ratio = b / a if a and b is not None else None
        if ratio is None:
            met = "n/a"
        elif better == "higher":
            met = "yes" if ratio >= target else "no"
        else:
            met = "yes" if ratio <= target else "no"
        sign = ">=" if better == "higher" else "<="
        out.append(f"| {label} | {metric} | {fmt(a)} | {fmt(b)} | "
                   f"{'-' if ratio is None else f'{ratio:.2f}x'} | {sign} {target} | {met} |")

    for sc in rows:
        row(sc.name, sc, sc.metric, sc.better, sc.target)
        if sc.metric == "p50_us":
            row(sc.name.replace("p50", "p99"), sc, "p99_us", "lower", 0.9)
    pairs = [sc for sc in rows if sc.pair and any(p.name == sc.pair for p in rows)]
    if pairs:
        out += ["", "Cross-account vs same-account (both servers loaded the same accounts config: "
                "account A exports a service and a stream, account B imports them under local "
                "names with `to`; same-account rows use two users of A on subjects nothing "
                "exports). Ratio = cross-account / same-account for the same server; the target "
                f"applies to lattice-node (latency <= {CROSS_LATENCY_TARGET}, throughput >= "
                f"{CROSS_THROUGHPUT_TARGET}), nats-server's ratio is shown for reference.",
                "", "| scenario | metric | server | same-account | cross-account | cross/same "
                "| target | met |", "|---|---|---|---:|---:|---:|---:|:---:|"]
        for sc in pairs:
            metrics = [(sc.metric, sc.name, sc.pair)]
            if sc.metric == "p50_us":
                metrics.append(("p99_us", sc.name.replace("p50", "p99"),
                                sc.pair.replace("p50", "p99")))
            for metric, label, _ in metrics:
                for server in ("nats-server", "lattice-node"):
                    same = metric_of(results, sc.pair, server, metric)
                    cross = metric_of(results, sc.name, server, metric)
                    ratio = cross / same if same and cross is not None else None
                    if sc.better == "higher":
                        target, ok = CROSS_THROUGHPUT_TARGET, ratio is not None and ratio >= \
                            CROSS_THROUGHPUT_TARGET
                        sign = ">="
                    else:
                        target, ok = CROSS_LATENCY_TARGET, ratio is not None and ratio <= \
                            CROSS_LATENCY_TARGET
                        sign = "<="
                    if server == "nats-server":
                        tgt, met = "-", "-"
                    else:
                        tgt, met = f"{sign} {target}", ("n/a" if ratio is None
                                                          else "yes" if ok else "no")
                    out.append(f"| {label} | {metric} | {server} | {fmt(same)} | {fmt(cross)} | "
                               f"{'-' if ratio is None else f'{ratio:.2f}x'} | {tgt} | {met} |")
    out += ["", "Details (medians) and whether the bench was the bottleneck: bench CPU seconds "
            "vs server CPU seconds over the same interval (from getrusage and /proc/<pid>/stat).",
            "", "| scenario | server | details | bench cpu s | server cpu s |",
            "|---|---|---|---:|---:|"]
    for sc in rows:
        for server in ("nats-server", "lattice-node"):
            if (sc.name, server) not in results:
                continue
            details = ", ".join(f"{m}={fmt(metric_of(results, sc.name, server, m))}"
                                for m in (sc.metric,) + tuple(sc.extra))
            out.append(f"| {sc.name} | {server} | {details} | "
                       f"{fmt(metric_of(results, sc.name, server, 'bench_cpu_s'))} | "
                       f"{fmt(metric_of(results, sc.name, server, 'server_cpu_s'))} |")
    if notes or problems:
        out += ["", "Problems and notes:", ""]
        out += [f"- {p}" for p in problems]
        out += [f"- {sc} / {server}: {'; '.join(sorted(n))}" for (sc, server), n in notes.items()]
    return "\n".join(out) + "\n"


def write_section(path, section):
    text = path.read_text() if path.exists() else ""
    block = f"{BEGIN}\n{section}{END}\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1].lstrip("\n")
        text = head + block + tail
    else:
        text = text.rstrip("\n") + ("\n\n" if text else "") + block
    path.write_text(text)


if __name__ == "__main__":
    sys.exit(main())
