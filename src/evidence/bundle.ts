/**
 * An auditor's evidence bundle for one loan, read from the chain alone (no database), everything
 * as of one block B:
 * - the loan's terms (loanTerms), its policy and every schedule version (scheduleOf 1..version);
 * - every LoanLedger and CollectionLog event of the loan: name, arguments (bigints as decimal
 *   strings), transaction hash, block number and hash, log index, block timestamp;
 * - the trail verification: the head recomputed from the ActionRecorded events against trailOf.
 * What `duetrail evidence export` writes and GET /v1/loans/{loanId}/evidence/bundle serves.
 */
import { hexToString, type PublicClient } from "viem";
import { loanLedgerAbi } from "../chain/abis";
import type { Deployment } from "../chain/deployments";
import { getLoanEvents } from "../chain/loan-events";
import { decodeRevert } from "../chain/revert";
import { toIsoString } from "../domain/dates";
import { chainNumber, jsonSafe } from "../domain/json-safe";
import { LoanNotRegisteredError } from "./errors";
import { verifyLoan, verifyReportToJson } from "./verify";

/**
 * Bumped when the bundle's shape changes. Version 2: block numbers, log indexes and times are JSON
 * numbers (version 1 had them as strings).
 */
export const EVIDENCE_BUNDLE_FORMAT = "duetrail-evidence-bundle/2";

async function blockTimes(client: PublicClient, blocks: bigint[]): Promise<Map<bigint, bigint>> {
  const times = new Map<bigint, bigint>();
  const unique = [...new Set(blocks)];
  for (let k = 0; k < unique.length; k += 16) {
    const got = await Promise.all(unique.slice(k, k + 16).map((n) => client.getBlock({ blockNumber: n })));
    for (const b of got) times.set(b.number, b.timestamp);
  }
  return times;
}

/** An evidence bundle built by {@link buildEvidenceBundle}, with what the CLI reports about it. */
export interface EvidenceBundle {
  /** The bundle, JSON-safe (bigints as decimal strings): what `evidence export` writes. */
  bundle: Record<string, unknown>;
  /** The block everything was read at. */
  block: bigint;
  events: number;
  scheduleVersions: number;
  /** The trail verification's verdict (also inside the bundle). */
  valid: boolean;
}

/**
 * A loan's evidence bundle, read from the chain alone at one block (the latest unless `opts.block`
 * is given): what `evidence export` writes, and what the API serves at
 * GET /v1/loans/{loanId}/evidence/bundle (at its indexed block) from this same code.
 * @throws LoanNotRegisteredError when the loan is not registered at that block; the errors of {@link verifyLoan} (./errors) when
 *   the node is unreachable, on another chain or has no CollectionLog.
 */
export async function buildEvidenceBundle(client: PublicClient, deployment: Deployment, loanId: bigint, opts: { block?: bigint } = {}): Promise<EvidenceBundle> {
  const ledger = deployment.loanLedger.address;
  const asOf = opts.block === undefined ? await client.getBlock({ blockTag: "latest" }) : await client.getBlock({ blockNumber: opts.block });
  const B = asOf.number;

  let terms;
  try {
    terms = await client.readContract({ address: ledger, abi: loanLedgerAbi, functionName: "loanTerms", args: [loanId], blockNumber: B });
  } catch (err) {
    if (decodeRevert(err)?.errorName === "LoanLedgerUnknownLoan") throw new LoanNotRegisteredError(loanId, deployment.network, B, err);
    throw err;
  }
  const versions = Array.from({ length: terms.version }, (_, k) => k + 1);
  const [policy, schedules, events, verification] = await Promise.all([
    client.readContract({ address: ledger, abi: loanLedgerAbi, functionName: "policy", args: [terms.policyId], blockNumber: B }),
    Promise.all(versions.map((v) => client.readContract({ address: ledger, abi: loanLedgerAbi, functionName: "scheduleOf", args: [loanId, v], blockNumber: B }))),
    getLoanEvents(client, {
      loanLedger: ledger,
      collectionLog: deployment.collectionLog.address,
      loanId,
      fromBlock: deployment.loanLedger.startBlock < deployment.collectionLog.startBlock ? deployment.loanLedger.startBlock : deployment.collectionLog.startBlock,
      toBlock: B,
    }),
    verifyLoan(client, deployment, loanId, { block: B }),
  ]);
  const times = await blockTimes(client, events.map((e) => e.blockNumber));
  const v = verifyReportToJson(verification) as Record<string, unknown>;

  const bundle = jsonSafe({
    format: EVIDENCE_BUNDLE_FORMAT,
    loanId,
    source: { network: deployment.network, chainId: deployment.chainId, loanLedger: ledger, collectionLog: deployment.collectionLog.address },
    asOf: { blockNumber: chainNumber(B), blockHash: asOf.hash, timestamp: chainNumber(asOf.timestamp), time: toIsoString(asOf.timestamp) },
    terms: {
      ...terms,
      startedAt: chainNumber(terms.startedAt),
      currencyCode: terms.currency === "0x000000" ? null : hexToString(terms.currency, { size: 3 }),
      startedAtTime: toIsoString(terms.startedAt),
    },
    policy,
    schedules: schedules.map((installments, k) => ({
      version: k + 1,
      installments: installments.map((i, index) => ({ index, dueDate: chainNumber(i.dueDate), dueDateTime: toIsoString(i.dueDate), principal: i.principal, interest: i.interest })),
    })),
    events: events.map((e) => ({
      contract: e.contract,
      name: e.eventName,
      args: e.args,
      txHash: e.txHash,
      blockNumber: chainNumber(e.blockNumber),
      blockHash: e.blockHash,
      logIndex: e.logIndex,
      blockTimestamp: chainNumber(times.get(e.blockNumber)!),
      blockTime: toIsoString(times.get(e.blockNumber)!),
    })),
    verification: {
      valid: v.valid,
      block: v.block,
      count: v.count,
      onChainCount: v.onChainCount,
      recomputedHead: v.recomputedHead,
      onChainHead: v.onChainHead,
      problems: v.problems,
    },
  }) as Record<string, unknown>;
  return { bundle, block: B, events: events.length, scheduleVersions: versions.length, valid: verification.valid };
}
