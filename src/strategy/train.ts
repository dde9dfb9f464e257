/**
 * Training: labelled snapshots from the indexed history (snapshots.ts), a strict time split, one
 * scorecard per score (src/domain/scorecard.ts) and its metrics on the held-out period.
 *
 * The split: a snapshot trains only when its outcome window ends by `testFrom`; the held-out
 * snapshots are those taken from `testFrom` on. So nothing the model learns from happened in the
 * period it is measured on, and no snapshot ever sees its own outcome.
 */
import crypto from "node:crypto";
import type { Kysely } from "kysely";
import type { Database } from "../db/schema";
import { DAY_SECONDS, FEATURES, scoreWith, trainScorecard, type Scorecard } from "../domain";
import { TrainingError } from "./errors";
import { auc, brier, calibration, ks } from "./metrics";
import { MODEL_FORMAT, modelVersion, type ModelFile, type ScoreMetrics } from "./model-file";
import { buildSnapshots, DEFAULT_HORIZONS, type Horizons, type ScoreKind, type Snapshot, type SnapshotProgress } from "./snapshots";

export interface TrainParameters {
  db: Kysely<Database>;
  /** Snapshot window (chain seconds). */
  from: number;
  to: number;
  /** Start of the held-out period (default: the last quarter of the window, on a snapshot step). */
  testFrom?: number;
  horizons?: Horizons;
  stepDays?: number;
  /** One lender's loans only. */
  lender?: string;
  onProgress?: (p: SnapshotProgress) => void;
}

export interface TrainResult {
  model: ModelFile;
  /** Every snapshot built (the backtest reuses the held-out ones). */
  snapshots: Snapshot[];
  /** Loans registered by the window's end (those with snapshots and those closed before any). */
  loans: number;
}

const TARGETS: Record<ScoreKind, (h: Horizons) => string> = {
  behavioural: (h) => `a delinquent loan pays at least its amount overdue (at the snapshot) within ${h.behaviouralDays} days`,
  earlyWarning: (h) => `a current loan reaches ${h.earlyWarningDpd}+ days past due within ${h.earlyWarningDays} days`,
};
/** The favourable outcome: paying (behavioural), not falling behind (early warning). */
const FAVOURABLE: Record<ScoreKind, 1 | -1> = { behavioural: 1, earlyWarning: -1 };
/** Fewest labelled snapshots of each class a score is trained on. */
export const MIN_EVENTS = 30;

/** The indexed head's chain time: outcomes are known up to it. */
export async function indexedHead(db: Kysely<Database>): Promise<number> {
  const c = await db.selectFrom("cursor").select("block_timestamp").where("id", "=", 1).executeTakeFirst();
  if (!c) throw new TrainingError("nothing is indexed yet: run the indexer first");
  return Number(c.block_timestamp);
}

/** SHA-256 over the snapshots in order (kind, loan, time, label, recovered, every feature value). */
export function snapshotsHash(snapshots: readonly Snapshot[]): string {
  const h = crypto.createHash("sha256");
  for (const s of snapshots) {
    h.update(`${s.kind}|${s.features.loanId}|${s.features.t}|${s.label}|${s.recovered}|${FEATURES.map((f) => s.features.values[f.name]).join(",")}\n`);
  }
  return `0x${h.digest("hex")}`;
}

function metricsOf(card: Scorecard, train: readonly Snapshot[], test: readonly Snapshot[]): ScoreMetrics {
  const ys = test.map((s) => s.label!);
  const p = test.map((s) => scoreWith(card, s.features).probability);
  const rate = (list: readonly Snapshot[]) => (list.length === 0 ? 0 : list.reduce((a, s) => a + s.label!, 0) / list.length);
  const nan = (x: number) => (Number.isNaN(x) ? null : x);
  return {
    trainSnapshots: train.length,
    testSnapshots: test.length,
    trainEventRate: rate(train),
    testEventRate: rate(test),
    auc: test.length ? nan(auc(p, ys)) : null,
    ks: test.length ? nan(ks(p, ys)) : null,
    brier: test.length ? nan(brier(p, ys)) : null,
    calibration: calibration(p, ys),
  };
}

/** Which held-out and training snapshots of one score the split gives. */
export function split(snapshots: readonly Snapshot[], kind: ScoreKind, testFrom: number, horizons: Horizons): { train: Snapshot[]; test: Snapshot[] } {
  const horizon = BigInt((kind === "behavioural" ? horizons.behaviouralDays : horizons.earlyWarningDays) * DAY_SECONDS);
  const train: Snapshot[] = [];
  const test: Snapshot[] = [];
  for (const s of snapshots) {
    if (s.kind !== kind || s.label === null) continue;
    if (s.features.t + horizon <= BigInt(testFrom)) train.push(s);
    else if (s.features.t >= BigInt(testFrom)) test.push(s);
  }
  return { train, test };
}

/** Builds the snapshots, fits both scores and measures them on the held-out period. */
export async function train(p: TrainParameters): Promise<TrainResult> {
  const horizons = p.horizons ?? DEFAULT_HORIZONS;
  const stepDays = p.stepDays ?? 7;
  const dataEnd = await indexedHead(p.db);
  if (p.from >= p.to) throw new TrainingError(`--from (${p.from}) must be before --to (${p.to})`);
  if (p.to > dataEnd) throw new TrainingError(`--to is after the indexed head (${new Date(dataEnd * 1000).toISOString()}): outcomes after it are unknown`);
  const step = stepDays * DAY_SECONDS;
  const testFrom = p.testFrom ?? p.from + Math.floor((0.75 * (p.to - p.from)) / step) * step;
  if (testFrom <= p.from || testFrom > p.to) throw new TrainingError(`--test-from must fall inside the window (after --from, not after --to)`);
  const { snapshots, loans } = await buildSnapshots(p.db, { from: p.from, to: p.to, stepDays, earlyWarningEvery: 4, dataEnd, horizons }, { lender: p.lender, onProgress: p.onProgress });
  const scores = {} as ModelFile["scores"];
  for (const kind of ["behavioural", "earlyWarning"] as const) {
    const { train: rows, test } = split(snapshots, kind, testFrom, horizons);
    const events = rows.reduce((a, s) => a + s.label!, 0);
    if (events < MIN_EVENTS || rows.length - events < MIN_EVENTS) {
      throw new TrainingError(
        `the ${kind} score has ${rows.length} training snapshots (${events} with the outcome) before ${new Date(testFrom * 1000).toISOString().slice(0, 10)}: at least ${MIN_EVENTS} of each outcome are needed; widen the window or move --test-from later`,
      );
    }
    const card = trainScorecard({ rows: rows.map((s) => s.features), ys: rows.map((s) => s.label!), favourable: FAVOURABLE[kind] });
    scores[kind] = { target: TARGETS[kind](horizons), scorecard: card, metrics: metricsOf(card, rows, test) };
  }
  const body: Omit<ModelFile, "version"> = {
    format: MODEL_FORMAT,
    trainedAt: dataEnd,
    window: { from: p.from, to: p.to, testFrom, dataEnd, stepDays },
    horizons,
    lender: p.lender ?? null,
    features: FEATURES.map((f) => ({ name: f.name, kind: f.kind, unit: f.unit, definition: f.definition })),
    dataHash: snapshotsHash(snapshots),
    scores,
  };
  return { model: { ...body, format: MODEL_FORMAT, version: modelVersion(body) } as ModelFile, snapshots, loans };
}
