// Copy of e2e/js/servers.mjs (not exported from that package): starts nats-server / lattice-node
// and reads the shared list of known lattice-node gaps.
import { spawn } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

export const SERVER_KINDS = ["nats_server", "lattice_node"];

export function binaryFor(kind) {
  if (kind === "nats_server") return process.env.NATS_SERVER_BIN || "/usr/sbin/nats-server";
  if (!process.env.LATTICE_NODE_BIN) throw new Error("LATTICE_NODE_BIN is not set");
  return process.env.LATTICE_NODE_BIN;
}

// `<id> <reason>` lines of e2e/known_lattice_gaps.txt; returns the reason for `id` or null.
export function knownLatticeGap(id) {
  const file = process.env.LATTICE_GAPS_FILE;
  if (!file) throw new Error("LATTICE_GAPS_FILE is not set");
  for (const raw of readFileSync(file, "utf8").split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const space = line.search(/\s/);
    const key = space < 0 ? line : line.slice(0, space);
    if (key === id || key === "*") return space < 0 ? "(no reason given)" : line.slice(space).trim();
  }
  return null;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(port) {
  return new Promise((resolve) => {
    const sock = net.connect({ host: "127.0.0.1", port });
    sock.once("connect", () => {
      sock.destroy();
      resolve(true);
    });
    sock.once("error", () => resolve(false));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A running server; `stop()` sends SIGTERM, then SIGKILL after a deadline.
export class ServerProcess {
  constructor(kind, port, child, logPath) {
    this.kind = kind;
    this.port = port;
    this.child = child;
    this.logPath = logPath;
    this.exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
    this.hasExited = false;
    this.exited.then(() => (this.hasExited = true));
  }

  get url() {
    return `nats://127.0.0.1:${this.port}`;
  }

  log() {
    return readFileSync(this.logPath, "utf8");
  }

  static async start(kind, { config = "", args = [], readyTimeoutMs = 10000 } = {}) {
    const dir = mkdtempSync(path.join(process.env.TEST_TMPDIR || tmpdir(), `${kind}-`));
    const port = await freePort();
    const argv = ["-a", "127.0.0.1", "-p", String(port)];
    if (config) {
      const conf = path.join(dir, "server.conf");
      writeFileSync(conf, config);
      argv.push("-c", conf);
    }
    argv.push(...args);
    const outDir = process.env.TEST_UNDECLARED_OUTPUTS_DIR || dir;
    const logPath = path.join(outDir, `js-${kind}-${port}.log`);
    const fd = openSync(logPath, "a");
    const child = spawn(binaryFor(kind), argv, { stdio: ["ignore", fd, fd] });
    closeSync(fd);
    const server = new ServerProcess(kind, port, child, logPath);
    const deadline = Date.now() + readyTimeoutMs;
    while (Date.now() < deadline) {
      if (server.hasExited) break;
      if (await canConnect(port)) return server;
      await sleep(20);
    }
    await server.stop();
    throw new Error(`${kind} did not accept connections on ${port}\n--- log ---\n${server.log()}`);
  }

  async stop(timeoutMs = 10000) {
    if (this.hasExited) return this.exited;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), timeoutMs);
    const result = await this.exited;
    clearTimeout(timer);
    return result;
  }
}
