/**
 * `duetrail relief arrears-consent|arrears-plan`: an arrears plan (LoanRelief.createArrearsPlan;
 * docs/ledger-rules.md, "Arrears plan"). The borrower signs the parts; the lender creates the plan
 * with exactly those parts (the consent prints them as `--parts` takes them back).
 *
 *   BORROWER_KEY=0x... npm run cli -- relief arrears-consent --key-env BORROWER_KEY --loan 7 \
 *     --split 3 --first 2027-02-01 --every 30 --deadline 2027-01-20
 *   LENDER_KEY=0x...   npm run cli -- relief arrears-plan --loan 7 --parts 1801440000:336000000,... \
 *     --deadline 2027-01-20 --signature 0x...
 *
 * The parts must add up to the arrears (amount overdue + penalty outstanding) when the plan is
 * created; penalties change by the day, so the lender sends it the day the borrower signs.
 */
import { z } from "zod";
import { parseEventLogs, type Hex } from "viem";
import { loanLedgerAbi, loanReliefAbi } from "../../chain/abis";
import { arrearsPlanTypedData } from "../../chain/typed-data";
import { DAY, MAX_ARREARS_PARTS, type ArrearsPart } from "../../domain";
import { parseConnectionOptions } from "../lib/connection";
import { UsageError } from "../lib/errors";
import { unixTime } from "../lib/fields";
import { flag, loanIdFlag, parseFlags } from "../lib/flags";
import { chainNumber, printJson } from "../lib/json";
import { connectSigner, readPrivateKey, send } from "../lib/signer";

const uint64Time = (name: string) => flag(name, unixTime).refine((t) => t < 1n << 64n, `error: ${name} is beyond uint64 seconds`);

/** `--parts` as printed by the consent: `dueDate:amount,...`, due dates in unix seconds or ISO-8601, the last amount may be `rest`. */
const partsFlag = z
  .string({ error: "error: --parts is required (or --split with --first)" })
  .transform((text, ctx) => {
    const items = text.split(",").map((x) => x.trim());
    const out: { dueDate: bigint; amount: bigint | "rest" }[] = [];
    for (const [i, item] of items.entries()) {
      const m = /^(.+):(\d{1,40}|rest)$/.exec(item);
      const due = m ? unixTime.safeParse(m[1]) : undefined;
      if (!m || !due?.success) {
        ctx.addIssue({ code: "custom", message: `error: --parts item ${i + 1} ("${item}") must be <due date>:<amount in minor units> (the last amount may be "rest")` });
        return z.NEVER;
      }
      if (m[2] === "rest" && i !== items.length - 1) {
        ctx.addIssue({ code: "custom", message: `error: --parts: only the last part may be "rest"` });
        return z.NEVER;
      }
      out.push({ dueDate: due.data, amount: m[2] === "rest" ? "rest" : BigInt(m[2]!) });
    }
    return out;
  });

const count = (name: string, max: number) =>
  z
    .string()
    .regex(/^[1-9]\d{0,3}$/, `error: ${name} must be a positive integer (at most ${max})`)
    .transform(Number)
    .refine((n) => n <= max, `error: ${name} must be a positive integer (at most ${max})`);

const planFlags = {
  loan: loanIdFlag("--loan"),
  parts: partsFlag.optional(),
  split: count("--split", MAX_ARREARS_PARTS).optional(),
  first: uint64Time("--first").optional(),
  every: count("--every", 3_650).default(30),
  deadline: uint64Time("--deadline"),
};

/** The parts the flags describe, for `arrears`: explicit (`rest` = what the others leave) or split equally (the last takes the residue). */
export function resolveParts(o: { parts?: { dueDate: bigint; amount: bigint | "rest" }[]; split?: number; first?: bigint; every: number }, arrears: bigint): ArrearsPart[] {
  if (o.parts !== undefined && o.split !== undefined) throw new UsageError("error: give --parts or --split, not both");
  if (o.parts !== undefined) {
    const given = o.parts.reduce((sum, p) => sum + (p.amount === "rest" ? 0n : p.amount), 0n);
    if (o.parts.some((p) => p.amount === "rest") && given >= arrears) throw new UsageError(`error: --parts leave nothing for "rest": they add up to ${given} of the ${arrears} in arrears`);
    return o.parts.map((p) => ({ dueDate: p.dueDate, amount: p.amount === "rest" ? arrears - given : p.amount }));
  }
  if (o.split === undefined || o.first === undefined) throw new UsageError("error: give --parts, or --split with --first");
  const n = BigInt(o.split);
  return Array.from({ length: o.split }, (_, i) => ({
    dueDate: o.first! + BigInt(i * o.every) * DAY,
    amount: arrears / n + (i === o.split! - 1 ? arrears % n : 0n),
  }));
}

/** The borrower's promise: the EIP-712 signature the lender passes to `relief arrears-plan`, with the parts resolved. */
export async function arrearsConsent(raw: Record<string, unknown>): Promise<void> {
  const o = parseFlags(planFlags, raw);
  const s = await connectSigner(parseConnectionOptions(raw), readPrivateKey(raw, "BORROWER_KEY"));
  const ledger = s.deployment.loanLedger.address;
  const [terms, state, nonce] = await Promise.all([
    s.client.readContract({ address: ledger, abi: loanLedgerAbi, functionName: "loanTerms", args: [o.loan] }),
    s.client.readContract({ address: ledger, abi: loanLedgerAbi, functionName: "loanState", args: [o.loan] }),
    s.client.readContract({ address: ledger, abi: loanLedgerAbi, functionName: "nonces", args: [s.account.address, o.loan] }),
  ]);
  if (terms.borrower.toLowerCase() !== s.account.address.toLowerCase()) {
    throw new UsageError(`error: the key is ${s.account.address}, not loan ${o.loan}'s borrower ${terms.borrower}`);
  }
  const arrears = state.amountOverdue + state.penaltyOutstanding;
  if (arrears === 0n) throw new UsageError(`error: loan ${o.loan} has nothing overdue: there are no arrears to plan`);
  const parts = resolveParts(o, arrears);
  const signature = await s.account.signTypedData(arrearsPlanTypedData({ chainId: s.deployment.chainId, loanLedger: ledger, loanId: o.loan, parts, nonce, deadline: o.deadline }));
  printJson({
    loanId: o.loan,
    borrower: s.account.address,
    arrears,
    amountOverdue: state.amountOverdue,
    penaltyOutstanding: state.penaltyOutstanding,
    parts: parts.map((p) => ({ dueDate: chainNumber(p.dueDate), amount: p.amount })),
    partsFlag: parts.map((p) => `${p.dueDate}:${p.amount}`).join(","),
    nonce,
    deadline: o.deadline,
    signature,
  });
}

/** The lender creates the plan the borrower signed. */
export async function arrearsPlan(raw: Record<string, unknown>): Promise<void> {
  const o = parseFlags({ ...planFlags, signature: z.string({ error: "error: --signature is required" }).regex(/^0x[0-9a-fA-F]+$/, "error: --signature must be 0x-prefixed hex") }, raw);
  if (o.parts?.some((p) => p.amount === "rest")) throw new UsageError("error: --parts must give every amount (as the consent printed them): the borrower signed exact amounts");
  if (o.parts === undefined) throw new UsageError("error: --parts is required: pass the consent's partsFlag");
  const s = await connectSigner(parseConnectionOptions(raw), readPrivateKey(raw));
  const parts = o.parts as ArrearsPart[];
  const receipt = await send(s, { address: s.deployment.loanLedger.address, abi: loanReliefAbi, functionName: "createArrearsPlan", args: [o.loan, parts, o.deadline, o.signature as Hex] });
  const [created] = parseEventLogs({ abi: loanLedgerAbi, logs: receipt.logs, eventName: "ArrearsPlanCreated" });
  const a = created!.args;
  printJson({
    loanId: o.loan,
    txHash: receipt.transactionHash,
    blockNumber: chainNumber(receipt.blockNumber),
    sentBy: s.account.address,
    createdAt: chainNumber(a.createdAt),
    arrears: a.arrears,
    amountOverdue: a.amountOverdue,
    penaltyOutstanding: a.penaltyOutstanding,
    parts: a.parts.map((p) => ({ dueDate: chainNumber(p.dueDate), amount: p.amount })),
  });
}

export const ARREARS_OPTIONS: [string, string][] = [
  ["--loan <id>", "loan id"],
  ["--parts <list>", "dueDate:amount,... (unix seconds or ISO-8601 UTC; minor units; the consent's last amount may be \"rest\")"],
  ["--split <n>", "consent only, instead of --parts: n equal parts (the last takes the residue)"],
  ["--first <time>", "with --split: the first part's due date"],
  ["--every <days>", "with --split: days between parts (default 30)"],
  ["--deadline <time>", "last time the consent is accepted: unix seconds or ISO-8601 UTC"],
];
