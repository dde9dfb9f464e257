/**
 * Labelled snapshots: each open loan seen at regular chain times, with its features as of that
 * time (src/domain/features.ts, the same function scoring uses) and what happened next — the
 * outcome is read from a second replay of the same history, further on, so a snapshot's features
 * never see its own outcome.
 *
 * - behavioural (the loan is delinquent, DPD ≥ 1): did it pay at least the amount overdue within
 *   the horizon (default 30 days)? Also: how much it paid then (the recoveries the queue order is
 *   judged by);
 * - early warning (the loan is current, DPD 0): did it reach 30+ DPD within 90 days?
 * A snapshot whose outcome window ends after the data does has no label (null).
 */
import type { Kysely } from "kysely";
import type { Database } from "../db/schema";
import { DAY, featuresAt, paidSince, replayHistory, worstDpdSince, type LoanFeatures, type LoanHistory } from "../domain";
import { HISTORY_CHUNK, loadHistories, loanIdsUntil } from "./history";

export type ScoreKind = "behavioural" | "earlyWarning";

export interface Horizons {
  /** Days the behavioural outcome is watched for (the 30 by default). */
  behaviouralDays: number;
  /** Days the early-warning outcome is watched for. */
  earlyWarningDays: number;
  /** The DPD an early warning predicts reaching. */
  earlyWarningDpd: number;
}

export const DEFAULT_HORIZONS: Horizons = { behaviouralDays: 30, earlyWarningDays: 90, earlyWarningDpd: 30 };

export interface Snapshot {
  kind: ScoreKind;
  features: LoanFeatures;
  lender: string;
  /** 1 when the outcome happened, 0 when not, null when its window is not over by the data's end. */
  label: 0 | 1 | null;
  /** Repaid within the behavioural horizon after the snapshot (minor units). */
  recovered: bigint;
}

export interface SnapshotPlan {
  /** First and last snapshot times (chain seconds); snapshots every `stepDays` from `from`. */
  from: number;
  to: number;
  stepDays: number;
  /** Early-warning snapshots on every n-th step only (current loans are many and change slowly). */
  earlyWarningEvery: number;
  /** Outcomes are known up to this chain time (the indexed head). */
  dataEnd: number;
  horizons: Horizons;
}

/** The snapshots of one loan. */
export function snapshotsOf(h: LoanHistory, plan: SnapshotPlan): Snapshot[] {
  const out: Snapshot[] = [];
  // Three replays of one history, each only moving forward: the features at t, and each outcome window's end.
  const now = replayHistory(h);
  const afterCure = replayHistory(h);
  const afterWarning = replayHistory(h);
  const step = BigInt(plan.stepDays) * DAY;
  const hb = BigInt(plan.horizons.behaviouralDays) * DAY;
  const he = BigInt(plan.horizons.earlyWarningDays) * DAY;
  const end = BigInt(plan.dataEnd);
  const until = (t: bigint, h: bigint) => (t + h < end ? t + h : end > t ? end : t);
  let k = 0;
  for (let t = BigInt(plan.from); t <= BigInt(plan.to); t += step, k++) {
    // A day after registration at least: a loan is not judged on the day it is lent.
    if (t < h.terms.registeredAt + DAY) continue;
    const f = featuresAt(now.advance(t));
    if (!f.open) break;
    if (f.dpd >= 1n) {
      const recovered = paidSince(afterCure.advance(until(t, hb)), t);
      const label = t + hb > end ? null : recovered >= f.amounts.amountOverdue ? 1 : 0;
      out.push({ kind: "behavioural", features: f, lender: h.lender, label, recovered });
    } else if (k % plan.earlyWarningEvery === 0) {
      const reached = worstDpdSince(afterWarning.advance(until(t, he)), t) >= BigInt(plan.horizons.earlyWarningDpd);
      out.push({ kind: "earlyWarning", features: f, lender: h.lender, label: t + he > end ? null : reached ? 1 : 0, recovered: 0n });
    }
  }
  return out;
}

export interface SnapshotProgress {
  loans: number;
  total: number;
  snapshots: number;
}

/** Every snapshot of the book's loans registered by `plan.to` (of `lender` only when given), loaded a chunk at a time. */
export async function buildSnapshots(
  db: Kysely<Database>,
  plan: SnapshotPlan,
  options: { lender?: string; onProgress?: (p: SnapshotProgress) => void } = {},
): Promise<{ snapshots: Snapshot[]; loans: number }> {
  const ids = await loanIdsUntil(db, plan.to, options.lender);
  const snapshots: Snapshot[] = [];
  const policies = new Map();
  const part = HISTORY_CHUNK * 4;
  for (let i = 0; i < ids.length; i += part) {
    const histories = await loadHistories(db, ids.slice(i, i + part), policies);
    for (const h of histories) snapshots.push(...snapshotsOf(h, plan));
    options.onProgress?.({ loans: Math.min(ids.length, i + part), total: ids.length, snapshots: snapshots.length });
  }
  return { snapshots, loans: ids.length };
}
