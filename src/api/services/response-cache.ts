/**
 * Responses of the read-only GET routes, kept per indexed block.
 *
 * Every figure those routes serve is a function of the indexed chain at the cursor (its block
 * number and hash; time-dependent figures use the block's timestamp, never the server clock) and
 * of the caller, whose scope itself comes from the indexed chain. So the same caller asking for the
 * same URL at the same cursor gets the same bytes, and a response can be served again until the
 * cursor moves: a new block indexed, or a reorg (a new hash), starts a new generation and drops the
 * previous one whole. Nothing is cached across generations, so nothing is ever stale.
 *
 * Bounded by bytes (least recently used out first); 0 disables it.
 *
 * Callers' scopes are kept longer: a scope is read from tables whose every change raises
 * `cache_epochs.scopes` (migration 0017), so one stays right across blocks until that moves — unless
 * it also depends on the chain time (an agency's placements start and end with no event), then
 * only for its generation. Schedules, policies and loans' side rows (`history`) are kept until
 * `cache_epochs.history` moves (a rollback deleted some; migrations 0017 and 0025).
 */
import type { Kysely } from "kysely";
import { Counter, type Registry } from "prom-client";
import type { Database } from "../../db/schema";
import { preparedQuery } from "../../db/prepared";
import { KeptHistory } from "./kept-history";
import { freshRead } from "./fresh-read";
import { BlockMemo } from "./block-memo";
import { dialectOf } from "../../db/dialect";
import { sharedCursorOf } from "../auth/tokens";

/** Where the indexed chain is: the cache's generation, the cursor, and the counters of `cache_epochs`. */
export interface CachePosition {
  generation: string;
  block: number;
  timestamp: number;
  scopeEpoch: string;
  historyEpoch: string;
}

/** Scopes kept at most (least recently used out first). */
const MAX_SCOPES = 20_000;

export interface ResponseCache {
  /** The current generation: the cursor's block number and hash, or undefined before the first block. */
  generation(): Promise<string | undefined>;
  /** The current generation, cursor and epochs (one statement), or undefined before the first block. */
  position(): Promise<CachePosition | undefined>;
  /** Schedules, policies and loans' side rows kept while the history epoch stays at `at`'s (undefined when the cache is off). */
  history(at: CachePosition): KeptHistory | undefined;
  /** Values kept for `at`'s generation (src/api/services/block-memo.ts; undefined when the cache is off). */
  memo(at: CachePosition): BlockMemo | undefined;
  /** The response stored under `key` and counted as a hit or a miss; a hit is then the most recently used. */
  get(generation: string, key: string): Buffer | undefined;
  /** The response stored under `key` for `generation`, if any: not counted, and its recency unchanged. */
  peek(generation: string, key: string): Buffer | undefined;
  /**
   * Stores `body` if the cursor is still at `generation` (the handler may have read a later block),
   * and passes it to the other API processes unless `shared` is false. `route` names the route
   * that made it (routeOf), here and in the other processes.
   */
  set(generation: string, key: string, body: Buffer, shared?: boolean, route?: string): Promise<void>;
  /** The route that made a stored body, as set() was told. */
  routeOf(body: Buffer): string | undefined;
  /**
   * A caller's scope at `at`: loaded once, then kept while the scope epoch stays, or only for its
   * generation if the load says it is `timed` (depends on the chain time too).
   */
  scope<T>(at: CachePosition, key: string, load: () => Promise<{ scope: T; timed: boolean }>): Promise<T>;
}

const positionOf = preparedQuery((db) =>
  db
    .selectFrom("cursor")
    .innerJoin("cache_epochs", "cache_epochs.id", "cursor.id")
    .select(["cursor.block_number", "cursor.block_hash", "cursor.block_timestamp", "cache_epochs.scopes", "cache_epochs.history"])
    .where("cursor.id", "=", 1),
);

const generationOf = preparedQuery((db) => db.selectFrom("cursor").select(["block_number", "block_hash"]).where("id", "=", 1));

/** The generation ("block:hash") of a cursor row; {@link blockOf} reads its block back. */
const generationAt = (c: { block_number: number; block_hash: string }): string => `${c.block_number}:${c.block_hash}`;

/** The cache's position at a cursor row joined with `cache_epochs`. */
export function cachePositionOf(c: { block_number: number; block_hash: string; block_timestamp: number; scopes: number | string; history: number | string }): CachePosition {
  return {
    generation: generationAt(c),
    block: c.block_number,
    timestamp: c.block_timestamp,
    scopeEpoch: String(c.scopes),
    historyEpoch: String(c.history),
  };
}

/**
 * The API processes of one server sharing what they store (src/api/cluster.ts): a response one
 * process made is published to the others, which keep it for the same generation. Each process
 * still keeps its own copy and answers its hits without asking anyone.
 */
export interface CacheShare {
  publish(generation: string, key: string, body: Buffer, route?: string): void;
  subscribe(receive: (generation: string, key: string, body: Buffer, route?: string) => void): void;
}

/** The block number of a generation ("block:hash"). */
const blockOf = (generation: string): number => Number(generation.slice(0, generation.indexOf(":")));

export function createResponseCache(db: Kysely<Database>, maxBytes: number, registry?: Registry, share?: CacheShare): ResponseCache {
  const lookups = new Counter({
    name: "duetrail_api_response_cache_total",
    help: "Cacheable GET requests by outcome (hit: served from the cache of the current indexed block)",
    labelNames: ["outcome"],
    registers: registry ? [registry] : [],
  });
  let current = "";
  /** Insertion order is recency order: a hit moves its entry to the end. */
  let entries = new Map<string, Buffer>();
  let bytes = 0;
  let scopeEpoch = "";
  /** Scopes by key, each with the generation it was loaded at; insertion order is recency order. */
  let scopes = new Map<string, { generation: string; loaded: Promise<{ scope: unknown; timed: boolean }> }>();
  /** The route that made each stored body (kept with the body: it goes when the body goes). */
  const routes = new WeakMap<Buffer, string>();

  /** Moves to `generation`, dropping every response of the previous one. */
  function enter(generation: string): void {
    if (generation === current) return;
    current = generation;
    entries = new Map();
    bytes = 0;
  }

  async function position(): Promise<CachePosition | undefined> {
    const [c] = await positionOf(db, {});
    return c && cachePositionOf(c);
  }

  /**
   * The indexed generation now, read after the call: misses finishing together share one read
   * (under load most misses found one already queued). On PostgreSQL, where each read is a round
   * trip, it is the statement of the revocation checks read then (sharedCursorOf), which reads the
   * cursor anyway.
   */
  const generationOfCursor = (c: { block_number: number; block_hash: string } | undefined) => (c ? generationAt(c) : undefined);
  const reader = (): (() => Promise<string | undefined>) => {
    if (dialectOf(db) !== "postgres") return freshRead(async () => generationOfCursor((await generationOf(db, {}))[0]));
    const sharedCursor = sharedCursorOf(db);
    return async () => generationOfCursor(await sharedCursor());
  };
  // Chosen at the first read, not here: making a cache does not touch the database.
  let read: (() => Promise<string | undefined>) | undefined;
  const generation = (): Promise<string | undefined> => (read ??= reader())();

  type Loaded = Promise<{ scope: unknown; timed: boolean }>;

  /** The scope of `key` right at `at`: the kept one if still right there, else a new load. */
  function scopeAt(at: CachePosition, key: string, load: () => Loaded): Loaded {
    if (at.scopeEpoch !== scopeEpoch) {
      scopeEpoch = at.scopeEpoch;
      scopes = new Map();
    }
    const kept = scopes.get(key);
    if (!kept) return fresh(at, key, load);
    scopes.delete(key);
    scopes.set(key, kept);
    if (kept.generation === at.generation) return kept.loaded;
    // Loaded at another block: right here too, unless it depends on the chain time.
    return kept.loaded.then((k) => {
      if (!k.timed) return k;
      const now = scopes.get(key);
      return now && now !== kept && now.generation === at.generation ? now.loaded : fresh(at, key, load);
    });
  }

  function fresh(at: CachePosition, key: string, load: () => Loaded): Loaded {
    const loaded = load();
    const entry = { generation: at.generation, loaded };
    scopes.set(key, entry);
    if (scopes.size > MAX_SCOPES) scopes.delete(scopes.keys().next().value!);
    // A failed load is not remembered.
    loaded.catch(() => {
      if (scopes.get(key) === entry) scopes.delete(key);
    });
    return loaded;
  }

  /** Keeps `body` under `key` in the current generation, least recently used out past maxBytes. */
  function put(key: string, body: Buffer): void {
    const before = entries.get(key);
    if (before) bytes -= before.length;
    entries.delete(key);
    entries.set(key, body);
    bytes += body.length;
    for (const [k, v] of entries) {
      if (bytes <= maxBytes) break;
      entries.delete(k);
      bytes -= v.length;
    }
  }

  // Another process's response: its maker read the cursor at `gen` after making it, so a later
  // generation is never replaced by an earlier one here (a reorg's new hash at the same height is).
  share?.subscribe((gen, key, body, route) => {
    if (maxBytes <= 0 || body.length > maxBytes) return;
    if (gen !== current && current !== "" && blockOf(gen) < blockOf(current)) return;
    enter(gen);
    if (entries.has(key)) return;
    if (route !== undefined) routes.set(body, route);
    put(key, body);
  });

  let kept: { epoch: string; history: KeptHistory } | undefined;
  let memo: { generation: string; memo: BlockMemo } | undefined;

  return {
    generation,
    position,
    history(at) {
      if (maxBytes <= 0) return undefined;
      if (kept?.epoch !== at.historyEpoch) kept = { epoch: at.historyEpoch, history: new KeptHistory() };
      return kept.history;
    },
    memo(at) {
      if (maxBytes <= 0) return undefined;
      if (memo?.generation !== at.generation) memo = { generation: at.generation, memo: new BlockMemo() };
      return memo.memo;
    },
    get(gen, key) {
      if (maxBytes <= 0) return undefined;
      enter(gen);
      const body = entries.get(key);
      lookups.inc({ outcome: body ? "hit" : "miss" });
      if (body) {
        entries.delete(key);
        entries.set(key, body);
      }
      return body;
    },
    peek(gen, key) {
      return maxBytes > 0 && gen === current ? entries.get(key) : undefined;
    },
    async set(gen, key, body, shared = true, route) {
      if (maxBytes <= 0 || body.length > maxBytes) return;
      if ((await generation()) !== gen) return;
      enter(gen);
      if (route !== undefined) routes.set(body, route);
      put(key, body);
      if (shared) share?.publish(gen, key, body, route);
    },
    routeOf: (body) => routes.get(body),
    async scope<T>(at: CachePosition, key: string, load: () => Promise<{ scope: T; timed: boolean }>): Promise<T> {
      if (maxBytes <= 0) return (await load()).scope;
      return (await scopeAt(at, key, load)).scope as T;
    },
  };
}
