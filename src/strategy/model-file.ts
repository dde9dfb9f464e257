/**
 * The versioned model file (JSON) and its model card (markdown). The version is derived from the
 * content (`m-` + 12 hex of its SHA-256), so two trainings on the same data and settings give the
 * same file, and a score stored with a version names exactly the card that made it.
 */
import crypto from "node:crypto";
import { z } from "zod";
import { BUCKET_LABELS, canonicalJson, FEATURES, type Scorecard } from "../domain";
import { ModelFileError } from "./errors";
import type { CalibrationBin } from "./metrics";
import type { Horizons, ScoreKind } from "./snapshots";

export const MODEL_FORMAT = "duetrail.strategy-model/1";

const finite = z.number().finite();
const binSchema = z.union([
  z.object({ upper: finite.nullable(), woe: finite, count: z.number().int(), targets: z.number().int() }).strict(),
  z.object({ missing: z.literal(true), woe: finite, count: z.number().int(), targets: z.number().int() }).strict(),
  z.object({ categories: z.array(z.string()).min(1), woe: finite, count: z.number().int(), targets: z.number().int() }).strict(),
  z.object({ other: z.literal(true), woe: finite, count: z.number().int(), targets: z.number().int() }).strict(),
]);
const scorecardSchema = z
  .object({
    favourable: z.union([z.literal(1), z.literal(-1)]),
    intercept: finite,
    scaling: z.object({ pdo: finite.positive(), baseScore: finite, baseOdds: finite.positive() }).strict(),
    features: z
      .array(
        z
          .object({
            name: z.string().refine((n) => FEATURES.some((f) => f.name === n), { error: (iss) => `no feature is called ${String(iss.input)}` }),
            bins: z.array(binSchema).min(1),
            coefficient: finite,
            meanPoints: finite,
            informationValue: finite,
          })
          .strict(),
      )
      .min(1),
  })
  .strict();
const calibrationSchema = z.object({ decile: z.number().int(), count: z.number().int(), meanPredicted: finite, observed: finite }).strict();
const metricsSchema = z
  .object({
    trainSnapshots: z.number().int(),
    testSnapshots: z.number().int(),
    trainEventRate: finite,
    testEventRate: finite,
    auc: finite.nullable(),
    ks: finite.nullable(),
    brier: finite.nullable(),
    calibration: z.array(calibrationSchema),
  })
  .strict();
const scoreSchema = z.object({ target: z.string(), scorecard: scorecardSchema, metrics: metricsSchema }).strict();

export const modelFileSchema = z
  .object({
    format: z.literal(MODEL_FORMAT),
    version: z.string().regex(/^m-[0-9a-f]{12}$/),
    /** Chain time of the newest data the model saw (the indexed head when trained). */
    trainedAt: z.number().int(),
    window: z.object({ from: z.number().int(), to: z.number().int(), testFrom: z.number().int(), dataEnd: z.number().int(), stepDays: z.number().int().positive() }).strict(),
    horizons: z.object({ behaviouralDays: z.number().int().positive(), earlyWarningDays: z.number().int().positive(), earlyWarningDpd: z.number().int().positive() }).strict(),
    lender: z.string().nullable(),
    features: z.array(z.object({ name: z.string(), kind: z.enum(["numeric", "category"]), unit: z.string(), definition: z.string() }).strict()),
    dataHash: z.string().regex(/^0x[0-9a-f]{64}$/),
    scores: z.object({ behavioural: scoreSchema, earlyWarning: scoreSchema }).strict(),
  })
  .strict();

export type ModelFile = z.infer<typeof modelFileSchema>;
export type ScoreMetrics = z.infer<typeof metricsSchema>;

/** The model's version: `m-` and 12 hex of the SHA-256 of its canonical JSON without the version. */
export function modelVersion(model: Omit<ModelFile, "version">): string {
  const { version: _v, ...rest } = model as ModelFile;
  return `m-${crypto.createHash("sha256").update(canonicalJson(rest)).digest("hex").slice(0, 12)}`;
}

/** Parses a model file's text, naming the field at fault. */
export function parseModelFile(text: string, source: string): ModelFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ModelFileError(`${source}: not JSON (${(err as Error).message})`);
  }
  const r = modelFileSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new ModelFileError(`${source}: ${i.path.join(".") || "(top level)"}: ${i.message}`);
  }
  if (modelVersion(r.data) !== r.data.version) throw new ModelFileError(`${source}: version ${r.data.version} does not match its content (${modelVersion(r.data)}): the file was edited`);
  return r.data;
}

/** The scorecard of one score. */
export const scorecardOf = (m: ModelFile, kind: ScoreKind): Scorecard => m.scores[kind].scorecard as Scorecard;

const day = (t: number) => new Date(t * 1000).toISOString().slice(0, 10);
const fmt = (x: number | null, digits = 3) => (x === null || Number.isNaN(x) ? "n/a" : x.toFixed(digits));

function binLabel(b: z.infer<typeof binSchema>, prev: number | null, feature: string): string {
  if ("missing" in b) return "none";
  if ("other" in b) return "other";
  if ("categories" in b) return b.categories.join(", ");
  const show = (v: number) => (feature === "bucket" ? BUCKET_LABELS[v] ?? String(v) : String(v));
  if (b.upper === null) return prev === null ? "any" : `> ${show(prev)}`;
  return prev === null ? `≤ ${show(b.upper)}` : `${show(prev)} < x ≤ ${show(b.upper)}`;
}

function calibrationTable(rows: readonly CalibrationBin[]): string {
  return ["| decile | snapshots | predicted | observed |", "|---|---|---|---|", ...rows.map((c) => `| ${c.decile} | ${c.count} | ${fmt(c.meanPredicted)} | ${fmt(c.observed)} |`)].join("\n");
}

/** The model card: data, features, performance, limits, fairness. */
export function modelCard(m: ModelFile): string {
  const section = (kind: ScoreKind, title: string) => {
    const s = m.scores[kind];
    const card = s.scorecard;
    const lines = [
      `### ${title}`,
      "",
      `Target: ${s.target}. Favourable outcome (more points): ${card.favourable === 1 ? "the target" : "not the target"}.`,
      `Scaling: ${card.scaling.baseScore} points at odds ${card.scaling.baseOdds}:1, ${card.scaling.pdo} points to double the odds.`,
      "",
      `| | train | held out |`,
      `|---|---|---|`,
      `| snapshots | ${s.metrics.trainSnapshots} | ${s.metrics.testSnapshots} |`,
      `| event rate | ${fmt(s.metrics.trainEventRate)} | ${fmt(s.metrics.testEventRate)} |`,
      `| AUC | | ${fmt(s.metrics.auc)} |`,
      `| KS | | ${fmt(s.metrics.ks)} |`,
      `| Brier | | ${fmt(s.metrics.brier, 4)} |`,
      "",
      "Calibration on the held-out snapshots:",
      "",
      calibrationTable(s.metrics.calibration),
      "",
      "Scorecard (points per bin; WOE = ln(share among targets / share among the others)):",
      "",
      "| feature | IV | bin | WOE | points |",
      "|---|---|---|---|---|",
    ];
    const n = card.features.length;
    const factor = card.scaling.pdo / Math.LN2;
    const offset = card.scaling.baseScore - factor * Math.log(card.scaling.baseOdds);
    for (const f of card.features) {
      let prev: number | null = null;
      for (const b of f.bins) {
        if (b.count === 0) continue;
        const points = card.favourable * factor * (f.coefficient * b.woe + card.intercept / n) + offset / n;
        lines.push(`| ${f.name} | ${fmt(f.informationValue)} | ${binLabel(b, prev, f.name)} | ${fmt(b.woe)} | ${Math.round(points)} |`);
        if ("upper" in b && b.upper !== null) prev = b.upper;
      }
    }
    return lines.join("\n");
  };
  return [
    `# Model card: ${m.version}`,
    "",
    "## Data",
    "",
    `Snapshots of every open loan${m.lender ? ` of lender ${m.lender}` : ""} every ${m.window.stepDays} days from ${day(m.window.from)} to ${day(m.window.to)} (chain time), built from the indexed history only (loans, schedule versions, repayments, actions, promises, disputes).`,
    `Trained on snapshots whose outcome window ends by ${day(m.window.testFrom)}; measured on the snapshots from ${day(m.window.testFrom)} on, whose outcomes are known by ${day(m.window.dataEnd)}. No snapshot sees its own outcome.`,
    `Data hash (SHA-256 of the snapshots, in order): \`${m.dataHash}\`.`,
    "",
    "## Features",
    "",
    "| feature | unit | definition |",
    "|---|---|---|",
    ...m.features.map((f) => `| ${f.name} | ${f.unit} | ${f.definition} |`),
    "",
    "## Performance",
    "",
    section("behavioural", "Behavioural score (delinquent loans)"),
    "",
    section("earlyWarning", "Early-warning score (current loans)"),
    "",
    "## Limits",
    "",
    "- A scorecard ranks loans like the ones it was trained on: a new product, a new lender or a changed collection practice needs a new training, and the held-out figures above are the only evidence of its accuracy.",
    "- The outcomes are the book's own history under its own collection practice: the score predicts what happened when loans were worked as they were, not what would happen if they were worked differently.",
    "- Snapshots of one loan are correlated (weekly views of one borrower); the held-out period is later in time than the training data, never a random split.",
    "",
    "## Fairness",
    "",
    "No protected attribute is used, and none is available: the chain and the indexed database hold no name, gender, age, ethnicity, address or contact data (borrower contact data lives encrypted off chain and is never read by the strategy). Every feature is a fact of the loan's repayment and collection history, listed above.",
    "",
  ].join("\n");
}
