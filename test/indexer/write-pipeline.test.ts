/**
 * The write pipeline (src/indexer/write-pipeline.ts) with a fake store: groups gather until due (by
 * events or age), writes land in order, on PostgreSQL a backfill write stays in flight (its loans
 * readable meanwhile) while SQLite waits for each, and a failed write clears the caches.
 */
import { expect } from "chai";
import type { DatabaseHandle } from "../../src/db/connect";
import type { LoanProjection } from "../../src/db/loans";
import { createLoanCache } from "../../src/indexer/loan-cache";
import { createIndexerMetrics } from "../../src/indexer/metrics";
import type { Cursor } from "../../src/indexer/store";
import { createWritePipeline, GROUP_MS } from "../../src/indexer/write-pipeline";

const cursorAt = (n: number): Cursor => ({ chainId: 1, blockNumber: n, blockHash: `h-${n}`, blockTimestamp: n });
const loan = (id: number) => ({ fixed: { loanId: id } }) as unknown as LoanProjection;

/** A fake writeBatch: records each write's cursors, and completes when the test says so. */
function fakeStore() {
  const writes: { from: number; to: number; done: () => void; fail: (err: Error) => void }[] = [];
  const write = ((_db: unknown, _batch: unknown, _headers: unknown, cursor: Cursor, _keep: number, from: Cursor) =>
    new Promise<void>((done, fail) => writes.push({ from: from.blockNumber, to: cursor.blockNumber, done, fail }))) as never;
  return { writes, write };
}

function setup(dialect: "sqlite" | "postgres", commitEvents = 3) {
  const store = fakeStore();
  const cache = createLoanCache(10);
  let clock = 0;
  const pipeline = createWritePipeline({
    database: { dialect, db: {} } as unknown as DatabaseHandle,
    cache,
    metrics: createIndexerMetrics(),
    commitEvents,
    write: store.write,
    now: () => clock,
  });
  return { pipeline, store, cache, tick: (ms: number) => (clock += ms) };
}

/** Stages a range from `from` to `to` with `events` events and loan `loanId` changed. */
function stageRange(pipeline: ReturnType<typeof setup>["pipeline"], from: number, to: number, events: number, loanId?: number) {
  const g = pipeline.group(cursorAt(from));
  g.batch.events += events;
  if (loanId !== undefined) g.batch.loans.set(loanId, loan(loanId));
  pipeline.stage(g, cursorAt(to), to - 5);
  return g;
}

describe("indexer: write pipeline", () => {
  it("gathers ranges in one group until it holds commitEvents events or is GROUP_MS old", () => {
    const { pipeline, tick } = setup("sqlite", 3);
    const g = stageRange(pipeline, 0, 10, 1);
    expect(pipeline.due(g)).to.equal(false);
    const same = stageRange(pipeline, 10, 20, 1);
    expect(same.batch).to.equal(g.batch); // the pending group goes on from where it was
    expect(pipeline.due(same)).to.equal(false);
    tick(GROUP_MS);
    expect(pipeline.due(same)).to.equal(true);
    const { pipeline: p2 } = setup("sqlite", 3);
    expect(p2.due(stageRange(p2, 0, 10, 3))).to.equal(true);
  });

  it("writes the group from the database's cursor to the last range's end, and SQLite waits for it", async () => {
    const { pipeline, store, cache } = setup("sqlite");
    stageRange(pipeline, 0, 10, 2, 7);
    stageRange(pipeline, 10, 20, 2);
    let written = false;
    const writing = pipeline.write(false).then(() => (written = true));
    await Promise.resolve();
    expect(store.writes.map((w) => [w.from, w.to])).to.deep.equal([[0, 20]]);
    expect(cache.projections.peek(7)).to.not.equal(undefined);
    await new Promise((r) => setImmediate(r));
    expect(written).to.equal(false);
    store.writes[0].done();
    await writing;
    expect(pipeline.written()).to.equal(4);
    expect(pipeline.group(cursorAt(20)).batch.events).to.equal(0); // a new group after the write
  });

  it("on PostgreSQL leaves a backfill write in flight, its loans readable, and writes the next group after it", async () => {
    const { pipeline, store } = setup("postgres");
    stageRange(pipeline, 0, 10, 1, 7);
    await pipeline.write(false);
    expect(store.writes).to.have.length(1);
    expect(pipeline.inFlightLoan(7)).to.not.equal(undefined);
    expect(pipeline.written()).to.equal(0);
    stageRange(pipeline, 10, 20, 1);
    const second = pipeline.write(false);
    await new Promise((r) => setImmediate(r));
    expect(store.writes).to.have.length(1); // waits for the first
    store.writes[0].done();
    await new Promise((r) => setImmediate(r));
    expect(store.writes.map((w) => [w.from, w.to])).to.deep.equal([[0, 10], [10, 20]]);
    await second;
    const flushed = pipeline.flush();
    store.writes[1].done();
    await flushed;
    expect(pipeline.written()).to.equal(2);
    expect(pipeline.inFlightLoan(7)).to.equal(undefined);
  });

  it("clears the caches when a write fails, and flush reports the error", async () => {
    const { pipeline, store, cache } = setup("postgres");
    cache.policies.set(1, {} as never);
    stageRange(pipeline, 0, 10, 1, 7);
    await pipeline.write(false);
    store.writes[0].fail(new Error("disk full"));
    let error: unknown;
    await pipeline.flush().catch((err: unknown) => (error = err));
    expect((error as Error).message).to.equal("disk full");
    expect(cache.projections.peek(7)).to.equal(undefined);
    expect(cache.policies.size).to.equal(0);
  });

  it("drops a discarded group unwritten", async () => {
    const { pipeline, store } = setup("sqlite");
    stageRange(pipeline, 0, 10, 1);
    pipeline.discard();
    await pipeline.flush();
    expect(store.writes).to.have.length(0);
  });
});
