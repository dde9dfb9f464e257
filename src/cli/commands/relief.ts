/**
 * `duetrail relief ...`: payment holidays, arrears plans (relief-arrears.ts) and settlements
 * (LoanRelief, called at the ledger's address; docs/ledger-rules.md, "Relief").
 *
 *   # the borrower signs the holiday (EIP-712) and hands the signature to the lender
 *   BORROWER_KEY=0x... npm run cli -- relief holiday-consent --key-env BORROWER_KEY --loan 7 \
 *     --installments 2 --interest waived --placement end --deadline 2027-02-01
 *   LENDER_KEY=0x...   npm run cli -- relief holiday --loan 7 --installments 2 --interest waived \
 *     --placement end --deadline 2027-02-01 --signature 0x...
 *   LENDER_KEY=0x...   npm run cli -- relief settlement-offer --loan 9 --amount 800000000 --deadline 2027-03-01
 *   PAYER_KEY=0x...    npm run cli -- relief settle --key-env PAYER_KEY --loan 9
 *   LENDER_KEY=0x...   npm run cli -- relief settlement-record --loan 9 --paid-at 2027-02-20 --bank-ref "ICBC #88"
 *   LENDER_KEY=0x...   npm run cli -- relief policy --holiday-max-dpd 15
 *
 * Each prints JSON: the transaction and the event's figures.
 */
import type { Command } from "commander";
import { z } from "zod";
import { keccak256, parseEventLogs, stringToBytes, type Hex, type TransactionReceipt } from "viem";
import { loanLedgerAbi, loanReliefAbi } from "../../chain/abis";
import { paymentHolidayTypedData } from "../../chain/typed-data";
import { HolidayInterest, HolidayPlacement } from "../../domain";
import { parseConnectionOptions, withConnectionOptions } from "../lib/connection";
import { UsageError, action } from "../lib/errors";
import { amount, unixTime } from "../lib/fields";
import { flag, loanIdFlag, parseFlags } from "../lib/flags";
import { chainNumber, printJson } from "../lib/json";
import { connectSigner, readPrivateKey, send, withSignerOptions, type Signer } from "../lib/signer";
import { ARREARS_OPTIONS, arrearsConsent, arrearsPlan } from "./relief-arrears";

const INTEREST = { accrued: HolidayInterest.Accrued, capitalised: HolidayInterest.Capitalised, waived: HolidayInterest.Waived } as const;
const PLACEMENT = { end: HolidayPlacement.End, spread: HolidayPlacement.Spread } as const;

const uint64Time = (name: string) => flag(name, unixTime).refine((t) => t < 1n << 64n, `error: ${name} is beyond uint64 seconds`);

const holidayTerms = {
  loan: loanIdFlag("--loan"),
  installments: z
    .string({ error: "error: --installments is required" })
    .regex(/^[1-9]\d{0,2}$/, "error: --installments must be a positive integer (at most 600)")
    .transform(Number)
    .refine((n) => n <= 600, "error: --installments must be a positive integer (at most 600)"),
  interest: z.enum(["accrued", "capitalised", "waived"], { error: "error: --interest must be accrued, capitalised or waived" }),
  placement: z.enum(["end", "spread"], { error: "error: --placement must be end or spread" }),
  deadline: uint64Time("--deadline"),
};

function txOf(receipt: TransactionReceipt, s: Signer) {
  return { txHash: receipt.transactionHash, blockNumber: chainNumber(receipt.blockNumber), sentBy: s.account.address };
}

/** The borrower's consent: the EIP-712 signature the lender passes to `relief holiday`. */
async function holidayConsent(raw: Record<string, unknown>): Promise<void> {
  const o = parseFlags(holidayTerms, raw);
  const s = await connectSigner(parseConnectionOptions(raw), readPrivateKey(raw, "BORROWER_KEY"));
  const ledger = s.deployment.loanLedger.address;
  const terms = await s.client.readContract({ address: ledger, abi: loanLedgerAbi, functionName: "loanTerms", args: [o.loan] });
  if (terms.borrower.toLowerCase() !== s.account.address.toLowerCase()) {
    throw new UsageError(`error: the key is ${s.account.address}, not loan ${o.loan}'s borrower ${terms.borrower}`);
  }
  const nonce = await s.client.readContract({ address: ledger, abi: loanLedgerAbi, functionName: "nonces", args: [s.account.address, o.loan] });
  // The consent names the holiday's end: the due date of the last installment it defers now.
  const [state, schedule] = await Promise.all([
    s.client.readContract({ address: ledger, abi: loanLedgerAbi, functionName: "loanState", args: [o.loan] }),
    s.client.readContract({ address: ledger, abi: loanLedgerAbi, functionName: "scheduleOf", args: [o.loan, terms.version] }),
  ]);
  const last = schedule[state.cursor + o.installments - 1];
  if (last === undefined) throw new UsageError(`error: --installments ${o.installments} is more than loan ${o.loan}'s ${schedule.length - state.cursor} unpaid installment(s)`);
  const message = {
    chainId: s.deployment.chainId,
    loanLedger: ledger,
    loanId: o.loan,
    version: terms.version + 1,
    installments: o.installments,
    interest: INTEREST[o.interest],
    placement: PLACEMENT[o.placement],
    to: last.dueDate,
    nonce,
    deadline: o.deadline,
  };
  const signature = await s.account.signTypedData(paymentHolidayTypedData(message));
  printJson({
    loanId: o.loan,
    borrower: s.account.address,
    version: message.version,
    installments: o.installments,
    interest: o.interest,
    placement: o.placement,
    to: chainNumber(last.dueDate),
    nonce,
    deadline: o.deadline,
    signature,
  });
}

async function holiday(raw: Record<string, unknown>): Promise<void> {
  const o = parseFlags({ ...holidayTerms, signature: z.string({ error: "error: --signature is required" }).regex(/^0x[0-9a-fA-F]+$/, "error: --signature must be 0x-prefixed hex") }, raw);
  const s = await connectSigner(parseConnectionOptions(raw), readPrivateKey(raw));
  const terms = { installments: o.installments, interest: INTEREST[o.interest], placement: PLACEMENT[o.placement] };
  const receipt = await send(s, {
    address: s.deployment.loanLedger.address,
    abi: loanReliefAbi,
    functionName: "grantPaymentHoliday",
    args: [o.loan, terms, o.deadline, o.signature as Hex],
  });
  const [granted] = parseEventLogs({ abi: loanLedgerAbi, logs: receipt.logs, eventName: "PaymentHolidayGranted" });
  const a = granted!.args;
  printJson({
    loanId: o.loan,
    ...txOf(receipt, s),
    version: a.version,
    from: chainNumber(a.from),
    to: chainNumber(a.to),
    interest: o.interest,
    placement: o.placement,
    ...a.figures,
    schedule: a.schedule.map((i) => ({ dueDate: chainNumber(i.dueDate), principal: i.principal, interest: i.interest })),
  });
}

async function settlementOffer(raw: Record<string, unknown>): Promise<void> {
  const o = parseFlags({ loan: loanIdFlag("--loan"), amount: flag("--amount", amount(1n, (1n << 128n) - 1n)), deadline: uint64Time("--deadline") }, raw);
  const s = await connectSigner(parseConnectionOptions(raw), readPrivateKey(raw));
  const receipt = await send(s, { address: s.deployment.loanLedger.address, abi: loanReliefAbi, functionName: "offerSettlement", args: [o.loan, o.amount, o.deadline] });
  const [offered] = parseEventLogs({ abi: loanLedgerAbi, logs: receipt.logs, eventName: "SettlementOffered" });
  const a = offered!.args;
  printJson({ loanId: o.loan, ...txOf(receipt, s), amount: a.amount, deadline: chainNumber(a.deadline), owed: { principal: a.principalOwed, interest: a.interestOwed, penalty: a.penaltyOwed } });
}

function printSettled(loanId: bigint, receipt: TransactionReceipt, s: Signer): void {
  const [settled] = parseEventLogs({ abi: loanLedgerAbi, logs: receipt.logs, eventName: "LoanSettled" });
  const a = settled!.args;
  const f = a.figures;
  printJson({
    loanId,
    ...txOf(receipt, s),
    amount: a.amount,
    paid: { penalty: f.penaltyPaid, interest: f.interestPaid, principal: f.principalPaid },
    forgiven: { penalty: f.penaltyForgiven, interest: f.interestForgiven, principal: f.principalForgiven },
    paidAt: chainNumber(a.paidAt),
    offChain: a.offChain,
  });
}

async function settle(raw: Record<string, unknown>): Promise<void> {
  const o = parseFlags({ loan: loanIdFlag("--loan") }, raw);
  const s = await connectSigner(parseConnectionOptions(raw), readPrivateKey(raw, "PAYER_KEY"));
  const receipt = await send(s, { address: s.deployment.loanLedger.address, abi: loanReliefAbi, functionName: "settle", args: [o.loan] });
  printSettled(o.loan, receipt, s);
}

async function settlementRecord(raw: Record<string, unknown>): Promise<void> {
  const o = parseFlags(
    {
      loan: loanIdFlag("--loan"),
      paidAt: uint64Time("--paid-at"),
      bankRef: z
        .string({ error: "error: --bank-ref is required" })
        .min(1, "error: --bank-ref must not be empty")
        .transform((b): Hex => (/^0x[0-9a-fA-F]{64}$/.test(b) ? (b.toLowerCase() as Hex) : keccak256(stringToBytes(b)))),
    },
    raw,
  );
  const s = await connectSigner(parseConnectionOptions(raw), readPrivateKey(raw));
  const receipt = await send(s, { address: s.deployment.loanLedger.address, abi: loanReliefAbi, functionName: "recordSettlement", args: [o.loan, o.paidAt, o.bankRef] });
  printSettled(o.loan, receipt, s);
}

async function policy(raw: Record<string, unknown>): Promise<void> {
  const o = parseFlags(
    {
      holidayMaxDpd: z
        .string({ error: "error: --holiday-max-dpd is required" })
        .regex(/^\d{1,5}$/, "error: --holiday-max-dpd must be an integer in [0, 65535]")
        .transform(Number)
        .refine((n) => n <= 65_535, "error: --holiday-max-dpd must be an integer in [0, 65535]"),
    },
    raw,
  );
  const s = await connectSigner(parseConnectionOptions(raw), readPrivateKey(raw));
  const receipt = await send(s, { address: s.deployment.loanLedger.address, abi: loanReliefAbi, functionName: "setReliefPolicy", args: [o.holidayMaxDpd] });
  printJson({ lender: s.account.address, ...txOf(receipt, s), holidayMaxDpd: o.holidayMaxDpd });
}

const HOLIDAY_OPTIONS: [string, string][] = [
  ["--loan <id>", "loan id"],
  ["--installments <k>", "how many unpaid installments to defer, from the oldest"],
  ["--interest <how>", "the deferred interest: accrued (paid later), capitalised (becomes principal) or waived"],
  ["--placement <where>", "end (the deferred installments move after the last) or spread (over the installments after the holiday)"],
  ["--deadline <time>", "last time the consent is accepted: unix seconds or ISO-8601 UTC"],
];

/** Registers `relief holiday-consent|holiday|arrears-consent|arrears-plan|settlement-offer|settle|settlement-record|policy`. */
export function registerReliefCommand(program: Command): void {
  const relief = program.command("relief").description("payment holidays, arrears plans and settlements (LoanRelief)");
  const sub = (name: string, description: string, options: [string, string][], keyEnv: string, fn: (raw: Record<string, unknown>) => Promise<void>) => {
    const cmd = relief.command(name).description(description).showHelpAfterError(false);
    for (const [f, d] of options) cmd.option(f, d);
    cmd.addHelpText("after", `\nThe sender's key is read from ${keyEnv} (or --key-env NAME).\nExit status: 0 done, 1 refused or failed on chain, 2 bad input.`);
    withSignerOptions(withConnectionOptions(cmd));
    cmd.action(action(cmd, fn));
  };
  sub("holiday-consent", "borrower: sign a payment holiday (EIP-712) for the lender to grant; sends nothing", HOLIDAY_OPTIONS, "BORROWER_KEY", holidayConsent);
  sub("holiday", "lender: grant a payment holiday the borrower signed (LoanRelief.grantPaymentHoliday)", [...HOLIDAY_OPTIONS, ["--signature <hex>", "the borrower's signature (0x...) from relief holiday-consent"]], "LENDER_KEY", holiday);
  sub("arrears-consent", "borrower: sign an arrears plan (EIP-712) for the lender to create; sends nothing", ARREARS_OPTIONS, "BORROWER_KEY", arrearsConsent);
  sub(
    "arrears-plan",
    "lender: create an arrears plan the borrower signed (LoanRelief.createArrearsPlan)",
    [...ARREARS_OPTIONS.filter(([f]) => !/split|first|every/.test(f)), ["--signature <hex>", "the borrower's signature (0x...) from relief arrears-consent"]],
    "LENDER_KEY",
    arrearsPlan,
  );
  sub(
    "settlement-offer",
    "lender: offer to settle a loan for less than is owed (LoanRelief.offerSettlement)",
    [
      ["--loan <id>", "loan id"],
      ["--amount <minor units>", "the settlement amount, below what is owed"],
      ["--deadline <time>", "last time it can be paid: unix seconds or ISO-8601 UTC"],
    ],
    "LENDER_KEY",
    settlementOffer,
  );
  sub("settle", "anyone: pay the offered settlement in the loan's token (LoanRelief.settle; approve the ledger first)", [["--loan <id>", "loan id"]], "PAYER_KEY", settle);
  sub(
    "settlement-record",
    "lender: attest the offered settlement was received off chain (LoanRelief.recordSettlement)",
    [
      ["--loan <id>", "loan id"],
      ["--paid-at <time>", "when it was received (not after the offer's deadline)"],
      ["--bank-ref <text|0x32 bytes>", "bank reference: its keccak256 goes on chain (or give the 32-byte hash)"],
    ],
    "LENDER_KEY",
    settlementRecord,
  );
  sub("policy", "lender: the most DPD at which a payment holiday may still be granted (LoanRelief.setReliefPolicy)", [["--holiday-max-dpd <days>", "0..65535 (default 30 until set)"]], "LENDER_KEY", policy);
}
