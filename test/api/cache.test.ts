/**
 * Responses cached per indexed block (src/api/services/response-cache.ts): a repeated request at the
 * same cursor is served from the cache with the same bytes an uncached app answers; callers never
 * share entries; a new block or a reorg (same height, another hash) starts a new generation; the
 * byte bound evicts least recently used entries first.
 */
import http from "node:http";
import { expect } from "chai";
import { Registry } from "prom-client";
import { createApp } from "../../src/api/app";
import { sql } from "kysely";
import { createResponseCache, type CacheShare } from "../../src/api/services/response-cache";
import { HISTORY_TABLES, SCOPE_TABLES } from "../../src/db/migrations/0017_cache_epochs";
import { ROLLBACK_TABLES } from "../../src/db/migrations/0025_history_loan_events";
import { KeptHistory } from "../../src/api/services/kept-history";
import { BlockMemo } from "../../src/api/services/block-memo";
import { rpc } from "../support/chain";
import { createTestDatabase, describeEachDialect } from "../indexer/helpers/harness";
import { apiFixture, sendAs, type ApiFixture, type Role } from "./fixture";
import { collectionLogAbi, loanLedgerAbi } from "../../src/chain/abis";
import { keccak256, toHex } from "viem";
import { Channel, DAY_SECONDS as DAY, Kind } from "../../src/domain";


async function cacheCounts(registry: Registry): Promise<{ hit: number; miss: number }> {
  const m = await registry.getSingleMetric("duetrail_api_response_cache_total")!.get();
  const of = (outcome: string) => m.values.find((v) => v.labels.outcome === outcome)?.value ?? 0;
  return { hit: of("hit"), miss: of("miss") };
}

describeEachDialect("GET responses cached per indexed block", (dialect) => {
  let f: ApiFixture;
  let uncached: { server: http.Server; url: string };
  before(async function () {
    this.timeout(300_000);
    f = await apiFixture(dialect);
    // The same database behind an app without the cache: the reference answers.
    const app = createApp({ ...f.services, registry: new Registry(), options: { ...f.services.options, responseCacheBytes: 0 } });
    const server = await new Promise<http.Server>((r) => {
      const s = app.listen(0, "127.0.0.1", () => r(s));
    });
    uncached = { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}` };
  });
  after(async () => {
    uncached?.server.closeAllConnections();
    uncached?.server.close();
    await f?.close();
  });

  const fresh = async (role: Role, path: string) => {
    const res = await fetch(`${uncached.url}${path}`, { headers: { authorization: `Bearer ${f.tokens[role]}` } });
    return { status: res.status, body: await res.text() };
  };
  const cached = async (role: Role, path: string) => {
    const res = await f.call(role, path);
    return { status: res.status, body: await res.text(), type: res.headers.get("content-type") };
  };

  it("serves a repeated request from the cache with the bytes an uncached app answers", async () => {
    for (const path of ["/v1/loans?sort=-dpd", "/v1/loans/2", "/v1/loans/2/timeline", "/v1/queue", "/v1/portfolio"]) {
      const role: Role = path === "/v1/portfolio" ? "lender" : "collector";
      const before = await cacheCounts(f.services.registry);
      const first = await cached(role, path);
      const second = await cached(role, path);
      const after = await cacheCounts(f.services.registry);
      expect(first.status, path).to.equal(200);
      expect(second.type, path).to.equal("application/json; charset=utf-8");
      expect(second.body, path).to.equal(first.body);
      expect(after.hit - before.hit, `${path}: hits`).to.be.at.least(1);
      expect(first.body, `${path}: equals the uncached answer`).to.equal((await fresh(role, path)).body);
    }
  });

  it("answers from the cache with the ETag of the first answer, Express's own, and 304 to If-None-Match", async () => {
    const etagFn = createApp({ ...f.services, registry: new Registry() }).get("etag fn") as (body: Buffer) => string;
    for (const path of ["/v1/loans/2", "/v1/queue"]) {
      const first = await f.call("collector", path);
      const before = await cacheCounts(f.services.registry);
      const body = Buffer.from(await first.arrayBuffer());
      const tag = first.headers.get("etag");
      expect(tag, path).to.equal(etagFn(body));
      const second = await f.call("collector", path);
      expect(second.headers.get("etag"), path).to.equal(tag);
      expect(Buffer.from(await second.arrayBuffer()).equals(body), path).to.equal(true);
      // fetch would add "Cache-Control: no-cache" to a conditional request, which Express rightly answers in full.
      const revalidated = await f.call("collector", path, { headers: { "if-none-match": tag!, "cache-control": "max-age=0" } });
      expect(revalidated.status, path).to.equal(304);
      const after = await cacheCounts(f.services.registry);
      expect(after.hit - before.hit, `${path}: both answered from the cache`).to.equal(2);
    }
  });

  it("never serves one caller's entry to another", async () => {
    expect((await cached("collector", "/v1/loans/1")).status).to.equal(200);
    expect((await cached("otherCollector", "/v1/loans/1")).status).to.equal(404);
    const mine = JSON.parse((await cached("collector", "/v1/loans")).body) as { items: { loanId: string }[] };
    const theirs = JSON.parse((await cached("otherCollector", "/v1/loans")).body) as { items: { loanId: string }[] };
    expect(mine.items.map((i) => i.loanId)).to.include("1");
    expect(theirs.items.map((i) => i.loanId)).to.deep.equal(["7"]);
    // Errors are not cached: a 404 stays a 404, then the next caller still gets its own answer.
    expect((await cached("otherCollector", "/v1/loans/1")).status).to.equal(404);
    expect((await cached("auditor", "/v1/loans/1")).status).to.equal(200);
  });

  it("answers the new block's figures once the cursor moves", async function () {
    this.timeout(60_000);
    const before = JSON.parse((await cached("collector", "/v1/loans/2")).body) as { status: { dpd: number }; asOf: { block: number; timestamp: number } };
    await rpc(f.node.url, "evm_increaseTime", [3 * DAY]);
    await rpc(f.node.url, "evm_mine", []);
    await f.reindex();
    const after = JSON.parse((await cached("collector", "/v1/loans/2")).body) as typeof before;
    expect(after.asOf.block).to.be.greaterThan(before.asOf.block);
    expect(after.asOf.timestamp - before.asOf.timestamp).to.be.at.least(3 * DAY);
    expect(after.status.dpd).to.be.greaterThan(before.status.dpd);
    expect(JSON.stringify(after)).to.equal((await fresh("collector", "/v1/loans/2")).body);
  });

  it("keeps nothing of a loan that only its detail served (details are spread over the book); a page keeps its loans' schedules", async () => {
    const keep = KeptHistory.prototype.keepSchedule;
    const schedule = KeptHistory.prototype.schedule;
    const keptIds: number[] = [];
    // As if no schedule were kept yet: every lookup misses, and every keep is seen.
    KeptHistory.prototype.schedule = () => undefined;
    KeptHistory.prototype.keepSchedule = function (loanId, version, s) {
      keptIds.push(loanId);
      return keep.call(this, loanId, version, s);
    };
    try {
      // A (caller, URL) not asked for before in this file: a miss, answered by the route.
      const detail = await cached("otherCollector", "/v1/loans/7");
      expect(detail.status).to.equal(200);
      expect(detail.body, "the detail's own schedule served all the same").to.equal((await fresh("otherCollector", "/v1/loans/7")).body);
      expect(keptIds, "kept by the detail").to.deep.equal([]);
      const page = JSON.parse((await cached("otherCollector", "/v1/loans?sort=-amountOverdue")).body) as { items: { loanId: string }[] };
      expect(page.items.map((i) => i.loanId)).to.deep.equal(["7"]);
      expect(keptIds, "kept by the page").to.deep.equal([7]);
    } finally {
      KeptHistory.prototype.keepSchedule = keep;
      KeptHistory.prototype.schedule = schedule;
    }
  });

  it("serves every schedule version after a restructuring, the same as an uncached server", async function () {
    this.timeout(60_000);
    type Detail = { version: number; status: { outstandingPrincipal: string }; scheduleVersions: { version: number; installments: unknown[] }[] };
    const before = JSON.parse((await cached("collector", "/v1/loans/3")).body) as Detail;
    const ledger = f.deployment.loanLedger.address;
    const now = (await f.client.getBlock()).timestamp;
    const schedule = [
      { dueDate: now + 40n * BigInt(DAY), principal: BigInt(before.status.outstandingPrincipal) - 1n, interest: 3n },
      { dueDate: now + 70n * BigInt(DAY), principal: 1n, interest: 0n },
    ];
    await sendAs(f, "lender", ledger, loanLedgerAbi, "proposeRestructure", [3n, schedule]);
    await sendAs(f, "borrower", ledger, loanLedgerAbi, "acceptRestructure", [3n, schedule]);
    await f.reindex();
    const after = JSON.parse((await cached("collector", "/v1/loans/3")).body) as Detail;
    expect(after.version).to.equal(before.version + 1);
    expect(after.scheduleVersions.map((v) => v.version)).to.deep.equal([...before.scheduleVersions.map((v) => v.version), after.version]);
    expect(after.scheduleVersions.slice(0, -1)).to.deep.equal(before.scheduleVersions);
    expect(after.scheduleVersions.at(-1)!.installments).to.have.length(2);
    expect(JSON.stringify(after)).to.equal((await fresh("collector", "/v1/loans/3")).body);
  });

  it("pages loans and the queue as of the new block after the overdue refresh alone (no event)", async function () {
    this.timeout(60_000);
    /** Every page of `path` as `role` gets them, following nextCursor. */
    const pages = async (get: (role: Role, path: string) => Promise<{ body: string }>, role: Role, path: string) => {
      const out: string[] = [];
      for (let next: string | null = path; next !== null; ) {
        const body: string = (await get(role, next)).body;
        out.push(body);
        const cursor = (JSON.parse(body) as { nextCursor: string | null }).nextCursor;
        next = cursor === null ? null : `${path}&cursor=${encodeURIComponent(cursor)}`;
      }
      return out;
    };
    const paths: [Role, string][] = [
      ["lender", "/v1/loans?sort=-amountOverdue&limit=1"],
      ["collector", "/v1/loans?sort=-dpd&limit=2"],
      ["collector", "/v1/queue?limit=2"],
      ["collector", "/v1/queue?order=due&limit=2"],
    ];
    const before: string[][] = [];
    for (const [role, path] of paths) {
      const got = await pages(cached, role, path);
      expect(got).to.deep.equal(await pages(fresh, role, path));
      before.push(got);
    }
    // Forty days on, no event: more installments are overdue, written by the indexer's overdue refresh alone.
    await rpc(f.node.url, "evm_increaseTime", [40 * DAY]);
    await rpc(f.node.url, "evm_mine", []);
    await f.reindex();
    for (const [i, [role, path]] of paths.entries()) {
      const got = await pages(cached, role, path);
      expect(got, path).to.deep.equal(await pages(fresh, role, path));
      expect(got, path).to.not.deep.equal(before[i]);
    }
  });

  it("shows the queue's new promises and calls the block after, though each loan's side rows were kept", async function () {
    this.timeout(60_000);
    type Queue = { items: { loanId: string; promises: { pending: number }; contactWindow: { allowedNow: boolean; reasons: string[] } }[] };
    const path = "/v1/queue?limit=50";
    const queue = async () => (await cached("collector", path)).body;
    // Noon at UTC+8 (the fixture's loans; the lender calls 9:00-20:00 borrower time): calls are allowed.
    const t0 = Number((await f.client.getBlock()).timestamp);
    const noon = 4 * 3600;
    await rpc(f.node.url, "evm_setNextBlockTimestamp", [t0 + ((((noon - t0) % DAY) + DAY) % DAY || DAY)]);
    await rpc(f.node.url, "evm_mine", []);
    await f.reindex();
    const before = await queue(); // every loan's promises, reminder and calls kept
    expect(before).to.equal((await fresh("collector", path)).body);
    const loan = (JSON.parse(before) as Queue).items.find((i) => i.contactWindow.allowedNow)!;
    expect(loan, "a queue loan the collector may call now").to.not.equal(undefined);
    const log = f.deployment.collectionLog.address;
    const now = (await f.client.getBlock()).timestamp;
    const hash = keccak256(toHex("cache-test"));
    // Connected calls up to the lender's daily limit (2): the loan may not be called again today.
    for (let i = 0; i < 2; i++) await sendAs(f, "collector", log, collectionLogAbi, "recordAction", [BigInt(loan.loanId), Channel.Call, Kind.ContactMade, 0, now, hash]);
    await sendAs(f, "collector", log, collectionLogAbi, "recordPromise", [BigInt(loan.loanId), 5n, now + BigInt(5 * DAY), hash]);
    await f.reindex();
    const after = await queue();
    expect(after).to.equal((await fresh("collector", path)).body);
    const item = (JSON.parse(after) as Queue).items.find((i) => i.loanId === loan.loanId)!;
    expect(item.promises.pending).to.equal(loan.promises.pending + 1);
    expect(item.contactWindow.allowedNow).to.equal(false);
    // Time alone moves no loan's updated_block: what was kept serves the later block, its calls those of the later window.
    await rpc(f.node.url, "evm_increaseTime", [20 * DAY]);
    await rpc(f.node.url, "evm_mine", []);
    await f.reindex();
    expect(await queue()).to.equal((await fresh("collector", path)).body);
  });
});

describe("values kept for a generation (BlockMemo)", () => {
  it("loads only the keys it does not have, in one call, and keeps what was loaded up to its bound", async () => {
    const memo = new BlockMemo(3);
    const calls: string[][] = [];
    const load = async (keys: string[]) => {
      calls.push(keys);
      return new Map(keys.map((k) => [k, k === "none" ? null : k.toUpperCase()] as const));
    };
    expect(await memo.many("x", ["a", "b", "a"], load)).to.deep.equal(new Map([["a", "A"], ["b", "B"]]));
    expect(await memo.many("x", ["b", "none", "c"], load)).to.deep.equal(new Map([["b", "B"], ["none", null], ["c", "C"]]));
    expect(await memo.many("x", ["none"], load)).to.deep.equal(new Map([["none", null]])); // a null is kept too
    expect(await memo.many("y", ["b"], load)).to.deep.equal(new Map([["b", "B"]])); // another kind: loaded again
    expect(calls).to.deep.equal([["a", "b"], ["none", "c"], ["b"]]);
    // Bound 3: y:b pushed out x:a, the oldest.
    await memo.many("x", ["a"], load);
    expect(calls.at(-1)).to.deep.equal(["a"]);
  });

  it("is handed out per generation of the cursor, and not at all when the cache is off", () => {
    const db = {} as never;
    const at = (generation: string) => ({ generation, block: 1, timestamp: 1, scopeEpoch: "0", historyEpoch: "0" });
    const cache = createResponseCache(db, 100);
    const first = cache.memo(at("1:0xaa"));
    expect(first).to.be.instanceOf(BlockMemo);
    expect(cache.memo(at("1:0xaa"))).to.equal(first);
    expect(cache.memo(at("1:0xbb"))).to.not.equal(first); // a reorg to the same height
    expect(createResponseCache(db, 0).memo(at("1:0xaa"))).to.equal(undefined);
  });
});

describeEachDialect("response cache generations", (dialect) => {
  it("keys entries by the cursor's block and hash, refuses entries of a past generation, and evicts by bytes", async () => {
    const database = createTestDatabase(dialect, "cache");
    const handle = await database.open();
    try {
      const db = handle.db;
      const cache = createResponseCache(db, 100);
      expect(await cache.generation()).to.equal(undefined);
      await db.insertInto("cursor").values({ id: 1, chain_id: 31337, block_number: 10, block_hash: "0xaa", block_timestamp: 1_000 }).execute();
      const g1 = (await cache.generation())!;
      expect(g1).to.equal("10:0xaa");
      await cache.set(g1, "a", Buffer.alloc(40, 1));
      await cache.set(g1, "b", Buffer.alloc(40, 2));
      expect(cache.get(g1, "a")?.[0]).to.equal(1); // "a" is now the most recently used
      await cache.set(g1, "c", Buffer.alloc(40, 3)); // 120 bytes > 100: the least recently used ("b") goes
      expect(cache.get(g1, "b")).to.equal(undefined);
      expect(cache.get(g1, "a")?.[0]).to.equal(1);
      expect(cache.get(g1, "c")?.[0]).to.equal(3);
      await cache.set(g1, "huge", Buffer.alloc(101)); // larger than the whole cache: not kept
      expect(cache.get(g1, "huge")).to.equal(undefined);

      // A reorg to the same height: another hash, another generation; nothing of the old one is served.
      await db.updateTable("cursor").set({ block_hash: "0xbb" }).where("id", "=", 1).execute();
      const g2 = (await cache.generation())!;
      expect(g2).to.not.equal(g1);
      expect(cache.get(g2, "a")).to.equal(undefined);
      // A response computed at g1 but stored after the cursor moved is refused.
      await cache.set(g1, "late", Buffer.from("x"));
      expect(cache.get(g2, "late")).to.equal(undefined);
      expect(cache.get(g1, "late")).to.equal(undefined);

      const off = createResponseCache(db, 0);
      const g = (await off.generation())!;
      await off.set(g, "a", Buffer.from("x"));
      expect(off.get(g, "a")).to.equal(undefined);
      let loads = 0;
      const untimed = async () => ({ scope: ++loads, timed: false });
      const at = (await off.position())!;
      expect(await off.scope(at, "m", untimed)).to.equal(1);
      expect(await off.scope(at, "m", untimed)).to.equal(2);
    } finally {
      await handle.close();
      await database.drop();
    }
  });

  it("peeks at an entry of the current generation without counting it or making it the most recently used", async () => {
    const database = createTestDatabase(dialect, "cache_peek");
    const handle = await database.open();
    try {
      const db = handle.db;
      const registry = new Registry();
      const cache = createResponseCache(db, 100, registry);
      await db.insertInto("cursor").values({ id: 1, chain_id: 31337, block_number: 10, block_hash: "0xaa", block_timestamp: 1_000 }).execute();
      const g1 = (await cache.generation())!;
      await cache.set(g1, "a", Buffer.alloc(40, 1));
      await cache.set(g1, "b", Buffer.alloc(40, 2));
      expect(cache.peek(g1, "a")?.[0]).to.equal(1);
      expect(cache.peek(g1, "none")).to.equal(undefined);
      expect(cache.peek("9:0x99", "a"), "another generation's").to.equal(undefined);
      expect(await cacheCounts(registry)).to.deep.equal({ hit: 0, miss: 0 });
      await cache.set(g1, "c", Buffer.alloc(40, 3)); // "a" is still the least recently used: it goes
      expect(cache.peek(g1, "a")).to.equal(undefined);
      expect(cache.peek(g1, "b")?.[0]).to.equal(2);
    } finally {
      await handle.close();
      await database.drop();
    }
  });

  it("shares what one process stores with the others (serve --workers), never across generations", async () => {
    const database = createTestDatabase(dialect, "cache_share");
    const handle = await database.open();
    try {
      const db = handle.db;
      // Three processes' caches linked as the cluster's primary links them: each message to every other.
      const receivers: ((generation: string, key: string, body: Buffer, route?: string) => void)[] = [];
      const published: string[] = [];
      const linked = (): CacheShare => {
        const me = receivers.length;
        return {
          publish(generation, key, body, route) {
            published.push(`${me}:${generation}:${key}`);
            receivers.forEach((receive, i) => i !== me && receive(generation, key, Buffer.from(body), route));
          },
          subscribe: (receive) => void receivers.push(receive),
        };
      };
      const [a, b, c] = [createResponseCache(db, 100, undefined, linked()), createResponseCache(db, 100, undefined, linked()), createResponseCache(db, 100, undefined, linked())];
      await db.insertInto("cursor").values({ id: 1, chain_id: 31337, block_number: 10, block_hash: "0xaa", block_timestamp: 1_000 }).execute();
      const g10 = (await a.generation())!;
      await a.set(g10, "q", Buffer.from("queue"), true, "/v1/queue");
      expect(b.get(g10, "q")?.toString()).to.equal("queue");
      expect(c.get(g10, "q")?.toString()).to.equal("queue");
      // The route that made it goes along (the fast path labels its answers with it).
      expect(a.routeOf(a.get(g10, "q")!)).to.equal("/v1/queue");
      expect(b.routeOf(b.get(g10, "q")!)).to.equal("/v1/queue");
      expect(published, "a received entry is not published again").to.deep.equal([`0:${g10}:q`]);

      // Each keeps its own bound: past 100 bytes the least recently used goes, received or not.
      await b.set(g10, "x", Buffer.alloc(60, 1));
      await a.set(g10, "y", Buffer.alloc(60, 2));
      expect(b.get(g10, "x"), "b's own entry, evicted by the one it received").to.equal(undefined);
      expect(b.get(g10, "y")?.[0]).to.equal(2);

      // The cursor moves on. Processes still at the past generation move on with what they receive.
      await db.updateTable("cursor").set({ block_number: 11, block_hash: "0xbb" }).where("id", "=", 1).execute();
      const g11 = (await a.generation())!;
      await a.set(g11, "q", Buffer.from("queue at 11"));
      expect(b.get(g11, "q")?.toString()).to.equal("queue at 11");
      // A response of the past generation arriving late is refused, and the new generation's entries stay.
      receivers[2]!(g10, "late", Buffer.from("old"));
      expect(c.get(g11, "q")?.toString()).to.equal("queue at 11");
      expect(c.get(g11, "late")).to.equal(undefined);
      expect(c.get(g10, "late"), "nor kept for its own generation").to.equal(undefined);

      // A reorg to the same height (another hash) is a new generation: what was kept at the old hash is gone.
      await db.updateTable("cursor").set({ block_hash: "0xcc" }).where("id", "=", 1).execute();
      const g11b = (await a.generation())!;
      await a.set(g11b, "r", Buffer.from("reorged"));
      expect(b.get(g11b, "q")).to.equal(undefined);
      expect(b.get(g11b, "r")?.toString()).to.equal("reorged");

      // With the cache off nothing is kept, received or not.
      const off = createResponseCache(db, 0, undefined, linked());
      await a.set(g11b, "s", Buffer.from("s"));
      expect(off.get(g11b, "s")).to.equal(undefined);
    } finally {
      await handle.close();
      await database.drop();
    }
  });
});

describeEachDialect("caller scopes kept across blocks", (dialect) => {
  it("keeps a scope until a table it is read from changes, and one that depends on the chain time for its block only", async () => {
    const database = createTestDatabase(dialect, "scopes");
    const handle = await database.open();
    try {
      const db = handle.db;
      const cache = createResponseCache(db, 1_000);
      expect(await cache.position()).to.equal(undefined);
      await db.insertInto("cursor").values({ id: 1, chain_id: 31337, block_number: 10, block_hash: "0xaa", block_timestamp: 1_000 }).execute();
      const moveTo = (n: number) => db.updateTable("cursor").set({ block_number: n, block_hash: `0x${n}` }).where("id", "=", 1).execute();
      let loads = 0;
      const untimed = async () => ({ scope: ++loads, timed: false });
      const p10 = (await cache.position())!;
      expect(p10.generation).to.equal("10:0xaa");
      expect(await cache.scope(p10, "x", untimed)).to.equal(1);
      expect(await cache.scope(p10, "x", untimed)).to.equal(1);
      // A new block that changed none of the scope tables: the same scope, not loaded again.
      await moveTo(11);
      const p11 = (await cache.position())!;
      expect(p11.scopeEpoch).to.equal(p10.scopeEpoch);
      expect(await cache.scope(p11, "x", untimed)).to.equal(1);
      // Each caller its own.
      expect(await cache.scope(p11, "y", untimed)).to.equal(2);

      // Each table a scope is read from raises the epoch on insert and on delete; the scope is loaded again.
      const rows: Record<(typeof SCOPE_TABLES)[number], Record<string, unknown>> = {
        role_changes: { block_number: 12, log_index: 0, contract: "LoanLedger", role: "0x01", account: "0xab", granted: 1 },
        servicers: { block_number: 12, log_index: 1, lender: "0xab", servicer: "0xcd", allowed: 1 },
        current_collectors: { loan_id: 1, collector: "0xab" },
        placements: { block_number: 12, log_index: 2, tx_hash: "0x00", placement_id: 1, lender: "0xab", agency: "0xcd", commission_bps: 0, start_at: 1, end_at: 2, loan_count: 1 },
        placement_loans: { block_number: 12, log_index: 3, placement_id: 1, loan_id: 1 },
        placement_recalls: { block_number: 12, log_index: 4, placement_id: 1, recalled_at: 1 },
        agency_assignments: { block_number: 12, log_index: 5, placement_id: 1, loan_id: 1, collector: "0xab", assigned: 1 },
      };
      let before = p11.scopeEpoch;
      for (const table of SCOPE_TABLES) {
        await db.insertInto(table).values(rows[table] as never).execute();
        const inserted = (await cache.position())!;
        expect(inserted.scopeEpoch, `insert into ${table}`).to.not.equal(before);
        const n = loads;
        expect(await cache.scope(inserted, "x", untimed), table).to.equal(n + 1);
        await db.deleteFrom(table).execute();
        const deleted = (await cache.position())!;
        expect(deleted.scopeEpoch, `delete from ${table}`).to.not.equal(inserted.scopeEpoch);
        before = deleted.scopeEpoch;
      }

      // The copied queue keys of an assignment change with its loan: not a scope change.
      await db.insertInto("current_collectors").values({ loan_id: 7, collector: "0xab" }).execute();
      const assigned = (await cache.position())!;
      await sql`update current_collectors set due_key = 5 where loan_id = 7`.execute(db);
      expect((await cache.position())!.scopeEpoch).to.equal(assigned.scopeEpoch);

      // A timed scope (an agency's) is kept for its block only.
      let timedLoads = 0;
      const timed = async () => ({ scope: ++timedLoads, timed: true });
      expect(await cache.scope(assigned, "agency", timed)).to.equal(1);
      expect(await cache.scope(assigned, "agency", timed)).to.equal(1);
      await moveTo(13);
      const p13 = (await cache.position())!;
      expect(p13.scopeEpoch).to.equal(assigned.scopeEpoch);
      expect(await cache.scope(p13, "agency", timed)).to.equal(2);
      expect(await cache.scope(p13, "agency", timed)).to.equal(2);

      // A failed load is not kept.
      let failing = true;
      const flaky = async () => {
        if (failing) throw new Error("down");
        return { scope: "ok", timed: false };
      };
      await cache.scope(p13, "flaky", flaky).then(
        () => expect.fail("the load failed"),
        (err: Error) => expect(err.message).to.equal("down"),
      );
      failing = false;
      expect(await cache.scope(p13, "flaky", flaky)).to.equal("ok");
    } finally {
      await handle.close();
      await database.drop();
    }
  });
});

describeEachDialect("schedules, policies and loans' side rows kept until a rollback", (dialect) => {
  it("hands out one KeptHistory while no installment, policy or loan event is updated or deleted, a new one after", async () => {
    const database = createTestDatabase(dialect, "history");
    const handle = await database.open();
    try {
      const db = handle.db;
      const cache = createResponseCache(db, 1_000);
      await db.insertInto("cursor").values({ id: 1, chain_id: 31337, block_number: 10, block_hash: "0xaa", block_timestamp: 1_000 }).execute();
      const first = (await cache.position())!;
      expect(first).to.include({ block: 10, timestamp: 1_000 });
      const kept = cache.history(first)!;
      kept.keepSchedule(1, 0, [{ dueDate: 5n, principal: 100n, interest: 1n }]);
      // New rows (indexing goes on) leave what is kept right.
      const installment = { loan_id: 1, version: 0, idx: 0, due_date: 5, principal: "100", interest: "1", block_number: 10 };
      await db.insertInto("installments").values(installment).execute();
      const policy = { block_number: 10, log_index: 0, policy_id: 1, lender: "0xab", grace_days: 1, penalty_rate_bps: 0, late_fee: "0", substandard_after_days: 90, doubtful_after_days: 180, loss_after_days: 360, default_after_days: 90, reminder_offsets: "[]" };
      await db.insertInto("policies").values(policy).execute();
      const event = { block_number: 10, log_index: 1, loan_id: 1, tx_hash: "0xbb", block_timestamp: 1_000, contract: "CollectionLog" as const, name: "ActionRecorded" };
      await db.insertInto("loan_events").values(event).execute();
      const after = (await cache.position())!;
      expect(after.historyEpoch).to.equal(first.historyEpoch);
      expect(cache.history(after)).to.equal(kept);
      expect(kept.schedule(1, 0)?.[0].principal).to.equal(100n);
      // A rollback deletes rows: nothing kept before is handed out again.
      for (const table of [...HISTORY_TABLES, ...ROLLBACK_TABLES]) {
        const before = (await cache.position())!;
        await db.deleteFrom(table).execute();
        const rolledBack = (await cache.position())!;
        expect(rolledBack.historyEpoch, `delete from ${table}`).to.not.equal(before.historyEpoch);
        expect(cache.history(rolledBack)).to.not.equal(cache.history(before));
        expect(cache.history(rolledBack)!.schedule(1, 0)).to.equal(undefined);
      }
      expect(createResponseCache(db, 0).history(first)).to.equal(undefined);
    } finally {
      await handle.close();
      await database.drop();
    }
  });

  it("keeps the most recently used schedules up to its bound, and no empty one", () => {
    const kept = new KeptHistory(2);
    const s = (n: bigint) => [{ dueDate: n, principal: n, interest: 0n }];
    kept.keepSchedule(1, 0, s(1n));
    kept.keepSchedule(2, 0, s(2n));
    expect(kept.schedule(1, 0)).to.deep.equal(s(1n)); // 1 is now the most recently used
    kept.keepSchedule(3, 0, s(3n));
    expect(kept.schedule(2, 0)).to.equal(undefined);
    expect(kept.schedule(1, 0)).to.deep.equal(s(1n));
    expect(kept.schedule(3, 0)).to.deep.equal(s(3n));
    expect(kept.schedule(1, 1)).to.equal(undefined); // another version
    kept.keepSchedule(4, 0, []);
    expect(kept.schedule(4, 0)).to.equal(undefined);
  });

  it("keeps a loan's side rows for the updated_block they were read at, with the calls of any later window", () => {
    const kept = new KeptHistory(2);
    const call = (occurred_at: number) => ({ loan_id: 1, kind: Kind.ContactMade, occurred_at });
    const rows = { updatedBlock: 7, promises: [], reminder: undefined, callsSince: 100, calls: [call(100), call(150), call(200)] };
    kept.keepSideRows(1, rows);
    expect(kept.sideRows(1, 7, 100)).to.deep.equal(rows);
    expect(kept.sideRows(1, 8, 100), "the loan had an event since").to.equal(undefined);
    expect(kept.sideRows(1, 7, 99), "calls before the kept window").to.equal(undefined);
    expect(kept.sideRows(1, 7, 150)).to.deep.equal({ ...rows, callsSince: 150, calls: [call(150), call(200)] });
    expect(kept.sideRows(1, 7, 100)!.calls, "the kept rows are not cut").to.have.length(3);
    kept.keepSideRows(2, { ...rows, updatedBlock: 3 });
    expect(kept.sideRows(1, 7, 100)).to.not.equal(undefined); // 1 is now the most recently used
    kept.keepSideRows(3, rows);
    expect(kept.sideRows(2, 3, 100)).to.equal(undefined);
    expect(kept.sideRows(1, 7, 100)).to.not.equal(undefined);
    expect(kept.sideRows(3, 7, 100)).to.not.equal(undefined);
  });
});
