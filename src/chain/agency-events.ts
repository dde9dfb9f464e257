/**
 * An agency's placements and their loans' payments read from the chain alone (eth_getLogs and
 * views, no index), for `agencies statement`: the same statement GET /v1/agencies/{agency}/statement
 * serves from the indexer, computed by the same src/domain/agency.ts.
 */
import { decodeEventLog, encodeEventTopics, numberToHex, pad, type Address, type PublicClient } from "viem";
import { collectionLogAbi, loanLedgerAbi } from "./abis";
import { getLoanEvents, getLogsChunked } from "./loan-events";
import { agencyStatement, recoveryWindow, type AgencyStatement, type Placement, type Recovery } from "../domain";

export interface AgencyChainSource {
  client: Pick<PublicClient, "request" | "readContract">;
  loanLedger: Address;
  collectionLog: Address;
  fromBlock: bigint;
  toBlock: bigint;
}

/** The agency's placements (PlacementCreated with `agency`, and their PlacementRecalled), oldest first. */
export async function placementsFromChain(src: AgencyChainSource, agency: Address): Promise<Placement[]> {
  const created = await getLogsChunked(
    src.client,
    { address: src.collectionLog, topics: encodeEventTopics({ abi: collectionLogAbi, eventName: "PlacementCreated", args: { agency } }) as never },
    src.fromBlock,
    src.toBlock,
  );
  const placements = created.map((log) => {
    const { args: a } = decodeEventLog({ abi: collectionLogAbi, eventName: "PlacementCreated", data: log.data, topics: log.topics });
    return { id: Number(a.placementId), lender: a.lender, agency: a.agency, commissionBps: a.commissionBps, start: Number(a.start), end: Number(a.end), recalledAt: null as number | null, loanIds: a.loanIds.map(Number) };
  });
  if (placements.length === 0) return [];
  const [recalledTopic] = encodeEventTopics({ abi: collectionLogAbi, eventName: "PlacementRecalled" });
  const recalls = await getLogsChunked(
    src.client,
    { address: src.collectionLog, topics: [recalledTopic!, placements.map((p) => pad(numberToHex(p.id), { size: 32 }))] },
    src.fromBlock,
    src.toBlock,
  );
  for (const log of recalls) {
    const { args } = decodeEventLog({ abi: collectionLogAbi, eventName: "PlacementRecalled", data: log.data, topics: log.topics });
    const p = placements.find((x) => x.id === Number(args.placementId));
    if (p) p.recalledAt = Number(args.at);
  }
  return placements.sort((a, b) => a.id - b.id);
}

/** The payments (LoanRepaid, LoanSettled) of one loan with paidAt in [from, to), with its unit (token address or currency code). */
async function loanRecoveries(src: AgencyChainSource, loanId: number, from: number, to: number): Promise<Recovery[]> {
  const terms = await src.client.readContract({ address: src.loanLedger, abi: loanLedgerAbi, functionName: "loanTerms", args: [BigInt(loanId)] });
  const zeroToken = /^0x0{40}$/i.test(terms.token);
  const unit = zeroToken ? Buffer.from(terms.currency.slice(2), "hex").toString("latin1").replace(/\0+$/, "") : terms.token;
  const events = await getLoanEvents(src.client, { loanLedger: src.loanLedger, collectionLog: src.collectionLog, loanId: BigInt(loanId), fromBlock: src.fromBlock, toBlock: src.toBlock });
  const out: Recovery[] = [];
  for (const e of events) {
    if (e.eventName !== "LoanRepaid" && e.eventName !== "LoanSettled") continue;
    const paidAt = Number(e.args.paidAt as bigint);
    if (paidAt < from || paidAt >= to) continue;
    out.push({
      loanId, amount: e.args.amount as bigint, paidAt, kind: e.eventName === "LoanRepaid" ? "repayment" : "settlement",
      blockNumber: Number(e.blockNumber), logIndex: e.logIndex, txHash: e.txHash, unit,
    });
  }
  return out;
}

/** The agency's statement for [from, to) from chain events alone. `onLoan` reports progress (loans read, of total). */
export async function statementFromChain(src: AgencyChainSource, agency: Address, from: number, to: number, onLoan?: (done: number, total: number) => void): Promise<AgencyStatement> {
  const placements = (await placementsFromChain(src, agency)).filter((p) => {
    const w = recoveryWindow(p);
    return w.from < to && w.to > from;
  });
  const loanIds = [...new Set(placements.flatMap((p) => p.loanIds))];
  const recoveries: Recovery[] = [];
  for (const [i, id] of loanIds.entries()) {
    recoveries.push(...(await loanRecoveries(src, id, from, to)));
    onLoan?.(i + 1, loanIds.length);
  }
  return agencyStatement(agency, placements, recoveries, from, to);
}
