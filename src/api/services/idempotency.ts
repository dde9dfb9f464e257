/**
 * Idempotency-Key support, in the database: a key belongs to its caller, remembers the
 * fingerprint of the request it first came with and, once that request succeeded, its response.
 * The same key with the same fingerprint gets that response again (after waiting for the first
 * request if it is still running, in this process or another) without doing the work twice; with
 * another fingerprint it is a 409. Failed requests are forgotten, so a client may retry them with
 * the same key. Keys are kept `ttlSec` (24 h) across restarts and shared by every API process on
 * the database; a caller holds at most `maxPerCaller` at once (429 beyond), so no caller can push
 * out another's. Times are the server's wall clock (an operational bound, not a ledger figure).
 */
import type { Kysely } from "kysely";
import type { Database } from "../../db/schema";
import { ConflictError, QuotaExceededError } from "./errors";
import { DAY_SECONDS } from "../../domain";

/** A response to replay: status and JSON body. */
export interface StoredResponse {
  status: number;
  body: unknown;
}

export interface IdempotencyStoreParameters {
  db: Kysely<Database>;
  /** Server clock in seconds. */
  now: () => number;
  /** How long a key is remembered, seconds (default 24 h). */
  ttlSec?: number;
  /** Keys one caller may hold at once (default 1,000). */
  maxPerCaller?: number;
  /** How long a request waits for another one running under its key, ms (default 30 s). */
  waitMs?: number;
  /** A pending key older than this (seconds) belongs to a request that died with its process (default 120 s). */
  abandonedAfterSec?: number;
}

export interface RunOptions {
  /**
   * For a key left pending by a request whose process died: the outcome of what it may have done
   * (a relayed transaction already sent), to answer with instead of doing it again; undefined when
   * nothing was done, and the request runs anew.
   */
  recover?: () => Promise<StoredResponse | undefined>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function createIdempotencyStore({ db, now, ttlSec = DAY_SECONDS, maxPerCaller = 1_000, waitMs = 30_000, abandonedAfterSec = 120 }: IdempotencyStoreParameters) {
  const row = (caller: string, key: string) => db.selectFrom("idempotency_keys").selectAll().where("caller", "=", caller).where("key", "=", key).executeTakeFirst();

  /** Inserts the pending row; false when the key is held already. */
  async function claim(caller: string, key: string, fingerprint: string): Promise<boolean> {
    const t = now();
    await db.deleteFrom("idempotency_keys").where("caller", "=", caller).where("created_at", "<=", t - ttlSec).execute();
    const held = await db
      .selectFrom("idempotency_keys")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("caller", "=", caller)
      .executeTakeFirstOrThrow();
    const inserted = await db
      .insertInto("idempotency_keys")
      .values({ caller, key, fingerprint, state: "pending", status: null, body: null, created_at: t })
      .onConflict((oc) => oc.columns(["caller", "key"]).doNothing())
      .returning("key")
      .executeTakeFirst();
    if (inserted && Number(held.n) >= maxPerCaller) {
      await db.deleteFrom("idempotency_keys").where("caller", "=", caller).where("key", "=", key).execute();
      throw new QuotaExceededError(`this caller already holds ${maxPerCaller} Idempotency-Keys of the last 24 h; retry without a key or later`, 3_600);
    }
    return inserted !== undefined;
  }

  return {
    /** Runs `fn` once per (caller, key, fingerprint); `replayed` tells whether the response was remembered. */
    async run(caller: string, key: string, fingerprint: string, fn: () => Promise<StoredResponse>, opts: RunOptions = {}): Promise<StoredResponse & { replayed: boolean }> {
      const deadline = Date.now() + waitMs;
      for (;;) {
        if (await claim(caller, key, fingerprint)) break;
        const r = await row(caller, key);
        if (!r) continue; // deleted meanwhile (the first request failed, or it expired): claim it
        if (r.fingerprint !== fingerprint) throw new ConflictError("this Idempotency-Key was used with a different request; use a new key for a new request");
        if (r.state === "done") return { status: r.status!, body: JSON.parse(r.body!) as unknown, replayed: true };
        if (now() - r.created_at >= abandonedAfterSec) {
          const recovered = opts.recover ? await opts.recover() : undefined;
          if (recovered) {
            await db.updateTable("idempotency_keys").set({ state: "done", status: recovered.status, body: JSON.stringify(recovered.body) }).where("caller", "=", caller).where("key", "=", key).execute();
            return { ...recovered, replayed: true };
          }
          await db.deleteFrom("idempotency_keys").where("caller", "=", caller).where("key", "=", key).where("state", "=", "pending").execute();
          continue;
        }
        if (Date.now() >= deadline) throw new ConflictError("a request with this Idempotency-Key is still running; retry shortly for its response");
        await sleep(100);
      }
      try {
        const response = await fn();
        await db
          .updateTable("idempotency_keys")
          .set({ state: "done", status: response.status, body: JSON.stringify(response.body) })
          .where("caller", "=", caller)
          .where("key", "=", key)
          .execute();
        return { ...response, replayed: false };
      } catch (err) {
        await db.deleteFrom("idempotency_keys").where("caller", "=", caller).where("key", "=", key).where("state", "=", "pending").execute();
        throw err;
      }
    },
  };
}

export type IdempotencyStore = ReturnType<typeof createIdempotencyStore>;
