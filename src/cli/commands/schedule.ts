/**
 * `duetrail schedule`: prints a generated repayment schedule as JSON.
 *
 *   npm run cli -- schedule --kind annuity --principal 1000000 --annual-rate-bps 1200 \
 *     --count 12 --first-due 2025-01-31 [--frequency monthly|quarterly]
 *
 * Bad input prints one line naming the flag to stderr and exits 2.
 */
import type { Command } from "commander";
import { UsageError } from "../lib/errors";
import {
  DomainError,
  MAX_INSTALLMENTS,
  MAX_PART_EXCLUSIVE,
  generateSchedule,
  parseIsoDate,
  scheduleTotals,
  toIsoString,
  type Frequency,
  type GenerateScheduleParameters,
  type Installment,
  type ScheduleKind,
} from "../../domain";

const KINDS: readonly ScheduleKind[] = ["annuity", "equal-principal", "interest-only"];
const FREQUENCIES: readonly Frequency[] = ["monthly", "quarterly"];

/** Raw option values as commander hands them over (all strings, possibly missing). */
export interface ScheduleCommandOptions {
  kind?: string;
  principal?: string;
  annualRateBps?: string;
  count?: string;
  firstDue?: string;
  frequency?: string;
}

/** A usage error: `message` is the one line to print (exit 2). */
export class ScheduleUsageError extends UsageError {
  override name = "ScheduleUsageError";
}

function required(flag: string, value: string | undefined): string {
  if (value === undefined) throw new ScheduleUsageError(`error: ${flag} is required`);
  return value;
}

/**
 * Validates raw options (by hand: each rule needs its own one-line message naming the flag) and
 * returns generator parameters.
 * @throws ScheduleUsageError with a one-line message naming the flag.
 */
export function parseScheduleOptions(raw: ScheduleCommandOptions): GenerateScheduleParameters {
  const kind = required("--kind", raw.kind);
  if (!(KINDS as readonly string[]).includes(kind)) {
    throw new ScheduleUsageError(`error: --kind must be one of ${KINDS.join(", ")}`);
  }
  const principal = required("--principal", raw.principal);
  if (!/^[1-9]\d*$/.test(principal)) {
    throw new ScheduleUsageError("error: --principal must be a positive integer in minor units");
  }
  if (BigInt(principal) >= MAX_PART_EXCLUSIVE) throw new ScheduleUsageError("error: --principal must be below 2^96");
  const rate = required("--annual-rate-bps", raw.annualRateBps);
  if (!/^\d{1,9}$/.test(rate)) {
    throw new ScheduleUsageError("error: --annual-rate-bps must be a non-negative integer (basis points)");
  }
  const count = required("--count", raw.count);
  if (!/^\d{1,3}$/.test(count) || Number(count) < 1 || Number(count) > MAX_INSTALLMENTS) {
    throw new ScheduleUsageError(`error: --count must be an integer from 1 to ${MAX_INSTALLMENTS}`);
  }
  const firstDue = required("--first-due", raw.firstDue);
  try {
    parseIsoDate(firstDue);
  } catch {
    throw new ScheduleUsageError("error: --first-due must be a calendar date YYYY-MM-DD (1970 or later)");
  }
  const frequency = raw.frequency ?? "monthly";
  if (!(FREQUENCIES as readonly string[]).includes(frequency)) {
    throw new ScheduleUsageError(`error: --frequency must be one of ${FREQUENCIES.join(", ")}`);
  }
  return {
    kind: kind as ScheduleKind,
    principal: BigInt(principal),
    annualRateBps: Number(rate),
    count: Number(count),
    firstDue,
    frequency: frequency as Frequency,
  };
}

/** The JSON document the command prints: 0-based indexes, decimal-string amounts, ISO dates. */
export function scheduleToJson(schedule: readonly Installment[]): object {
  const totals = scheduleTotals(schedule);
  return {
    installments: schedule.map((inst, index) => ({
      index,
      dueDate: toIsoString(inst.dueDate),
      principal: inst.principal.toString(),
      interest: inst.interest.toString(),
      total: (inst.principal + inst.interest).toString(),
    })),
    totals: {
      principal: totals.principal.toString(),
      interest: totals.interest.toString(),
      total: totals.total.toString(),
    },
  };
}

/** Registers `schedule` on the program. */
export function registerScheduleCommand(program: Command): void {
  const cmd = program
    .command("schedule")
    .description("Generate a repayment schedule and print it as JSON")
    .option("--kind <kind>", `schedule kind: ${KINDS.join(" | ")}`)
    .option("--principal <minor units>", "loan principal in minor units")
    .option("--annual-rate-bps <n>", "annual contract rate in basis points")
    .option("--count <n>", `number of installments (1..${MAX_INSTALLMENTS})`)
    .option("--first-due <YYYY-MM-DD>", "first due date (00:00:00 UTC)")
    .option("--frequency <frequency>", `${FREQUENCIES.join(" | ")} (default: monthly)`)
    // One line on bad input, not the help page.
    .showHelpAfterError(false);
  cmd.action((raw: ScheduleCommandOptions) => {
    try {
      const schedule = generateSchedule(parseScheduleOptions(raw));
      process.stdout.write(`${JSON.stringify(scheduleToJson(schedule), null, 2)}\n`);
    } catch (err) {
      if (err instanceof ScheduleUsageError) cmd.error(err.message, { exitCode: 2, code: "duetrail.usage" });
      if (err instanceof DomainError) cmd.error(`error: ${err.shortMessage}`, { exitCode: 2, code: "duetrail.usage" });
      throw err;
    }
  });
}
