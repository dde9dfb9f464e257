/**
 * SQLite WAL checkpoints on a worker thread. By default the writing connection checkpoints inside
 * its own commits (every `wal_autocheckpoint` pages): it copies the WAL into the database file and
 * waits for two fsyncs, on the indexer's main thread. Here a second connection, on its own thread,
 * runs PASSIVE checkpoints (they never block the writer or readers) a few times a second, and the
 * writer's automatic ones are off. Same work, same durability, off the thread that decodes and
 * writes. Should the worker fail, the writer's automatic checkpoints come back, so the WAL never
 * grows without bound.
 */
import { Worker } from "node:worker_threads";
import { sql, type Kysely } from "kysely";
import type { Database } from "./schema";

/** How often the worker checkpoints (ms). */
const INTERVAL_MS = 250;
/** The writer's automatic checkpoint threshold (pages) when there is no worker. */
export const AUTOCHECKPOINT_PAGES = 10_000;

// Plain JavaScript (evaluated, so it runs the same under ts-node and from dist/).
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma("busy_timeout = 5000");
const timer = setInterval(() => db.pragma("wal_checkpoint(PASSIVE)"), workerData.intervalMs);
parentPort.on("message", () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export interface Checkpointer {
  /** Stops the worker (after its checkpoint in progress) and closes its connection. */
  stop(): Promise<void>;
}

/**
 * Moves the WAL checkpoints of the SQLite database file `file`, written through `db`, to a worker
 * thread. `onError` hears of a worker failure (the writer checkpoints by itself again by then).
 */
export async function startCheckpointer(db: Kysely<Database>, file: string, onError: (err: unknown) => void): Promise<Checkpointer> {
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver: require.resolve("better-sqlite3"), file, intervalMs: INTERVAL_MS } });
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  let stopping = false;
  worker.once("error", (err) => {
    if (stopping) return;
    sql`pragma wal_autocheckpoint = ${sql.raw(String(AUTOCHECKPOINT_PAGES))}`.execute(db).then(
      () => onError(err),
      () => onError(err),
    );
  });
  await sql`pragma wal_autocheckpoint = 0`.execute(db);
  return {
    async stop() {
      if (stopping) return exited;
      stopping = true;
      worker.postMessage("stop");
      await exited;
      await sql`pragma wal_autocheckpoint = ${sql.raw(String(AUTOCHECKPOINT_PAGES))}`.execute(db).catch(() => undefined);
    },
  };
}
