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
import { createResponseCache } from "../../src/api/services/response-cache";
import { rpc } from "../support/chain";
import { createTestDatabase, describeEachDialect } from "../indexer/helpers/harness";
import { apiFixture, type ApiFixture, type Role } from "./fixture";
import { DAY_SECONDS as DAY } from "../../src/domain";


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

      let loads = 0;
      const load = async () => ++loads;
      expect(await cache.memo(g2, "scope:x", load)).to.equal(1);
      expect(await cache.memo(g2, "scope:x", load)).to.equal(1);
      await db.updateTable("cursor").set({ block_number: 11, block_hash: "0xcc" }).where("id", "=", 1).execute();
      expect(await cache.memo((await cache.generation())!, "scope:x", load)).to.equal(2);

      const off = createResponseCache(db, 0);
      const g = (await off.generation())!;
      await off.set(g, "a", Buffer.from("x"));
      expect(off.get(g, "a")).to.equal(undefined);
      expect(await off.memo(g, "m", load)).to.equal(3);
      expect(await off.memo(g, "m", load)).to.equal(4);
    } finally {
      await handle.close();
      await database.drop();
    }
  });
});
