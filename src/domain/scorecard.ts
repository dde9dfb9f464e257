/**
 * Scorecard maths: features binned, each bin's weight of evidence (WOE), a logistic regression on
 * the WOE values, and the fit presented as points (points to double the odds, PDO), as credit
 * scorecards are. Reason codes name the features that cost a loan the most points against the
 * portfolio's average. Pure: src/strategy trains and stores; this computes.
 *
 * WOE of a bin = ln(share of the bin among targets / share among non-targets), each count plus
 * 0.5 so an empty class never gives ±∞. A score's points scale the log-odds of the favourable
 * outcome: `factor = PDO / ln 2`, `offset = baseScore − factor · ln(baseOdds)`.
 */
import { InvalidArgumentError } from "./errors";
import { FEATURES, type FeatureValue, type LoanFeatures } from "./features";
import { fitLogistic, sigmoid } from "./logistic";

/** A bin: numeric values ≤ `upper` (and above the previous bin's), the missing values, or some categories. */
export type Bin = ({ upper: number | null } | { missing: true } | { categories: string[] } | { other: true }) & {
  woe: number;
  count: number;
  targets: number;
};

export interface ScorecardFeature {
  name: string;
  bins: Bin[];
  coefficient: number;
  /** Mean points of this feature over the training population (the reason codes' baseline). */
  meanPoints: number;
  informationValue: number;
}

export interface Scaling {
  /** Points that double the odds of the favourable outcome. */
  pdo: number;
  baseScore: number;
  /** Favourable : unfavourable odds at baseScore. */
  baseOdds: number;
}

export interface Scorecard {
  /** The modelled event is `target = 1`; the favourable outcome is the target (1) or its absence (-1). */
  favourable: 1 | -1;
  intercept: number;
  features: ScorecardFeature[];
  scaling: Scaling;
}

export const DEFAULT_SCALING: Scaling = { pdo: 20, baseScore: 600, baseOdds: 50 };

export interface BinningOptions {
  /** Most bins for a numeric feature before merging. */
  maxBins?: number;
  /** Fewest rows (and at least 1 of each class) a bin keeps; smaller ones are merged. */
  minShare?: number;
}

const woeOf = (targets: number, rows: number, totalTargets: number, total: number) =>
  Math.log(((targets + 0.5) / (totalTargets + 0.5)) / ((rows - targets + 0.5) / (total - totalTargets + 0.5)));

type Group = { upper: number | null; count: number; targets: number };

/** Merges the adjacent pair of groups whose event rates are closest, until `ok` holds for all. */
function mergeUntil(groups: Group[], ok: (g: Group[], i: number) => boolean): Group[] {
  const gs = groups.slice();
  for (let bad = gs.findIndex((_, i) => !ok(gs, i)); bad >= 0 && gs.length > 1; bad = gs.findIndex((_, i) => !ok(gs, i))) {
    // Merge with the neighbour whose rate is closer (the last bin can only merge left).
    const rate = (g: Group) => g.targets / g.count;
    const left = bad > 0 ? Math.abs(rate(gs[bad - 1]!) - rate(gs[bad]!)) : Infinity;
    const right = bad < gs.length - 1 ? Math.abs(rate(gs[bad + 1]!) - rate(gs[bad]!)) : Infinity;
    const i = left <= right ? bad - 1 : bad;
    const a = gs[i]!;
    const b = gs[i + 1]!;
    gs.splice(i, 2, { upper: b.upper, count: a.count + b.count, targets: a.targets + b.targets });
  }
  return gs;
}

/**
 * Bins one feature over training rows: numeric values by quantiles, merged until every bin is
 * large enough and the event rate is monotonic across bins (a scorecard a reader can follow);
 * missing values in a bin of their own; categories each in a bin when large enough, the rest
 * (and any category unseen in training) in "other".
 */
export function binFeature(kind: "numeric" | "category", values: readonly FeatureValue[], ys: readonly number[], options: BinningOptions = {}): Bin[] {
  const total = values.length;
  const totalTargets = ys.reduce((a, y) => a + y, 0);
  const minCount = Math.max(1, Math.ceil((options.minShare ?? 0.02) * total));
  const woe = (g: { count: number; targets: number }) => woeOf(g.targets, g.count, totalTargets, total);
  const bins: Bin[] = [];
  if (kind === "category") {
    const by = new Map<string, Group>();
    values.forEach((v, i) => {
      const key = v === null ? "none" : String(v);
      const g = by.get(key) ?? { upper: null, count: 0, targets: 0 };
      g.count += 1;
      g.targets += ys[i]!;
      by.set(key, g);
    });
    const other = { count: 0, targets: 0 };
    for (const [key, g] of [...by].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (g.count >= minCount) bins.push({ categories: [key], count: g.count, targets: g.targets, woe: woe(g) });
      else {
        other.count += g.count;
        other.targets += g.targets;
      }
    }
    bins.push({ other: true, count: other.count, targets: other.targets, woe: other.count >= minCount ? woe(other) : 0 });
    return bins;
  }
  const present: [number, number][] = [];
  const missing = { count: 0, targets: 0 };
  values.forEach((v, i) => {
    if (v === null) {
      missing.count += 1;
      missing.targets += ys[i]!;
    } else if (typeof v !== "number") throw new InvalidArgumentError("values", `a numeric feature has the value ${JSON.stringify(v)}`);
    else present.push([v, ys[i]!]);
  });
  present.sort((a, b) => a[0] - b[0]);
  let groups: Group[] = [];
  const maxBins = options.maxBins ?? 10;
  for (let i = 0; i < present.length; ) {
    // A quantile cut, moved forward past equal values (a value never straddles two bins).
    let j = Math.min(present.length, i + Math.max(1, Math.ceil(present.length / maxBins)));
    while (j < present.length && present[j]![0] === present[j - 1]![0]) j++;
    const g = { upper: present[j - 1]![0], count: j - i, targets: 0 };
    for (let k = i; k < j; k++) g.targets += present[k]![1];
    groups.push(g);
    i = j;
  }
  if (groups.length > 0) {
    groups = mergeUntil(groups, (gs, i) => gs[i]!.count >= minCount && gs[i]!.targets > 0 && gs[i]!.targets < gs[i]!.count);
    const rate = (g: Group) => g.targets / g.count;
    const rising = rate(groups[groups.length - 1]!) >= rate(groups[0]!);
    groups = mergeUntil(groups, (gs, i) => i === 0 || (rising ? rate(gs[i]!) >= rate(gs[i - 1]!) : rate(gs[i]!) <= rate(gs[i - 1]!)));
    // The last bin is open above: values beyond anything seen in training fall in it.
    groups[groups.length - 1]!.upper = null;
  }
  for (const g of groups) bins.push({ upper: g.upper, count: g.count, targets: g.targets, woe: woe(g) });
  bins.push({ missing: true, count: missing.count, targets: missing.targets, woe: missing.count >= minCount ? woe(missing) : 0 });
  return bins;
}

/** The bin a value falls in. */
export function binOf(bins: readonly Bin[], value: FeatureValue): Bin {
  for (const b of bins) {
    if (value === null) {
      if ("missing" in b) return b;
    } else if ("categories" in b) {
      if (b.categories.includes(String(value))) return b;
    } else if ("upper" in b && typeof value === "number" && (b.upper === null || value <= b.upper)) return b;
  }
  const fallback = bins.find((b) => "other" in b || "missing" in b);
  if (!fallback) throw new InvalidArgumentError("bins", `no bin holds ${JSON.stringify(value)}`);
  return fallback;
}

/** Information value of a binning: Σ (share of targets − share of non-targets) · WOE. */
export function informationValue(bins: readonly Bin[]): number {
  const t = bins.reduce((a, b) => a + b.targets, 0);
  const n = bins.reduce((a, b) => a + b.count - b.targets, 0);
  return bins.reduce((a, b) => a + ((b.targets + 0.5) / (t + 0.5) - (b.count - b.targets + 0.5) / (n + 0.5)) * b.woe, 0);
}

const factorOf = (s: Scaling) => s.pdo / Math.LN2;
const offsetOf = (s: Scaling) => s.baseScore - factorOf(s) * Math.log(s.baseOdds);

/** Points of one feature's bin: its share of the score (the intercept and offset spread evenly). */
function pointsOf(card: Pick<Scorecard, "favourable" | "intercept" | "scaling">, n: number, coefficient: number, woe: number): number {
  const f = factorOf(card.scaling);
  return card.favourable * f * (coefficient * woe + card.intercept / n) + offsetOf(card.scaling) / n;
}

export interface TrainScorecardParameters {
  rows: readonly LoanFeatures[];
  ys: readonly number[];
  favourable: 1 | -1;
  /** Features to consider (all of the catalogue's by default). */
  features?: readonly string[];
  /** Keep features whose information value is at least this. */
  minInformationValue?: number;
  scaling?: Scaling;
  binning?: BinningOptions;
}

/**
 * Bins every feature, keeps the informative ones, fits the regression on their WOE values and
 * drops any feature whose coefficient comes out negative (it would read backwards: a collinear
 * copy of a stronger one), refitting until all are positive.
 */
export function trainScorecard(p: TrainScorecardParameters): Scorecard {
  const names = p.features ?? FEATURES.map((f) => f.name);
  const kinds = new Map(FEATURES.map((f) => [f.name, f.kind]));
  let candidates = names
    .map((name) => {
      const kind = kinds.get(name);
      if (!kind) throw new InvalidArgumentError("features", `no feature is called ${name}`);
      const bins = binFeature(kind, p.rows.map((r) => r.values[name] ?? null), p.ys, p.binning);
      return { name, bins, informationValue: informationValue(bins), woes: p.rows.map((r) => binOf(bins, r.values[name] ?? null).woe) };
    })
    .filter((c) => c.informationValue >= (p.minInformationValue ?? 0.02) && c.bins.filter((b) => b.count > 0).length > 1);
  for (;;) {
    if (candidates.length === 0) throw new InvalidArgumentError("rows", "no feature separates the outcomes: too little history, or a constant outcome");
    const fit = fitLogistic(
      p.rows.map((_, i) => candidates.map((c) => c.woes[i]!)),
      p.ys,
      { ridge: 1e-6 },
    );
    const worst = fit.coefficients.reduce((w, b, i) => (b < fit.coefficients[w]! ? i : w), 0);
    if (fit.coefficients[worst]! <= 0) {
      candidates = candidates.filter((_, i) => i !== worst);
      continue;
    }
    const scaling = p.scaling ?? DEFAULT_SCALING;
    const head = { favourable: p.favourable, intercept: fit.intercept, scaling };
    const n = candidates.length;
    return {
      ...head,
      features: candidates.map((c, i) => ({
        name: c.name,
        bins: c.bins,
        coefficient: fit.coefficients[i]!,
        informationValue: c.informationValue,
        meanPoints: c.woes.reduce((a, w) => a + pointsOf(head, n, fit.coefficients[i]!, w), 0) / c.woes.length,
      })),
    };
  }
}

/** A loan's score: the probability of the target event, points, and the reasons it lost most. */
export interface Score {
  /** P(target) in [0, 1]. */
  probability: number;
  /** Scorecard points (higher = more favourable), rounded. */
  points: number;
  /** Points of each feature, rounded, in the card's order. */
  parts: { name: string; points: number; value: FeatureValue }[];
  /** Up to three features that lowered the score most against the portfolio average, in words. */
  reasons: { feature: string; text: string; points: number }[];
}

const REASON_TEXT = new Map(FEATURES.map((f) => [f.name, f.reason]));

/** Scores one loan with `card`. */
export function scoreWith(card: Scorecard, features: LoanFeatures): Score {
  const n = card.features.length;
  let z = card.intercept;
  const parts = card.features.map((f) => {
    const value = features.values[f.name] ?? null;
    const woe = binOf(f.bins, value).woe;
    z += f.coefficient * woe;
    return { name: f.name, value, exact: pointsOf(card, n, f.coefficient, woe), mean: f.meanPoints };
  });
  const reasons = parts
    .map((x) => ({ feature: x.name, text: REASON_TEXT.get(x.name)!(x.value), below: x.exact - x.mean }))
    .filter((x) => x.below < -0.5)
    .sort((a, b) => a.below - b.below)
    .slice(0, 3)
    .map((x) => ({ feature: x.feature, text: x.text, points: Math.round(x.below) }));
  const total = parts.reduce((a, x) => a + x.exact, 0);
  return {
    probability: sigmoid(z),
    points: Math.round(total),
    parts: parts.map((x) => ({ name: x.name, points: Math.round(x.exact), value: x.value })),
    reasons,
  };
}
