/**
 * A small valid model file made in milliseconds (no book, no training run): both scorecards fitted
 * by the real trainScorecard on synthetic rows where the odds of paying fall with DPD and with the
 * amount overdue, so loans of a real fixture get distinct, ordered scores.
 */
import { FEATURE_NAMES, FEATURES, trainScorecard, type FeatureValue, type LoanFeatures } from "../../../src/domain";
import { MODEL_FORMAT, modelVersion, type ModelFile } from "../../../src/strategy/model-file";
import { DEFAULT_HORIZONS } from "../../../src/strategy/snapshots";
import { prng } from "../../../scripts/lib/prng";

/** A feature row with the given values (every other feature missing), as a delinquent loan's. */
export const featureRow = (values: Record<string, FeatureValue>, loanId = 1): LoanFeatures => ({
  loanId,
  t: 0n,
  dpd: 1n,
  open: true,
  values: Object.fromEntries(FEATURE_NAMES.map((n) => [n, values[n] ?? null])),
  amounts: { outstandingPrincipal: 0n, amountOverdue: 0n, penaltyAccrued: 0n },
});

export function tinyModel(seed = 11): ModelFile {
  const random = prng(seed);
  const rows: LoanFeatures[] = [];
  const ys: number[] = [];
  for (let i = 0; i < 4_000; i++) {
    const dpd = Math.floor(random() * 120);
    const overdue = Math.floor(random() * 400);
    rows.push(featureRow({ dpd, overdue_installments: overdue }, i));
    ys.push(random() < 1 / (1 + Math.exp(-(1.5 - dpd / 30 - overdue / 200))) ? 1 : 0);
  }
  const features = ["dpd", "overdue_installments"];
  const metrics = { trainSnapshots: rows.length, testSnapshots: 0, trainEventRate: 0.5, testEventRate: 0, auc: null, ks: null, brier: null, calibration: [] };
  const body: Omit<ModelFile, "version"> = {
    format: MODEL_FORMAT,
    trainedAt: 1_767_225_600,
    window: { from: 1_767_225_600 - 400 * 86_400, to: 1_767_225_600, testFrom: 1_767_225_600 - 90 * 86_400, dataEnd: 1_767_225_600, stepDays: 7 },
    horizons: DEFAULT_HORIZONS,
    lender: null,
    features: FEATURES.map((f) => ({ name: f.name, kind: f.kind, unit: f.unit, definition: f.definition })),
    dataHash: `0x${"ab".repeat(32)}`,
    scores: {
      behavioural: { target: "pays", scorecard: trainScorecard({ rows, ys, favourable: 1, features }), metrics },
      earlyWarning: { target: "falls behind", scorecard: trainScorecard({ rows, ys: ys.map((y) => 1 - y), favourable: -1, features }), metrics },
    },
  };
  return { ...body, version: modelVersion(body) } as ModelFile;
}
