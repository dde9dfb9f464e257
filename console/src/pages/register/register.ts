/**
 * Registering a file's loans from the lender's browser wallet, as `duetrail loans register` does with
 * a key: validate against the chain's latest block (src/files/loan-file.ts), plan the transactions
 * under the gas cap by estimating them (src/chain/register-plan.ts: a revert names its custom error
 * and row before anything is signed), send each `registerLoans` with eth_sendTransaction, read the
 * new ids from the receipts' LoanRegistered logs, then wait until the API serves every one.
 */
import { encodeFunctionData, parseEventLogs, type Address, type Hex } from "viem";
import { loanLedgerAbi } from "../../../../src/chain/abis";
import { defaultGasCap, gasWithMargin, planRegistration, readRegistrationFacts } from "../../../../src/chain/register-plan";
import { parseLoanFile, type LoanRow, type RowProblem } from "../../../../src/files/loan-file";
import { connectWallet, sendFromWallet, walletReader, type Eip1193 } from "../../lib/wallet";

/** What the page shows while it works. */
export type RegisterStep =
  | { step: "connect" }
  | { step: "switch"; chainId: number }
  | { step: "check" }
  | { step: "simulate"; count: number }
  | { step: "confirm"; k: number; n: number }
  | { step: "pending"; k: number; n: number; hash: Hex }
  | { step: "indexing"; count: number };

/** One sent transaction and the loans it registered. */
export interface SentTransaction {
  hash: Hex;
  block: bigint;
  loanIds: bigint[];
}

export type RegisterOutcome =
  /** The chain's latest block finds problems the earlier check did not (time moved on, the cap): nothing sent. */
  | { kind: "problems"; problems: RowProblem[] }
  /** The file needs several transactions and the user has not agreed to that: nothing sent. */
  | { kind: "multiple"; transactions: number; cap: bigint }
  | { kind: "registered"; transactions: SentTransaction[]; indexed: boolean };

/** Some transactions are on chain and a later one failed: which are registered, and why the rest are not. */
export class PartialRegistrationError extends Error {
  constructor(
    readonly sent: SentTransaction[],
    override readonly cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

/** A transaction mined but reverted (state changed between the estimate and the block). */
export class RevertedOnChainError extends Error {
  constructor(readonly hash: Hex) {
    super(`transaction ${hash} reverted`);
  }
}

export interface RegisterParameters {
  eth: Eip1193;
  /** The deployment's chain and LoanLedger (GET /v1/chain). */
  chainId: number;
  ledger: Address;
  /** The signed-in lender: the wallet must be this account. */
  lender: string;
  file: { name: string; text: string };
  allowMultiple: boolean;
  onStep: (s: RegisterStep) => void;
  /** Whether the API serves the loan yet (GET /v1/loans/{id} answers 200). */
  isIndexed: (loanId: bigint) => Promise<boolean>;
}

/**
 * Validates, plans, signs and sends; then waits (up to a minute) until the API serves every new loan.
 * @throws WalletError, RegistrationPlanError (the ledger would refuse: nothing sent), RevertedOnChainError
 *   or PartialRegistrationError (after the first transaction), or the wallet's own error.
 */
export async function registerFromWallet(p: RegisterParameters): Promise<RegisterOutcome> {
  p.onStep({ step: "connect" });
  const from = await connectWallet(p.eth, p.chainId, p.lender, () => p.onStep({ step: "switch", chainId: p.chainId }));
  const reader = walletReader(p.eth);

  p.onStep({ step: "check" });
  const facts = await readRegistrationFacts(reader, p.ledger, from);
  const { rows, problems } = parseLoanFile(p.file.name, p.file.text, facts);
  if (problems.length > 0) return { kind: "problems", problems };

  const cap = defaultGasCap(facts.gasLimit);
  p.onStep({ step: "simulate", count: 1 });
  const estimate = (chunk: LoanRow[], gas: bigint) =>
    reader.estimateContractGas({ address: p.ledger, abi: loanLedgerAbi, functionName: "registerLoans", args: [chunk.map((r) => r.params)], account: from, gas });
  const chunks = await planRegistration(rows, cap, estimate);
  if (chunks.length > 1 && !p.allowMultiple) return { kind: "multiple", transactions: chunks.length, cap };

  const sent: SentTransaction[] = [];
  for (const [k, chunk] of chunks.entries()) {
    try {
      p.onStep({ step: "confirm", k: k + 1, n: chunks.length });
      const data = encodeFunctionData({ abi: loanLedgerAbi, functionName: "registerLoans", args: [chunk.rows.map((r) => r.params)] });
      const hash = await sendFromWallet(p.eth, { from, to: p.ledger, data, gas: gasWithMargin(chunk.gas, cap) });
      p.onStep({ step: "pending", k: k + 1, n: chunks.length, hash });
      const receipt = await reader.waitForTransactionReceipt({ hash, pollingInterval: 500 });
      if (receipt.status !== "success") throw new RevertedOnChainError(hash);
      // The ledger's own logs only: another contract could emit an event of the same signature.
      const logs = receipt.logs.filter((l) => l.address.toLowerCase() === p.ledger.toLowerCase());
      const events = parseEventLogs({ abi: loanLedgerAbi, logs, eventName: "LoanRegistered" });
      sent.push({ hash, block: receipt.blockNumber, loanIds: events.map((e) => e.args.loanId) });
    } catch (err) {
      if (sent.length > 0) throw new PartialRegistrationError(sent, err);
      throw err;
    }
  }

  const ids = sent.flatMap((s) => s.loanIds);
  p.onStep({ step: "indexing", count: ids.length });
  return { kind: "registered", transactions: sent, indexed: await waitIndexed(ids, p.isIndexed) };
}

/** Polls until every id is served, for about a minute; false if some never were. */
async function waitIndexed(ids: bigint[], isIndexed: (id: bigint) => Promise<boolean>): Promise<boolean> {
  let pending = ids;
  for (let i = 0; i < 120 && pending.length > 0; i++) {
    const served = await Promise.all(pending.map(isIndexed));
    pending = pending.filter((_, k) => !served[k]);
    if (pending.length > 0) await new Promise((r) => setTimeout(r, 500));
  }
  return pending.length === 0;
}
