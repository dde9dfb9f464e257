/**
 * GET /v1/stream is served by one hub per API process: caps on open streams (per caller and in
 * all, 429 problem+json naming the cap before the stream opens), one poll of the database per
 * tick whatever the number of streams, a resumed stream's hand-off from its own replay to the
 * shared fan-out without gap or duplicate, and reorgs noticed by the hub (the cursor block's hash
 * changed) while each stream goes on from the fork.
 *
 * Hubs built here poll only when the test calls hub.poll() (their timer is an hour), so query
 * counts and the order of polls against replays are deterministic.
 */
import http from "node:http";
import { expect } from "chai";
import { EventEmitter } from "node:events";
import type { KyselyPlugin } from "kysely";
import { Registry } from "prom-client";
import { createApp } from "../../src/api/app";
import type { ApiOptions, ApiServices } from "../../src/api/context";
import { resolveScope } from "../../src/api/auth/scope";
import { AFTER_BLOCK, createStreamHub, type StreamHub } from "../../src/api/services/stream-hub";
import { parseEventId, STREAM_EVENTS } from "../../src/api/services/stream";
import { createSseWriter, type SseSink } from "../../src/api/services/sse";
import { rpc } from "../support/chain";
import { apiFixture, describeEachDialect, type ApiFixture, type Role } from "./fixture";
import { connectSse, type SseClient } from "./helpers/sse";
import { sendTx } from "./helpers/tx";

const STREAMED = Object.keys(STREAM_EVENTS);
const HOUR = 3_600_000;

/**
 * A stream's socket under the test's control: after `blockAfterWrites` writes it reports a full
 * buffer (write() false, writableNeedDrain) until unblock() emits "drain".
 */
class FakeSink extends EventEmitter implements SseSink {
  readonly chunks: string[] = [];
  destroyed = false;
  writableEnded = false;
  private blocked = false;
  private unblocked = false;
  constructor(private readonly opts: { blockAfterWrites?: number; bufferedWhenBlocked?: number } = {}) {
    super();
  }
  get writableNeedDrain() {
    return this.blocked;
  }
  get writableLength() {
    return this.blocked ? (this.opts.bufferedWhenBlocked ?? 1) : 0;
  }
  write(chunk: string): boolean {
    this.chunks.push(chunk);
    if (this.opts.blockAfterWrites !== undefined && this.chunks.length >= this.opts.blockAfterWrites && !this.unblocked) this.blocked = true;
    this.emit("wrote");
    return !this.blocked;
  }
  unblock(): void {
    this.unblocked = true;
    this.blocked = false;
    this.emit("drain");
  }
  end(): void {
    this.writableEnded = true;
    this.emit("close");
  }
  destroy(): void {
    this.destroyed = true;
    this.emit("close");
  }
  /** Ids of the events written, in order. */
  ids(): string[] {
    return this.chunks.map((c) => /^id: (\S+)\n/.exec(c)?.[1]).filter((id): id is string => id !== undefined);
  }
  waitFor(done: (s: FakeSink) => boolean, timeoutMs = 20_000): Promise<void> {
    if (done(this)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off("wrote", check);
        reject(new Error(`timed out; written: ${this.ids().join(" ")}`));
      }, timeoutMs);
      const check = () => {
        if (!done(this)) return;
        clearTimeout(timer);
        this.off("wrote", check);
        resolve();
      };
      this.on("wrote", check);
    });
  }
}

describeEachDialect("GET /v1/stream: one hub, caps, hand-off, reorgs", (dialect) => {
  let f: ApiFixture;
  const open: SseClient[] = [];
  const servers: http.Server[] = [];

  before(async function () {
    this.timeout(300_000);
    f = await apiFixture(dialect);
  });
  afterEach(async () => {
    open.splice(0).forEach((c) => c.close());
    for (const s of servers.splice(0)) {
      s.closeAllConnections();
      await new Promise((r) => s.close(() => r(undefined)));
    }
  });
  after(() => f?.close());

  async function stream(role: Role, base = f.url, query = "", headers: Record<string, string> = {}): Promise<SseClient> {
    const c = await connectSse(`${base}/v1/stream${query}`, { authorization: `Bearer ${f.tokens[role]}`, ...headers });
    open.push(c);
    if (c.status === 200) await c.waitFor("ready", (x) => x.messages.some((m) => m.event === "ready"));
    return c;
  }

  /** An app of its own on the fixture's database (through `plugin` when given), its hub driven by hub.poll(). */
  async function appWithHub(options: Partial<ApiOptions> = {}, plugin?: KyselyPlugin): Promise<{ base: string; hub: StreamHub }> {
    const db = plugin ? f.db.withPlugin(plugin) : f.db;
    const services: ApiServices = { ...f.services, db, registry: new Registry(), options: { ...f.services.options, streamPollMs: HOUR, ...options } };
    const hub = createStreamHub(services);
    const server = await new Promise<http.Server>((resolve) => {
      const s = createApp({ ...services, streamHub: hub }).listen(0, "127.0.0.1", () => resolve(s));
    });
    servers.push(server);
    return { base: `http://127.0.0.1:${(server.address() as { port: number }).port}`, hub };
  }

  /** Joins a FakeSink to `hub` as `role` (from Last-Event-ID `from`, else after the indexed block), as the route does. */
  async function joiner(hub: StreamHub) {
    const cursor = await f.db.selectFrom("cursor").select(["block_number", "block_hash"]).executeTakeFirstOrThrow();
    const join = async (role: Role, from: string | undefined, sink: FakeSink) => {
      const claims = { sub: f.addresses[role], kind: "service" as const, iat: 0, exp: Number.MAX_SAFE_INTEGER, jti: "0".repeat(32) };
      hub.join(hub.reserve(claims.sub), sink, {
        claims,
        scope: await resolveScope(f.db, claims.sub),
        selection: {},
        from: from ? parseEventId(from) : { block: cursor.block_number, logIndex: AFTER_BLOCK },
        cursor: { block: cursor.block_number, hash: cursor.block_hash },
      });
    };
    return { cursor, join };
  }

  /** Every streamed row in chain order, as ids. */
  async function history(): Promise<{ id: string; loanId: number; block: number; name: string }[]> {
    const rows = await f.db.selectFrom("loan_events").select(["block_number", "log_index", "loan_id", "name"]).where("name", "in", STREAMED).orderBy("block_number").orderBy("log_index").execute();
    return rows.map((r) => ({ id: `${r.block_number}-${r.log_index}`, loanId: r.loan_id, block: r.block_number, name: r.name }));
  }

  /** Repayments on the lender's loan 2 and the other lender's loan 7, indexed. */
  async function repayments() {
    await sendTx(f, "borrower", "ledger", "repay", [2n, 1_000_000n]);
    await sendTx(f, "borrower", "ledger", "repay", [7n, 1_000_000n]);
    await f.reindex();
  }

  const ids = (c: SseClient) => c.events().map((m) => m.id);

  it("caps open streams per caller: the next one gets 429 naming STREAM_MAX_PER_CALLER, and a slot frees when a stream closes", async function () {
    this.timeout(60_000);
    const five: SseClient[] = [];
    for (let i = 0; i < 5; i++) five.push(await stream("collector"));
    expect(five.map((c) => c.status)).to.deep.equal([200, 200, 200, 200, 200]);
    const sixth = await stream("collector");
    expect(sixth.status).to.equal(429);
    expect(sixth.contentType).to.match(/^application\/problem\+json/);
    expect(sixth.problem).to.include({ status: 429, cap: "STREAM_MAX_PER_CALLER", limit: 5 });
    expect(sixth.problem?.detail).to.match(/STREAM_MAX_PER_CALLER/);
    expect((await stream("auditor")).status, "another caller").to.equal(200);

    five[0].close();
    await five[0].ended;
    // The server frees the slot when it sees the socket close; until then the cap still answers.
    let again = await stream("collector");
    for (let i = 0; again.status === 429 && i < 50; i++) {
      await new Promise((r) => setTimeout(r, 100));
      again = await stream("collector");
    }
    expect(again.status).to.equal(200);
  });

  it("caps open streams in all: over STREAM_MAX_TOTAL any caller gets 429 naming it", async function () {
    const { base } = await appWithHub({ streamMaxTotal: 2 });
    expect((await stream("lender", base)).status).to.equal(200);
    expect((await stream("collector", base)).status).to.equal(200);
    const third = await stream("auditor", base);
    expect(third.status).to.equal(429);
    expect(third.problem).to.include({ status: 429, cap: "STREAM_MAX_TOTAL", limit: 2 });
  });

  it("polls the database once per tick for all streams: the queries of a poll do not grow with the number of streams", async function () {
    this.timeout(120_000);
    let queries = 0;
    // Counted per result: one per query sent (transformQuery also runs for each part of a union).
    const counter: KyselyPlugin = {
      transformQuery: (args) => args.node,
      transformResult: async (args) => {
        queries++;
        return args.result;
      },
    };
    const { base, hub } = await appWithHub({}, counter);
    const pollCounted = async () => {
      queries = 0;
      await hub.poll();
      return queries;
    };
    const collector = await stream("collector", base);
    await repayments();
    const withOne = await pollCounted();
    await collector.waitFor("loan 2's repayment", (c) => c.events().some((m) => m.data.loanId === "2"));

    const more = [
      collector,
      await stream("lender", base),
      await stream("otherLender", base),
      await stream("otherCollector", base),
      await stream("auditor", base),
      await stream("collector", base, "?loanId=2&events=repayment"),
    ];
    const from = (await history()).length;
    await repayments();
    const withSix = await pollCounted();
    expect(withSix, "queries of one poll with 6 streams vs 1").to.equal(withOne);
    expect(withOne, "cursor, reorg check, access changes, events, collectors").to.be.at.most(5);
    const fresh = (await history()).slice(from);
    const sees: Record<string, (e: (typeof fresh)[number]) => boolean> = {
      collector: (e) => e.loanId === 2,
      lender: (e) => e.loanId === 2,
      otherLender: (e) => e.loanId === 7,
      otherCollector: (e) => e.loanId === 7,
      auditor: () => true,
      loan2: (e) => e.loanId === 2 && e.name === "LoanRepaid",
    };
    for (const [i, who] of Object.keys(sees).entries()) {
      const want = fresh.filter(sees[who]).map((e) => e.id);
      const c = more[i];
      await c.waitFor(`${who}'s new events`, (x) => want.every((id) => ids(x).includes(id)));
      expect(ids(c).slice(-want.length), who).to.deep.equal(want);
    }
  });

  it("hands a resumed stream from its replay to the shared fan-out without gap or duplicate, when the hub moves during the replay", async function () {
    this.timeout(120_000);
    const { hub } = await appWithHub();
    const { cursor, join } = await joiner(hub);
    const live = new FakeSink();
    await join("auditor", undefined, live); // starts the hub at the indexed block
    const replaying = new FakeSink({ blockAfterWrites: 1 });
    await join("auditor", "0-0", replaying);
    await replaying.waitFor((x) => x.ids().length === 1); // the replay's first row written; its socket is full

    await repayments();
    await hub.poll(); // the hub moves on while the replay waits for its socket
    const at = cursor.block_number;
    const newer = (await history()).filter((e) => e.block > at).map((e) => e.id);
    await live.waitFor((x) => x.ids().length === newer.length);
    expect(live.ids(), "the live stream, from the fan-out").to.deep.equal(newer);
    expect(replaying.ids(), "nothing from the fan-out while replaying").to.have.length(1);

    replaying.unblock();
    const all = (await history()).map((e) => e.id);
    await replaying.waitFor((x) => x.ids().length >= all.length);
    await repayments();
    await hub.poll();
    const after = (await history()).map((e) => e.id);
    await replaying.waitFor((x) => x.ids().length >= after.length);
    expect(replaying.ids(), "replay + live: no gap, no duplicate").to.deep.equal(after);
    expect(hub.stats()).to.include({ open: 2, live: 2 });
    live.end();
    replaying.end();
    expect(hub.stats().open).to.equal(0);
  });

  it("a slow client leaves the fan-out when its unread bytes pass the bound and catches up from the database when it drains", async function () {
    this.timeout(120_000);
    const { hub } = await appWithHub();
    const { join } = await joiner(hub);
    const fast = new FakeSink();
    const slow = new FakeSink({ blockAfterWrites: 1, bufferedWhenBlocked: 2 << 20 }); // 2 MiB unread once blocked
    await join("auditor", undefined, fast);
    await join("auditor", undefined, slow);
    while (hub.stats().live < 2) await new Promise((r) => setTimeout(r, 10)); // both resolved their scope and joined the fan-out
    await repayments();
    await hub.poll(); // both get this page; then the slow one is over the bound
    const first = fast.ids();
    expect(first.length).to.be.greaterThan(1);
    expect(slow.ids()).to.deep.equal(first);
    expect(hub.stats()).to.include({ open: 2, live: 1 });
    await repayments();
    await hub.poll();
    expect(fast.ids().length).to.be.greaterThan(first.length);
    expect(slow.ids(), "nothing more buffered for the slow client").to.deep.equal(first);

    slow.unblock();
    await slow.waitFor((x) => x.ids().length === fast.ids().length);
    expect(slow.ids(), "caught up from the database: no gap, no duplicate").to.deep.equal(fast.ids());
    while (hub.stats().live < 2) await new Promise((r) => setTimeout(r, 10)); // back in the fan-out
    await repayments();
    await hub.poll();
    expect(slow.ids(), "live again").to.deep.equal(fast.ids());
    fast.end();
    slow.end();
  });

  it("notices a reorg that re-indexed past the streams' position (the cursor block's hash changed): `reorg`, then the new branch's events", async function () {
    this.timeout(120_000);
    const { base, hub } = await appWithHub();
    const c = await stream("auditor", base);
    const snapshot = await rpc<string>(f.node.url, "evm_snapshot");
    await sendTx(f, "borrower", "ledger", "repay", [2n, 1_000_000n]);
    await f.reindex();
    await hub.poll();
    await c.waitFor("loan 2's repayment", (x) => x.events().some((m) => m.data.loanId === "2"));
    const gone = ids(c)[0]!;

    // Another branch from the snapshot, longer than the first: the indexer rolls back and goes past it.
    expect(await rpc<boolean>(f.node.url, "evm_revert", [snapshot])).to.equal(true);
    await sendTx(f, "borrower", "ledger", "repay", [7n, 1_000_000n]);
    await sendTx(f, "borrower", "ledger", "repay", [7n, 2_000_000n]);
    for (let i = 0; i < 3; i++) await rpc(f.node.url, "evm_mine");
    await f.reindex();
    await hub.poll();
    await c.waitFor("the reorg and the new branch's events", (x) => x.messages.some((m) => m.event === "reorg") && x.events().filter((m) => m.data.loanId === "7").length >= 2);
    const reorgAt = c.messages.findIndex((m) => m.event === "reorg");
    const fork = (c.messages[reorgAt].data as { block: number }).block;
    expect(fork).to.be.below(Number(gone.split("-")[0]));
    const resent = c.messages.slice(reorgAt + 1).map((m) => m.id);
    expect(resent).to.deep.equal((await history()).filter((e) => e.block > fork).map((e) => e.id));
    expect(c.messages.slice(reorgAt + 1).map((m) => m.data.loanId), "the repayment of the abandoned branch").to.not.include("2");
  });
});

describe("SSE writer: backpressure bounds", () => {
  it("reports `behind` past maxBufferedBytes and destroys a socket that does not drain within drainTimeoutMs", async () => {
    const sink = new FakeSink({ blockAfterWrites: 1, bufferedWhenBlocked: 100 });
    const w = createSseWriter(sink, { maxBufferedBytes: 50, drainTimeoutMs: 20 });
    w.send({ event: "x", data: 1 });
    expect(w.behind).to.equal(true);
    expect(await w.drained()).to.equal(false);
    expect(sink.destroyed).to.equal(true);
    expect(w.closed).to.equal(true);
  });

  it("resolves drained() when the socket drains", async () => {
    const sink = new FakeSink({ blockAfterWrites: 1 });
    const w = createSseWriter(sink, { maxBufferedBytes: 50, drainTimeoutMs: 60_000 });
    w.send({ event: "x", data: 1 });
    const drained = w.drained();
    sink.unblock();
    expect(await drained).to.equal(true);
    expect(sink.destroyed).to.equal(false);
  });
});
