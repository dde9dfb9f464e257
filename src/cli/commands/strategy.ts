/**
 * `duetrail strategy`: the collection strategy's scores (issue 16), trained and measured on the
 * indexed history.
 *
 *   npm run cli -- strategy train --from 2026-02-01 --to 2027-12-01 [--test-from …] [--out models]
 *   npm run cli -- strategy backtest [--from …] [--to …] [--test-from …] [--out result.json]
 *
 * `train` writes the model file (`<out>/<version>.json`) and its model card (`<version>.md`);
 * `backtest` trains on the earlier history and prints what the held-out period shows (AUC, KS,
 * Brier, calibration, and the share of next-month recoveries in the first 20% of the queue under
 * each order). Dates are chain time, 00:00 UTC. Both read the database only: no chain, no key.
 */
import fs from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { z } from "zod";
import { loadSettings, SETTINGS } from "../../config";
import { openDatabase } from "../../db/connect";
import { backtest } from "../../strategy/backtest";
import { StrategyError } from "../../strategy/errors";
import { modelCard } from "../../strategy/model-file";
import { indexedHead, train, type TrainParameters } from "../../strategy/train";
import type { SnapshotProgress } from "../../strategy/snapshots";
import { UsageError, action } from "../lib/errors";
import { address, isoDate } from "../lib/fields";
import { printJson } from "../lib/json";
import { registerStrategyAdmin } from "./strategy-admin";

const DB_OPTION = `${SETTINGS.databaseUrl.flag} <path|url>`;
const DB_HELP = `SQLite file or postgres:// URL (env ${SETTINGS.databaseUrl.env})`;

const date = (name: string) => isoDate.transform((d) => Date.parse(`${d}T00:00:00Z`) / 1000).optional().describe(name);
const windowOptions = z.object({
  from: date("--from"),
  to: date("--to"),
  testFrom: date("--test-from"),
  horizonDays: z.string().regex(/^[1-9]\d{0,2}$/, "must be a whole number of days (1–999)").transform(Number).optional(),
  lender: address({ nonZero: true }).optional(),
  db: z.string().optional(),
  out: z.string().optional(),
});

function parse(raw: Record<string, unknown>): z.output<typeof windowOptions> {
  const r = windowOptions.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0]!;
    const flagName = `--${String(i.path[0]).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    throw new UsageError(`error: ${flagName}: ${i.message}`);
  }
  return r.data;
}

/** A strategy error is the user's request meeting the data (exit 2), not a crash. */
async function strategyErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    endProgress();
    if (err instanceof StrategyError) throw new UsageError(`error: ${err.shortMessage}`);
    throw err;
  }
}

let progressShown = false;
const progress = (p: SnapshotProgress) => {
  progressShown = true;
  process.stderr.write(`snapshots: ${p.loans}/${p.total} loans, ${p.snapshots} snapshots\r`);
};
/** Ends the progress line (before a result or an error). */
const endProgress = () => {
  if (progressShown) process.stderr.write("\n");
  progressShown = false;
};
const day = (t: number) => new Date(t * 1000).toISOString().slice(0, 10);

async function withWindow<T>(raw: Record<string, unknown>, needDates: boolean, fn: (p: TrainParameters, o: z.output<typeof windowOptions>) => Promise<T>): Promise<T> {
  const o = parse(raw);
  if (needDates && (o.from === undefined || o.to === undefined)) throw new UsageError("error: --from and --to are required (dates YYYY-MM-DD, chain time)");
  const settings = loadSettings(["databaseUrl"], { databaseUrl: o.db });
  const database = await openDatabase(settings.databaseUrl);
  try {
    return await strategyErrors(async () => {
      const head = await indexedHead(database.db);
      const first = await database.db.selectFrom("loans").select((eb) => eb.fn.min("registered_at").as("t")).executeTakeFirst();
      const from = o.from ?? Number(first?.t ?? head) + 30 * 86_400;
      const horizonDays = o.horizonDays ?? 30;
      const p: TrainParameters = {
        db: database.db,
        from,
        to: o.to ?? head,
        testFrom: o.testFrom,
        horizons: { behaviouralDays: horizonDays, earlyWarningDays: 90, earlyWarningDpd: 30 },
        lender: o.lender,
        onProgress: progress,
      };
      const r = await fn(p, o);
      endProgress();
      return r;
    });
  } finally {
    await database.close();
  }
}

async function trainCommand(raw: Record<string, unknown>): Promise<void> {
  await withWindow(raw, true, async (p, o) => {
    const { model } = await train(p);
    const dir = o.out ?? "models";
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${model.version}.json`);
    const card = path.join(dir, `${model.version}.md`);
    fs.writeFileSync(file, `${JSON.stringify(model, null, 2)}\n`);
    fs.writeFileSync(card, modelCard(model));
    const summary = (k: "behavioural" | "earlyWarning") => {
      const m = model.scores[k].metrics;
      return { features: model.scores[k].scorecard.features.map((f) => f.name).join(", "), trainSnapshots: m.trainSnapshots, testSnapshots: m.testSnapshots, auc: m.auc, ks: m.ks, brier: m.brier };
    };
    printJson({
      version: model.version,
      file,
      card,
      window: { from: day(model.window.from), to: day(model.window.to), testFrom: day(model.window.testFrom), dataEnd: day(model.window.dataEnd) },
      behavioural: summary("behavioural"),
      earlyWarning: summary("earlyWarning"),
    });
  });
}

async function backtestCommand(raw: Record<string, unknown>): Promise<void> {
  await withWindow(raw, false, async (p, o) => {
    const r = await backtest(p);
    const { model, calibration, ...figures } = r;
    const out = { ...figures, heldOut: { ...r.heldOut, from: day(r.heldOut.from), to: day(r.heldOut.to) }, calibration, model: model.version };
    if (o.out) fs.writeFileSync(o.out, `${JSON.stringify(out, null, 2)}\n`);
    const { calibration: _c, ...shown } = out;
    printJson(shown);
  });
}

/** Registers `strategy` (train, backtest) on the program. */
export function registerStrategyCommand(program: Command): void {
  const strategy = program.command("strategy").description("collection strategy: behavioural and early-warning scores (issue 16)");
  const common = (c: Command) =>
    c
      .option("--from <YYYY-MM-DD>", "first snapshot date (chain time)")
      .option("--to <YYYY-MM-DD>", "last snapshot date (chain time; not after the indexed head)")
      .option("--test-from <YYYY-MM-DD>", "start of the held-out period (default: the last quarter of the window)")
      .option("--horizon-days <n>", "days the behavioural outcome is watched for (default 30)")
      .option("--lender <address>", "one lender's loans only")
      .option(DB_OPTION, DB_HELP)
      .showHelpAfterError(false);
  const tr = common(strategy.command("train").description("fit the scores on labelled snapshots; write the model file and its model card"));
  tr.option("--out <dir>", "folder for <version>.json and <version>.md (default models)");
  tr.addHelpText("after", "\nExit status: 0 written, 2 bad input or too little history (nothing written).");
  tr.action(action(tr, trainCommand));
  const bt = common(strategy.command("backtest").description("train on the earlier history, measure on the held-out period against today's queue orders"));
  bt.option("--out <file>", "also write the result (with calibration by decile) as JSON");
  bt.addHelpText("after", "\nDefaults: from 30 days after the first registration to the indexed head.\nExit status: 0 done, 2 bad input or too little history.");
  bt.action(action(bt, backtestCommand));
  registerStrategyAdmin(strategy);
}
