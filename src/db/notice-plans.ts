/**
 * The lenders' notice plans (`notice_plans`, migration 0008): one row per version, the newest in
 * force. A row holds the plan's canonical JSON (src/notify/plan.ts) and its hash; setting the plan
 * in force again adds no version. A lender that never set one gets the built-in plan
 * (src/notify/default-plan.ts) as version 0, so a notice's `plan_version` 0 means "the built-in
 * plan" and every other number names a stored row.
 */
import type { Kysely } from "kysely";
import { getAddress, type Address, type Hex } from "viem";
import { DEFAULT_NOTICE_PLAN } from "../notify/default-plan";
import { NoticePlanError } from "../notify/errors";
import { canonicalPlan, noticePlanHash, parseNoticePlan, type NoticePlan } from "../notify/plan";
import { chunk } from "./chunk";
import { retryOnVersionClash } from "./versions";
import type { Database, NoticePlansTable } from "./schema";

/** The version number of the built-in plan. */
export const BUILT_IN_PLAN_VERSION = 0;

/** Who set the built-in plan. */
export const BUILT_IN_CREATED_BY = "duetrail";

/** A lender's plan at one version. */
export interface StoredNoticePlan {
  lender: Address;
  /** 1, 2, ... per lender; 0 for the built-in plan. */
  version: number;
  plan: NoticePlan;
  /** 0x SHA-256 of the plan's canonical JSON. */
  planHash: Hex;
  /** The caller that set it (an address through the API, `cli` or `cli:<name>` from the CLI). */
  createdBy: string;
  /** Server clock, unix seconds (0 for the built-in plan). */
  createdAt: number;
  builtIn: boolean;
}

/** What {@link setPlan} did. */
export interface SetPlanResult {
  version: number;
  planHash: Hex;
  /** false when the plan equals the one in force: no new version was made. */
  created: boolean;
}

/** The built-in plan, as `lender`'s version 0. */
export function builtInPlan(lender: Address): StoredNoticePlan {
  return { lender: getAddress(lender), version: BUILT_IN_PLAN_VERSION, plan: DEFAULT_NOTICE_PLAN, planHash: noticePlanHash(DEFAULT_NOTICE_PLAN), createdBy: BUILT_IN_CREATED_BY, createdAt: 0, builtIn: true };
}

/**
 * A stored row, its plan validated again: a plan stored by an older Duetrail may name a template
 * this one no longer has.
 * @throws NoticePlanError naming the lender and version.
 */
function fromRow(row: NoticePlansTable): StoredNoticePlan {
  let plan: NoticePlan;
  try {
    plan = parseNoticePlan(JSON.parse(row.plan));
  } catch (err) {
    throw new NoticePlanError(`notice plan of lender ${row.lender}, version ${row.version}, no longer validates: ${(err as Error).message}`, { cause: err });
  }
  return { lender: row.lender as Address, version: Number(row.version), plan, planHash: row.plan_hash as Hex, createdBy: row.created_by, createdAt: Number(row.created_at), builtIn: false };
}

async function latestRow(db: Kysely<Database>, lender: Address): Promise<NoticePlansTable | undefined> {
  return db.selectFrom("notice_plans").selectAll().where("lender", "=", lender).orderBy("version", "desc").limit(1).executeTakeFirst();
}

/**
 * Puts `plan` in force for `lender` as its next version (1 for the first), unless it equals the plan
 * in force (same canonical JSON): then nothing is written and that version is returned.
 * @param plan validated again here (nothing invalid is stored).
 * @param createdBy who sets it (never personal data).
 * @param now server clock, unix seconds.
 * @throws InvalidNoticePlanError (a NoticePlanError) naming every problem of the plan.
 */
export async function setPlan(db: Kysely<Database>, lender: Address, plan: unknown, createdBy: string, now: number): Promise<SetPlanResult> {
  const owner = getAddress(lender);
  const valid = parseNoticePlan(plan);
  const text = canonicalPlan(valid);
  const planHash = noticePlanHash(valid);
  return retryOnVersionClash(() =>
    db.transaction().execute(async (tx) => {
      const latest = await latestRow(tx, owner);
      if (latest?.plan_hash === planHash) return { version: Number(latest.version), planHash, created: false };
      const version = (latest ? Number(latest.version) : 0) + 1;
      await tx.insertInto("notice_plans").values({ lender: owner, version, plan: text, plan_hash: planHash, created_by: createdBy, created_at: now }).execute();
      return { version, planHash, created: true };
    }),
  );
}

/**
 * The plan in force for `lender`: its newest version, or the built-in plan (version 0).
 * @throws NoticePlanError when the stored plan no longer validates.
 */
export async function currentPlan(db: Kysely<Database>, lender: Address): Promise<StoredNoticePlan> {
  const owner = getAddress(lender);
  const row = await latestRow(db, owner);
  return row ? fromRow(row) : builtInPlan(owner);
}

/**
 * `lender`'s plan at `version` (0: the built-in plan); undefined when there is no such version.
 * @throws NoticePlanError when the stored plan no longer validates.
 */
export async function planVersion(db: Kysely<Database>, lender: Address, version: number): Promise<StoredNoticePlan | undefined> {
  const owner = getAddress(lender);
  if (version === BUILT_IN_PLAN_VERSION) return builtInPlan(owner);
  const row = await db.selectFrom("notice_plans").selectAll().where("lender", "=", owner).where("version", "=", version).executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

/** Lenders per query: one parameter each. */
const LENDERS_PER_QUERY = 500;

/**
 * The plans in force for `lenders` (the planner's batch), keyed by checksummed address; the
 * built-in plan for those without one.
 * @throws NoticePlanError when a stored plan no longer validates.
 */
export async function currentPlans(db: Kysely<Database>, lenders: readonly Address[]): Promise<Map<Address, StoredNoticePlan>> {
  const owners = [...new Set(lenders.map((l) => getAddress(l)))];
  const out = new Map<Address, StoredNoticePlan>();
  for (const part of chunk(owners, LENDERS_PER_QUERY)) {
    const rows = await db
      .selectFrom("notice_plans as p")
      .selectAll("p")
      .where("p.lender", "in", part)
      .where((eb) =>
        eb(
          "p.version",
          "=",
          eb.selectFrom("notice_plans as q").select((q) => q.fn.max("q.version").as("v")).whereRef("q.lender", "=", "p.lender"),
        ),
      )
      .execute();
    for (const row of rows) out.set(row.lender as Address, fromRow(row));
  }
  for (const owner of owners) if (!out.has(owner)) out.set(owner, builtInPlan(owner));
  return out;
}
