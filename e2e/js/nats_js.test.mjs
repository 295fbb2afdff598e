// nats.js (the official JavaScript client, v2) against nats-server and lattice-node: connect,
// pub/sub, request/reply, headers, queue groups, no responders, drain.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { after, before, describe, test } from "node:test";

import { ServerProcess, SERVER_KINDS, knownLatticeGap } from "./servers.mjs";

const require = createRequire(import.meta.url);
const { connect, headers, StringCodec, ErrorCode, createInbox } = require("nats");

const sc = StringCodec();

// Collects `count` messages from a subscription (bounded by the subscription's own timeout).
async function collect(sub, count) {
  const got = [];
  for await (const m of sub) {
    got.push(m);
    if (got.length === count) break;
  }
  return got;
}

for (const kind of SERVER_KINDS) {
  describe(`nats.js against ${kind}`, () => {
    let server;
    const gap = (name) => (kind === "lattice_node" ? knownLatticeGap(`NatsJs.${name}`) : null);
    const anyRunnable = ["Connect", "PubSub", "RequestReply", "Headers", "QueueGroups",
      "NoResponders", "Drain"].some((name) => !gap(name));

    before(async () => {
      if (anyRunnable) server = await ServerProcess.start(kind);
    });
    after(async () => {
      if (server) {
        const { signal } = await server.stop();
        assert.notEqual(signal, "SIGKILL", `${kind} had to be killed`);
      }
    });

    const jsTest = (name, fn) =>
      test(name, { skip: gap(name) ? `known lattice-node gap: ${gap(name)}` : false }, fn);

    jsTest("Connect", async () => {
      const nc = await connect({ servers: server.url, reconnect: false });
      assert.ok(nc.info.server_id.length > 0);
      assert.equal(nc.info.proto, 1);
      assert.equal(nc.info.headers, true);
      assert.equal(nc.info.max_payload, 1048576);
      assert.ok(nc.info.client_id > 0);
      const rtt = await nc.rtt();
      assert.ok(rtt >= 0);
      await nc.close();
      assert.ok(nc.isClosed());
    });

    jsTest("PubSub", async () => {
      const nc = await connect({ servers: server.url, reconnect: false });
      const exact = nc.subscribe("js.pub.one", { max: 3, timeout: 5000 });
      const wild = nc.subscribe("js.pub.*", { max: 4, timeout: 5000 });
      const tail = nc.subscribe("js.>", { max: 4, timeout: 5000 });
      await nc.flush();
      nc.publish("js.pub.one", sc.encode("a"));
      nc.publish("js.pub.two", sc.encode("b"));
      nc.publish("js.pub.one", sc.encode("c"));
      nc.publish("js.pub.one", sc.encode(""));
      const [e, w, t] = await Promise.all([collect(exact, 3), collect(wild, 4), collect(tail, 4)]);
      assert.deepEqual(e.map((m) => sc.decode(m.data)), ["a", "c", ""]);
      assert.deepEqual(w.map((m) => m.subject), ["js.pub.one", "js.pub.two", "js.pub.one", "js.pub.one"]);
      assert.equal(t.length, 4);
      await nc.close();
    });

    jsTest("RequestReply", async () => {
      const service = await connect({ servers: server.url, reconnect: false });
      const client = await connect({ servers: server.url, reconnect: false });
      const sub = service.subscribe("js.svc.upper");
      (async () => {
        for await (const m of sub) m.respond(sc.encode(sc.decode(m.data).toUpperCase()));
      })();
      await service.flush();
      for (const word of ["lattice", "nats", ""]) {
        const reply = await client.request("js.svc.upper", sc.encode(word), { timeout: 5000 });
        assert.equal(sc.decode(reply.data), word.toUpperCase());
      }
      // Many in flight at once share the client's inbox subscription.
      const replies = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          client.request("js.svc.upper", sc.encode(`m${i}`), { timeout: 5000 })),
      );
      assert.deepEqual(replies.map((r) => sc.decode(r.data)), Array.from({ length: 50 }, (_, i) => `M${i}`));
      await client.close();
      await service.close();
    });

    jsTest("Headers", async () => {
      const nc = await connect({ servers: server.url, reconnect: false });
      const sub = nc.subscribe("js.hdr", { max: 1, timeout: 5000 });
      await nc.flush();
      const h = headers();
      h.set("Trace-Id", "t-42");
      h.append("Multi", "one");
      h.append("Multi", "two");
      nc.publish("js.hdr", sc.encode("payload"), { headers: h, reply: "js.reply.to" });
      const [m] = await collect(sub, 1);
      assert.equal(sc.decode(m.data), "payload");
      assert.equal(m.reply, "js.reply.to");
      assert.ok(m.headers);
      assert.equal(m.headers.get("Trace-Id"), "t-42");
      assert.deepEqual(m.headers.values("Multi"), ["one", "two"]);
      await nc.close();
    });

    jsTest("QueueGroups", async () => {
      const total = 200;
      const members = await Promise.all(
        [0, 1, 2].map(() => connect({ servers: server.url, reconnect: false })),
      );
      const counts = [0, 0, 0];
      const seen = new Set();
      let duplicates = 0;
      const subs = members.map((nc, i) =>
        nc.subscribe("js.work", {
          queue: "workers",
          callback: (err, m) => {
            if (err) return;
            counts[i]++;
            const n = sc.decode(m.data);
            if (seen.has(n)) duplicates++;
            seen.add(n);
          },
        }));
      await Promise.all(members.map((nc) => nc.flush()));
      const pub = await connect({ servers: server.url, reconnect: false });
      for (let i = 0; i < total; i++) pub.publish("js.work", sc.encode(String(i)));
      await pub.flush();
      // Each member's flush returns after everything the server queued for it before the PONG.
      await Promise.all(members.map((nc) => nc.flush()));
      assert.equal(duplicates, 0);
      assert.equal(counts.reduce((a, b) => a + b, 0), total);
      for (const c of counts) assert.ok(c > 0, `a member got nothing: ${counts}`);
      subs.forEach((s) => s.unsubscribe());
      await pub.close();
      await Promise.all(members.map((nc) => nc.close()));
    });

    jsTest("NoResponders", async () => {
      const nc = await connect({ servers: server.url, reconnect: false });
      await assert.rejects(nc.request("js.nobody", sc.encode("x"), { timeout: 30000 }), (err) => {
        assert.equal(err.code, ErrorCode.NoResponders);
        assert.equal(err.code, "503");
        return true;
      });
      assert.ok(!nc.isClosed());
      await nc.close();
    });

    jsTest("Drain", async () => {
      const nc = await connect({ servers: server.url, reconnect: false });
      const pub = await connect({ servers: server.url, reconnect: false });
      let received = 0;
      nc.subscribe("js.drain", { callback: () => received++ });
      await nc.flush();
      for (let i = 0; i < 100; i++) pub.publish("js.drain", sc.encode(String(i)));
      await pub.flush();
      // Drain delivers everything already sent to us, then closes.
      await nc.drain();
      assert.ok(nc.isClosed());
      assert.equal(received, 100);
      // After the drain the subscription is gone: a request now has no responders.
      const inbox = createInbox();
      assert.ok(inbox.startsWith("_INBOX."));
      await assert.rejects(pub.request("js.drain", sc.encode("x"), { timeout: 30000 }),
        (err) => err.code === ErrorCode.NoResponders);
      await pub.close();
    });
  });
}
