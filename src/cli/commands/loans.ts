/**
 * `duetrail loans register --file loans.json|loans.csv`: registers a lender's loans with
 * LoanLedger.registerLoans, all or nothing.
 *
 *   LENDER_KEY=0x... npm run cli -- loans register --file loans.csv --network sepolia --rpc https://...
 *
 * Every row is validated first (zod, then the schedule rules the contract applies, against the
 * chain's time and legal cap); any problem prints `line N, field X: message` for all of them,
 * exits 2 and sends nothing. The whole file goes in ONE transaction when it fits the gas cap
 * (default: the block gas limit, at most 2^24); a bigger file is refused unless
 * --allow-multiple-transactions, which splits it into chunks that each fit (atomic per chunk only).
 * Prints JSON: the new loan ids, and each transaction's hash, block and gas.
 */
import type { Command } from "commander";
import { z } from "zod";
import { parseEventLogs, type Hex } from "viem";
import { loanLedgerAbi } from "../../chain/abis";
import { RegistrationPlanError, defaultGasCap, gasWithMargin, planRegistration, readJurisdictionCaps, readRegistrationFacts, type RegistrationChunk } from "../../chain/register-plan";
import { decodeRevert } from "../../chain/revert";
import { parseConnectionOptions, withConnectionOptions } from "../lib/connection";
import { ChainRefusedError, UsageError, action } from "../lib/errors";
import { chainNumber, printJson, readTextFile } from "../lib/json";
import { parseLoanFile, type LoanRow } from "../lib/loan-file";
import { formatRowProblem } from "../lib/row-file";
import { JURISDICTION_PATTERN, decodeJurisdiction } from "../../domain/jurisdiction";
import { connectSigner, readPrivateKey, send, withSignerOptions, type Signer } from "../lib/signer";

const optionsSchema = z.object({
  file: z.string({ error: "error: --file is required" }).min(1, "error: --file is required"),
  gasCap: z
    .string()
    .regex(/^[1-9]\d{4,9}$/, "error: --gas-cap must be an integer from 10000 to 9999999999")
    .transform((s) => BigInt(s))
    .optional(),
  allowMultipleTransactions: z.boolean().default(false),
  dryRun: z.boolean().default(false),
  jurisdiction: z.string().regex(JURISDICTION_PATTERN, "error: --jurisdiction must be an ISO 3166 code such as CN, GB or US-CA").optional(),
});

/**
 * Splits `rows` into transactions that each fit `cap` (src/chain/register-plan.ts, shared with the
 * console), estimated with the signer's key.
 * @throws ChainRefusedError naming the row's line and the decoded custom error; UsageError when a
 *   single loan alone exceeds the cap.
 */
async function plan(s: Signer, rows: LoanRow[], cap: bigint): Promise<RegistrationChunk<LoanRow>[]> {
  const estimate = (chunk: LoanRow[], gas: bigint) =>
    s.client.estimateContractGas({
      address: s.deployment.loanLedger.address,
      abi: loanLedgerAbi,
      functionName: "registerLoans",
      args: [chunk.map((r) => r.params)],
      account: s.account,
      gas,
    });
  try {
    return await planRegistration(rows, cap, estimate);
  } catch (err) {
    if (!(err instanceof RegistrationPlanError)) throw err;
    throw err.reason === "too-big" ? new UsageError(`error: ${err.message}`) : new ChainRefusedError(`error: ${err.message}`);
  }
}

async function register(raw: Record<string, unknown>): Promise<void> {
  const parsed = optionsSchema.safeParse(raw);
  if (!parsed.success) throw new UsageError(parsed.error.issues[0]!.message);
  const o = parsed.data;
  const conn = parseConnectionOptions(raw);
  const key = readPrivateKey(raw);
  const text = readTextFile(o.file);
  const s = await connectSigner(conn, key);
  const ledger = s.deployment.loanLedger.address;
  const facts = await readRegistrationFacts(s.client, s.deployment.loanLedger.address, s.account.address);
  const base = { ...facts, ...(o.jurisdiction ? { defaultJurisdiction: o.jurisdiction } : {}) };
  // Each row's rate is checked against its jurisdiction's cap: read the caps of the jurisdictions the file names.
  const named = parseLoanFile(o.file, text, { ...base, maxAnnualRateBps: undefined, capOf: undefined }).rows.map((r) => decodeJurisdiction(r.params.jurisdiction));
  const caps = await readJurisdictionCaps(s.client, s.deployment.loanLedger.address, named);
  const { rows, problems } = parseLoanFile(o.file, text, { ...base, capOf: (j) => caps.get(j) });
  if (problems.length > 0) {
    const lines = problems.map(formatRowProblem);
    throw new UsageError([...lines, `error: ${problems.length} problem${problems.length === 1 ? "" : "s"} in ${o.file}; nothing was registered`].join("\n"));
  }

  const cap = o.gasCap ?? defaultGasCap(facts.gasLimit);
  const chunks = await plan(s, rows, cap);
  const estimated = chunks.reduce((sum, c) => sum + c.gas, 0n);
  if (chunks.length > 1 && !o.allowMultipleTransactions) {
    throw new UsageError(
      `error: ${rows.length} loans need about ${estimated} gas, more than one transaction may use (gas cap ${cap}): ` +
        `they would take ${chunks.length} transactions, which is not all or nothing; nothing was registered ` +
        `(pass --allow-multiple-transactions to register them in ${chunks.length} transactions, or split the file)`,
    );
  }
  if (o.dryRun) {
    printJson({
      dryRun: true,
      network: s.deployment.network,
      lender: s.account.address,
      loans: rows.length,
      gasCap: cap,
      transactions: chunks.map((c) => ({ loans: c.rows.length, lines: c.rows.map((r) => r.line), estimatedGas: c.gas })),
    });
    return;
  }

  const done: { txHash: Hex; blockNumber: number; gasUsed: bigint; loanIds: bigint[]; lines: number[] }[] = [];
  for (const [k, chunk] of chunks.entries()) {
    try {
      const receipt = await send(s, {
        address: ledger,
        abi: loanLedgerAbi,
        functionName: "registerLoans",
        args: [chunk.rows.map((r) => r.params)],
        gas: gasWithMargin(chunk.gas, cap),
      });
      const events = parseEventLogs({ abi: loanLedgerAbi, logs: receipt.logs, eventName: "LoanRegistered" });
      done.push({
        txHash: receipt.transactionHash,
        blockNumber: chainNumber(receipt.blockNumber),
        gasUsed: receipt.gasUsed,
        loanIds: events.map((e) => e.args.loanId),
        lines: chunk.rows.map((r) => r.line),
      });
    } catch (err) {
      if (done.length === 0) throw err;
      // Earlier chunks are on chain: say exactly which, then fail.
      printJson(result(s, done, false));
      const why = decodeRevert(err)?.text ?? (err as Error).message.split("\n")[0];
      throw new ChainRefusedError(`error: transaction ${k + 1} of ${chunks.length} failed (${why}); the loans of transactions 1-${k} ARE registered (see the JSON above), lines ${chunk.rows[0]!.line} on are not`);
    }
  }
  printJson(result(s, done, true));
}

function result(s: Signer, done: { loanIds: bigint[] }[], complete: boolean) {
  return {
    network: s.deployment.network,
    chainId: s.deployment.chainId,
    loanLedger: s.deployment.loanLedger.address,
    lender: s.account.address,
    complete,
    loanIds: done.flatMap((d) => d.loanIds),
    transactions: done,
  };
}

/** Registers `loans` (with its `register` subcommand) on the program. */
export function registerLoansCommand(program: Command): void {
  const loans = program.command("loans").description("lender: loans on LoanLedger");
  const cmd = loans
    .command("register")
    .description("register loans from a JSON or CSV file, all or nothing (every row validated first)")
    .option("--file <path>", "loans file: .json (array, or {\"loans\": [...]}) or .csv (header row)")
    .option("--allow-multiple-transactions", "when the file does not fit one transaction, register it in several (not atomic across them)")
    .option("--gas-cap <gas>", "largest gas one transaction may use (default: the block gas limit, at most 2^24)")
    .option("--dry-run", "validate and plan the transactions, send nothing")
    .option("--jurisdiction <code>", "ISO 3166 code (CN, GB, US-CA) of the rows that have no jurisdiction column")
    .showHelpAfterError(false)
    .addHelpText(
      "after",
      "\nRow fields: borrower, borrowerRef (0x + 32 bytes), token | currency (ISO-4217), principal (minor units),\n" +
        "contractRateBps, utcOffsetMinutes, jurisdiction (ISO 3166: CN, GB, US-CA; or --jurisdiction), and either schedule (JSON: [{dueDate, principal, interest}]) or\n" +
        "kind (annuity | equal-principal | interest-only), count, firstDue (YYYY-MM-DD), frequency, annualRateBps.\n" +
        "The sender's key is read from LENDER_KEY (or --key-env NAME).\n" +
        "Exit status: 0 registered, 1 refused or failed on chain, 2 bad input (nothing sent).",
    );
  withSignerOptions(withConnectionOptions(cmd));
  cmd.action(action(cmd, register));
}
