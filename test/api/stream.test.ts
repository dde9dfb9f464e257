/**
 * GET /v1/stream: live delivery of new reminders, status changes, actions and repayments; each
 * caller gets exactly the events of the loans it may see; resuming with Last-Event-ID replays
 * what came after, with no duplicate and no gap; disconnects stop the polling.
 */
import http from "node:http";
import { expect } from "chai";
import { Kysely, type KyselyPlugin } from "kysely";
import { Registry } from "prom-client";
import { keccak256, toHex, type Address } from "viem";
import { createApp } from "../../src/api/app";
import { collectionLogAbi, loanLedgerAbi } from "../../src/chain/abis";
import type { Database } from "../../src/db/schema";
import { STREAM_EVENTS } from "../../src/api/services/stream";
import { rpc } from "../support/chain";
import { apiFixture, describeEachDialect, type ApiFixture, type Role } from "./fixture";
import { connectSse, type SseClient } from "./helpers/sse";

const DAY = 86_400n;
const STREAMED = Object.keys(STREAM_EVENTS);

describeEachDialect("GET /v1/stream", (dialect) => {
  let f: ApiFixture;
  const open: SseClient[] = [];

  before(async function () {
    this.timeout(300_000);
    f = await apiFixture(dialect);
  });
  afterEach(() => open.splice(0).forEach((c) => c.close()));
  after(() => f?.close());

  async function stream(role: Role | undefined, query = "", headers: Record<string, string> = {}) {
    const c = await connectSse(`${f.url}/v1/stream${query}`, { ...(role ? { authorization: `Bearer ${f.tokens[role]}` } : {}), ...headers });
    open.push(c);
    return c;
  }

  /** Every streamed row in chain order, as ids, with its loan. */
  async function history() {
    const rows = await f.db.selectFrom("loan_events").select(["block_number", "log_index", "loan_id", "name"]).where("name", "in", STREAMED).orderBy("block_number").orderBy("log_index").execute();
    return rows.map((r) => ({ id: `${r.block_number}-${r.log_index}`, loanId: r.loan_id, name: r.name }));
  }

  /** Loans each role may see now (the visibleTo rule). */
  async function visibleLoans(role: Role): Promise<Set<number> | "all"> {
    if (role === "auditor") return "all";
    const address = f.addresses[role];
    const owned = await f.db.selectFrom("loans").select("loan_id").where("lender", "=", address).execute();
    const assigned = await f.db.selectFrom("current_collectors").select("loan_id").where("collector", "=", address).execute();
    return new Set([...owned, ...assigned].map((r) => r.loan_id));
  }

  const send = async (role: Role, address: Address, abi: typeof loanLedgerAbi | typeof collectionLogAbi, functionName: string, args: readonly unknown[]) => {
    const w = f.wallet(role);
    const hash = await w.writeContract({ address, abi, functionName, args, account: w.account!, chain: w.chain } as never);
    const receipt = await f.client.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`${role} ${functionName} reverted`);
  };

  /** New events of every kind: repayments on both lenders' loans, actions, and 40 days later reminders and status changes. */
  async function activity(tag: string) {
    const ledger = f.deployment.loanLedger.address;
    const log = f.deployment.collectionLog.address;
    await send("borrower", ledger, loanLedgerAbi, "repay", [2n, 1_000_000n]);
    await send("borrower", ledger, loanLedgerAbi, "repay", [7n, 1_000_000n]);
    const now = (await f.client.getBlock()).timestamp;
    await send("collector", log, collectionLogAbi, "recordAction", [1n, 2, 0, 300, now, keccak256(toHex(`${tag}-a`))]);
    await send("otherCollector", log, collectionLogAbi, "recordAction", [7n, 2, 0, 301, now, keccak256(toHex(`${tag}-b`))]);
    await rpc(f.node.url, "evm_increaseTime", [Number(40n * DAY)]);
    await rpc(f.node.url, "evm_mine", []);
    await send("admin", ledger, loanLedgerAbi, "poke", [[1n, 2n, 3n, 4n, 5n, 6n, 7n]]);
    await f.reindex();
  }

  it("refuses anonymous callers (401) and malformed resume ids (400), as problem+json", async () => {
    const anon = await stream(undefined);
    expect(anon.status).to.equal(401);
    expect(anon.contentType).to.match(/application\/problem\+json/);
    for (const bad of ["abc", "1-", "-1-2", "1.5-2", "99999999999999999-1"]) {
      const c = await stream("auditor", "", { "last-event-id": bad });
      expect(c.status, bad).to.equal(400);
      expect(c.problem?.status).to.equal(400);
      const q = await stream("auditor", `?lastEventId=${encodeURIComponent(bad)}`);
      expect(q.status, bad).to.equal(400);
    }
    expect((await stream("auditor", "?events=status,bogus")).status).to.equal(400);
  });

  it("delivers new events live, each caller exactly the loans it may see, in chain order", async function () {
    this.timeout(120_000);
    const roles: Role[] = ["auditor", "lender", "otherLender", "collector", "otherCollector", "stranger"];
    const clients = new Map<Role, SseClient>();
    for (const role of roles) {
      const c = await stream(role);
      expect(c.status, role).to.equal(200);
      expect(c.contentType).to.match(/^text\/event-stream/);
      await c.waitFor("ready", (x) => x.messages.some((m) => m.event === "ready"));
      clients.set(role, c);
    }
    const ready = clients.get("auditor")!.messages[0].data as { asOf: { block: number } };
    await activity("live");
    const fresh = (await history()).filter((e) => Number(e.id.split("-")[0]) > ready.asOf.block);
    const kinds = new Set(fresh.map((e) => STREAM_EVENTS[e.name as keyof typeof STREAM_EVENTS]));
    expect([...kinds].sort(), "the activity makes every kind of event").to.deep.equal(["action", "reminder", "repayment", "status"]);
    for (const role of roles) {
      const visible = await visibleLoans(role);
      const expected = fresh.filter((e) => visible === "all" || visible.has(e.loanId)).map((e) => e.id);
      const c = clients.get(role)!;
      await c.waitFor(`${role}'s ${expected.length} events`, (x) => x.events().length >= expected.length);
      await new Promise((r) => setTimeout(r, 700)); // one more poll: nothing extra arrives
      expect(c.events().map((m) => m.id), role).to.deep.equal(expected);
      for (const m of c.events()) {
        expect(m.data.id).to.equal(m.id);
        expect(m.event).to.equal(STREAM_EVENTS[m.data.type as keyof typeof STREAM_EVENTS]);
        expect(m.data.args).to.be.an("object");
      }
    }
    expect(clients.get("stranger")!.events()).to.have.length(0);
    expect(clients.get("otherLender")!.events().every((m) => m.data.loanId === "7")).to.equal(true);
  });

  it("filters by ?events= and ?loanId=", async () => {
    const all = await history();
    const statusOnly = await stream("auditor", "?events=status&lastEventId=0-0");
    const expected = all.filter((e) => STREAM_EVENTS[e.name as keyof typeof STREAM_EVENTS] === "status").map((e) => e.id);
    await statusOnly.waitFor("status events", (c) => c.events().length >= expected.length);
    expect(statusOnly.events().map((m) => m.id)).to.deep.equal(expected);
    const loan2 = await stream("lender", "?loanId=2&events=repayment,action&lastEventId=0-0");
    const expected2 = all.filter((e) => e.loanId === 2 && ["LoanRepaid", "ActionRecorded"].includes(e.name)).map((e) => e.id);
    await loan2.waitFor("loan 2 events", (c) => c.events().length >= expected2.length);
    expect(loan2.events().map((m) => m.id)).to.deep.equal(expected2);
    const notMine = await stream("otherLender", "?loanId=2&lastEventId=0-0");
    await notMine.waitFor("ready", (c) => c.messages.length > 0);
    await new Promise((r) => setTimeout(r, 700));
    expect(notMine.events()).to.have.length(0);
  });

  it("resumes with Last-Event-ID: replay after the id, then live, with no duplicate and no gap", async function () {
    this.timeout(120_000);
    const before = (await history()).map((e) => e.id);
    expect(before.length).to.be.greaterThan(10);
    // Read the history from the start, disconnect part-way.
    const first = await stream("auditor", "", { "last-event-id": "0-0" });
    await first.waitFor("the first 5 events", (c) => c.events().length >= 5);
    first.close();
    await first.ended;
    const got = first.events().map((m) => m.id!);
    expect(got).to.deep.equal(before.slice(0, got.length));
    // More happens while disconnected.
    await activity("resume");
    const after = (await history()).map((e) => e.id);
    const second = await stream("auditor", "", { "last-event-id": got[got.length - 1] });
    await second.waitFor("the rest", (c) => c.events().length >= after.length - got.length);
    await new Promise((r) => setTimeout(r, 700));
    const all = [...got, ...second.events().map((m) => m.id)];
    expect(new Set(all).size, "no duplicates").to.equal(all.length);
    expect(all, "no gaps").to.deep.equal(after);
    // The query form resumes the same way; the header wins over it.
    const mid = after[Math.floor(after.length / 2)];
    const viaQuery = await stream("auditor", `?lastEventId=${mid}`);
    const viaBoth = await stream("auditor", `?lastEventId=0-0`, { "last-event-id": mid });
    const rest = after.slice(after.indexOf(mid) + 1);
    for (const c of [viaQuery, viaBoth]) {
      await c.waitFor("the second half", (x) => x.events().length >= rest.length);
      await new Promise((r) => setTimeout(r, 600));
      expect(c.events().map((m) => m.id)).to.deep.equal(rest);
    }
  });

  it("sends heartbeat comments and stops polling when the client disconnects", async () => {
    let queries = 0;
    const counter: KyselyPlugin = {
      transformQuery: (args) => {
        queries++;
        return args.node;
      },
      transformResult: async (args) => args.result,
    };
    const db = (f.db as Kysely<Database>).withPlugin(counter);
    const app = createApp({ ...f.services, db, registry: new Registry(), options: { ...f.services.options, streamPollMs: 20, streamHeartbeatMs: 50 } });
    const server = await new Promise<http.Server>((resolve) => {
      const s = app.listen(0, "127.0.0.1", () => resolve(s));
    });
    try {
      const { port } = server.address() as { port: number };
      const c = await connectSse(`http://127.0.0.1:${port}/v1/stream`, { authorization: `Bearer ${f.tokens.collector}` });
      await c.waitFor("a heartbeat", (x) => x.comments.includes("keep-alive"), 5_000);
      expect(queries).to.be.greaterThan(2);
      c.close();
      await c.ended;
      await new Promise((r) => setTimeout(r, 200));
      const settled = queries;
      await new Promise((r) => setTimeout(r, 300));
      expect(queries, "no polling after the disconnect").to.equal(settled);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(() => r(undefined)));
    }
  });
});
