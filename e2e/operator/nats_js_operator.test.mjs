// nats.js (npm `nats` 2.x) with creds files against nats-server and lattice-node in operator
// mode (config and creds from make_operator_fixture): users of one JWT account exchange
// messages; a revoked user and a user of an account the operator never signed are refused.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { after, describe, test } from "node:test";

import { ServerProcess, SERVER_KINDS } from "./servers.mjs";

const require = createRequire(import.meta.url);
const { connect, credsAuthenticator, StringCodec } = require("nats");
const sc = StringCodec();

const fixture = process.env.OPERATOR_FIXTURE;
const config = readFileSync(path.join(fixture, "server.conf"), "utf8");
const creds = (name) => credsAuthenticator(readFileSync(path.join(fixture, `${name}.creds`)));

for (const kind of SERVER_KINDS) {
  describe(`nats.js operator mode against ${kind}`, () => {
    let server;
    after(async () => {
      if (server) await server.stop();
    });

    test("CredsUsersExchangeMessages", async () => {
      server = await ServerProcess.start(kind, { config });
      const url = `nats://127.0.0.1:${server.port}`;
      const alice = await connect({ servers: url, reconnect: false, authenticator: creds("alice") });
      const bob = await connect({ servers: url, reconnect: false, authenticator: creds("bob") });
      assert.ok(alice.info.nonce, "INFO carries a nonce");
      const sub = alice.subscribe("js.op", { max: 1, timeout: 5000 });
      await alice.flush();
      bob.publish("js.op", sc.encode("hello"));
      const got = [];
      for await (const m of sub) got.push(sc.decode(m.data));
      assert.deepEqual(got, ["hello"]);
      await alice.close();
      await bob.close();
    });

    for (const refused of ["mallory", "trudy"]) {
      test(`Refuses_${refused}`, async () => {
        const url = `nats://127.0.0.1:${server.port}`;
        await assert.rejects(
          connect({ servers: url, reconnect: false, authenticator: creds(refused) }),
          (err) => /Authorization Violation|AUTHORIZATION_VIOLATION/i.test(String(err.message || err.code)),
        );
      });
    }
  });
}
