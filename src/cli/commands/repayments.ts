/**
 * `duetrail repayments record`: records money the lender received off chain (bank transfer,
 * cash) with LoanLedger.recordRepayment, applied by the waterfall as of --paid-at, or as of the
 * loan's last payment when that is later (docs/ledger-rules.md, "Repayment waterfall").
 *
 *   LENDER_KEY=0x... npm run cli -- repayments record --loan 7 --amount 106000 \
 *     --paid-at 2027-01-30T09:15:00Z --bank-ref "ICBC 2027-01-30 #88412"
 *
 * --bank-ref is hashed (keccak256 of its UTF-8 text) unless it already is 0x + 32 bytes: bank
 * references stay off chain. Prints JSON: the transaction and the LoanRepaid breakdown.
 */
import type { Command } from "commander";
import { z } from "zod";
import { keccak256, parseEventLogs, stringToBytes, type Hex } from "viem";
import { loanLedgerAbi } from "../../chain/abis";
import { parseConnectionOptions, withConnectionOptions } from "../lib/connection";
import { UsageError, action } from "../lib/errors";
import { amount, unixTime } from "../lib/fields";
import { flag, loanIdFlag } from "../lib/flags";
import { chainNumber, printJson } from "../lib/json";
import { connectSigner, readPrivateKey, send, withSignerOptions } from "../lib/signer";

const optionsSchema = z.object({
  loan: loanIdFlag("--loan"),
  amount: flag("--amount", amount(1n, (1n << 256n) - 1n)),
  paidAt: flag("--paid-at", unixTime),
  bankRef: z
    .string({ error: "error: --bank-ref is required" })
    .min(1, "error: --bank-ref must not be empty")
    .transform((s): Hex => (/^0x[0-9a-fA-F]{64}$/.test(s) ? (s.toLowerCase() as Hex) : keccak256(stringToBytes(s)))),
});

async function record(raw: Record<string, unknown>): Promise<void> {
  const parsed = optionsSchema.safeParse(raw);
  if (!parsed.success) throw new UsageError(parsed.error.issues[0]!.message);
  const o = parsed.data;
  const s = await connectSigner(parseConnectionOptions(raw), readPrivateKey(raw));
  if (o.paidAt >= 1n << 64n) throw new UsageError("error: --paid-at is beyond uint64 seconds");
  const receipt = await send(s, {
    address: s.deployment.loanLedger.address,
    abi: loanLedgerAbi,
    functionName: "recordRepayment",
    args: [o.loan, o.amount, o.paidAt, o.bankRef],
  });
  const [repaid] = parseEventLogs({ abi: loanLedgerAbi, logs: receipt.logs, eventName: "LoanRepaid" });
  const closed = parseEventLogs({ abi: loanLedgerAbi, logs: receipt.logs, eventName: "LoanClosed" }).length > 0;
  printJson({
    loanId: o.loan,
    txHash: receipt.transactionHash,
    blockNumber: chainNumber(receipt.blockNumber),
    recordedBy: s.account.address,
    amount: repaid?.args.amount,
    penalty: repaid?.args.penalty,
    interest: repaid?.args.interest,
    principal: repaid?.args.principal,
    cursor: repaid?.args.cursor,
    paidAt: repaid ? chainNumber(repaid.args.paidAt) : undefined,
    bankRef: repaid?.args.bankRef,
    recovery: repaid?.args.recovery,
    closed,
  });
}

/** Registers `repayments record` on the program. */
export function registerRepaymentsCommand(program: Command): void {
  const cmd = program
    .command("repayments")
    .description("lender or servicer: repayments received off chain")
    .command("record")
    .description("record a repayment received off chain (LoanLedger.recordRepayment)")
    .option("--loan <id>", "loan id")
    .option("--amount <minor units>", "amount received, in the loan's minor units")
    .option("--paid-at <time>", "when it was received: unix seconds or ISO-8601 UTC (2027-01-30T09:15:00Z)")
    .option("--bank-ref <text|0x32 bytes>", "bank reference: its keccak256 goes on chain (or give the 32-byte hash)")
    .showHelpAfterError(false)
    .addHelpText("after", "\nThe sender's key is read from LENDER_KEY (or --key-env NAME).\nExit status: 0 recorded, 1 refused or failed on chain, 2 bad input.");
  withSignerOptions(withConnectionOptions(cmd));
  cmd.action(action(cmd, record));
}
