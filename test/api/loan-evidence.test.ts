import type http from "node:http";
import { expect } from "chai";
import { Registry } from "prom-client";
import crypto from "node:crypto";
import { parseEventLogs, type Hex } from "viem";
import { createApp } from "../../src/api/app";
import { collectionLogAbi } from "../../src/chain/abis";
import { buildBatchTree, flagNames, verifyBatchProof, type Action } from "../../src/domain";
import { rpc } from "../support/chain";
import { apiFixture, describeEachDialect, type ApiFixture, type Role } from "./fixture";
import { insertNotices, noticeRow } from "./helpers/notices";

async function json(res: Response) {
  return (await res.json()) as any;
}

const wire = (a: Action) => ({ ...a, loanId: a.loanId.toString(), seq: a.seq.toString(), occurredAt: a.occurredAt.toString() });

describeEachDialect("GET /v1/loans/{loanId}/evidence and POST /v1/batches", (dialect) => {
  let f: ApiFixture;
  const get = (role: Role | undefined, loanId: string | number) => f.call(role, `/v1/loans/${loanId}/evidence`);
  const postBatch = (role: Role | undefined, body: unknown) =>
    f.call(role, "/v1/batches", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

  before(async function () {
    this.timeout(300_000);
    f = await apiFixture(dialect);
  });

  /** `role` sends a CollectionLog transaction from its own wallet; returns the receipt's CollectionLog events. */
  async function logTx(role: Role, functionName: "recordAction" | "anchorBatch", args: readonly unknown[]) {
    const w = f.wallet(role);
    const hash = await w.writeContract({ address: f.deployment.collectionLog.address, abi: collectionLogAbi, functionName, args, account: w.account!, chain: w.chain } as never);
    const receipt = await f.client.waitForTransactionReceipt({ hash });
    expect(receipt.status, `${role} ${functionName}`).to.equal("success");
    return parseEventLogs({ abi: collectionLogAbi, logs: receipt.logs });
  }

  /** `role` records an action on `loanId` citing `evidenceHash`; returns it as recorded (from ActionRecorded). */
  async function record(role: Role, loanId: bigint, evidenceHash: Hex): Promise<Action> {
    const now = (await f.client.getBlock()).timestamp;
    const ev = (await logTx(role, "recordAction", [loanId, 2, 1, 7, now - 5n, evidenceHash])).find((e) => e.eventName === "ActionRecorded");
    if (ev?.eventName !== "ActionRecorded") throw new Error("no ActionRecorded event");
    const a = ev.args;
    return { loanId: a.loanId, seq: a.seq, collector: a.collector, channel: a.channel, kind: a.kind, outcome: a.outcome, occurredAt: a.occurredAt, evidenceHash: a.evidenceHash };
  }

  /** `role` anchors the batch of `actions`; the indexer then catches up. Returns the batch id. */
  async function anchor(role: Role, actions: Action[]): Promise<number> {
    const ev = (await logTx(role, "anchorBatch", [buildBatchTree(actions).root, actions.length, "ipfs://test"])).find((e) => e.eventName === "BatchAnchored");
    if (ev?.eventName !== "BatchAnchored") throw new Error("no BatchAnchored event");
    await f.reindex();
    return Number(ev.args.batchId);
  }

  /** The action the indexer holds at (loanId, seq). */
  async function indexed(loanId: number, seq: number): Promise<Action> {
    const r = await f.db.selectFrom("actions").selectAll().where("loan_id", "=", loanId).where("seq", "=", seq).executeTakeFirstOrThrow();
    return { loanId: BigInt(r.loan_id), seq: BigInt(r.seq), collector: r.collector as Hex, channel: r.channel, kind: r.kind, outcome: r.outcome, occurredAt: BigInt(r.occurred_at), evidenceHash: r.evidence_hash as Hex };
  }
  after(async () => f?.close());

  it("lists the trail in sequence order with flags, heads, tx and block, verified against trailOf at asOf", async () => {
    const res = await get("auditor", 1);
    expect(res.status).to.equal(200);
    const body = await json(res);
    expect(body.loanId).to.equal("1");
    expect(body.actions.map((a: any) => a.seq)).to.deep.equal([1, 2]);
    for (const a of body.actions) {
      expect(a.head).to.match(/^0x[0-9a-f]{64}$/);
      expect(a.txHash).to.match(/^0x[0-9a-f]{64}$/);
      expect(a.block).to.be.at.most(body.asOf.block);
      expect(a.flags.names).to.deep.equal(flagNames(a.flags.mask));
      expect(a.collector).to.equal(f.addresses.collector);
    }
    expect(body.actions[0].channel).to.deep.equal({ code: 0, name: "call" });
    // Loan 1 had paid its first installment: nothing overdue when contacted.
    expect(body.actions[0].flags.names).to.include("NothingOverdue");
    const v = body.verification;
    expect(v).to.include({ count: 2, onChainCount: 2, valid: true, checkedAtBlock: body.asOf.block, reason: null });
    expect(v.onChainHead).to.equal(v.recomputedHead);
    expect(v.recomputedHead).to.equal(body.actions[1].head);
    expect(v.problems).to.deep.equal([]);
    expect(body.batches).to.deep.equal([]);
  });

  it("names the notice an action records (with whether the outbox kept the same bytes), and null for a collector's own", async () => {
    const before = await json(await get("auditor", 1));
    const [a1, a2] = before.actions;
    expect(a1.notice).to.equal(null);
    const row = await noticeRow(f, 1, 900, { channel: "sms", status: "delivered", action_seq: a2.seq, evidence_hash: a2.evidenceHash, template: "reminder.overdue" });
    const other = await noticeRow(f, 1, 901, { channel: "email", status: "delivered", action_seq: a1.seq, evidence_hash: `0x${"ab".repeat(32)}` });
    await insertNotices(f, [row, other]);
    try {
      const body = await json(await get("auditor", 1));
      expect(body.actions[1].notice).to.include({ id: row.id, template: "reminder.overdue", channel: "sms", status: "delivered", trigger: "ReminderTriggered", evidenceMatches: true });
      expect(body.actions[0].notice).to.include({ id: other.id, evidenceMatches: false });
      expect(body.verification.valid).to.equal(true);
    } finally {
      await f.db.deleteFrom("notices").where("id", "in", [row.id, other.id]).execute();
    }
  });

  it("verifies an empty trail (head_0) and follows visibility: auditor, own lender, assigned collector; 404 otherwise", async () => {
    const l7 = await json(await get("otherLender", 7));
    expect(l7.actions).to.deep.equal([]);
    expect(l7.verification).to.include({ count: 0, onChainCount: 0, valid: true });
    for (const role of ["auditor", "lender", "collector", "relayer"] as const) expect((await get(role, 1)).status, role).to.equal(200);
    for (const role of ["otherLender", "otherCollector", "stranger", "borrower"] as const) expect((await get(role, 1)).status, role).to.equal(404);
    expect((await get("collector", 7)).status).to.equal(404);
    expect((await get("auditor", 999)).status).to.equal(404);
    expect((await get("auditor", "abc")).status).to.equal(400);
    expect((await get(undefined, 1)).status).to.equal(401);
  });

  it("detects a tampered or missing indexed action", async () => {
    const original = await f.db.selectFrom("actions").selectAll().where("loan_id", "=", 2).orderBy("seq").execute();
    try {
      await f.db.updateTable("actions").set({ outcome: original[0].outcome + 1 }).where("loan_id", "=", 2).where("seq", "=", 1).execute();
      const altered = (await json(await get("auditor", 2))).verification;
      expect(altered.valid).to.equal(false);
      expect(altered.problems.map((p: any) => p.kind)).to.include("head-mismatch");
      expect(altered.recomputedHead).not.to.equal(altered.onChainHead);
      await f.db.updateTable("actions").set({ outcome: original[0].outcome }).where("loan_id", "=", 2).where("seq", "=", 1).execute();
      const last = original[original.length - 1];
      await f.db.deleteFrom("actions").where("loan_id", "=", 2).where("seq", "=", last.seq).execute();
      const dropped = (await json(await get("auditor", 2))).verification;
      expect(dropped.valid).to.equal(false);
      expect(dropped.problems.map((p: any) => p.kind)).to.include("count-differs-from-chain");
      expect(dropped.reason).to.be.a("string");
    } finally {
      await f.db.deleteFrom("actions").where("loan_id", "=", 2).execute();
      await f.db.insertInto("actions").values(original).execute();
    }
    expect((await json(await get("auditor", 2))).verification.valid).to.equal(true);
  });

  it("without chain access: recomputed, onChainHead null, valid false with a reason", async () => {
    const server = await new Promise<http.Server>((resolve) => {
      const s = createApp({ ...f.services, chain: undefined, registry: new Registry() }).listen(0, "127.0.0.1", () => resolve(s));
    });
    try {
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      const body = await json(await fetch(`${url}/v1/loans/1/evidence`, { headers: { authorization: `Bearer ${f.tokens.auditor}` } }));
      expect(body.verification.onChainHead).to.equal(null);
      expect(body.verification.valid).to.equal(false);
      expect(body.verification.reason).to.match(/no chain access/);
      expect(body.verification.recomputedHead).to.equal(body.actions[1].head);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it("refuses batch leaves that do not rebuild the anchored batch, or from callers who may not upload them", async () => {
    const { batchId, actions } = f.batch;
    const good = { batchId, actions: actions.map(wire) };
    expect((await postBatch("stranger", good)).status).to.equal(403);
    expect((await postBatch("otherLender", good)).status).to.equal(403);
    expect((await postBatch(undefined, good)).status).to.equal(401);
    expect((await postBatch("collector", { ...good, batchId: 99 })).status).to.equal(404);
    const altered = await postBatch("collector", { batchId, actions: actions.map((a, i) => wire(i === 0 ? { ...a, outcome: a.outcome + 1 } : a)) });
    expect(altered.status).to.equal(422);
    const p = await json(altered);
    expect(p.anchoredRoot).to.equal(f.batch.root);
    expect(p.computedRoot).not.to.equal(f.batch.root);
    expect((await postBatch("collector", { batchId, actions: actions.slice(1).map(wire) })).status).to.equal(422);
    const bad: [unknown, string][] = [
      [{ batchId, actions: [] }, "body.actions"],
      [{ batchId: "one", actions: good.actions }, "body.batchId"],
      [{ batchId, actions: [{ ...good.actions[0], collector: "0x12" }] }, "body.actions.0.collector"],
      [{ batchId, actions: [{ ...good.actions[0], seq: "18446744073709551616" }] }, "body.actions.0.seq"],
      [{ batchId, actions: [{ ...good.actions[0], channel: 9 }] }, "body.actions.0.channel"],
      [{ batchId, actions: good.actions, extra: 1 }, "body"],
    ];
    for (const [body, path] of bad) {
      const res = await postBatch("collector", body);
      expect(res.status, path).to.equal(400);
      expect((await json(res)).errors.map((e: any) => e.path), path).to.include(path);
    }
    expect(await f.db.selectFrom("batch_leaves").select("idx").execute()).to.deep.equal([]);
  });

  it("stores leaves that rebuild the anchored root, idempotently, and serves each with its proof", async () => {
    const { batchId, actions, root } = f.batch;
    const res = await postBatch("collector", { batchId, actions: actions.map(wire) });
    expect(res.status).to.equal(201);
    const stored = await json(res);
    expect(stored).to.deep.include({ batchId, merkleRoot: root, count: 3, stored: true });
    expect(stored.anchor.submitter).to.equal(f.addresses.collector);
    const again = await postBatch("auditor", { batchId, actions: actions.map(wire) });
    expect(again.status).to.equal(200);
    expect((await json(again)).stored).to.equal(false);

    const l1 = await json(await get("lender", 1));
    expect(l1.batches).to.have.length(1);
    const b = l1.batches[0];
    expect(b).to.deep.include({ batchId, merkleRoot: root, count: 3, uri: "ipfs://api-test-batch" });
    expect(b.leaves.map((l: any) => l.index)).to.deep.equal([0, 1]);
    for (const leaf of b.leaves) {
      const a = actions[leaf.index];
      expect(leaf).to.deep.include({ seq: a.seq.toString(), outcome: a.outcome, occurredAt: a.occurredAt.toString(), evidenceHash: a.evidenceHash, verified: true });
      // Independently of the API: the proof checks against the anchored root.
      expect(verifyBatchProof(root, a, leaf.proof as Hex[])).to.equal(true);
      expect(verifyBatchProof(root, { ...a, outcome: a.outcome + 1 }, leaf.proof as Hex[])).to.equal(false);
    }
    const l2 = await json(await get("collector", 2));
    expect(l2.batches[0].leaves.map((l: any) => l.index)).to.deep.equal([2]);
    expect((await json(await get("auditor", 3))).batches).to.deep.equal([]);
  });

  it("attack: leaves that match no recorded action are refused (422 naming the leaf) and never show as verified in another lender's view", async () => {
    const now = (await f.client.getBlock()).timestamp;
    // Lender A's collector invents an action on lender B's loan 7 and anchors it.
    const fake: Action = { loanId: 7n, seq: 1n, collector: f.addresses.collector, channel: 2, kind: 1, outcome: 200, occurredAt: now - 60n, evidenceHash: `0x${"66".repeat(32)}` };
    const batchId = await anchor("collector", [fake]);
    const res = await postBatch("collector", { batchId, actions: [wire(fake)] });
    expect(res.status).to.equal(422);
    expect((await json(res)).errors.map((e: any) => e.path)).to.deep.equal(["body.actions.0"]);
    expect((await json(await get("otherLender", 7))).batches).to.deep.equal([]);
    // A real action followed by a fake one: the second leaf is named.
    const real = await indexed(1, 1);
    const mixed = [real, { ...real, seq: 99n }];
    const mixedId = await anchor("collector", mixed);
    const m = await postBatch("collector", { batchId: mixedId, actions: mixed.map(wire) });
    expect(m.status).to.equal(422);
    expect((await json(m)).errors.map((e: any) => e.path)).to.deep.equal(["body.actions.1"]);
    // An altered field of a recorded action (same loan and seq) is no recorded action either.
    const altered = [{ ...real, outcome: real.outcome + 1 }];
    const alteredId = await anchor("collector", altered);
    expect((await postBatch("auditor", { batchId: alteredId, actions: altered.map(wire) })).status).to.equal(422);
    expect(await f.db.selectFrom("batch_leaves").select("batch_id").where("batch_id", "in", [batchId, mixedId, alteredId]).execute()).to.deep.equal([]);
  });

  it("attack: a submitter not entitled to a leaf's loan is refused (422 naming the leaf)", async () => {
    // The other lender's collector anchors recorded actions of loan 1 (lender A's, not assigned to it).
    const leaves = [await indexed(1, 1), await indexed(1, 2)];
    const batchId = await anchor("otherCollector", leaves);
    for (const role of ["otherCollector", "auditor"] as const) {
      const res = await postBatch(role, { batchId, actions: leaves.map(wire) });
      expect(res.status, role).to.equal(422);
      expect((await json(res)).errors.map((e: any) => e.path), role).to.deep.equal(["body.actions.0"]);
    }
    expect((await json(await get("lender", 1))).batches.map((b: any) => b.batchId)).not.to.include(batchId);
  });

  it("attack: a batch whose anchor a reorg removed no longer makes its leaves' evidence readable", async () => {
    const before = await rpc<string>(f.node.url, "evm_snapshot");
    const blockBefore = await f.client.getBlockNumber();
    const bytes = crypto.randomBytes(200);
    const h = `0x${crypto.createHash("sha256").update(bytes).digest("hex")}` as Hex;
    const up = await f.call("collector", "/v1/evidence?loanId=3", { method: "POST", headers: { "content-type": "application/octet-stream" }, body: bytes });
    expect(up.status).to.equal(201);
    const action = await record("collector", 3n, h);
    const batchId = await anchor("collector", [action]);
    expect((await postBatch("collector", { batchId, actions: [wire(action)] })).status).to.equal(201);
    expect((await f.call("lender", `/v1/evidence/${h}`)).status).to.equal(200);
    // The action and the anchor are reorganised away: the stored leaf stays in batch_leaves, orphaned.
    expect(await rpc<boolean>(f.node.url, "evm_revert", [before])).to.equal(true);
    const mined = Number((await f.client.getBlockNumber()) - blockBefore);
    for (let i = 0; i < mined + 4; i++) await rpc(f.node.url, "evm_mine", []);
    await f.reindex();
    expect(await f.db.selectFrom("batch_anchors").select("batch_id").where("batch_id", "=", batchId).execute()).to.deep.equal([]);
    expect(await f.db.selectFrom("batch_leaves").select("batch_id").where("batch_id", "=", batchId).execute()).to.have.length(1);
    expect((await f.call("lender", `/v1/evidence/${h}`)).status).to.equal(404);
    expect((await f.call("auditor", `/v1/evidence/${h}`)).status).to.equal(404);
    expect((await json(await get("lender", 3))).batches).to.deep.equal([]);
  });
});
