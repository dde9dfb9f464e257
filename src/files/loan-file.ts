/**
 * A file of loans to register, JSON or CSV, validated row by row before anything is sent. Every
 * problem is kept (not only the first) as `line N, field X: message`, with N the line in the
 * file the value is on: the CSV record's line, or the JSON value's line.
 *
 * Row fields: borrower, borrowerRef (0x + 32 bytes: the salted hash of the borrower's identity),
 * token or currency (exactly one), principal (minor units), contractRateBps, utcOffsetMinutes,
 * jurisdiction (ISO 3166: "CN", "GB", "US-CA"; optional when the caller gives the file's default), and either `schedule` (JSON only: [{dueDate, principal, interest}]) or the generator fields
 * kind, count, firstDue, frequency (default monthly), annualRateBps (default contractRateBps).
 *
 * Pure (the text and the chain's facts are given): the CLI's `loans register` and the console's
 * register page validate with this same code, so both report the same problems.
 */
import { z } from "zod";
import { stringToHex, zeroAddress, type ContractFunctionArgs } from "viem";
import type { loanLedgerAbi } from "../chain/abis";
import { MAX_INSTALLMENTS } from "../domain/constants";
import { toIsoString } from "../domain/dates";
import {
  DomainError,
  DueDateTooLateError,
  DueDatesNotIncreasingError,
  EmptyInstallmentError,
  FirstDueNotAfterNowError,
  InstallmentCountError,
  InstallmentPartOutOfRangeError,
  InvalidArgumentError,
  PrincipalMismatchError,
} from "../domain/errors";
import { generateSchedule, validateSchedule } from "../domain/schedule";
import { JURISDICTION_PATTERN, encodeJurisdiction } from "../domain/jurisdiction";
import type { Installment } from "../domain/types";
import { FileFormatError } from "./errors";
import { address, amount, bytes32, currencyCode, int, isoDate, unixTime } from "./fields";
import { fieldName, type JsonPath } from "./located-json";
import { readRowFile, type RowProblem } from "./row-file";

/** LoanLedger's LoanParams, as viem encodes it. */
export type LoanParams = ContractFunctionArgs<typeof loanLedgerAbi, "nonpayable", "registerLoans">[0][number];

/** One problem in the file. */
export type { RowProblem } from "./row-file";

/** A valid row: where it was and what it registers. */
export interface LoanRow {
  line: number;
  params: LoanParams;
}

/** What validation needs from the chain: its time, and the legal caps with the lender's penalty rate. */
export interface LoanFileContext {
  /** Latest block timestamp: first due dates must be after it. */
  now: bigint;
  /** The global cap (a jurisdiction without a cap of its own, or of its country, gets it). */
  maxAnnualRateBps?: number;
  /** The cap a loan registered now under each jurisdiction gets (LoanLedger.jurisdictionCapOf), where known. */
  capOf?: (jurisdiction: string) => number | undefined;
  /** The jurisdiction of rows that name none (the CLI's --jurisdiction); without it the column is required. */
  defaultJurisdiction?: string;
  /** The penalty rate of the lender's current policy (registration adds it to the contract rate). */
  penaltyRateBps?: number;
}

const KINDS = ["annuity", "equal-principal", "interest-only"] as const;
const FREQUENCIES = ["monthly", "quarterly"] as const;

const installmentSchema = z.strictObject({ dueDate: unixTime, principal: amount(), interest: amount() });

/** One row, as zod checks it field by field (cross-field rules come after). */
export const loanRowSchema = z.strictObject({
  borrower: address({ nonZero: true }),
  borrowerRef: bytes32,
  token: address({ nonZero: true }).optional(),
  currency: currencyCode.optional(),
  principal: amount(1n),
  contractRateBps: int(0, 65_535),
  utcOffsetMinutes: int(-720, 840),
  jurisdiction: z.string({ error: "must be an ISO 3166 code such as CN, GB or US-CA" }).regex(JURISDICTION_PATTERN, "must be an ISO 3166 code such as CN, GB or US-CA").optional(),
  schedule: z.array(installmentSchema, { error: "must be an array of {dueDate, principal, interest}" }).optional(),
  kind: z.enum(KINDS, { error: `must be one of ${KINDS.join(", ")}` }).optional(),
  annualRateBps: int(0, 1_000_000).optional(),
  count: int(1, MAX_INSTALLMENTS).optional(),
  firstDue: isoDate.optional(),
  frequency: z.enum(FREQUENCIES, { error: `must be one of ${FREQUENCIES.join(", ")}` }).optional(),
});

type RowInput = z.infer<typeof loanRowSchema>;

/** The columns a CSV file may have (an explicit schedule is JSON only). */
const CSV_COLUMNS = Object.keys(loanRowSchema.shape).filter((c) => c !== "schedule");

/**
 * Reads and validates a loans file (.json or .csv by extension).
 * @returns the valid rows and every problem found (rows with problems are not returned).
 * @throws FileFormatError when the file cannot be read as JSON/CSV at all, or has no rows.
 */
export function parseLoanFile(file: string, text: string, ctx: LoanFileContext): { rows: LoanRow[]; problems: RowProblem[] } {
  const raws = readRowFile(file, text, { listKey: "loans", columns: CSV_COLUMNS });
  if (raws.rows.length === 0 && raws.problems.length === 0) throw new FileFormatError("no-rows", `error: ${file} has no loans`);
  const rows: LoanRow[] = [];
  const problems = [...raws.problems];
  for (const raw of raws.rows) {
    const parsed = loanRowSchema.safeParse(raw.value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        if (issue.code === "unrecognized_keys") {
          for (const key of issue.keys) problems.push({ line: raw.lineOf([key]), field: key, message: "is not a loan field" });
        } else {
          const p = issue.path as JsonPath;
          problems.push({ line: raw.lineOf(p), field: fieldName(p) || "(row)", message: issue.message });
        }
      }
      continue;
    }
    const rowProblems: Omit<RowProblem, "line">[] = [];
    const params = toParams(parsed.data, ctx, rowProblems);
    for (const p of rowProblems) problems.push({ ...p, line: raw.lineOf(p.field.split(/[.[\]]+/).filter(Boolean).map((s) => (/^\d+$/.test(s) ? Number(s) : s))) });
    if (params && rowProblems.length === 0) rows.push({ line: raw.lineOf([]), params });
  }
  problems.sort((a, b) => a.line - b.line);
  return { rows, problems };
}

/** Cross-field rules, the schedule (generated or given) checked as the contract will, the rate cap. */
function toParams(r: RowInput, ctx: LoanFileContext, problems: Omit<RowProblem, "line">[]): LoanParams | undefined {
  if ((r.token === undefined) === (r.currency === undefined)) {
    problems.push({ field: r.token === undefined ? "currency" : "token", message: "set exactly one of token (ERC-20 loan) and currency (off-chain loan)" });
  }
  const generator = r.kind !== undefined || r.count !== undefined || r.firstDue !== undefined || r.frequency !== undefined || r.annualRateBps !== undefined;
  let schedule: Installment[] | undefined;
  if (r.schedule !== undefined && generator) {
    problems.push({ field: "schedule", message: "give either schedule or the generator fields (kind, count, firstDue, frequency, annualRateBps), not both" });
  } else if (r.schedule !== undefined) {
    schedule = r.schedule;
  } else {
    for (const f of ["kind", "count", "firstDue"] as const) {
      if (r[f] === undefined) problems.push({ field: f, message: "is required (or give an explicit schedule)" });
    }
    if (r.kind !== undefined && r.count !== undefined && r.firstDue !== undefined) {
      try {
        schedule = generateSchedule({
          kind: r.kind,
          principal: r.principal,
          annualRateBps: r.annualRateBps ?? r.contractRateBps,
          count: r.count,
          firstDue: r.firstDue,
          frequency: r.frequency ?? "monthly",
        });
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        problems.push({ field: generatorField(err), message: err.shortMessage });
      }
    }
  }
  if (schedule) {
    try {
      validateSchedule(schedule, r.principal, ctx.now);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      problems.push({ field: scheduleField(err, r.schedule !== undefined), message: scheduleMessage(err) });
    }
  }
  const jurisdiction = r.jurisdiction ?? ctx.defaultJurisdiction;
  if (jurisdiction === undefined) problems.push({ field: "jurisdiction", message: "is required (a column, or the file's default: loans register --jurisdiction)" });
  const cap = (jurisdiction !== undefined ? ctx.capOf?.(jurisdiction) : undefined) ?? ctx.maxAnnualRateBps;
  if (cap !== undefined && ctx.penaltyRateBps !== undefined && r.contractRateBps + ctx.penaltyRateBps > cap) {
    problems.push({
      field: "contractRateBps",
      message: `${r.contractRateBps} plus the policy's penalty rate ${ctx.penaltyRateBps} exceeds the legal cap ${cap} bps${jurisdiction ? ` (${jurisdiction})` : ""}`,
    });
  }
  if (problems.length > 0 || !schedule || jurisdiction === undefined) return undefined;
  return {
    borrower: r.borrower,
    borrowerRef: r.borrowerRef,
    token: r.token ?? zeroAddress,
    currency: r.currency ? stringToHex(r.currency, { size: 3 }) : "0x000000",
    principal: r.principal,
    contractRateBps: r.contractRateBps,
    utcOffsetMinutes: r.utcOffsetMinutes,
    jurisdiction: encodeJurisdiction(jurisdiction),
    schedule: schedule.map((i) => ({ dueDate: i.dueDate, principal: i.principal, interest: i.interest })),
  };
}

/** The domain's message, with unix seconds shown as ISO times where a person reads them. */
function scheduleMessage(err: DomainError): string {
  if (err instanceof FirstDueNotAfterNowError) return `the first due date ${toIsoString(err.dueDate)} must be after the chain's time ${toIsoString(err.now)}`;
  if (err instanceof DueDatesNotIncreasingError) return `due date ${toIsoString(err.dueDate)} is not after the previous one ${toIsoString(err.previous)}`;
  return err.shortMessage;
}

function generatorField(err: DomainError): string {
  if (err instanceof InvalidArgumentError) return err.argument === "date" ? "firstDue" : err.argument;
  if (err instanceof InstallmentCountError || err instanceof EmptyInstallmentError) return "count";
  if (err instanceof DueDateTooLateError) return "firstDue";
  return "principal";
}

function scheduleField(err: DomainError, explicit: boolean): string {
  const at = (i: number, f: string) => (explicit ? `schedule[${i}].${f}` : f === "dueDate" ? "firstDue" : "count");
  if (err instanceof FirstDueNotAfterNowError) return explicit ? "schedule[0].dueDate" : "firstDue";
  if (err instanceof DueDatesNotIncreasingError || err instanceof DueDateTooLateError) return at(err.index, "dueDate");
  if (err instanceof InstallmentPartOutOfRangeError) return err.part === "sum" ? "principal" : at(err.index, err.part);
  if (err instanceof EmptyInstallmentError) return explicit ? `schedule[${err.index}]` : "count";
  if (err instanceof InstallmentCountError) return explicit ? "schedule" : "count";
  if (err instanceof PrincipalMismatchError) return "principal";
  return explicit ? "schedule" : "kind";
}
