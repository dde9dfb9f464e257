/**
 * The lenders' strategies (`strategies`, migration 0010) and the model files they name
 * (`strategy_models`): one row per strategy version, the newest in force; setting the strategy in
 * force again adds no version. A strategy can only be set once its model (and its challenger's)
 * is stored, so a stored strategy always scores.
 */
import type { Kysely } from "kysely";
import { getAddress, type Address, type Hex } from "viem";
import { StrategyFileError } from "../strategy/errors";
import { parseModelFile, type ModelFile } from "../strategy/model-file";
import { canonicalStrategy, parseStrategy, strategyHash, type StrategyFile, type Treatment } from "../strategy/strategy-file";
import type { Database, StrategiesTable } from "./schema";
import { retryOnVersionClash } from "./versions";

export interface StoredStrategy {
  lender: Address;
  version: number;
  strategy: StrategyFile;
  /** 0x SHA-256 of the canonical JSON (what the chain records). */
  strategyHash: Hex;
  createdBy: string;
  /** Server clock, unix seconds. */
  createdAt: number;
}

export interface SetStrategyResult {
  version: number;
  strategyHash: Hex;
  /** false when the strategy equals the one in force: no new version. */
  created: boolean;
}

function fromRow(row: StrategiesTable): StoredStrategy {
  let strategy: StrategyFile;
  try {
    strategy = parseStrategy(JSON.parse(row.strategy));
  } catch (err) {
    throw new StrategyFileError(`strategy of lender ${row.lender}, version ${row.version}, no longer validates: ${(err as Error).message}`, { cause: err });
  }
  return { lender: row.lender as Address, version: Number(row.version), strategy, strategyHash: row.strategy_hash as Hex, createdBy: row.created_by, createdAt: Number(row.created_at) };
}

/** Stores a model file (idempotent: a version is its content's hash). */
export async function storeModel(db: Kysely<Database>, model: ModelFile): Promise<void> {
  await db
    .insertInto("strategy_models")
    .values({ version: model.version, model: JSON.stringify(model), trained_at: model.trainedAt })
    .onConflict((oc) => oc.column("version").doNothing())
    .execute();
}

/** Stored model files by version (missing ones left out). */
export async function loadModels(db: Kysely<Database>, versions: readonly string[]): Promise<Map<string, ModelFile>> {
  const out = new Map<string, ModelFile>();
  if (versions.length === 0) return out;
  const rows = await db.selectFrom("strategy_models").select(["version", "model"]).where("version", "in", [...new Set(versions)]).execute();
  for (const r of rows) out.set(r.version, parseModelFile(r.model, `stored model ${r.version}`));
  return out;
}

/** The model versions a strategy reads (its own and its challenger's). */
export const modelsOf = (s: StrategyFile) => [...new Set([s.model, ...(s.challenger?.model ? [s.challenger.model] : [])])];

/**
 * Puts `strategy` in force for `lender` as its next version, unless it equals the one in force.
 * @throws StrategyFileError when it does not validate or names a model that is not stored.
 */
export async function setStrategy(db: Kysely<Database>, lender: Address, strategy: unknown, createdBy: string, now: number): Promise<SetStrategyResult> {
  const owner = getAddress(lender);
  const valid = parseStrategy(strategy);
  const stored = await loadModels(db, modelsOf(valid));
  for (const m of modelsOf(valid)) if (!stored.has(m)) throw new StrategyFileError(`model ${m} is not stored: add its model file first (strategy set --model <file>)`);
  const text = canonicalStrategy(valid);
  const hash = strategyHash(valid);
  return retryOnVersionClash(() =>
    db.transaction().execute(async (tx) => {
      const latest = await tx.selectFrom("strategies").selectAll().where("lender", "=", owner).orderBy("version", "desc").limit(1).executeTakeFirst();
      if (latest?.strategy_hash === hash) return { version: Number(latest.version), strategyHash: hash, created: false };
      const version = (latest ? Number(latest.version) : 0) + 1;
      await tx.insertInto("strategies").values({ lender: owner, version, strategy: text, strategy_hash: hash, created_by: createdBy, created_at: now }).execute();
      return { version, strategyHash: hash, created: true };
    }),
  );
}

/** `lender`'s strategy in force (or at `version`); undefined when it has none (or no such version). */
export async function strategyOf(db: Kysely<Database>, lender: Address, version?: number): Promise<StoredStrategy | undefined> {
  let q = db.selectFrom("strategies").selectAll().where("lender", "=", getAddress(lender));
  q = version === undefined ? q.orderBy("version", "desc").limit(1) : q.where("version", "=", version);
  const row = await q.executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

/** The strategies in force of every lender that has one. */
export async function strategiesInForce(db: Kysely<Database>): Promise<Map<string, StoredStrategy>> {
  const rows = await db
    .selectFrom("strategies as s")
    .selectAll("s")
    .where(({ eb, selectFrom }) => eb("s.version", "=", selectFrom("strategies as t").select((e) => e.fn.max("t.version").as("v")).whereRef("t.lender", "=", "s.lender")))
    .execute();
  return new Map(rows.map((r) => [r.lender, fromRow(r as StrategiesTable)]));
}

/**
 * The treatment of each scored loan of `loanIds`: its strategy segment's, under the strategy
 * version that scored it (loans without a score are left out: the lender's plan applies as is).
 */
export async function treatmentsOf(db: Kysely<Database>, loanIds: readonly number[]): Promise<Map<number, Treatment>> {
  const out = new Map<number, Treatment>();
  if (loanIds.length === 0) return out;
  const rows = await db.selectFrom("loan_scores").select(["loan_id", "lender", "strategy_version", "segment", "arm"]).where("loan_id", "in", [...loanIds]).execute();
  const versions = new Map<string, Promise<StoredStrategy | undefined>>();
  for (const r of rows) {
    const key = `${r.lender}:${r.strategy_version}`;
    if (!versions.has(key)) versions.set(key, strategyOf(db, r.lender as Address, Number(r.strategy_version)));
  }
  for (const r of rows) {
    const stored = await versions.get(`${r.lender}:${r.strategy_version}`)!;
    const segments = r.arm === "challenger" && stored?.strategy.challenger ? stored.strategy.challenger.segments : stored?.strategy.segments;
    const treatment = segments?.find((x) => x.name === r.segment)?.treatment;
    if (treatment) out.set(Number(r.loan_id), treatment);
  }
  return out;
}

/** The notice plan's ruleset a treatment names (undefined: the plan's default rules). */
export const noticeSegmentOf = (t: Treatment | undefined) => (t && t.noticePlan !== "default" ? t.noticePlan : undefined);
