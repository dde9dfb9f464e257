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
import { createStreamHub } from "../../src/api/services/stream-hub";
import type { ApiServices } from "../../src/api/context";
import { rpc } from "../support/chain";
import { apiFixture, describeEachDialect, type ApiFixture, type Role } from "./fixture";
import { connectSse, type SseClient } from "./helpers/sse";
import { DAY } from "../../src/domain";

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

  let markers = 0;
  /**
   * A marker: one new action on each of `loans` (by its assigned collector), indexed. A stream
   * that receives the marker of a loan has been sent everything before it, so "nothing else
   * arrived" is checked against the marker, never against a wait.
   */
  async function marker(...loans: (1n | 2n | 7n)[]): Promise<Record<string, string>> {
    const log = f.deployment.collectionLog.address;
    const now = (await f.client.getBlock()).timestamp;
    for (const loan of loans) await send(loan === 7n ? "otherCollector" : "collector", log, collectionLogAbi, "recordAction", [loan, 7, 6, 900 + markers++, now, keccak256(toHex(`marker-${markers}`))]);
    await f.reindex();
    const rows = await f.db.selectFrom("actions").select(["loan_id", "block_number", "log_index"]).where("outcome", ">=", 900).orderBy("block_number", "desc").execute();
    const ids: Record<string, string> = {};
    for (const loan of loans) {
      const r = rows.find((x) => x.loan_id === Number(loan))!;
      ids[String(loan)] = `${r.block_number}-${r.log_index}`;
    }
    return ids;
  }

  /** The ids a stream received before (not including) `id`, after waiting for `id` itself. */
  async function receivedBefore(c: SseClient, id: string, label: string): Promise<string[]> {
    await c.waitFor(`${label}: the marker ${id}`, (x) => x.events().some((m) => m.id === id));
    const ids = c.events().map((m) => m.id!);
    return ids.slice(0, ids.indexOf(id));
  }

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
    // Every stream has been served the activity once the auditor's has (one shared poll serves them all).
    await clients.get("auditor")!.waitFor("the activity", (x) => x.events().length >= fresh.length);
    // The stranger sees nothing: assign it loan 1, whose next event (the marker) is then its first.
    await send("lender", f.deployment.collectionLog.address, collectionLogAbi, "assignCollector", [[1n], f.addresses.stranger]);
    const m = await marker(1n, 7n);
    const markerOf: Record<Role, string> = { auditor: m["7"], lender: m["1"], otherLender: m["7"], collector: m["1"], otherCollector: m["7"], stranger: m["1"], borrower: "", admin: "", relayer: "", agency: "", agencyCollector: "" };
    for (const role of roles) {
      const visible = role === "stranger" ? new Set<number>() : await visibleLoans(role);
      const expected = fresh.filter((e) => visible === "all" || visible.has(e.loanId)).map((e) => e.id);
      const c = clients.get(role)!;
      const got = (await receivedBefore(c, markerOf[role], role)).filter((id) => !Object.values(m).includes(id));
      expect(got, role).to.deep.equal(expected);
      for (const e of c.events()) {
        expect(e.data.id).to.equal(e.id);
        expect(e.event).to.equal(STREAM_EVENTS[e.data.type as keyof typeof STREAM_EVENTS]);
        expect(e.data.args).to.be.an("object");
      }
    }
    expect(clients.get("stranger")!.events().map((e) => e.id)).to.deep.equal([m["1"]]);
    expect(clients.get("otherLender")!.events().every((e) => e.data.loanId === "7")).to.equal(true);
  });

  it("filters by ?events= and ?loanId=, and never sends a loan the caller may not see", async function () {
    this.timeout(120_000);
    const all = await history();
    const statusOnly = await stream("auditor", "?events=status&lastEventId=0-0");
    const expected = all.filter((e) => STREAM_EVENTS[e.name as keyof typeof STREAM_EVENTS] === "status").map((e) => e.id);
    const loan2 = await stream("lender", "?loanId=2&events=repayment,action&lastEventId=0-0");
    const expected2 = all.filter((e) => e.loanId === 2 && ["LoanRepaid", "ActionRecorded"].includes(e.name)).map((e) => e.id);
    const otherLender = await stream("otherLender", "?lastEventId=0-0");
    const expected7 = all.filter((e) => e.loanId === 7).map((e) => e.id);
    // Markers: a charge-off (a status event) for the status stream, actions on loans 2 and 7 for the others.
    await send("lender", f.deployment.loanLedger.address, loanLedgerAbi, "chargeOff", [3n]);
    const m = await marker(2n, 7n);
    const chargeOff = await f.db.selectFrom("loan_events").select(["block_number", "log_index"]).where("name", "=", "LoanChargedOff").where("loan_id", "=", 3).executeTakeFirstOrThrow();
    expect(await receivedBefore(statusOnly, `${chargeOff.block_number}-${chargeOff.log_index}`, "status events")).to.deep.equal(expected);
    expect(await receivedBefore(loan2, m["2"], "loan 2 events")).to.deep.equal(expected2);
    // The other lender asked for everything: it got loan 7's events only, never loans 1-6.
    expect(await receivedBefore(otherLender, m["7"], "the other lender's events")).to.deep.equal(expected7);
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
    const mid = after[Math.floor(after.length / 2)];
    const viaQuery = await stream("auditor", `?lastEventId=${mid}`);
    const viaBoth = await stream("auditor", `?lastEventId=0-0`, { "last-event-id": mid });
    const m = await marker(1n);
    const all = [...got, ...(await receivedBefore(second, m["1"], "the rest"))];
    expect(new Set(all).size, "no duplicates").to.equal(all.length);
    expect(all, "no gaps").to.deep.equal(after);
    // The query form resumes the same way; the header wins over it.
    const rest = after.slice(after.indexOf(mid) + 1);
    for (const c of [viaQuery, viaBoth]) expect(await receivedBefore(c, m["1"], "the second half")).to.deep.equal(rest);
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
    const services: ApiServices = { ...f.services, db, registry: new Registry(), options: { ...f.services.options, streamPollMs: 20, streamHeartbeatMs: 50 } };
    const hub = createStreamHub(services);
    const app = createApp({ ...services, streamHub: hub });
    const server = await new Promise<http.Server>((resolve) => {
      const s = app.listen(0, "127.0.0.1", () => resolve(s));
    });
    try {
      const { port } = server.address() as { port: number };
      const c = await connectSse(`http://127.0.0.1:${port}/v1/stream`, { authorization: `Bearer ${f.tokens.collector}` });
      await c.waitFor("a heartbeat", (x) => x.comments.includes("keep-alive"), 5_000);
      expect(queries).to.be.greaterThan(2);
      expect(hub.stats()).to.include({ open: 1, polling: true });
      c.close();
      await c.ended;
      // The server sees the socket close a moment after the client does.
      for (let i = 0; i < 100 && hub.stats().open > 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(hub.stats(), "no stream left, and no poll scheduled").to.include({ open: 0, polling: false });
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(() => r(undefined)));
    }
  });
});
