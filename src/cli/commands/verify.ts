/**
 * `duetrail verify`: recomputes a loan's collection trail from its ActionRecorded events and
 * compares it with the contract's trailOf, both at one block, trusting neither us nor a database.
 *
 *   npm run cli -- verify --rpc http://127.0.0.1:8545 --network localhost --loan 1
 *   npm run cli -- verify --rpc http://127.0.0.1:8545 --network localhost --all
 *
 * --all verifies every loan that has actions (found from the ActionRecorded logs), all at one
 * block, and prints a summary with a valid flag per loan.
 * Prints JSON (bigints as decimal strings). Exit 0 when the trail is (every trail is) valid, 1
 * when not, 2 on bad input, a missing deployment or an unreachable RPC (one line on stderr).
 */
import type { Command } from "commander";
import { z } from "zod";
import { BaseError, createPublicClient, http, type Address, type Hex, type PublicClient } from "viem";
import { collectionLogAbi } from "../../chain/abis";
import { getActionLogs, type ActionLog } from "../../chain/action-logs";
import { DeploymentError, loadDeployment, type Deployment } from "../../chain/deployments";
import { flagNames } from "../../domain/compliance";
import { verifyTrail, type TrailProblem } from "../../domain/trail";
import { parseConnectionOptions } from "../lib/connection";
import { chainNumber } from "../lib/json";
import { UsageError } from "../lib/errors";

/** A problem the user can fix (bad flag, missing deployment, unreachable node): exit 2. */
export class VerifyUsageError extends UsageError {
  override name = "VerifyUsageError";
}

const isHttpUrl = (s: string) => {
  try {
    const u = new URL(s);
    return u.protocol === "http:" || u.protocol === "https:";
  } catch {
    return false;
  }
};
const required = (flag: string, message: string) => ({
  error: (issue: { input?: unknown }) => (issue.input === undefined ? `error: ${flag} is required` : `error: ${flag} ${message}`),
});

/** The options, validated; each message is the one line to print. */
export const verifyOptionsSchema = z.object({
  rpc: z.string(required("--rpc", "must be an http(s) URL")).refine(isHttpUrl, "error: --rpc must be an http(s) URL"),
  network: z
    .string(required("--network", "must be a deployment name"))
    .regex(/^[A-Za-z0-9_-]+$/, "error: --network must be a deployment name (letters, digits, - and _)"),
  loan: z
    .string(required("--loan", "must be a positive integer"))
    .regex(/^[1-9][0-9]{0,77}$/, "error: --loan must be a positive integer")
    .transform((s) => BigInt(s))
    .refine((v) => v < 1n << 256n, "error: --loan must be below 2^256"),
});

/** Validated options of `verify`. */
export type VerifyOptions = z.infer<typeof verifyOptionsSchema>;

/**
 * Validates raw commander options.
 * @throws VerifyUsageError whose message names the first bad flag.
 */
export function parseVerifyOptions(raw: Record<string, unknown>): VerifyOptions {
  const parsed = verifyOptionsSchema.safeParse(raw);
  if (!parsed.success) throw new VerifyUsageError(parsed.error.issues[0].message);
  return parsed.data;
}

/** The outcome of verifying one loan's trail at one block. */
export interface VerifyReport {
  network: string;
  chainId: number;
  collectionLog: Address;
  loanId: bigint;
  /** The block everything was read at. */
  block: bigint;
  actions: ActionLog[];
  onChainHead: Hex;
  onChainCount: bigint;
  recomputedHead: Hex;
  count: bigint;
  valid: boolean;
  problems: TrailProblem[];
}

/**
 * Reads the loan's events from the CollectionLog's deployment block to the latest block B (fixed
 * at the start), and trailOf at B, and verifies them.
 * @throws VerifyUsageError when the node is unreachable, on another chain, or has no CollectionLog.
 */
export async function verifyLoan(
  client: PublicClient,
  deployment: Deployment,
  loanId: bigint,
  opts: { maxChunk?: bigint; block?: bigint } = {},
): Promise<VerifyReport> {
  const address = deployment.collectionLog.address;
  const { block, chainId } = await readAt(client, deployment, opts.block);
  const actions = await getActionLogs(client, {
    collectionLog: address,
    loanId,
    fromBlock: deployment.collectionLog.startBlock,
    toBlock: block,
    maxChunk: opts.maxChunk,
  });
  return checkTrail(client, deployment, chainId, block, loanId, actions);
}

/**
 * The block to read at (the latest unless given) and the chain id, checked against the deployment.
 * @throws VerifyUsageError when the node is unreachable, on another chain, or has no CollectionLog.
 */
async function readAt(client: PublicClient, deployment: Deployment, at?: bigint): Promise<{ block: bigint; chainId: number }> {
  const address = deployment.collectionLog.address;
  let block: bigint;
  let chainId: number;
  try {
    [block, chainId] = await Promise.all([at ?? client.getBlockNumber(), client.getChainId()]);
  } catch (err) {
    throw new VerifyUsageError(`error: cannot reach --rpc: ${oneLine(err)}`);
  }
  if (chainId !== deployment.chainId) {
    throw new VerifyUsageError(`error: --rpc is chain ${chainId}, but deployments/${deployment.network} is chain ${deployment.chainId}`);
  }
  const code = await client.getCode({ address, blockNumber: block });
  if (!code || code === "0x") {
    throw new VerifyUsageError(`error: no CollectionLog at ${address} on --rpc (stale deployments/${deployment.network}?)`);
  }
  return { block, chainId };
}

/** Compares `actions` (the loan's, read up to `block`) with trailOf at `block`. */
async function checkTrail(
  client: PublicClient,
  deployment: Deployment,
  chainId: number,
  block: bigint,
  loanId: bigint,
  actions: ActionLog[],
): Promise<VerifyReport> {
  const address = deployment.collectionLog.address;
  const [onChainHead, onChainCount] = await client.readContract({
    address,
    abi: collectionLogAbi,
    functionName: "trailOf",
    args: [loanId],
    blockNumber: block,
  });
  const v = verifyTrail(chainId, address, loanId, actions, { head: onChainHead, count: BigInt(onChainCount) });
  return {
    network: deployment.network,
    chainId,
    collectionLog: address,
    loanId,
    block,
    actions,
    onChainHead,
    onChainCount: BigInt(onChainCount),
    recomputedHead: v.head,
    count: v.count,
    valid: v.valid,
    problems: v.problems,
  };
}

/** The outcome of `verify --all`: every loan with actions, at one block. */
export interface VerifyAllReport {
  network: string;
  chainId: number;
  collectionLog: Address;
  block: bigint;
  reports: VerifyReport[];
  valid: boolean;
}

/**
 * Verifies every loan that has actions: reads all ActionRecorded logs up to the latest block B
 * once, groups them by loan, and checks each group against trailOf at B.
 * @throws VerifyUsageError when the node is unreachable, on another chain, or has no CollectionLog.
 */
export async function verifyAllLoans(client: PublicClient, deployment: Deployment, opts: { maxChunk?: bigint } = {}): Promise<VerifyAllReport> {
  const { block, chainId } = await readAt(client, deployment);
  const actions = await getActionLogs(client, {
    collectionLog: deployment.collectionLog.address,
    fromBlock: deployment.collectionLog.startBlock,
    toBlock: block,
    maxChunk: opts.maxChunk,
  });
  const byLoan = new Map<bigint, ActionLog[]>();
  for (const a of actions) byLoan.set(a.loanId, [...(byLoan.get(a.loanId) ?? []), a]);
  const ids = [...byLoan.keys()].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  const reports: VerifyReport[] = [];
  // A few reads in flight at a time: enough to be quick, few enough for a public RPC.
  for (let k = 0; k < ids.length; k += 16) {
    const batch = ids.slice(k, k + 16);
    reports.push(...(await Promise.all(batch.map((id) => checkTrail(client, deployment, chainId, block, id, byLoan.get(id)!)))));
  }
  return { network: deployment.network, chainId, collectionLog: deployment.collectionLog.address, block, reports, valid: reports.every((r) => r.valid) };
}

/** The summary `verify --all` prints: per loan its counts, heads and valid flag (no actions). */
export function verifyAllReportToJson(r: VerifyAllReport): object {
  return {
    network: r.network,
    chainId: r.chainId,
    collectionLog: r.collectionLog,
    block: chainNumber(r.block),
    valid: r.valid,
    loans: r.reports.length,
    invalid: r.reports.filter((x) => !x.valid).map((x) => x.loanId.toString()),
    results: r.reports.map((x) => ({
      loanId: x.loanId.toString(),
      valid: x.valid,
      count: x.count.toString(),
      onChainCount: x.onChainCount.toString(),
      recomputedHead: x.recomputedHead,
      onChainHead: x.onChainHead,
      problems: x.problems.map((p) => ({ kind: p.kind, seq: p.seq.toString(), message: p.message })),
    })),
  };
}

/** The JSON document `verify` prints: block numbers and times as numbers, counts and ids as decimal strings. */
export function verifyReportToJson(r: VerifyReport): object {
  return {
    loanId: r.loanId.toString(),
    network: r.network,
    chainId: r.chainId,
    collectionLog: r.collectionLog,
    block: chainNumber(r.block),
    count: r.count.toString(),
    onChainCount: r.onChainCount.toString(),
    onChainHead: r.onChainHead,
    recomputedHead: r.recomputedHead,
    valid: r.valid,
    problems: r.problems.map((p) => ({ kind: p.kind, seq: p.seq.toString(), message: p.message })),
    actions: r.actions.map((a) => ({
      loanId: a.loanId.toString(),
      seq: a.seq.toString(),
      collector: a.collector,
      channel: a.channel,
      kind: a.kind,
      outcome: a.outcome,
      occurredAt: chainNumber(a.occurredAt),
      evidenceHash: a.evidenceHash,
      flags: a.flags,
      flagNames: flagNames(a.flags),
      head: a.head,
      txHash: a.txHash,
      blockNumber: chainNumber(a.blockNumber),
      logIndex: a.logIndex,
    })),
  };
}

function oneLine(err: unknown): string {
  const text = err instanceof BaseError ? err.shortMessage : err instanceof Error ? err.message : String(err);
  return text.split("\n")[0];
}

/** Registers `verify` on the program. */
export function registerVerifyCommand(program: Command): void {
  const cmd = program
    .command("verify")
    .description("Recompute a loan's (or every loan's) collection trail from the chain's events and compare it with trailOf")
    .option("--rpc <url>", "JSON-RPC endpoint, http or https (env RPC_URL, default http://127.0.0.1:8545)")
    .option("--network <name>", "deployment to read from deployments/<name>/ (env NETWORK, default localhost)")
    .option("--deployments <dir>", "deployments folder (env DEPLOYMENTS_DIR, default ./deployments)")
    .option("--loan <id>", "loan id (a positive integer)")
    .option("--all", "every loan with actions (from the ActionRecorded logs): a summary with a valid flag per loan")
    .showHelpAfterError(false)
    .addHelpText("after", "\nExit status: 0 valid (all valid), 1 not valid (any not), 2 bad input, missing deployment or unreachable RPC.");
  cmd.action(async (raw: Record<string, unknown>) => {
    try {
      if (raw.all === true && raw.loan !== undefined) throw new VerifyUsageError("error: give --loan <id> or --all, not both");
      // Flags over environment over defaults (src/config), as the other operator commands.
      const conn = parseConnectionOptions(raw);
      const opts = parseVerifyOptions({ rpc: conn.rpc, network: conn.network, loan: raw.all === true ? "1" : raw.loan });
      const deployment = loadDeployment(opts.network, conn.deployments);
      const client = createPublicClient({ transport: http(opts.rpc, { retryCount: 1, timeout: 15_000 }) }) as PublicClient;
      if (raw.all === true) {
        const report = await verifyAllLoans(client, deployment);
        process.stdout.write(`${JSON.stringify(verifyAllReportToJson(report), null, 2)}\n`);
        process.exitCode = report.valid ? 0 : 1;
        return;
      }
      const report = await verifyLoan(client, deployment, opts.loan);
      process.stdout.write(`${JSON.stringify(verifyReportToJson(report), null, 2)}\n`);
      process.exitCode = report.valid ? 0 : 1;
    } catch (err) {
      if (err instanceof UsageError) cmd.error(err.message, { exitCode: 2, code: "duetrail.usage" });
      if (err instanceof DeploymentError) cmd.error(`error: ${err.message}`, { exitCode: 2, code: "duetrail.usage" });
      if (err instanceof BaseError) cmd.error(`error: RPC failed: ${oneLine(err)}`, { exitCode: 2, code: "duetrail.rpc" });
      throw err;
    }
  });
}
