/**
 * `duetrail strategy set | show | score`: a lender's collection strategy in force, and the scores
 * it gives the open loans.
 *
 *   npm run cli -- strategy set --file strategy.json --lender 0x... --model models/m-….json
 *   npm run cli -- strategy show --lender 0x... [--version n]
 *   npm run cli -- strategy score [--limit 10000]
 *
 * `set` stores the model file given (its version is its content's hash), fills in the strategy's
 * `model` when the file leaves it out, validates the strategy (every problem as `line N, field X`,
 * exit 2, nothing written) and stores it as the lender's next version. `score` runs one scoring
 * pass (src/strategy/scorer.ts) and prints what it did. All three work on the database only.
 */
import type { Command } from "commander";
import { z } from "zod";
import { loadSettings, SETTINGS } from "../../config";
import { openDatabase } from "../../db/connect";
import { setStrategy, storeModel, strategyOf } from "../../db/strategies";
import { StrategyError } from "../../strategy/errors";
import { parseModelFile } from "../../strategy/model-file";
import { scorePass } from "../../strategy/scorer";
import { strategyInputSchema } from "../../strategy/strategy-file";
import { UsageError, action } from "../lib/errors";
import { address } from "../lib/fields";
import { flag } from "../lib/flags";
import { chainNumber, printJson, readJsonFile, readTextFile } from "../lib/json";
import { parseConnectionOptions, withConnectionOptions } from "../lib/connection";
import { connectSigner, readPrivateKey, send, withSignerOptions } from "../lib/signer";
import { parseEventLogs } from "viem";
import { loanLedgerAbi } from "../../chain/abis";

const DB_OPTION = `${SETTINGS.databaseUrl.flag} <path|url>`;
const DB_HELP = `SQLite file or postgres:// URL (env ${SETTINGS.databaseUrl.env})`;

function parse<T extends z.ZodType>(schema: T, raw: unknown): z.output<T> {
  const r = schema.safeParse(raw);
  if (!r.success) throw new UsageError(r.error.issues[0]!.message);
  return r.data;
}

async function withDb<T>(db: string | undefined, fn: (database: Awaited<ReturnType<typeof openDatabase>>) => Promise<T>): Promise<T> {
  const settings = loadSettings(["databaseUrl"], { databaseUrl: db });
  const database = await openDatabase(settings.databaseUrl);
  try {
    return await fn(database);
  } catch (err) {
    if (err instanceof StrategyError) throw new UsageError(`error: ${err.shortMessage}`);
    throw err;
  } finally {
    await database.close();
  }
}

const setOptions = z.object({
  file: z.string({ error: "error: --file is required" }).min(1, "error: --file is required"),
  lender: flag("--lender", address({ nonZero: true })),
  model: z.string().optional(),
  db: z.string().optional(),
});

async function set(raw: Record<string, unknown>): Promise<void> {
  const o = parse(setOptions, raw);
  const model = o.model === undefined ? undefined : parseModelFile(readTextFile(o.model, "--model"), o.model);
  const input = readJsonFile(o.file, strategyInputSchema, "strategy");
  // The model named by --model fills in a strategy file that leaves `model` out.
  const modelVersion = input.model ?? model?.version;
  if (!modelVersion) throw new UsageError(`error: ${o.file} names no model: give the model file with --model`);
  const strategy = { ...input, model: modelVersion };
  if (model && strategy.model !== model.version && strategy.challenger?.model !== model.version) {
    throw new UsageError(`error: --model is ${model.version}, but the strategy reads ${strategy.model}${strategy.challenger?.model ? ` and ${strategy.challenger.model}` : ""}`);
  }
  await withDb(o.db, async (database) => {
    if (model) await storeModel(database.db, model);
    const r = await setStrategy(database.db, o.lender, strategy, "cli", Math.floor(Date.now() / 1000));
    printJson({ lender: o.lender, file: o.file, model: strategy.model, ...r });
  });
}

const showOptions = z.object({
  lender: flag("--lender", address({ nonZero: true })),
  version: z.string().regex(/^[1-9]\d{0,8}$/, "error: --version must be a strategy version (1, 2, ...)").transform(Number).optional(),
  db: z.string().optional(),
});

async function show(raw: Record<string, unknown>): Promise<void> {
  const o = parse(showOptions, raw);
  await withDb(o.db, async (database) => {
    const stored = await strategyOf(database.db, o.lender, o.version);
    if (!stored) throw new UsageError(`error: lender ${o.lender} has no strategy${o.version === undefined ? "" : ` version ${o.version}`}`);
    const { strategy, ...about } = stored;
    printJson({ ...about, strategy });
  });
}

const scoreOptions = z.object({
  limit: z.string().regex(/^[1-9]\d{0,6}$/, "error: --limit must be a whole number of loans (1–9999999)").transform(Number).optional(),
  watch: z.boolean().optional(),
  intervalMs: z.coerce.number().int().min(100, "error: --interval-ms must be at least 100").max(3_600_000, "error: --interval-ms must be at most 3600000").default(10_000),
  db: z.string().optional(),
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function score(raw: Record<string, unknown>): Promise<void> {
  const o = parse(scoreOptions, raw);
  await withDb(o.db, async (database) => {
    if (!o.watch) {
      const r = await scorePass(database.db, { limit: o.limit });
      printJson({ ...r, at: new Date(r.at * 1000).toISOString() });
      return;
    }
    // Watch: a pass whenever loans need it (a full pass goes again at once), else every interval; one JSON line per pass that did something.
    const limit = o.limit ?? 10_000;
    let stopped = false;
    process.once("SIGINT", () => (stopped = true));
    process.once("SIGTERM", () => (stopped = true));
    while (!stopped) {
      let r: Awaited<ReturnType<typeof scorePass>> | undefined;
      try {
        r = await scorePass(database.db, { limit });
        if (r.scored > 0 || r.removed > 0) process.stdout.write(`${JSON.stringify({ ...r, at: new Date(r.at * 1000).toISOString() })}\n`);
      } catch (err) {
        // Nothing indexed yet, or the database briefly away: the next round tries again.
        process.stderr.write(`strategy score: ${(err as Error).message.split("\n")[0]}; retrying\n`);
      }
      if (r && r.scored >= limit) continue;
      await sleep(o.intervalMs);
    }
  });
}

async function publish(raw: Record<string, unknown>): Promise<void> {
  const conn = parseConnectionOptions(raw);
  const key = readPrivateKey(raw);
  const s = await connectSigner(conn, key);
  const db = z.string().optional().parse(raw.db);
  const stored = await withDb(db, (database) => strategyOf(database.db, s.account.address));
  if (!stored) throw new UsageError(`error: lender ${s.account.address} has no strategy in force: strategy set first`);
  const receipt = await send(s, { address: s.deployment.loanLedger.address, abi: loanLedgerAbi, functionName: "setCollectionStrategy", args: [stored.strategyHash] });
  const [event] = parseEventLogs({ abi: loanLedgerAbi, logs: receipt.logs, eventName: "CollectionStrategySet" });
  printJson({
    lender: s.account.address,
    version: stored.version,
    strategyHash: event?.args.strategyHash,
    policyId: event?.args.policyId,
    txHash: receipt.transactionHash,
    blockNumber: chainNumber(receipt.blockNumber),
  });
}

/** Registers `strategy set`, `strategy show`, `strategy publish` and `strategy score` under `strategy`. */
export function registerStrategyAdmin(strategy: Command): void {
  const st = strategy
    .command("set")
    .description("validate a strategy file and put it in force as the lender's next version (with the model file it reads)")
    .option("--file <path>", "the strategy, JSON (see src/strategy/strategy-file.ts and test/cli/fixtures/strategy.json)")
    .option("--lender <address>", "the lender whose strategy it is")
    .option("--model <file>", "a model file (strategy train's output) to store; fills in the strategy's model when the file leaves it out")
    .option(DB_OPTION, DB_HELP)
    .showHelpAfterError(false)
    .addHelpText("after", "\nExit status: 0 stored (or already in force), 2 bad input (nothing written).");
  st.action(action(st, set));
  const sh = strategy
    .command("show")
    .description("print the lender's strategy in force (or --version n), with its hash")
    .option("--lender <address>", "the lender whose strategy it is")
    .option("--version <n>", "a stored version")
    .option(DB_OPTION, DB_HELP)
    .showHelpAfterError(false);
  sh.action(action(sh, show));
  const pb = strategy
    .command("publish")
    .description("record the hash of the lender's strategy in force on chain, with its policy (LoanLedger.setCollectionStrategy)")
    .option(DB_OPTION, DB_HELP)
    .showHelpAfterError(false)
    .addHelpText("after", "\nThe lender's key is read from LENDER_KEY (or --key-env NAME); the lender is its address.\nExit status: 0 recorded, 1 refused or failed on chain, 2 bad input (nothing sent).");
  withSignerOptions(withConnectionOptions(pb));
  pb.action(action(pb, publish));
  const sc = strategy
    .command("score")
    .description("score the open loans whose score is missing, a chain day old, older than their last event or of another strategy version")
    .option("--limit <n>", "loans at most in this pass (default 10000)")
    .option("--watch", "keep scoring: a pass every --interval-ms, at once again after a full one (stop with SIGINT or SIGTERM)")
    .option("--interval-ms <ms>", "with --watch: how often to look (default 10000)")
    .option(DB_OPTION, DB_HELP)
    .showHelpAfterError(false);
  sc.action(action(sc, score));
}
