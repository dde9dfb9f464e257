/**
 * The backtest: train on the earlier part of the history (train.ts, strict time split), then on
 * every held-out snapshot date line up the delinquent loans as each order would, and measure the
 * share of the next month's recoveries that the first 20% of the queue holds:
 *  - strategy: expected recovery, P(pays within the horizon) × amount overdue, highest first;
 *  - oldestDue: the current queue order (oldest due date first, then the larger amount);
 *  - largestAmount: the largest amount overdue first.
 * Shares are pooled over the dates (captured recoveries over all recoveries, summed).
 */
import { scoreWith, type LoanFeatures, type Scorecard } from "../domain";
import { captured } from "./metrics";
import { scorecardOf, type ModelFile } from "./model-file";
import type { Snapshot } from "./snapshots";
import { split, train, type TrainParameters } from "./train";

/** Top share of the queue judged (the 20%). */
export const TOP_SHARE = 0.2;
const PPM = 1_000_000;

export interface BacktestResult {
  /** The behavioural score's, on the held-out snapshots. */
  auc: number | null;
  ks: number | null;
  brier: number | null;
  top20: { strategy: number; oldestDue: number; largestAmount: number };
  /** strategy ÷ oldestDue (the target: ≥ 1.3). */
  liftOverOldestDue: number;
  earlyWarning: { auc: number | null; ks: number | null; brier: number | null };
  calibration: { behavioural: ModelFile["scores"]["behavioural"]["metrics"]["calibration"]; earlyWarning: ModelFile["scores"]["earlyWarning"]["metrics"]["calibration"] };
  loans: number;
  months: number;
  heldOut: { from: number; to: number; dates: number; queueEntries: number };
  model: ModelFile;
}

type Entry = { recovered: bigint; overdue: bigint; dpd: bigint; expected: bigint; loanId: number };
const desc = (a: bigint, b: bigint) => (a > b ? -1 : a < b ? 1 : 0);

/** Ties broken by loan id, so every order is a total order and the figures are reproducible. */
export const ORDERS: Record<keyof BacktestResult["top20"], (a: Entry, b: Entry) => number> = {
  strategy: (a, b) => desc(a.expected, b.expected) || a.loanId - b.loanId,
  oldestDue: (a, b) => desc(a.dpd, b.dpd) || desc(a.overdue, b.overdue) || a.loanId - b.loanId,
  largestAmount: (a, b) => desc(a.overdue, b.overdue) || a.loanId - b.loanId,
};

/** Expected recovery of a delinquent loan: P(pays) × amount overdue, in minor units (the probability in millionths, rounded down). */
export function expectedRecovery(card: Scorecard, f: LoanFeatures): bigint {
  const p = BigInt(Math.round(scoreWith(card, f).probability * PPM));
  return (p * f.amounts.amountOverdue) / BigInt(PPM);
}

/** Queue capture per order over the held-out behavioural snapshots, grouped by date. */
export function queueCapture(card: Scorecard, heldOut: readonly Snapshot[]): { top20: BacktestResult["top20"]; dates: number; entries: number } {
  const byDate = new Map<bigint, Entry[]>();
  for (const s of heldOut) {
    const list = byDate.get(s.features.t) ?? [];
    list.push({ recovered: s.recovered, overdue: s.features.amounts.amountOverdue, dpd: s.features.dpd, expected: expectedRecovery(card, s.features), loanId: s.features.loanId });
    byDate.set(s.features.t, list);
  }
  const sums = { strategy: [0n, 0n], oldestDue: [0n, 0n], largestAmount: [0n, 0n] } as Record<keyof typeof ORDERS, [bigint, bigint]>;
  for (const queue of byDate.values()) {
    for (const name of Object.keys(ORDERS) as (keyof typeof ORDERS)[]) {
      const c = captured(queue, ORDERS[name], TOP_SHARE);
      sums[name][0] += c.captured;
      sums[name][1] += c.total;
    }
  }
  const share = ([c, t]: [bigint, bigint]) => (t === 0n ? 0 : Number((c * 1_000_000n) / t) / 1_000_000);
  return { top20: { strategy: share(sums.strategy), oldestDue: share(sums.oldestDue), largestAmount: share(sums.largestAmount) }, dates: byDate.size, entries: heldOut.length };
}

/** Trains on the earlier history and measures on the held-out period. */
export async function backtest(p: TrainParameters): Promise<BacktestResult> {
  const { model, snapshots, loans } = await train(p);
  const { test } = split(snapshots, "behavioural", model.window.testFrom, model.horizons);
  const q = queueCapture(scorecardOf(model, "behavioural"), test);
  const b = model.scores.behavioural.metrics;
  const e = model.scores.earlyWarning.metrics;
  return {
    auc: b.auc,
    ks: b.ks,
    brier: b.brier,
    top20: q.top20,
    liftOverOldestDue: q.top20.oldestDue === 0 ? 0 : q.top20.strategy / q.top20.oldestDue,
    earlyWarning: { auc: e.auc, ks: e.ks, brier: e.brier },
    calibration: { behavioural: b.calibration, earlyWarning: e.calibration },
    loans,
    months: Math.round(((model.window.to - model.window.from) / (30 * 86_400)) * 10) / 10,
    heldOut: { from: model.window.testFrom, to: model.window.to, dates: q.dates, queueEntries: q.entries },
    model,
  };
}
