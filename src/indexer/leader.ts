import pg from "pg";
import type { Logger } from "pino";
import { sleep } from "../chain/rpc";
import { StandbyStoppedError } from "./errors";

/**
 * Writer election for several indexers on one PostgreSQL: the writer holds a session advisory
 * lock on its own connection; the others poll for it. When the writer dies its connection closes
 * and PostgreSQL releases the lock, so a standby takes over within `pollMs`. When the writer's lock
 * connection breaks (terminated, network, server restart) the lock is gone while the process still
 * runs: `lost` says so, and the writer must stop writing (a standby may already be writing).
 */
export interface Leadership {
  /** Resolves when this process holds the lock (or rejects when aborted). */
  acquired: Promise<void>;
  /** Resolves, with the reason, if the lock is lost after it was acquired (never after release()). */
  lost: Promise<string>;
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
  const pollMs = opts.pollMs ?? 1_000;
  let connected = false;
  let holding = false;
  let released = false;
  let heartbeat: NodeJS.Timeout | undefined;
  let reportLost!: (reason: string) => void;
  const lost = new Promise<string>((resolve) => {
    reportLost = (reason) => {
      if (!holding || released) return;
      holding = false;
      clearInterval(heartbeat);
      resolve(reason);
    };
  });
  const acquired = (async () => {
    await client.connect();
    connected = true;
    let announced = false;
    for (;;) {
      const r = await client.query<{ ok: boolean }>("select pg_try_advisory_lock(hashtext($1)) as ok", [key]);
      if (r.rows[0].ok) {
        holding = true;
        opts.logger.info({ key }, "holding the writer lock");
        // A connection that died quietly is only noticed when used: ask it something now and then.
        heartbeat = setInterval(() => {
          client.query("select 1").catch((err: Error) => reportLost(`writer-lock connection failed: ${err.message}`));
        }, pollMs);
        heartbeat.unref();
        return;
      }
      if (!announced) {
        opts.logger.info({ key }, "another indexer is writing; standing by");
        announced = true;
      }
      opts.logger.debug({ key }, "the writer lock is still held elsewhere");
      if (opts.aborted()) throw new StandbyStoppedError();
      await sleep(pollMs);
    }
  })();
  // The lock lives as long as this connection; if it breaks, the lock is gone.
  client.on("error", (err) => {
    opts.logger.error({ err: err.message }, "writer-lock connection failed");
    reportLost(`writer-lock connection failed: ${err.message}`);
  });
  client.on("end", () => reportLost("writer-lock connection closed"));
  return {
    acquired,
    lost,
    async release() {
      released = true;
      clearInterval(heartbeat);
      if (connected) await client.end().catch(() => undefined);
    },
  };
}
