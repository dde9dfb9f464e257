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
 */
import type { Kysely } from "kysely";
import { Counter, type Registry } from "prom-client";
import type { Database } from "../../db/schema";

export interface ResponseCache {
  /** The current generation: the cursor's block number and hash, or undefined before the first block. */
  generation(): Promise<string | undefined>;
  get(generation: string, key: string): Buffer | undefined;
  /** Stores `body` if the cursor is still at `generation` (the handler may have read a later block). */
  set(generation: string, key: string, body: Buffer): Promise<void>;
  /** Per-generation memo of other values (the caller's scope). */
  memo<T>(generation: string, key: string, load: () => Promise<T>): Promise<T>;
}

export function createResponseCache(db: Kysely<Database>, maxBytes: number, registry?: Registry): ResponseCache {
  const lookups = new Counter({
    name: "duetrail_api_response_cache_total",
    help: "Cacheable GET requests by outcome (hit: served from the cache of the current indexed block)",
    labelNames: ["outcome"],
    registers: registry ? [registry] : [],
  });
  let current = "";
  /** Insertion order is recency order: a hit moves its entry to the end. */
  let entries = new Map<string, Buffer>();
  let memos = new Map<string, Promise<unknown>>();
  let bytes = 0;

  /** Moves to `generation`, dropping everything of the previous one. */
  function enter(generation: string): void {
    if (generation === current) return;
    current = generation;
    entries = new Map();
    memos = new Map();
    bytes = 0;
  }

  async function generation(): Promise<string | undefined> {
    const c = await db.selectFrom("cursor").select(["block_number", "block_hash"]).where("id", "=", 1).executeTakeFirst();
    return c ? `${c.block_number}:${c.block_hash}` : undefined;
  }

  return {
    generation,
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
    async set(gen, key, body) {
      if (maxBytes <= 0 || body.length > maxBytes) return;
      if ((await generation()) !== gen) return;
      enter(gen);
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
    },
    memo<T>(gen: string, key: string, load: () => Promise<T>): Promise<T> {
      if (maxBytes <= 0) return load();
      enter(gen);
      let p = memos.get(key) as Promise<T> | undefined;
      if (!p) {
        p = load();
        memos.set(key, p);
        // A failed load is not remembered.
        p.catch(() => {
          if (memos.get(key) === p) memos.delete(key);
        });
      }
      return p;
    },
  };
}
