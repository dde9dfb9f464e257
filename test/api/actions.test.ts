import { execFile } from "node:child_process";
import fs from "node:fs";
import type http from "node:http";
import path from "node:path";
import { promisify } from "node:util";
import { expect } from "chai";
import { Registry } from "prom-client";
import { decodeFunctionData, keccak256, toHex } from "viem";
import { createApp } from "../../src/api/app";
import type { ApiServices } from "../../src/api/context";
import { collectionLogAbi } from "../../src/chain/abis";
import { rpc } from "../support/chain";
import { signedAction } from "./helpers/actions";
import { tempDir } from "../indexer/helpers/harness";
import { accountOf, apiFixture, describeEachDialect, type ApiFixture, type Role } from "./fixture";

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, "..", "..");

async function json(res: Response) {
  return (await res.json()) as any;
}

/** The same app over other services (e.g. without a relayer, or another process on the same database), on its own port. */
async function appWith(f: ApiFixture, services: ApiServices) {
  const server = await new Promise<http.Server>((resolve) => {
    const s = createApp({ ...services, registry: new Registry() }).listen(0, "127.0.0.1", () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    post: (role: Role, path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${url}${path}`, { method: "POST", headers: { authorization: `Bearer ${f.tokens[role]}`, "content-type": "application/json", ...headers }, body: JSON.stringify(body) }),
    get: (role: Role, path: string) => fetch(`${url}${path}`, { headers: { authorization: `Bearer ${f.tokens[role]}` } }),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describeEachDialect("POST /v1/loans/{loanId}/actions", (dialect) => {
  let f: ApiFixture;
  let now: number;

  const post = (role: Role | undefined, path: string, body: unknown, headers: Record<string, string> = {}) =>
    f.call(role, path, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: typeof body === "string" ? body : JSON.stringify(body) });
  const action = (over: Record<string, unknown> = {}) => ({ channel: "call", kind: "contact_attempt", outcome: 7, occurredAt: now - 60, evidenceHash: keccak256(toHex("recording-1")), ...over });
  const trail = async (loanId: bigint) => f.client.readContract({ address: f.deployment.collectionLog.address, abi: collectionLogAbi, functionName: "trailOf", args: [loanId] });
  /** `body` signed by `role` as a wallet would (typed data from the API, eth_signTypedData_v4 on the node). */
  const signed = (role: Role, loanId: number, body: Record<string, unknown>) => signedAction(f, role, loanId, body);
  const lastAction = async (loanId: number) => {
    await f.reindex();
    return f.db.selectFrom("actions").selectAll().where("loan_id", "=", loanId).orderBy("seq", "desc").limit(1).executeTakeFirstOrThrow();
  };

  before(async function () {
    this.timeout(300_000);
    f = await apiFixture(dialect);
    now = Number((await f.client.getBlock()).timestamp);
  });
  after(async () => f?.close());

  it("relays a collector's signed action: 201 once included, and the trail names the collector, not the relayer", async () => {
    const before = await trail(1n);
    const res = await post("collector", "/v1/loans/1/actions", await signed("collector", 1, action()));
    expect(res.status).to.equal(201);
    const body = await json(res);
    expect(body).to.include({ mode: "relayed", status: "included" });
    expect(body.txHash).to.match(/^0x[0-9a-f]{64}$/);
    const receipt = await f.client.getTransactionReceipt({ hash: body.txHash });
    expect(receipt.status).to.equal("success");
    expect(receipt.from.toLowerCase()).to.equal(f.addresses.relayer.toLowerCase());
    expect(body.blockNumber).to.equal(Number(receipt.blockNumber));
    expect((await trail(1n))[1]).to.equal(before[1] + 1n);
    const last = await lastAction(1);
    expect(last).to.include({ collector: f.addresses.collector, channel: 0, kind: 0, outcome: 7, occurred_at: now - 60, evidence_hash: keccak256(toHex("recording-1")), tx_hash: body.txHash });
  });

  it("a collector's relayed action without a signature is refused (400 naming body.signature): the relayer never acts for it", async () => {
    const count = (await trail(1n))[1];
    const res = await post("collector", "/v1/loans/1/actions", action());
    expect(res.status).to.equal(400);
    expect((await json(res)).errors[0].path).to.equal("body.signature");
    expect((await trail(1n))[1]).to.equal(count);
  });

  it("refuses a signature that is not the caller's, is for other fields, or carries a used nonce; an expired one is the contract's 422", async () => {
    const count = (await trail(1n))[1];
    const good = await signed("collector", 1, action({ outcome: 12 }));
    const byOther = await post("collector", "/v1/loans/1/actions", { ...good, signature: await rpc<string>(f.node.url, "eth_signTypedData_v4", [f.addresses.relayer, JSON.stringify((await json(await post("collector", "/v1/loans/1/actions/typed-data", action({ outcome: 12 })))).typedData)]) });
    expect(byOther.status).to.equal(400);
    expect((await json(byOther)).errors[0].path).to.equal("body.signature");
    const otherFields = await post("collector", "/v1/loans/1/actions", { ...good, outcome: 13 });
    expect(otherFields.status).to.equal(400);
    expect((await trail(1n))[1]).to.equal(count);
    expect((await post("collector", "/v1/loans/1/actions", good)).status).to.equal(201);
    const reused = await post("collector", "/v1/loans/1/actions", { ...good, outcome: 12 });
    expect(reused.status).to.equal(409);
    expect((await json(reused)).detail).to.match(/next nonce/);
    const expired = await post("collector", "/v1/loans/1/actions", await signed("collector", 1, action({ outcome: 14, deadline: String(now - 1) })));
    expect(expired.status).to.equal(422);
    expect((await json(expired)).revert.error).to.equal("CollectionLogExpiredSignature");
    expect((await trail(1n))[1]).to.equal(count + 1n);
  });

  it("`actions sign` signs the API's typed data with the collector's key from the environment, and the relayed action is accepted", async function () {
    this.timeout(60_000);
    const body = action({ outcome: 16 });
    const td = await post("collector", "/v1/loans/1/actions/typed-data", body);
    const file = path.join(tempDir("actions-sign"), "typed.json");
    fs.writeFileSync(file, await td.text());
    const key = toHex(accountOf("collector").getHdKey().privateKey!);
    await run(process.execPath, [path.join(ROOT, "scripts", "build-js.js"), "--quiet"], { cwd: ROOT });
    const { stdout } = await run(process.execPath, [path.join(ROOT, "dist", "cli", "index.js"), "actions", "sign", "--file", file], { cwd: ROOT, env: { ...process.env, COLLECTOR_KEY: key } });
    const out = JSON.parse(stdout);
    expect(out.signer).to.equal(f.addresses.collector);
    const res = await post("collector", "/v1/loans/1/actions", { ...body, signature: out.signature, deadline: out.deadline, nonce: out.nonce });
    expect(res.status).to.equal(201);
    // Another collector's key refuses to sign it.
    const other = toHex(accountOf("otherCollector").getHdKey().privateKey!);
    const refused = await run(process.execPath, [path.join(ROOT, "dist", "cli", "index.js"), "actions", "sign", "--file", file], { cwd: ROOT, env: { ...process.env, COLLECTOR_KEY: other } }).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect((refused as { code: number }).code).to.equal(2);
    expect((refused as { stderr: string }).stderr).to.match(/is for collector .* and the key is/);
  });

  it("the relayer's own service account may relay as itself, where it is assigned on chain", async () => {
    const res = await post("relayer", "/v1/loans/2/actions", action({ outcome: 15 }));
    expect(res.status).to.equal(201);
    expect(await lastAction(2)).to.include({ collector: f.addresses.relayer, outcome: 15, tx_hash: (await json(res)).txHash });
  });

  it("honours Idempotency-Key: same request, same response and no second transaction; another request, 409", async () => {
    const key = "idem-test-1";
    const body = await signed("collector", 2, action({ outcome: 8, channel: 0, kind: 0 }));
    const first = await post("collector", "/v1/loans/2/actions", body, { "idempotency-key": key });
    expect(first.status).to.equal(201);
    const a = await json(first);
    const count = (await trail(2n))[1];
    // Same request spelled with names instead of numbers: the same request.
    const again = await post("collector", "/v1/loans/2/actions", { ...body, channel: "call", kind: "contact_attempt" }, { "idempotency-key": key });
    expect(again.status).to.equal(201);
    expect(again.headers.get("idempotent-replayed")).to.equal("true");
    expect(await json(again)).to.deep.equal(a);
    expect((await trail(2n))[1]).to.equal(count);
    const other = await post("collector", "/v1/loans/2/actions", { ...body, outcome: 9 }, { "idempotency-key": key });
    expect(other.status).to.equal(409);
    expect(other.headers.get("content-type")).to.match(/^application\/problem\+json/);
    expect((await trail(2n))[1]).to.equal(count);
    // Keys are per caller: the relayer (also assigned to loan 2) may use the same key for its own request.
    const mine = await post("relayer", "/v1/loans/2/actions", action({ outcome: 9 }), { "idempotency-key": key });
    expect(mine.status).to.equal(201);
  });

  it("concurrent requests with one key send one transaction", async () => {
    const count = (await trail(1n))[1];
    const body = await signed("collector", 1, action({ outcome: 11 }));
    const rs = await Promise.all([1, 2, 3].map(() => post("collector", "/v1/loans/1/actions", body, { "idempotency-key": "idem-concurrent" })));
    const bodies = await Promise.all(rs.map(json));
    expect(rs.map((r) => r.status)).to.deep.equal([201, 201, 201]);
    expect(new Set(bodies.map((b) => b.txHash)).size).to.equal(1);
    expect((await trail(1n))[1]).to.equal(count + 1n);
  });

  it("concurrent relays for several callers each get their own relayer nonce: every one is included", async () => {
    const [c1, c7] = [await trail(1n), await trail(7n)].map((t) => t[1]);
    const count2 = (await trail(2n))[1];
    const requests = [
      post("collector", "/v1/loans/1/actions", await signed("collector", 1, action({ outcome: 21 }))),
      post("otherCollector", "/v1/loans/7/actions", await signed("otherCollector", 7, action({ outcome: 22 }))),
      post("relayer", "/v1/loans/2/actions", action({ outcome: 23 })),
      post("relayer", "/v1/loans/2/actions", action({ outcome: 24 })),
      post("relayer", "/v1/loans/2/actions", action({ outcome: 25 })),
      post("relayer", "/v1/loans/2/actions", action({ outcome: 26 })),
    ];
    const rs = await Promise.all(requests);
    const bodies = await Promise.all(rs.map(json));
    expect(rs.map((r) => r.status), JSON.stringify(bodies)).to.deep.equal([201, 201, 201, 201, 201, 201]);
    const nonces = await Promise.all(bodies.map(async (b) => (await f.client.getTransaction({ hash: b.txHash })).nonce));
    expect(new Set(nonces).size).to.equal(6);
    expect([(await trail(1n))[1], (await trail(7n))[1], (await trail(2n))[1]]).to.deep.equal([c1 + 1n, c7 + 1n, count2 + 4n]);
  });

  it("Idempotency-Keys outlive the API process: another process on the same database replays the response, no second transaction", async () => {
    const body = await signed("collector", 1, action({ outcome: 31 }));
    const first = await post("collector", "/v1/loans/1/actions", body, { "idempotency-key": "idem-restart" });
    expect(first.status).to.equal(201);
    const count = (await trail(1n))[1];
    const restarted = await appWith(f, f.services);
    try {
      const again = await restarted.post("collector", "/v1/loans/1/actions", body, { "idempotency-key": "idem-restart" });
      expect(again.status).to.equal(201);
      expect(again.headers.get("idempotent-replayed")).to.equal("true");
      expect((await json(again)).txHash).to.equal((await json(first)).txHash);
      expect((await trail(1n))[1]).to.equal(count);
    } finally {
      await restarted.close();
    }
  });

  it("a caller's Idempotency-Keys are bounded per caller: one caller's keys never push out another's", async () => {
    const bounded = await appWith(f, { ...f.services, options: { ...f.services.options, idempotencyKeysPerCaller: 2 } });
    try {
      await f.db.deleteFrom("idempotency_keys").execute();
      const relayerKey = await bounded.post("relayer", "/v1/loans/2/actions", action({ outcome: 40 }), { "idempotency-key": "relayer-key" });
      expect(relayerKey.status).to.equal(201);
      for (const [i, k] of ["c-1", "c-2"].entries()) expect((await bounded.post("collector", "/v1/loans/1/actions?mode=unsigned", action({ outcome: 41 + i }), { "idempotency-key": k })).status).to.equal(200);
      const over = await bounded.post("collector", "/v1/loans/1/actions?mode=unsigned", action({ outcome: 43 }), { "idempotency-key": "c-3" });
      expect(over.status).to.equal(429);
      expect(over.headers.get("content-type")).to.match(/problem\+json/);
      // The relayer's key is still remembered: its replay sends nothing.
      const count = (await trail(2n))[1];
      const replay = await bounded.post("relayer", "/v1/loans/2/actions", action({ outcome: 40 }), { "idempotency-key": "relayer-key" });
      expect(replay.headers.get("idempotent-replayed")).to.equal("true");
      expect((await trail(2n))[1]).to.equal(count);
    } finally {
      await bounded.close();
      await f.db.deleteFrom("idempotency_keys").execute();
    }
  });

  it("a key left pending by a process that died after relaying answers with that relay, never sending again", async () => {
    const body = await signed("collector", 1, action({ outcome: 50 }));
    const first = await post("collector", "/v1/loans/1/actions", body, { "idempotency-key": "idem-crash" });
    const sent = await json(first);
    // As if the process died before recording the response: the key is pending, its relay recorded.
    await f.db.updateTable("idempotency_keys").set({ state: "pending", status: null, body: null, created_at: Math.floor(Date.now() / 1000) - 600 }).where("key", "=", "idem-crash").execute();
    const count = (await trail(1n))[1];
    const retry = await post("collector", "/v1/loans/1/actions", body, { "idempotency-key": "idem-crash" });
    expect(retry.status).to.equal(201);
    expect((await json(retry)).txHash).to.equal(sent.txHash);
    expect((await trail(1n))[1]).to.equal(count);
  });

  it("a relay not included in time answers 202 pending; one the node drops is sent again when polled, then included", async function () {
    this.timeout(60_000);
    const quick = await appWith(f, { ...f.services, options: { ...f.services.options, relayWaitMs: 300 } });
    const count = (await trail(1n))[1];
    await f.client.request({ method: "evm_setAutomine" as never, params: [false] as never });
    try {
      const res = await quick.post("collector", "/v1/loans/1/actions", await signed("collector", 1, action({ outcome: 60 })));
      expect(res.status).to.equal(202);
      const body = await json(res);
      expect(body).to.include({ mode: "relayed", status: "pending" });
      // The node forgets it (as a pool does under pressure, or after a replacement race).
      expect(await f.client.request({ method: "hardhat_dropTransaction" as never, params: [body.txHash] as never })).to.equal(true);
      const polled = await quick.get("collector", `/v1/relays/${body.txHash}`);
      expect(polled.status).to.equal(200);
      expect((await json(polled)).status).to.equal("pending");
      await f.client.request({ method: "evm_mine" as never, params: [] as never });
      const done = await json(await quick.get("collector", `/v1/relays/${body.txHash}`));
      expect(done).to.include({ status: "included", loanId: "1" });
      expect((await trail(1n))[1]).to.equal(count + 1n);
      expect((await quick.get("otherCollector", `/v1/relays/${body.txHash}`)).status).to.equal(404);
    } finally {
      await f.client.request({ method: "evm_setAutomine" as never, params: [true] as never });
      await quick.close();
    }
  });

  it("each caller has a daily relay budget: 429 beyond it, ?mode=unsigned still works", async () => {
    const budget = await appWith(f, { ...f.services, options: { ...f.services.options, relayBudgetPerDay: 2 } });
    try {
      await f.db.deleteFrom("relays").where("caller", "=", f.addresses.relayer).execute();
      expect((await budget.post("relayer", "/v1/loans/2/actions", action({ outcome: 70 }))).status).to.equal(201);
      expect((await budget.post("relayer", "/v1/loans/2/actions", action({ outcome: 71 }))).status).to.equal(201);
      const over = await budget.post("relayer", "/v1/loans/2/actions", action({ outcome: 72 }));
      expect(over.status).to.equal(429);
      expect(Number(over.headers.get("retry-after"))).to.be.greaterThan(0);
      expect((await json(over)).detail).to.match(/RELAY_BUDGET_PER_DAY/);
      expect((await budget.post("relayer", "/v1/loans/2/actions?mode=unsigned", action({ outcome: 72 }))).status).to.equal(200);
    } finally {
      await budget.close();
    }
  });

  it("a signed action is relayed where the relayer is not assigned; ?mode=unsigned returns the collector's own transaction", async () => {
    const relayed = await post("collector", "/v1/loans/3/actions", await signed("collector", 3, action({ outcome: 2 })));
    expect(relayed.status).to.equal(201);
    const res = await post("collector", "/v1/loans/3/actions?mode=unsigned", action({ channel: "email", kind: "note", outcome: 3 }));
    expect(res.status).to.equal(200);
    const body = await json(res);
    expect(body.mode).to.equal("unsigned");
    expect(body.transaction).to.include({ to: f.deployment.collectionLog.address, chainId: f.deployment.chainId, from: f.addresses.collector });
    const decoded = decodeFunctionData({ abi: collectionLogAbi, data: body.transaction.data });
    expect(decoded.functionName).to.equal("recordAction");
    expect(decoded.args).to.deep.equal([3n, 2, 6, 3, BigInt(now - 60), keccak256(toHex("recording-1"))]);
    const before = await trail(3n);
    const w = f.wallet("collector");
    const hash = await w.sendTransaction({ to: body.transaction.to, data: body.transaction.data, account: w.account!, chain: w.chain });
    expect((await f.client.waitForTransactionReceipt({ hash })).status).to.equal("success");
    expect((await trail(3n))[1]).to.equal(before[1] + 1n);
  });

  it("404 for a loan the caller cannot see, 403 when visible but not assigned, 401 without a token", async () => {
    expect((await post("otherCollector", "/v1/loans/1/actions", action())).status).to.equal(404);
    expect((await post("stranger", "/v1/loans/1/actions", action())).status).to.equal(404);
    expect((await post("collector", "/v1/loans/999/actions", action())).status).to.equal(404);
    for (const role of ["lender", "auditor"] as const) {
      const res = await post(role, "/v1/loans/1/actions", action());
      expect(res.status, role).to.equal(403);
      expect(res.headers.get("content-type")).to.match(/^application\/problem\+json/);
    }
    expect((await post(undefined, "/v1/loans/1/actions", action())).status).to.equal(401);
  });

  it("validates the body, params, query and header with field paths (never a 500)", async () => {
    const cases: [string, unknown, string][] = [
      ["/v1/loans/1/actions", action({ channel: 8 }), "body.channel"],
      ["/v1/loans/1/actions", action({ channel: "fax" }), "body.channel"],
      ["/v1/loans/1/actions", action({ kind: 7 }), "body.kind"],
      ["/v1/loans/1/actions", action({ outcome: 65_536 }), "body.outcome"],
      ["/v1/loans/1/actions", action({ outcome: -1 }), "body.outcome"],
      ["/v1/loans/1/actions", action({ occurredAt: "yesterday" }), "body.occurredAt"],
      ["/v1/loans/1/actions", action({ evidenceHash: "0x1234" }), "body.evidenceHash"],
      ["/v1/loans/1/actions", action({ extra: true }), "body"],
      ["/v1/loans/1/actions", { channel: 0 }, "body.kind"],
      ["/v1/loans/1/actions", [], "body"],
      ["/v1/loans/abc/actions", action(), "params.loanId"],
      ["/v1/loans/0/actions", action(), "params.loanId"],
      ["/v1/loans/1/actions?mode=signed", action(), "query.mode"],
      ["/v1/loans/1/actions", action({ signature: "0x1234" }), "body.deadline"],
      ["/v1/loans/1/actions", action({ signature: "0xzz", deadline: "1", nonce: "0" }), "body.signature"],
      ["/v1/loans/1/actions", action({ signature: "0x12", deadline: "-1", nonce: "0" }), "body.deadline"],
      ["/v1/loans/1/actions?mode=unsigned", action({ signature: "0x12", deadline: "1", nonce: "0" }), "body.signature"],
      ["/v1/loans/1/actions/typed-data", action({ deadline: "soon" }), "body.deadline"],
      ["/v1/loans/1/actions/typed-data", action({ signature: "0x12" }), "body"],
    ];
    for (const [path, body, field] of cases) {
      const res = await post("collector", path, body);
      expect(res.status, `${path} ${JSON.stringify(body)}`).to.equal(400);
      const p = await json(res);
      expect(p.errors.map((e: any) => e.path).some((x: string) => x.startsWith(field)), `${field}: ${JSON.stringify(p.errors)}`).to.equal(true);
    }
    const bad = await post("collector", "/v1/loans/1/actions", "{not json");
    expect(bad.status).to.equal(400);
    const key = await post("collector", "/v1/loans/1/actions", action(), { "idempotency-key": "x".repeat(200) });
    expect(key.status).to.equal(400);
    expect((await json(key)).errors[0].path).to.equal("headers.idempotency-key");
  });

  it("422 with the contract's error when CollectionLog refuses (occurredAt in the future or too old)", async () => {
    for (const [occurredAt, error] of [
      [now + 86_400 * 30, "CollectionLogOccurredInFuture"],
      [now - 86_400 * 30, "CollectionLogOccurredTooLongAgo"],
    ] as const) {
      for (const q of ["", "?mode=unsigned"]) {
        const body = q ? action({ occurredAt }) : await signed("collector", 1, action({ occurredAt }));
        const res = await post("collector", `/v1/loans/1/actions${q}`, body);
        expect(res.status, `${error}${q}`).to.equal(422);
        expect((await json(res)).revert.error).to.equal(error);
      }
    }
  });

  it("503 without a relayer (unsigned still works) and without chain access", async () => {
    const noRelayer = await appWith(f, { ...f.services, chain: { ...f.services.chain!, relayer: undefined } });
    const noChain = await appWith(f, { ...f.services, chain: undefined });
    try {
      const r = await noRelayer.post("collector", "/v1/loans/1/actions", action());
      expect(r.status).to.equal(503);
      expect(r.headers.get("content-type")).to.match(/^application\/problem\+json/);
      expect((await json(r)).detail).to.match(/mode=unsigned/);
      expect((await noRelayer.post("collector", "/v1/loans/1/actions?mode=unsigned", action())).status).to.equal(200);
      expect((await noChain.post("collector", "/v1/loans/1/actions", action())).status).to.equal(503);
      expect((await noChain.post("collector", "/v1/loans/1/actions?mode=unsigned", action())).status).to.equal(503);
    } finally {
      await noRelayer.close();
      await noChain.close();
    }
  });
});
