import { ConflictError } from "../errors";

/** A response to replay: status and JSON body. */
export interface StoredResponse {
  status: number;
  body: unknown;
}

interface Entry {
  fingerprint: string;
  expiresAt: number;
  response: Promise<StoredResponse>;
}

export interface IdempotencyStoreParameters {
  /** How long a key is remembered, in seconds (default 24 h). */
  ttlSec?: number;
  /** Most keys kept; the oldest are dropped first (default 10,000). */
  maxEntries?: number;
  /** Server clock in seconds (key expiry is not a chain figure). */
  now: () => number;
}

/**
 * Idempotency-Key support, in memory: a key (scoped by the caller) remembers the fingerprint of
 * the request it first came with and the successful response. The same key with the same
 * fingerprint gets that response again (also while the first request is still running, which it
 * waits for) without doing the work twice; with another fingerprint it is a 409. Failed requests
 * are forgotten, so a client may retry them with the same key. Records live `ttlSec` in this
 * process only: a restart forgets them, and replicas behind a load balancer do not share them.
 */
export function createIdempotencyStore({ ttlSec = 86_400, maxEntries = 10_000, now }: IdempotencyStoreParameters) {
  const entries = new Map<string, Entry>();

  const prune = () => {
    const t = now();
    for (const [k, e] of entries) if (e.expiresAt <= t) entries.delete(k);
    while (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
  };

  return {
    /** Runs `fn` once per (key, fingerprint); `replayed` tells whether the response was remembered. */
    async run(key: string, fingerprint: string, fn: () => Promise<StoredResponse>): Promise<StoredResponse & { replayed: boolean }> {
      const existing = entries.get(key);
      if (existing && existing.expiresAt > now()) {
        if (existing.fingerprint !== fingerprint) throw new ConflictError("this Idempotency-Key was used with a different request; use a new key for a new request");
        return { ...(await existing.response), replayed: true };
      }
      prune();
      const response = fn();
      const entry: Entry = { fingerprint, expiresAt: now() + ttlSec, response };
      entries.set(key, entry);
      try {
        return { ...(await response), replayed: false };
      } catch (err) {
        if (entries.get(key) === entry) entries.delete(key);
        throw err;
      }
    },
    get size() {
      return entries.size;
    },
  };
}

export type IdempotencyStore = ReturnType<typeof createIdempotencyStore>;
