/**
 * Retention of evidence artifacts nobody cites: an artifact that no indexed action, promise, notice,
 * dispute or live batch leaf cites, and whose newest upload is older than the retention, is removed
 * (its upload rows, then its file). A cited artifact is never removed. Run periodically by the API
 * process (server.ts); the sweep itself takes its clock as an argument, so tests drive it directly.
 */
import fs from "node:fs";
import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { Database } from "../../db/schema";
import { citedAnywhere } from "./evidence-access";
import { listStore, removeArtifactUnless, settleLeftoverTrash } from "../../evidence/store";
import { DAY_SECONDS } from "../../domain";

/** Temporary files of uploads are removed once this old: an upload in flight never lasts a day. */
const TEMPORARY_MAX_AGE_SEC = DAY_SECONDS;

export interface SweepParameters {
  db: Kysely<Database>;
  dir: string;
  logger: Logger;
  /** Server clock, seconds (operational, not a ledger figure). */
  now: number;
  retentionDays: number;
}

export interface SweepReturnType {
  /** Artifacts removed: 0x digest and size (nothing else is logged: artifacts hold personal data). */
  removed: { sha256: string; size: number }[];
  /** Leftover temporary files of interrupted uploads removed. */
  temporaryRemoved: number;
}

/**
 * Removes never-cited artifacts older than the retention. Safe against an upload of the same bytes
 * racing it: the rows are deleted in a transaction that checks again that none is recent and nothing
 * cites the artifact (a concurrent upload's newer row is left alone), and the file is renamed aside
 * and put back if an upload row or a citation appeared meanwhile (uploads record their row before
 * placing their file).
 */
export async function sweepEvidence(p: SweepParameters): Promise<SweepReturnType> {
  const { db, dir } = p;
  const cutoff = p.now - p.retentionDays * DAY_SECONDS;
  const keep = (hash: string) => async () => (await hasUploads(db, hash)) || (await citedAnywhere(db, hash));
  const out: SweepReturnType = { removed: [], temporaryRemoved: 0 };

  const listing = await listStore(dir);
  // A removal interrupted by a stop: finish it (or put the file back).
  for (const t of listing.trash) {
    const size = await settleLeftoverTrash(dir, t, keep(`0x${t.hex}`));
    if (size !== undefined) out.removed.push({ sha256: `0x${t.hex}`, size });
  }

  const stale = await db
    .selectFrom("evidence_uploads")
    .select("sha256")
    .groupBy("sha256")
    .having((eb) => eb.fn.max("uploaded_at"), "<", cutoff)
    .execute();
  const candidates = new Set(stale.map((r) => r.sha256));
  // Files without any upload row (stored before uploads were recorded, or whose rows a removal
  // deleted before it stopped): judged by their modification time.
  const recorded = new Set((await db.selectFrom("evidence_uploads").select("sha256").distinct().execute()).map((r) => r.sha256));
  for (const a of listing.artifacts) if (!recorded.has(`0x${a.hex}`) && a.mtimeMs < cutoff * 1000) candidates.add(`0x${a.hex}`);

  for (const hash of candidates) {
    const released = await db.transaction().execute(async (trx) => {
      if (await citedAnywhere(trx, hash)) return false;
      const recent = await trx.selectFrom("evidence_uploads").select("loan_id").where("sha256", "=", hash).where("uploaded_at", ">=", cutoff).limit(1).executeTakeFirst();
      if (recent) return false;
      await trx.deleteFrom("evidence_uploads").where("sha256", "=", hash).where("uploaded_at", "<", cutoff).execute();
      return true;
    });
    if (!released) continue;
    const size = await removeArtifactUnless(dir, hash.slice(2), keep(hash));
    if (size !== undefined) out.removed.push({ sha256: hash, size });
  }

  for (const t of listing.temporary) {
    if (t.mtimeMs >= (p.now - TEMPORARY_MAX_AGE_SEC) * 1000) continue;
    await fs.promises.rm(t.path, { force: true });
    out.temporaryRemoved++;
  }
  for (const r of out.removed) p.logger.info({ sha256: r.sha256, size: r.size }, "evidence artifact removed: never cited within the retention");
  if (out.temporaryRemoved) p.logger.info({ count: out.temporaryRemoved }, "temporary files of interrupted evidence uploads removed");
  return out;
}

async function hasUploads(db: Kysely<Database>, hash: string): Promise<boolean> {
  return (await db.selectFrom("evidence_uploads").select("loan_id").where("sha256", "=", hash).limit(1).executeTakeFirst()) !== undefined;
}

/** How often the API process sweeps (hourly). */
export const EVIDENCE_SWEEP_INTERVAL_MS = 3_600_000;

/**
 * Sweeps a minute after start and then every `intervalMs`, on unref'd timers (they never keep the
 * process alive). A failed sweep is logged and tried again at the next tick. Returns stop(), which
 * waits for a sweep under way.
 */
export function startEvidenceSweeper(p: Omit<SweepParameters, "now"> & { now: () => number; intervalMs?: number }): { stop(): Promise<void> } {
  let running: Promise<unknown> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const tick = (delay: number) => {
    timer = setTimeout(() => {
      running = sweepEvidence({ ...p, now: p.now() })
        .catch((err: unknown) => p.logger.error({ err: err instanceof Error ? err.message : String(err) }, "evidence retention sweep failed"))
        .finally(() => {
          running = undefined;
          if (!stopped) tick(p.intervalMs ?? EVIDENCE_SWEEP_INTERVAL_MS);
        });
    }, delay);
    timer.unref();
  };
  tick(Math.min(60_000, p.intervalMs ?? EVIDENCE_SWEEP_INTERVAL_MS));
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
