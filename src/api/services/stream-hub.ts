/**
 * The one poll behind every GET /v1/stream of an API process. Each tick reads the cursor once
 * and, when it moved, the new events once (a page at a time, with the current collectors of the
 * page's loans), and writes each event to every live stream whose caller may see it and whose
 * `?events=`/`?loanId=` select it. Access follows the chain: when the blocks just read hold a role,
 * servicer or assignment change, the scopes of the accounts it names are resolved again before
 * the events are sent (every scope after a reorg). A stream ends when its token expires, or when
 * `ApiServices.isRevoked` says its token was revoked.
 *
 * A stream that resumes (Last-Event-ID) or falls behind (its client reads slower than events come)
 * is not live: it reads its own backlog from the database up to the hub's position, then joins
 * the fan-out. The hand-off is exact because the hub moves its position and writes to live
 * streams in one synchronous step per page, and a catching-up stream compares its position with
 * the hub's and goes live in one synchronous step too: no gap, no duplicate.
 *
 * Reorgs: the hub remembers the cursor blocks it read; when the cursor falls below the last one, or
 * that block's hash changed (the indexer rolled back and indexed past it between two ticks), the
 * fork is the highest remembered block still on the chain. Every stream past it gets
 * `event: reorg` and goes on from there.
 */
import { Gauge } from "prom-client";
import type { Address } from "viem";
import type { ApiServices } from "../context";
import { resolveScope, type Scope } from "../auth/scope";
import type { TokenClaims } from "../auth/tokens";
import { accessChanges, collectorsOf, comparePositions, nextEvents, selects, streamMessage, visibleTo, type StreamPosition, type StreamRow, type StreamSelection } from "./stream";
import { createSseWriter, sseFrame, type SseSink, type SseWriter } from "./sse";
import { findFork, type CursorBlock } from "./stream-fork";
import { createStreamSlots, type StreamSlot } from "./stream-slots";

export { type StreamSlot } from "./stream-slots";

/** Rows read per query; a full page is followed by another read at once. */
const PAGE = 500;
/** Above every log index of a block (log_index is a 32-bit integer column in PostgreSQL). */
export const AFTER_BLOCK = 2_147_483_647;
/** Cursor blocks remembered to find a fork (as many as the indexer's default reorg window). */
const REMEMBERED = 64;
/** Unread bytes past which a live stream leaves the fan-out and catches up from the database. */
const MAX_BUFFERED_BYTES = 1 << 20;
/** A stream whose socket does not drain for this long is closed. */
const DRAIN_TIMEOUT_MS = 30_000;

export const STREAM_DEFAULTS = { pollMs: 500, heartbeatMs: 15_000, maxPerCaller: 5, maxTotal: 1_000, authCheckMs: 5_000 } as const;

/** Why the server ended a stream (`event: end`, data `{ reason }`). */
export type StreamEndReason = "token_expired" | "token_revoked";

export interface StreamJoin {
  claims: TokenClaims;
  /** The caller's scope when the request was authenticated (resolved again before the stream goes live). */
  scope: Scope;
  selection: StreamSelection;
  /** Everything after this position is sent: Last-Event-ID, or the end of the cursor block at connect. */
  from: StreamPosition;
  /** The cursor read at connect; null before anything is indexed. */
  cursor: { block: number; hash: string } | null;
}

export interface StreamHub {
  /** Takes a slot for one more stream of `caller`; throws StreamLimitError (429) over a cap. */
  reserve(caller: Address): StreamSlot;
  /** Serves an opened event stream (headers and `ready` written) until it closes; starts the poll if idle. */
  join(slot: StreamSlot, sink: SseSink, init: StreamJoin): void;
  /** Runs one tick now (after any running one): tests drive a hub whose timer is slow. */
  poll(): Promise<void>;
  /** Open and live streams, polls so far, and whether a poll is scheduled (false once the last stream closed). */
  stats(): { open: number; live: number; polls: number; polling: boolean };
}

interface Conn {
  slot: StreamSlot;
  claims: TokenClaims;
  scope: Scope;
  /** Bumped when the hub sets the scope: a resolution started before it is stale. */
  scopeVersion: number;
  selection: StreamSelection;
  writer: SseWriter;
  /** Every event up to here that the stream selects and may see has been written. */
  position: StreamPosition;
  /** Served by the fan-out (else catching up on its own). */
  live: boolean;
  /** Date.now() after which the revocation hook is asked again. */
  nextAuthCheck: number;
}

const afterBlock = (block: number): StreamPosition => ({ block, logIndex: AFTER_BLOCK });
const positionOf = (row: StreamRow): StreamPosition => ({ block: row.block_number, logIndex: row.log_index });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Builds the hub of one app (registerStreamRoutes does it unless services.streamHub is given). */
export function createStreamHub(services: ApiServices): StreamHub {
  const { db, logger, options } = services;
  const pollMs = options.streamPollMs ?? STREAM_DEFAULTS.pollMs;
  const heartbeatMs = options.streamHeartbeatMs ?? STREAM_DEFAULTS.heartbeatMs;
  const maxPerCaller = options.streamMaxPerCaller ?? STREAM_DEFAULTS.maxPerCaller;
  const maxTotal = options.streamMaxTotal ?? STREAM_DEFAULTS.maxTotal;
  const authCheckMs = options.streamAuthCheckMs ?? STREAM_DEFAULTS.authCheckMs;

  const conns = new Set<Conn>();
  const { reserve } = createStreamSlots(maxPerCaller, maxTotal);
  /** Every live stream has been given every event up to here. */
  let position = afterBlock(-1);
  /** Cursor blocks read, oldest first. */
  let seen: CursorBlock[] = [];
  /** Bumped by each reorg: a catch-up page read before it is stale. */
  let epoch = 0;
  /** Accounts whose scope is resolved again at the next tick (all of them when refreshAll). */
  const refresh = new Set<string>();
  let refreshAll = false;
  let running = false;
  let timer: NodeJS.Timeout | undefined;
  let queue: Promise<void> = Promise.resolve();
  let polls = 0;

  new Gauge({
    name: "duetrail_api_streams_open",
    help: "Open GET /v1/stream connections",
    registers: [services.registry],
    collect() {
      this.set(conns.size);
    },
  });

  function join(slot: StreamSlot, sink: SseSink, init: StreamJoin): void {
    const conn: Conn = {
      slot,
      claims: init.claims,
      scope: init.scope,
      scopeVersion: 0,
      selection: init.selection,
      writer: createSseWriter(sink, { maxBufferedBytes: MAX_BUFFERED_BYTES, drainTimeoutMs: DRAIN_TIMEOUT_MS }),
      position: init.from,
      live: false,
      nextAuthCheck: Date.now() + authCheckMs,
    };
    if (conn.writer.closed) return slot.release(); // the client left while the request was read
    conns.add(conn);
    sink.on("close", () => leave(conn));
    if (!running) {
      running = true;
      position = afterBlock(init.cursor?.block ?? -1);
      seen = init.cursor ? [init.cursor] : [];
      refresh.clear();
      refreshAll = false;
      schedule();
    }
    void catchUp(conn, true);
  }

  function leave(conn: Conn): void {
    if (!conns.delete(conn)) return;
    conn.slot.release();
    if (conns.size === 0 && timer) {
      clearTimeout(timer);
      timer = undefined;
      running = false;
    }
  }

  function end(conn: Conn, reason: StreamEndReason): void {
    conn.writer.end({ event: "end", data: { reason } });
    leave(conn);
  }

  function schedule(): void {
    if (conns.size === 0) {
      running = false;
      return;
    }
    timer = setTimeout(() => {
      timer = undefined;
      void poll().then(schedule);
    }, pollMs);
  }

  function poll(): Promise<void> {
    queue = queue.then(() =>
      tick().catch((err: Error) => {
        // A failed tick (database briefly unavailable) is retried at the next; what was sent stays sent.
        logger.warn({ err: err.message }, "event stream poll failed");
      }),
    );
    return queue;
  }

  async function tick(): Promise<void> {
    polls++;
    if (conns.size === 0) return;
    const nowSec = services.now();
    for (const conn of conns) if (nowSec >= conn.claims.exp) end(conn, "token_expired");
    if (conns.size === 0) return;
    const c = await db.selectFrom("cursor").select(["block_number", "block_hash"]).where("id", "=", 1).executeTakeFirst();
    const cursor = c ? { block: c.block_number, hash: c.block_hash } : undefined;
    const last = seen[seen.length - 1];
    if (cursor && (!last || last.block !== cursor.block || last.hash !== cursor.hash)) {
      const fork = await findFork(db, seen, cursor);
      if (fork !== undefined) rewind(fork);
      if (cursor.block > position.block) for (const account of await accessChanges(db, position.block, cursor.block)) refresh.add(account);
    }
    await authorize();
    if (cursor) {
      await fanOut(afterBlock(cursor.block));
      seen = [...seen.filter((s) => s.block < cursor.block), cursor].slice(-REMEMBERED);
    }
    const now = Date.now();
    for (const conn of conns) if (now - conn.writer.lastWrite >= heartbeatMs) conn.writer.comment("keep-alive");
  }

  /** Streams past the fork get `reorg` and go on from it; catch-up pages in flight are dropped (epoch). */
  function rewind(fork: number): void {
    epoch++;
    const to = afterBlock(fork);
    if (comparePositions(position, to) > 0) position = to;
    for (const conn of conns) {
      if (comparePositions(conn.position, to) <= 0) continue;
      conn.writer.send({ event: "reorg", data: { block: fork } });
      conn.position = to;
    }
    seen = seen.filter((s) => s.block <= fork);
    refreshAll = true;
  }

  /** Scopes of the accounts whose access changed, then the revocation hook for the streams due. */
  async function authorize(): Promise<void> {
    const callers = [...new Set([...conns].map((c) => c.claims.sub))].filter((a) => refreshAll || refresh.has(a));
    const scopes = new Map(await Promise.all(callers.map(async (a) => [a, await resolveScope(db, a)] as const)));
    const refreshed = new Set(scopes.keys());
    for (const conn of conns) {
      const scope = scopes.get(conn.claims.sub);
      if (!scope) continue;
      conn.scope = scope;
      conn.scopeVersion++;
    }
    refresh.clear();
    refreshAll = false;
    const isRevoked = services.isRevoked;
    if (!isRevoked) return;
    const now = Date.now();
    const due = [...conns].filter((c) => refreshed.has(c.claims.sub) || now >= c.nextAuthCheck);
    const revoked = await Promise.all(due.map((c) => isRevoked(c.claims)));
    due.forEach((conn, i) => {
      conn.nextAuthCheck = now + authCheckMs;
      if (revoked[i]) end(conn, "token_revoked");
    });
  }

  /** Reads the events up to `to` a page at a time and writes each to the live streams that take it. */
  async function fanOut(to: StreamPosition): Promise<void> {
    while (comparePositions(position, to) < 0) {
      const rows = await nextEvents(db, undefined, position, to, PAGE);
      const collectors = await collectorsOf(db, rows.map((r) => r.loan_id));
      // From here to the end of the loop body nothing awaits: the page and the new position are one step.
      for (const row of rows) {
        const at = positionOf(row);
        let frame: string | undefined;
        for (const conn of conns) {
          if (!conn.live || comparePositions(at, conn.position) <= 0) continue;
          if (!selects(conn.selection, row) || !visibleTo(conn.scope, row.lender, collectors.get(row.loan_id), row.loan_id)) continue;
          frame ??= sseFrame(streamMessage(row));
          conn.writer.send(frame);
        }
      }
      position = rows.length < PAGE ? to : positionOf(rows[rows.length - 1]);
      for (const conn of conns) {
        if (!conn.live) continue;
        if (comparePositions(position, conn.position) > 0) conn.position = position;
        if (conn.writer.behind) void catchUp(conn, false); // its client reads slowly: it catches up on its own
      }
    }
  }

  /**
   * Writes a stream's backlog from the database up to the hub's position, then makes it live.
   * Waits for its socket between rows (a slow client slows only itself; one that stops reading is
   * closed after DRAIN_TIMEOUT_MS). A joining stream first resolves its caller's scope again: the
   * hub may have applied access changes after the request was authenticated.
   */
  async function catchUp(conn: Conn, joining: boolean): Promise<void> {
    conn.live = false;
    let scoped = !joining;
    while (conns.has(conn) && !conn.writer.closed) {
      try {
        if (!(await conn.writer.drained())) return;
        if (!scoped) {
          const version = conn.scopeVersion;
          const scope = await resolveScope(db, conn.claims.sub);
          if (conn.scopeVersion === version) conn.scope = scope;
          scoped = true;
        }
        const target = position;
        const at = epoch;
        if (comparePositions(conn.position, target) >= 0) {
          conn.live = true;
          return;
        }
        const rows = await nextEvents(db, { scope: conn.scope, ...conn.selection }, conn.position, target, PAGE);
        for (const row of rows) {
          if (at !== epoch || !conns.has(conn)) break;
          conn.writer.send(streamMessage(row));
          conn.position = positionOf(row);
          if (!(await conn.writer.drained())) return;
        }
        if (at === epoch && rows.length < PAGE && comparePositions(target, conn.position) > 0) conn.position = target;
      } catch (err) {
        logger.warn({ err: (err as Error).message }, "event stream catch-up failed");
        await sleep(pollMs);
      }
    }
  }

  return {
    reserve,
    join,
    poll,
    stats: () => ({ open: conns.size, live: [...conns].filter((c) => c.live).length, polls, polling: running }),
  };
}
