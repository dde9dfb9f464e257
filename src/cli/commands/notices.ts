/**
 * `duetrail notices plan`: a lender's notice plan (issue 15), which trigger sends which template on
 * which channels (src/notify/plan.ts describes the file).
 *
 *   npm run cli -- notices plan set --file plan.json --lender 0x...
 *   npm run cli -- notices plan show --lender 0x... [--version n]
 *
 * `set` validates the file first (every problem as `line N, field X: message`, exit 2, nothing
 * written), then stores it as the lender's next version; the plan in force set again makes no new
 * version. `show` prints the plan in force, or version n; a lender that never set one has the
 * built-in plan (version 0). Both work on the database only: no chain, no key.
 */
import type { Command } from "commander";
import { z } from "zod";
import { loadSettings, SETTINGS } from "../../config";
import { openDatabase } from "../../db/connect";
import { currentPlan, planVersion, setPlan } from "../../db/notice-plans";
import { NoticePlanError } from "../../notify/errors";
import { noticePlanSchema } from "../../notify/plan";
import { UsageError, action } from "../lib/errors";
import { address } from "../lib/fields";
import { flag } from "../lib/flags";
import { printJson, readJsonFile } from "../lib/json";

const DB_OPTION = `${SETTINGS.databaseUrl.flag} <path|url>`;
const DB_HELP = `SQLite file or postgres:// URL (env ${SETTINGS.databaseUrl.env})`;

function parse<T extends z.ZodType>(schema: T, raw: unknown): z.output<T> {
  const r = schema.safeParse(raw);
  if (!r.success) throw new UsageError(r.error.issues[0]!.message);
  return r.data;
}

/** A stored plan that no longer validates is the user's to replace (exit 2), not a crash. */
async function withPlans<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof NoticePlanError) throw new UsageError(`error: ${err.shortMessage}`);
    throw err;
  }
}

const setOptions = z.object({
  file: z.string({ error: "error: --file is required" }).min(1, "error: --file is required"),
  lender: flag("--lender", address({ nonZero: true })),
  db: z.string().optional(),
});

async function set(raw: Record<string, unknown>): Promise<void> {
  const o = parse(setOptions, raw);
  const settings = loadSettings(["databaseUrl"], { databaseUrl: o.db });
  const plan = readJsonFile(o.file, noticePlanSchema, "notice plan");
  const database = await openDatabase(settings.databaseUrl);
  try {
    const r = await withPlans(() => setPlan(database.db, o.lender, plan, "cli", Math.floor(Date.now() / 1000)));
    printJson({ lender: o.lender, file: o.file, ...r });
  } finally {
    await database.close();
  }
}

const showOptions = z.object({
  lender: flag("--lender", address({ nonZero: true })),
  version: z
    .string()
    .regex(/^(0|[1-9]\d{0,8})$/, "error: --version must be a plan version (0 for the built-in plan, 1, 2, ...)")
    .transform(Number)
    .optional(),
  db: z.string().optional(),
});

async function show(raw: Record<string, unknown>): Promise<void> {
  const o = parse(showOptions, raw);
  const settings = loadSettings(["databaseUrl"], { databaseUrl: o.db });
  const database = await openDatabase(settings.databaseUrl);
  try {
    const stored = await withPlans(async () => {
      if (o.version === undefined) return currentPlan(database.db, o.lender);
      const found = await planVersion(database.db, o.lender, o.version);
      if (found) return found;
      const now = await currentPlan(database.db, o.lender);
      throw new UsageError(`error: lender ${o.lender} has no notice plan version ${o.version} (the newest is ${now.version}${now.builtIn ? ", the built-in plan" : ""})`);
    });
    const { plan, ...about } = stored;
    printJson({ ...about, plan }); // the plan last: the facts about it stay on the first screen
  } finally {
    await database.close();
  }
}

/** Registers `notices` (plan set, plan show) on the program. */
export function registerNoticesCommand(program: Command): void {
  const notices = program.command("notices").description("lender: notices to borrowers (issue 15)");
  const plan = notices.command("plan").description("the lender's notice plan: which trigger sends which template on which channels");

  const st = plan
    .command("set")
    .description("validate a notice plan file and put it in force as the lender's next version")
    .option("--file <path>", "the plan, JSON (see src/notify/plan.ts)")
    .option("--lender <address>", "the lender whose plan it is")
    .option(DB_OPTION, DB_HELP)
    .showHelpAfterError(false)
    .addHelpText(
      "after",
      '\nA plan: {"version": 1, "webhook"?: {"url"}, "caps"?: {"perDay", "per7Days"}, "default": {"rules": [...]}, "segments"?: {"<name>": {"rules": [...]}}}\n' +
        'A rule: {"trigger", "when"?: {"minDpd", "maxDpd", "stage", "minOffsetDays", "maxOffsetDays", "classification"}, "dpd"? (DpdReached),\n' +
        '         "template", "channels": ["sms", "email", "letter"] (fallback order), "webhook"?: true, "kind"?: "reminder" | "notice"}\n' +
        "Exit status: 0 stored (or already in force), 2 bad input (nothing written).",
    );
  st.action(action(st, set));

  const sh = plan
    .command("show")
    .description("print the lender's plan in force (or --version n; 0 is the built-in plan)")
    .option("--lender <address>", "the lender whose plan it is")
    .option("--version <n>", "a stored version")
    .option(DB_OPTION, DB_HELP)
    .showHelpAfterError(false);
  sh.action(action(sh, show));
}
