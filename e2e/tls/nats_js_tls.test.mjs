// nats.js (npm `nats` 2.x, node transport) over TLS against nats-server and lattice-node: a
// trusted CA file, client certificates for `verify`, and verify_and_map user mapping.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { ServerProcess, SERVER_KINDS } from "./servers.mjs";

const require = createRequire(import.meta.url);
const { connect, StringCodec } = require("nats");
const sc = StringCodec();

const pki = process.env.PKI_DIR;
const file = (name) => path.join(pki, name);
const CA = file("root-ca.pem");
const tlsBlock = (extra = "") => `tls {
  cert_file: "${file("server.pem")}"
  key_file: "${file("server-key.pem")}"
  ca_file: "${CA}"
  ${extra}
}
`;
const clientTls = (leaf) =>
  leaf ? { caFile: CA, certFile: file(`${leaf}.pem`), keyFile: file(`${leaf}-key.pem`) } : { caFile: CA };
const tlsUrl = (server) => `tls://localhost:${server.port}`;

for (const kind of SERVER_KINDS) {
  describe(`nats.js TLS against ${kind}`, () => {
    const servers = [];
    const start = async (config) => {
      const s = await ServerProcess.start(kind, { config });
      servers.push(s);
      return s;
    };
    after(async () => {
      for (const s of servers) await s.stop();
    });

    test("PubSubWithCaFile", async () => {
      const server = await start(tlsBlock());
      const nc = await connect({ servers: tlsUrl(server), reconnect: false, tls: clientTls() });
      assert.equal(nc.info.tls_required, true);
      assert.equal(nc.info.tls_verify, undefined);
      const sub = nc.subscribe("js.tls", { max: 3, timeout: 5000 });
      const big = "z".repeat(200000);
      nc.publish("js.tls", sc.encode("one"));
      nc.publish("js.tls", sc.encode(big));
      nc.publish("js.tls", sc.encode("three"));
      const got = [];
      for await (const m of sub) got.push(sc.decode(m.data));
      assert.deepEqual(got, ["one", big, "three"]);
      await nc.close();
    });

    test("VerifyWithAndWithoutClientCertificate", async () => {
      const server = await start(tlsBlock("verify: true"));
      const nc = await connect({ servers: tlsUrl(server), reconnect: false, tls: clientTls("alice") });
      assert.equal(nc.info.tls_verify, true);
      await nc.flush();
      await nc.close();
      for (const leaf of [undefined, "mallory"]) {
        await assert.rejects(async () => {
          const bad = await connect({ servers: tlsUrl(server), reconnect: false, tls: clientTls(leaf), timeout: 3000 });
          // TLS 1.3: the client may finish before the server's alert; the next round trip fails.
          try {
            await bad.flush();
          } finally {
            await bad.close().catch(() => {});
          }
        }, `client certificate ${leaf ?? "(none)"} must be refused`);
      }
    });

    test("VerifyAndMapMapsToConfiguredUser", async () => {
      const server = await start(`${tlsBlock("verify_and_map: true")}
authorization {
  users = [ {user: "alice@acme.test", permissions: {publish: "allowed.>", subscribe: ["allowed.>", "_INBOX.>"]}} ]
}
`);
      const nc = await connect({ servers: tlsUrl(server), reconnect: false, tls: clientTls("alice") });
      const sub = nc.subscribe("allowed.x", { max: 1, timeout: 5000 });
      nc.publish("allowed.x", sc.encode("ok"));
      for await (const m of sub) assert.equal(sc.decode(m.data), "ok");
      // The mapped user's permissions apply.
      const denied = nc.subscribe("denied.x", { timeout: 5000 });
      await assert.rejects(async () => {
        for await (const m of denied) void m;
      }, /Permissions Violation/i);
      await nc.close();
      await assert.rejects(
        connect({ servers: tlsUrl(server), reconnect: false, tls: clientTls("dave") }),
        /Authorization Violation/i,
      );
    });
  });
}
