import pg from "pg";
import type { Logger } from "pino";
import { sleep } from "./rpc";

/**
 * Writer election for several indexers on one PostgreSQL: the writer holds a session advisory
 * lock on its own connection; the others poll for it. When the writer dies its connection closes
 * and PostgreSQL releases the lock, so a standby takes over within `pollMs`.
 */
export interface Leadership {
  /** Resolves when this process holds the lock (or rejects when aborted). */
  acquired: Promise<void>;
  release(): Promise<void>;
}

/** The lock key: one writer per database schema and chain. */
export function lockKey(schema: string | undefined, chainId: number): string {
  return `duetrail-indexer:${schema ?? "public"}:${chainId}`;
}

export function electWriter(url: string, key: string, opts: { logger: Logger; pollMs?: number; aborted: () => boolean }): Leadership {
  const u = new URL(url);
  u.searchParams.delete("schema");
  const client = new pg.Client({ connectionString: u.toString() });
  let connected = false;
  const acquired = (async () => {
    await client.connect();
    connected = true;
    let announced = false;
    for (;;) {
      const r = await client.query<{ ok: boolean }>("select pg_try_advisory_lock(hashtext($1)) as ok", [key]);
      if (r.rows[0].ok) {
        opts.logger.info({ key }, "holding the writer lock");
        return;
      }
      if (!announced) {
        opts.logger.info({ key }, "another indexer is writing; standing by");
        announced = true;
      }
      if (opts.aborted()) throw new Error("stopped while standing by");
      await sleep(opts.pollMs ?? 1_000);
    }
  })();
  // The lock lives as long as this connection; if it breaks, stop writing.
  client.on("error", (err) => opts.logger.error({ err: err.message }, "writer-lock connection failed"));
  return {
    acquired,
    async release() {
      if (connected) await client.end().catch(() => undefined);
    },
  };
}
