// Cross-checks Lattice's NKeys/JWT/creds (through xcheck_tool) against the official NATS JS libs:
// their keys and tokens must verify with ours, and ours with theirs.
"use strict";
const { test } = require("node:test");
const assert = require("node:assert/strict");
const { execFileSync, spawnSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { createRequire } = require("node:module");

const prefix = process.env.LATTICE_NPM_PREFIX;
const tool = process.env.XCHECK_TOOL;
if (!prefix || !tool) {
  throw new Error("LATTICE_NPM_PREFIX and XCHECK_TOOL must be set (run through crosscheck_test.sh)");
}
const req = createRequire(path.join(prefix, "package.json"));
const nkeys = req("@nats-io/nkeys");
const jwt = req("@nats-io/jwt");

const te = new TextEncoder();
const now = () => Math.floor(Date.now() / 1000);

// Runs xcheck_tool; returns {ok, out, err}.
function ours(...args) {
  const r = spawnSync(tool, args, { encoding: "utf8" });
  return { ok: r.status === 0, out: (r.stdout || "").trim(), err: (r.stderr || "").trim() };
}

function b64url(bytes) {
  return Buffer.from(bytes).toString("base64url");
}

const creators = {
  operator: nkeys.createOperator,
  account: nkeys.createAccount,
  user: nkeys.createUser,
  server: nkeys.createServer,
  cluster: nkeys.createCluster,
};

test("their seeds derive the same public keys in ours, for every kind", () => {
  for (const [kind, create] of Object.entries(creators)) {
    const kp = create();
    const seed = new TextDecoder().decode(kp.getSeed());
    const r = ours("seed-public", seed);
    assert.ok(r.ok, `${kind}: ${r.err}`);
    assert.equal(r.out, kp.getPublicKey(), kind);
  }
  const curve = nkeys.createCurve();
  const r = ours("seed-public", new TextDecoder().decode(curve.getSeed()));
  assert.ok(r.ok, r.err);
  assert.equal(r.out, curve.getPublicKey());
});

test("curve keys: their sealed boxes open with ours and ours with theirs", () => {
  const alice = nkeys.createCurve();
  const bob = nkeys.createCurve();
  const td = new TextDecoder();
  const aliceSeed = td.decode(alice.getSeed());
  const bobSeed = td.decode(bob.getSeed());
  const sealed = alice.seal(te.encode("from js"), bob.getPublicKey());
  const opened = ours("open", bobSeed, alice.getPublicKey(), b64url(sealed));
  assert.ok(opened.ok, opened.err);
  assert.equal(opened.out, "from js");
  const mine = ours("seal", aliceSeed, bob.getPublicKey(), "from lattice");
  assert.ok(mine.ok, mine.err);
  const theirs = bob.open(Buffer.from(mine.out, "base64url"), alice.getPublicKey());
  assert.equal(td.decode(theirs), "from lattice");
  assert.equal(bob.open(Buffer.from(mine.out, "base64url"), nkeys.createCurve().getPublicKey()),
    null);
});

test("their signatures verify with ours; tampering is caught", () => {
  const kp = nkeys.createUser();
  const msg = "nonce-" + Math.random();
  const sig = b64url(kp.sign(te.encode(msg)));
  assert.ok(ours("verify", kp.getPublicKey(), msg, sig).ok);
  assert.equal(ours("verify", kp.getPublicKey(), msg + "x", sig).ok, false);
  assert.equal(ours("verify", nkeys.createUser().getPublicKey(), msg, sig).ok, false);
});

test("our signatures verify with theirs", () => {
  const kp = nkeys.createAccount();
  const seed = new TextDecoder().decode(kp.getSeed());
  const r = ours("sign", seed, "hello lattice");
  assert.ok(r.ok, r.err);
  const sig = Buffer.from(r.out, "base64url");
  const pub = nkeys.fromPublic(kp.getPublicKey());
  assert.ok(pub.verify(te.encode("hello lattice"), sig));
  assert.equal(pub.verify(te.encode("hello lattice!"), sig), false);
});

test("our JWT chain and creds decode and verify with theirs", async () => {
  const r = ours("make-chain", String(now()));
  assert.ok(r.ok, r.err);
  const chain = JSON.parse(r.out);
  const op = jwt.decode(chain.operator_jwt);
  assert.equal(op.sub, chain.operator_public);
  assert.equal(op.iss, chain.operator_public);
  assert.equal(op.nats.type, "operator");
  assert.equal(op.nats.version, 2);
  assert.deepEqual(op.nats.signing_keys, [chain.operator_signing_key]);
  const acc = jwt.decode(chain.account_jwt);
  assert.equal(acc.iss, chain.operator_signing_key);
  assert.equal(acc.nats.limits.conn, 7);
  assert.equal(acc.nats.limits.subs, -1);
  assert.equal(acc.nats.exports[0].type, "service");
  const user = jwt.decode(chain.user_jwt);
  assert.equal(user.iss, chain.account_signing_key);
  assert.equal(user.nats.issuer_account, chain.account_public);
  assert.deepEqual(user.nats.pub.allow, ["help.>"]);
  assert.deepEqual(user.nats.sub.deny, ["secret.>"]);
  assert.deepEqual(user.nats.tags, ["team:blue"]);
  assert.ok(user.exp > now());
  assert.equal(nkeys.fromSeed(te.encode(chain.user_seed)).getPublicKey(), chain.user_public);
  const parsed = await jwt.parseCreds(te.encode(chain.creds));
  assert.equal(parsed.jwt, chain.user_jwt);
  assert.equal(parsed.key, chain.user_seed);  // their parseCreds returns the seed as "key"
  assert.equal(parsed.uc.sub, chain.user_public);
  assert.equal(parsed.aid, chain.account_public);
  // A tampered token of ours is refused by them too.
  const parts = chain.user_jwt.split(".");
  const forged = JSON.parse(Buffer.from(parts[1], "base64url"));
  forged.nats.pub.allow = [">"];
  const tampered = [parts[0], b64url(te.encode(JSON.stringify(forged))), parts[2]].join(".");
  assert.throws(() => jwt.decode(tampered), /sig verification failed/);
});

test("their operator/account/user chain validates with ours, with signing keys", async () => {
  const op = nkeys.createOperator();
  const opSk = nkeys.createOperator();
  const acc = nkeys.createAccount();
  const accSk = nkeys.createAccount();
  const usr = nkeys.createUser();
  const opJwt = await jwt.encodeOperator("js-op", op, { signing_keys: [opSk.getPublicKey()] });
  const accJwt = await jwt.encodeAccount(
    "js-acc",
    acc.getPublicKey(),
    {
      limits: { conn: 5, subs: -1, data: -1, payload: -1, imports: -1, exports: -1, leaf: -1 },
      signing_keys: [accSk.getPublicKey()],
      exports: [{ subject: "svc.>", type: "service", token_req: true }],
      x_unknown_field: { kept: true },
    },
    { signer: opSk },
  );
  const userJwt = await jwt.encodeUser(
    "js-user",
    usr,
    acc.getPublicKey(),
    { pub: { allow: ["svc.>"] }, sub: { allow: ["_INBOX.>"] } },
    { signer: accSk, exp: now() + 600 },
  );
  const d = ours("decode", accJwt);
  assert.ok(d.ok, d.err);
  const decoded = JSON.parse(d.out);
  assert.equal(decoded.nats.limits.conn, 5);
  assert.deepEqual(decoded.nats.x_unknown_field, { kept: true });
  assert.equal(decoded.aud, "NATS");
  const v = ours("validate-chain", opJwt, accJwt, userJwt, String(now()));
  assert.ok(v.ok, v.err);
  assert.deepEqual(JSON.parse(v.out).pub.allow, ["svc.>"]);
  // Expired per our clock.
  assert.match(ours("validate-chain", opJwt, accJwt, userJwt, String(now() + 601)).err, /expired/);
  // User signed by a key the account does not list.
  const rogue = await jwt.encodeUser("rogue", usr, acc.getPublicKey(), {}, {
    signer: nkeys.createAccount(),
  });
  assert.match(ours("validate-chain", opJwt, accJwt, rogue, String(now())).err, /not signed/);
  // Account signed by a foreign operator.
  const foreign = await jwt.encodeAccount("x", acc.getPublicKey(), {}, {
    signer: nkeys.createOperator(),
  });
  assert.match(ours("validate-chain", opJwt, foreign, userJwt, String(now())).err, /trusted operator/);
  // Their activation decodes with ours.
  const act = await jwt.encodeActivation("a", nkeys.createAccount().getPublicKey(), acc,
    "service", { subject: "svc.help" });
  const a = ours("decode", act);
  assert.ok(a.ok, a.err);
  assert.equal(JSON.parse(a.out).nats.kind, "service");
});

test("their revocations and scoped signers are honoured by ours", async () => {
  const op = nkeys.createOperator();
  const acc = nkeys.createAccount();
  const scoped = nkeys.createAccount();
  const usr = nkeys.createUser();
  const opJwt = await jwt.encodeOperator("op", op, {});
  const userJwt = await jwt.encodeUser("bob", usr, acc, {});
  const iat = jwt.decode(userJwt).iat;
  const revokedAcc = await jwt.encodeAccount("acc", acc.getPublicKey(), {
    revocations: { [usr.getPublicKey()]: iat },
  }, { signer: op });
  assert.match(ours("validate-chain", opJwt, revokedAcc, userJwt, String(now())).err, /revoked/);

  const signer = jwt.newScopedSigner(scoped, "dev", { pub: { allow: ["dev.{{name()}}.>"] } });
  const scopedAcc = await jwt.encodeAccount("acc", acc.getPublicKey(), {
    signing_keys: [signer],
  }, { signer: op });
  const scopedUser = await jwt.encodeUser("bob", usr, acc.getPublicKey(), {}, {
    signer: scoped,
    scopedUser: true,
  });
  const v = ours("validate-chain", opJwt, scopedAcc, scopedUser, String(now()));
  assert.ok(v.ok, v.err);
  assert.deepEqual(JSON.parse(v.out).pub.allow, ["dev.bob.>"]);
});

test("their creds files parse with ours", () => {
  const usr = nkeys.createUser();
  const acc = nkeys.createAccount();
  return jwt.encodeUser("carol", usr, acc, {}).then((token) => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "xcheck-")), "carol.creds");
    fs.writeFileSync(file, jwt.fmtCreds(token, usr));
    const r = ours("parse-creds", file);
    assert.ok(r.ok, r.err);
    assert.equal(r.out, `${token} ${usr.getPublicKey()}`);
  });
});
