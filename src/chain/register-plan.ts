/**
 * How a lender's loans are split into `LoanLedger.registerLoans` transactions: the whole list in one
 * when its estimate fits the gas cap, else halves, recursively, each estimated against the current
 * state. A revert about one loan's terms is pinned to its row by the same bisection. Pure over an
 * injected estimator, so the CLI (`loans register`, a key) and the console (a browser wallet) plan
 * alike.
 */
import { BaseError, InsufficientFundsError, type Address, type PublicClient } from "viem";
import { loanLedgerAbi, loanReliefAbi } from "./abis";
import { countryOf, encodeJurisdiction } from "../domain/jurisdiction";
import { BUILT_IN_JURISDICTIONS } from "../jurisdictions/profiles";
import { ChainError } from "./errors";
import { decodeRevert, type DecodedRevert } from "./revert";

/** EIP-7825's per-transaction gas cap (Osaka): the default cap never exceeds it. */
export const TX_GAS_CAP = 1n << 24n;

/** The default cap: the block gas limit, at most {@link TX_GAS_CAP}. */
export function defaultGasCap(blockGasLimit: bigint): bigint {
  return blockGasLimit < TX_GAS_CAP ? blockGasLimit : TX_GAS_CAP;
}

/** A planned transaction: its rows and the gas the node estimated for them. */
export interface RegistrationChunk<R> {
  rows: R[];
  gas: bigint;
}

/** Estimates registerLoans for `rows` with `cap` as the gas allowance; rejects as viem does on a revert. */
export type EstimateRegistration<R> = (rows: R[], cap: bigint) => Promise<bigint>;

/** Why no plan: a row's terms are refused, the call is refused whatever the rows, or one loan alone is over the cap. */
export type RegistrationPlanReason = "row-refused" | "refused" | "too-big";

/** The ledger would refuse the registration, or a loan cannot fit the cap. `message` is one line (no `error: `). */
export class RegistrationPlanError extends ChainError {
  override name = "RegistrationPlanError";

  /** The row's line in the file, for "row-refused" and "too-big". */
  readonly line: number | undefined;
  /** The decoded custom error, for "row-refused" and "refused". */
  readonly revert: DecodedRevert | undefined;

  constructor(
    readonly reason: RegistrationPlanReason,
    message: string,
    facts: { line?: number; revert?: DecodedRevert } = {},
  ) {
    super(message);
    this.line = facts.line;
    this.revert = facts.revert;
  }
}

/** LoanLedger's errors about one loan's terms (everything but access, pause and an empty batch). */
const ROW_ERROR = /^LoanLedger(?!EmptyBatch$)/;

/**
 * An estimate that failed for lack of gas: out of gas reverts without data, or the node says the
 * gas needed exceeds the allowance or the block. Split and retry.
 */
function isGasProblem(err: unknown): boolean {
  if (decodeRevert(err)?.errorName === "unknown") return true;
  // The node's own words only: a viem error's full message also lists the request, whose `gas` (the cap) always matches.
  const chain: Error[] = [];
  for (let e: unknown = err; e instanceof Error; e = e.cause) chain.push(e);
  if (chain.some((e) => e instanceof InsufficientFundsError)) return false; // its text speaks of gas too, but more gas would not help
  return chain.some((e) => /gas/i.test(e instanceof BaseError ? `${e.shortMessage} ${e.details}` : e.message));
}

/**
 * Splits `rows` into consecutive chunks whose registerLoans each fits `cap`.
 * @throws RegistrationPlanError naming the row's line and the decoded custom error, or the loan too
 *   big for the cap; the estimator's own error when it is neither a revert nor a gas problem.
 */
export async function planRegistration<R extends { line: number }>(rows: R[], cap: bigint, estimate: EstimateRegistration<R>): Promise<RegistrationChunk<R>[]> {
  let gas: bigint | undefined;
  try {
    gas = await estimate(rows, cap);
  } catch (err) {
    const revert = decodeRevert(err);
    if (revert && ROW_ERROR.test(revert.errorName)) {
      // A row's terms: bisect until the row is found, so the message can name its line.
      if (rows.length === 1) {
        const line = rows[0]!.line;
        throw new RegistrationPlanError("row-refused", `line ${line}: the ledger would refuse this loan: ${revert.text}; nothing was registered`, { line, revert });
      }
    } else if (revert && revert.errorName !== "unknown") {
      // Not about one row (no LENDER_ROLE, paused): nothing to bisect.
      throw new RegistrationPlanError("refused", `reverted: ${revert.text}; nothing was registered`, { revert });
    } else if (!isGasProblem(err)) {
      throw err;
    }
  }
  if (gas !== undefined && gas <= cap) return [{ rows, gas }];
  if (rows.length === 1) {
    const line = rows[0]!.line;
    throw new RegistrationPlanError("too-big", `line ${line}: this loan alone needs ${gas ?? "more than " + cap} gas, above the gas cap ${cap}; nothing was registered`, { line });
  }
  const mid = Math.ceil(rows.length / 2);
  return [...(await planRegistration(rows.slice(0, mid), cap, estimate)), ...(await planRegistration(rows.slice(mid), cap, estimate))];
}

/** The gas to send a planned chunk with: its estimate plus 20%, never above the cap. */
export function gasWithMargin(estimated: bigint, cap: bigint): bigint {
  const withMargin = (estimated * 12n) / 10n;
  return withMargin < cap ? withMargin : cap;
}

/** What validating and planning a registration reads from the chain, at the latest block. */
export interface RegistrationFacts {
  /** The latest block's timestamp: first due dates must be after it. */
  now: bigint;
  /** The latest block's gas limit, for {@link defaultGasCap}. */
  gasLimit: bigint;
  maxAnnualRateBps: number;
  /**
   * The cap a loan registered now gets under a jurisdiction, as far as the built-in ones tell: their
   * caps as the chain has them, a subdivision without one of them taking its country's (undefined:
   * the global cap). A code the admin gave a cap of its own outside them is checked when the
   * transaction is simulated (LoanLedgerRateAboveCap names it).
   */
  capOf: (jurisdiction: string) => number | undefined;
  /** The penalty rate of the lender's current policy; undefined when the lender has none readable. */
  penaltyRateBps: number | undefined;
}

/**
 * The cap a loan registered now under each of `codes` gets (LoanLedger's module: jurisdictionCapOf;
 * its own, else its country's, else the global cap), for the loan file's rate check.
 */
export async function readJurisdictionCaps(client: Pick<PublicClient, "readContract">, ledger: Address, codes: readonly string[]): Promise<Map<string, number>> {
  const unique = [...new Set(codes)];
  const caps = await Promise.all(
    unique.map((code) => client.readContract({ address: ledger, abi: loanReliefAbi, functionName: "jurisdictionCapOf", args: [encodeJurisdiction(code)] })),
  );
  return new Map(unique.map((code, i) => [code, caps[i]![0]]));
}

/** Reads the {@link RegistrationFacts} for `lender` from LoanLedger at `ledger`. */
export async function readRegistrationFacts(client: Pick<PublicClient, "getBlock" | "readContract">, ledger: Address, lender: Address): Promise<RegistrationFacts> {
  const block = await client.getBlock({ blockTag: "latest" });
  const [maxAnnualRateBps, policyId, caps] = await Promise.all([
    client.readContract({ address: ledger, abi: loanLedgerAbi, functionName: "maxAnnualRateBps" }),
    client.readContract({ address: ledger, abi: loanLedgerAbi, functionName: "currentPolicyOf", args: [lender] }),
    readJurisdictionCaps(client, ledger, BUILT_IN_JURISDICTIONS.map((p) => p.code)),
  ]);
  const capOf = (j: string) => caps.get(j) ?? caps.get(countryOf(j));
  const penaltyRateBps = await client
    .readContract({ address: ledger, abi: loanLedgerAbi, functionName: "policy", args: [policyId] })
    .then((p) => p.penaltyRateBps)
    .catch(() => undefined);
  return { now: block.timestamp, gasLimit: block.gasLimit, maxAnnualRateBps, capOf, penaltyRateBps };
}
