/**
 * How well a score separates and how well it is calibrated, on held-out snapshots; and how much
 * of the next month's recoveries the first part of a queue captures under a given order.
 */

/** Area under the ROC curve (the Mann–Whitney statistic; tied scores count half). */
export function auc(scores: readonly number[], ys: readonly number[]): number {
  const idx = scores.map((_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let positives = 0;
  let rankSum = 0;
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]!] === scores[idx[i]!]) j++;
    const rank = (i + j) / 2 + 1; // average rank of the tie group (1-based)
    for (let k = i; k <= j; k++) {
      if (ys[idx[k]!]) {
        positives += 1;
        rankSum += rank;
      }
    }
    i = j + 1;
  }
  const negatives = idx.length - positives;
  if (positives === 0 || negatives === 0) return NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Kolmogorov–Smirnov statistic: the largest gap between the score distributions of positives and negatives. */
export function ks(scores: readonly number[], ys: readonly number[]): number {
  const idx = scores.map((_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  const positives = ys.reduce((a, y) => a + y, 0);
  const negatives = ys.length - positives;
  if (positives === 0 || negatives === 0) return NaN;
  let p = 0;
  let n = 0;
  let best = 0;
  for (let i = 0; i < idx.length; i++) {
    if (ys[idx[i]!]) p += 1;
    else n += 1;
    // Only between distinct scores: a tie group moves both curves at once.
    if (i + 1 < idx.length && scores[idx[i + 1]!] === scores[idx[i]!]) continue;
    best = Math.max(best, Math.abs(p / positives - n / negatives));
  }
  return best;
}

/** Brier score: mean squared error of the probabilities. */
export function brier(probabilities: readonly number[], ys: readonly number[]): number {
  return probabilities.reduce((a, p, i) => a + (p - ys[i]!) ** 2, 0) / probabilities.length;
}

export interface CalibrationBin {
  decile: number;
  count: number;
  meanPredicted: number;
  observed: number;
}

/** Predicted against observed rates by decile of the prediction (1 = lowest). */
export function calibration(probabilities: readonly number[], ys: readonly number[], bins = 10): CalibrationBin[] {
  const idx = probabilities.map((_, i) => i).sort((a, b) => probabilities[a]! - probabilities[b]!);
  const out: CalibrationBin[] = [];
  for (let d = 0; d < bins; d++) {
    const part = idx.slice(Math.floor((d * idx.length) / bins), Math.floor(((d + 1) * idx.length) / bins));
    if (part.length === 0) continue;
    out.push({
      decile: d + 1,
      count: part.length,
      meanPredicted: part.reduce((a, i) => a + probabilities[i]!, 0) / part.length,
      observed: part.reduce((a, i) => a + ys[i]!, 0) / part.length,
    });
  }
  return out;
}

/**
 * The share of `recovered` (summed over the queue) that the first `share` of the queue captures
 * when ordered by `before` (a comparator: negative when a comes first).
 */
export function captured<T extends { recovered: bigint }>(queue: readonly T[], before: (a: T, b: T) => number, share = 0.2): { captured: bigint; total: bigint } {
  const ordered = [...queue].sort(before);
  const top = Math.ceil(ordered.length * share);
  let captured = 0n;
  let total = 0n;
  ordered.forEach((x, i) => {
    total += x.recovered;
    if (i < top) captured += x.recovered;
  });
  return { captured, total };
}
